"""A REST turn's replies kept in memory (no REDIS_URL): a retry within the time gets them, an
expired turn is forgotten — only the expired ones, however many turns are held."""
from __future__ import annotations

import asyncio

import pytest

from server import shared_state
from server.shared_state import TurnReplies


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fixed = Clock()
    monkeypatch.setattr(shared_state.time, "monotonic", fixed)
    return fixed


def test_a_turn_older_than_the_time_is_forgotten_and_a_newer_one_is_kept(clock):
    turns = TurnReplies(ttl_s=600)

    async def scenario():
        assert await turns.begin("a", "m1", "anon")
        await turns.finish("a", "m1", "anon", [{"text": "첫 턴"}])
        clock.now += 400
        assert await turns.begin("b", "m2", "anon")
        await turns.finish("b", "m2", "anon", [{"text": "둘째 턴"}])
        clock.now += 300  # m1 is 700 s old, m2 300 s
        assert await turns.begin("c", "m3", "anon")  # forgets what expired
        return await turns.replies("a", "m1", "anon", wait_s=0), await turns.replies("b", "m2", "anon", wait_s=0)

    first, second = asyncio.run(scenario())
    assert first is None
    assert second == [{"text": "둘째 턴"}]


def test_a_finished_turn_counts_its_time_from_when_its_replies_were_stored(clock):
    turns = TurnReplies(ttl_s=600)

    async def scenario():
        assert await turns.begin("a", "slow", "anon")
        assert await turns.begin("b", "fast", "anon")
        clock.now += 500
        await turns.finish("a", "slow", "anon", [{"text": "늦게 끝난 턴"}])
        clock.now += 200  # "slow" finished 200 s ago, "fast" began 700 s ago
        assert await turns.begin("c", "next", "anon")
        return await turns.replies("a", "slow", "anon", wait_s=0)

    replies = asyncio.run(scenario())
    assert replies == [{"text": "늦게 끝난 턴"}]
