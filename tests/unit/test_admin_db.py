"""The suspension data: in force or not, per demo driver, on real SQLite and real PostgreSQL."""
from __future__ import annotations

import datetime as dt
import os

import pytest
import sqlalchemy as sa

from consignment import settings
from consignment.admin_db import (
    AdminDataUnavailable,
    AdminRepository,
    Restriction,
    Suspension,
    suspension_in_force,
)
from tests.conftest import NOW

KST = settings.KST
EXPECTED = {
    "D-1001": (Restriction.SUSPENDED, "운행 중 사고 발생 후 미신고", 0),
    "D-1002": (Restriction.CUSTOMER_BLOCKED, None, 1),
    "D-1003": (Restriction.NONE, None, 0),
    "D-1004": (Restriction.CUSTOMER_BLOCKED, None, 2),
    "D-1005": (Restriction.SUSPENDED, "음주 의심 신고에 따른 조사", 0),
    "D-1006": (Restriction.CUSTOMER_BLOCKED, None, 1),
    "D-1007": (Restriction.NONE, None, 0),
}


def suspension(started, ends=None, lifted=None) -> Suspension:
    return Suspension("S-x", started, ends, lifted, "사유")


def test_an_open_ended_suspension_that_has_started_is_in_force():
    assert suspension_in_force(suspension(NOW - dt.timedelta(days=1)), NOW)


def test_a_suspension_that_starts_later_is_not_in_force_yet():
    assert not suspension_in_force(suspension(NOW + dt.timedelta(hours=1)), NOW)


def test_a_suspension_past_its_end_is_history():
    assert not suspension_in_force(suspension(NOW - dt.timedelta(days=9), ends=NOW - dt.timedelta(days=2)), NOW)


def test_a_lifted_suspension_is_not_in_force_even_before_its_end():
    started = NOW - dt.timedelta(days=9)
    assert not suspension_in_force(
        suspension(started, ends=NOW + dt.timedelta(days=9), lifted=NOW - dt.timedelta(days=1)), NOW
    )


def test_a_suspension_ending_exactly_now_is_over():
    assert not suspension_in_force(suspension(NOW - dt.timedelta(days=1), ends=NOW), NOW)


@pytest.mark.parametrize("driver_id", sorted(EXPECTED))
def test_each_demo_driver_gets_the_restriction_the_fixtures_describe(sqlite_repository, driver_id):
    found = sqlite_repository.restriction(driver_id)
    assert (found.status, found.reason, found.blocked_customers) == EXPECTED[driver_id]


def test_a_suspension_in_force_carries_the_end_the_record_gives(sqlite_repository):
    assert sqlite_repository.restriction("D-1005").ends_at == dt.datetime(
        2027, 12, 31, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=9)))


def test_an_open_ended_suspension_has_no_end(sqlite_repository):
    found = sqlite_repository.restriction("D-1001")
    assert found.status == Restriction.SUSPENDED and found.ends_at is None


def test_the_clock_decides_what_is_in_force(tmp_path):
    before_d1001 = dt.datetime(2026, 11, 19, tzinfo=KST)
    repository = AdminRepository(url=f"sqlite:///{tmp_path / 'a.db'}", clock=lambda: before_d1001, load_demo_data=True)
    assert repository.restriction("D-1001").status == Restriction.NONE


def test_drivers_are_found_by_id_and_by_phone(sqlite_repository):
    assert sqlite_repository.driver("D-1002").name == "이영희"
    assert sqlite_repository.driver_by_phone("010-2345-6789").driver_id == "D-1002"
    assert sqlite_repository.driver("D-9999") is None


def test_a_configured_database_does_not_get_demo_data_unless_asked(tmp_path, monkeypatch):
    monkeypatch.delenv("ADMIN_DB_LOAD_DEMO", raising=False)
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    repository = AdminRepository(url=url)
    with pytest.raises(AdminDataUnavailable):  # no tables: nothing was created or loaded
        repository.driver("D-1001")


def test_an_unreachable_database_is_reported_as_unavailable_quickly(monkeypatch):
    monkeypatch.setenv("ADMIN_DB_TIMEOUT_SECONDS", "1")
    repository = AdminRepository(url="postgresql://postgres@127.0.0.1:1/nowhere", load_demo_data=False)
    with pytest.raises(AdminDataUnavailable):
        repository.restriction("D-1001")


def test_a_driver_id_with_sql_in_it_is_just_an_unknown_driver(sqlite_repository):
    assert sqlite_repository.driver("D-1001' OR '1'='1") is None


# ── PostgreSQL ──────────────────────────────────────────────────────────────

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="module")
def postgres_url():
    """A fresh database on the local PostgreSQL, dropped afterwards."""
    from tests.conftest import throwaway_postgres_database

    with throwaway_postgres_database("consignment_test") as url:
        yield url


@pytest.mark.postgres
@pytest.mark.parametrize("driver_id", sorted(EXPECTED))
def test_each_demo_driver_gets_the_same_restriction_on_postgresql(postgres_url, driver_id):
    repository = AdminRepository(url=postgres_url, clock=lambda: NOW, load_demo_data=True)
    found = repository.restriction(driver_id)
    assert (found.status, found.reason, found.blocked_customers) == EXPECTED[driver_id]


@pytest.mark.postgres
def test_postgresql_keeps_the_times_with_their_offset(postgres_url):
    repository = AdminRepository(url=postgres_url, clock=lambda: NOW, load_demo_data=True)
    repository.ensure_ready()
    with repository.engine.connect() as conn:
        started = conn.execute(sa.text("select started_at from account_suspensions where suspension_id='S-0001'")).scalar_one()
    assert started == dt.datetime(2026, 11, 20, 9, 0, tzinfo=KST)


# ── naive times (SQLite keeps no offset) ─────────────────────────────────────

def test_a_naive_admin_time_is_korean_time():
    """Half an hour before NOW in Korea: in force. Read as UTC it would start 8½ hours later."""
    started = dt.datetime(2026, 11, 29, 11, 30)  # naive, as SQLite hands it back
    assert suspension_in_force(Suspension("S-naive", started, None, None, "사유"), NOW)


def test_a_naive_assist_store_time_is_utc(tmp_path):
    from consignment.assist_store import AssistStore

    store = AssistStore(f"sqlite:///{tmp_path / 'assist.db'}")
    store.open_handoff("naive-times", "rest", {"reason": "request_human", "summary": "-"})
    now = dt.datetime.now(dt.timezone.utc)
    [row] = store.handoffs_between((now - dt.timedelta(minutes=5)).timestamp(), (now + dt.timedelta(minutes=5)).timestamp())
    assert abs(row["created_at"] - now) < dt.timedelta(minutes=5)  # read as KST it would be 9 hours off
