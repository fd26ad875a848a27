"""Who holds a conversation: its first holder, for good, decided by the database (issue 13 item 3)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from consignment.conversation_holders import ConversationHolders
from tests.conftest import throwaway_postgres_database

RACERS = 12


@pytest.fixture
def holders(tmp_path) -> ConversationHolders:
    return ConversationHolders(f"sqlite:///{tmp_path / 'assist.db'}")


def test_the_first_holder_keeps_the_conversation(holders):
    assert holders.claim("c-1", "D-1001", "rest")
    assert holders.claim("c-1", "D-1001", "rest")
    assert not holders.claim("c-1", "D-1002", "rest")
    assert not holders.claim("c-1", None, "rest")


def test_an_anonymous_holder_keeps_its_conversation_from_drivers(holders):
    assert holders.claim("c-2", None, "rest")
    assert not holders.claim("c-2", "D-1001", "rest")
    assert holders.claim("c-2", None, "rest")


def test_the_holder_is_kept_across_a_restart(holders):
    holders.claim("c-3", "D-1001", "rest")
    restarted = ConversationHolders(holders.url)
    assert not restarted.claim("c-3", "D-1002", "rest") and restarted.claim("c-3", "D-1001", "rest")


def test_a_drivers_conversations_are_found_by_the_driver(holders):
    holders.claim("c-4", "D-1001", "rest")
    holders.claim("c-5", "D-1001", "rest")
    holders.claim("c-6", "D-1002", "rest")
    assert sorted(holders.conversations_of("D-1001")) == ["c-4", "c-5"]


def racing_claims(url: str) -> list:
    """RACERS processes' worth of stores claim one new conversation at the same moment."""
    stores = [ConversationHolders(url) for _ in range(RACERS)]
    start = threading.Barrier(RACERS)

    def claim(index: int) -> bool:
        start.wait()
        return stores[index].claim("contested", f"D-{1000 + index}", "rest")

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(claim, range(RACERS)))


def test_of_holders_racing_on_sqlite_exactly_one_wins(tmp_path):
    assert racing_claims(f"sqlite:///{tmp_path / 'assist.db'}").count(True) == 1


@pytest.fixture
def postgres_url():
    with throwaway_postgres_database("consignment_holders") as url:
        yield url


@pytest.mark.postgres
def test_of_holders_racing_on_postgresql_exactly_one_wins(postgres_url):
    assert racing_claims(postgres_url).count(True) == 1
