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
