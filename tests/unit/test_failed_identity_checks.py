"""At most 5 failed 본인확인 per driver per hour, counted in the database (CONTRACT §4)."""
from __future__ import annotations

import datetime as dt

import pytest

from consignment.assist_store import AssistStore
from consignment.identity import mint_driver_token, phone_digest
from consignment.restriction import RestrictionAnswer, answer_restriction_inquiry
from tests.conftest import TEST_SECRET

NOW = dt.datetime(2026, 11, 29, 3, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def store(tmp_path) -> AssistStore:
    return AssistStore(f"sqlite:///{tmp_path / 'assist.db'}")


def ask(repository, store, name: str, phone: str, now: dt.datetime = NOW) -> str:
    token = mint_driver_token("D-1001", TEST_SECRET)
    return answer_restriction_inquiry(token, name, phone_digest(phone), repository, store, now=now).kind


def test_the_sixth_check_with_the_right_details_runs_no_lookup(sqlite_repository, store):
    for minute in range(5):
        assert ask(sqlite_repository, store, "김민수", "010-0000-0000", NOW + dt.timedelta(minutes=minute)) \
            == RestrictionAnswer.NOT_VERIFIED
    assert ask(sqlite_repository, store, "김민수", "010-1234-5678", NOW + dt.timedelta(minutes=6)) \
        == RestrictionAnswer.TOO_MANY_FAILED_CHECKS


def test_the_count_is_shared_by_every_process_using_the_same_database(sqlite_repository, store, tmp_path):
    for _ in range(5):
        ask(sqlite_repository, store, "김민수", "010-0000-0000")
    another_process = AssistStore(store.url)
    assert ask(sqlite_repository, another_process, "김민수", "010-1234-5678") == RestrictionAnswer.TOO_MANY_FAILED_CHECKS


def test_an_hour_later_the_driver_may_try_again(sqlite_repository, store):
    for _ in range(5):
        ask(sqlite_repository, store, "김민수", "010-0000-0000")
    later = NOW + dt.timedelta(hours=1, minutes=1)
    assert ask(sqlite_repository, store, "김민수", "010-1234-5678", later) == RestrictionAnswer.SUSPENDED


def test_four_failures_still_let_the_right_details_through(sqlite_repository, store):
    for _ in range(4):
        ask(sqlite_repository, store, "김민수", "010-0000-0000")
    assert ask(sqlite_repository, store, "김민수", "010-1234-5678") == RestrictionAnswer.SUSPENDED


def test_failures_of_another_driver_do_not_count(sqlite_repository, store):
    for _ in range(5):
        store.record_identity_failure("D-1002", NOW)
    assert ask(sqlite_repository, store, "김민수", "010-1234-5678") == RestrictionAnswer.SUSPENDED


# ── one atomic step: the count cannot be raced (issue 13 item 4) ────────────────────────────────
RACERS = 20


@pytest.fixture(scope="module")
def postgres_store_url():
    """A throw-away database on the local PostgreSQL, dropped afterwards."""
    from tests.conftest import throwaway_postgres_database

    with throwaway_postgres_database("consignment_attempts") as url:
        yield url


def concurrent_wrong_guesses(repository, store) -> list:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    start = threading.Barrier(RACERS)

    def guess(_):
        start.wait()
        return ask(repository, store, "김민수", "010-0000-0000")

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(guess, range(RACERS)))


def test_concurrent_wrong_guesses_on_sqlite_get_at_most_5_checks(sqlite_repository, store):
    answers = concurrent_wrong_guesses(sqlite_repository, store)
    assert answers.count(RestrictionAnswer.NOT_VERIFIED) == 5
    assert answers.count(RestrictionAnswer.TOO_MANY_FAILED_CHECKS) == RACERS - 5


@pytest.mark.postgres
def test_concurrent_wrong_guesses_on_postgresql_get_at_most_5_checks(sqlite_repository, postgres_store_url):
    store = AssistStore(postgres_store_url)
    answers = concurrent_wrong_guesses(sqlite_repository, store)
    assert answers.count(RestrictionAnswer.NOT_VERIFIED) == 5
    assert store.identity_failures_since("D-1001", NOW - dt.timedelta(hours=1)) == 5


def test_a_check_that_passes_uses_none_of_the_five(sqlite_repository, store):
    for _ in range(3):
        ask(sqlite_repository, store, "김민수", "010-1234-5678")
    for _ in range(4):
        ask(sqlite_repository, store, "김민수", "010-0000-0000")
    assert ask(sqlite_repository, store, "김민수", "010-1234-5678") == RestrictionAnswer.SUSPENDED


# ── one clock: the window follows the configured "now" (ASSISTANT_NOW), as admin lookups do ──────
PAST = "2025-03-01T10:00:00+09:00"


def ask_by_the_clock(repository, store, phone: str) -> str:
    token = mint_driver_token("D-1001", TEST_SECRET, ttl=dt.timedelta(days=3650))
    return answer_restriction_inquiry(token, "김민수", phone_digest(phone), repository, store).kind


def test_failures_recorded_minutes_before_the_configured_now_are_counted(sqlite_repository, store, monkeypatch):
    monkeypatch.setenv("ASSISTANT_NOW", PAST)
    for minutes in range(10, 15):
        store.record_identity_failure("D-1001", dt.datetime.fromisoformat(PAST) - dt.timedelta(minutes=minutes))
    assert ask_by_the_clock(sqlite_repository, store, "010-1234-5678") == RestrictionAnswer.TOO_MANY_FAILED_CHECKS


def test_an_hour_later_by_the_configured_clock_the_driver_may_try_again(sqlite_repository, store, monkeypatch):
    monkeypatch.setenv("ASSISTANT_NOW", PAST)
    for _ in range(5):
        ask_by_the_clock(sqlite_repository, store, "010-0000-0000")
    monkeypatch.setenv("ASSISTANT_NOW", "2025-03-01T11:01:00+09:00")
    assert ask_by_the_clock(sqlite_repository, store, "010-1234-5678") == RestrictionAnswer.SUSPENDED
