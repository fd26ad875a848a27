"""The conversation lock holds across processes (issue 9): two processes racing on one
conversation never both hold it, a holder killed mid-turn blocks it for one lifetime at most.
Needs this machine's Redis (127.0.0.1:6379)."""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
import uuid

import pytest

pytestmark = pytest.mark.redis

REDIS = "redis://127.0.0.1:6379/0"


def _store():
    import redis.asyncio as redis

    from server.lock_store import AtomicRedisLockStore

    return AtomicRedisLockStore(client=redis.from_url(REDIS))


@pytest.fixture(autouse=True)
def redis_is_up():
    """Redis runs on this machine (`make test` starts it: scripts/ensure_redis.sh); without it
    these tests fail, never skip."""
    import redis

    try:
        redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"Redis is not reachable on 127.0.0.1:6379 ({type(error).__name__}): run scripts/ensure_redis.sh")


def _racer(conversation_id: str, turns: int, counter_key: str) -> None:
    """A non-atomic read-modify-write of a shared counter, under the conversation's lock."""
    import redis as sync_redis

    plain = sync_redis.from_url(REDIS)

    async def run() -> None:
        store = _store()
        for _ in range(turns):
            async with store.lock(conversation_id):
                value = int(plain.get(counter_key) or 0)
                await asyncio.sleep(0.002)  # a turn takes time: another process would interleave here
                plain.set(counter_key, value + 1)

    asyncio.run(run())


def test_two_processes_racing_on_one_conversation_never_hold_its_lock_together():
    conversation, counter = f"race-{uuid.uuid4().hex}", f"race-counter-{uuid.uuid4().hex}"
    workers = [multiprocessing.Process(target=_racer, args=(conversation, 60, counter)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    import redis as sync_redis

    assert int(sync_redis.from_url(REDIS).get(counter)) == 120  # no update lost


def _holder(conversation_id: str, ready) -> None:
    async def run() -> None:
        async with _store().lock(conversation_id, lock_lifetime=2):
            ready.set()
            await asyncio.sleep(3600)  # killed here, the lock still held

    asyncio.run(run())


def test_a_holder_killed_mid_turn_blocks_the_conversation_for_one_lifetime_at_most():
    conversation = f"crash-{uuid.uuid4().hex}"
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_holder, args=(conversation, ready))
    holder.start()
    assert ready.wait(30)
    os.kill(holder.pid, signal.SIGKILL)
    holder.join()

    store = _store()

    async def next_turn() -> float:
        started = time.monotonic()
        async with store.lock(conversation, lock_lifetime=2):
            return time.monotonic() - started

    waited = asyncio.run(next_turn())
    assert waited < 2 + 1


def test_messages_of_one_conversation_are_served_in_the_order_they_came():
    conversation = f"order-{uuid.uuid4().hex}"
    served = []

    async def turn(number: int, store) -> None:
        await asyncio.sleep(number * 0.01)  # they arrive one after the other
        async with store.lock(conversation):
            served.append(number)
            await asyncio.sleep(0.02)

    async def run() -> None:
        store = _store()
        await asyncio.gather(*(turn(n, store) for n in range(8)))

    asyncio.run(run())
    assert served == list(range(8))


def test_a_waiting_turn_keeps_its_place_however_long_it_waits():
    """Each turn holds the lock longer than half the lifetime: the third waits longer than the
    lifetime, and is still served third (its polls keep its ticket alive)."""
    conversation = f"patient-{uuid.uuid4().hex}"
    served = []

    async def turn(number: int, store) -> None:
        await asyncio.sleep(number * 0.05)
        async with store.lock(conversation, lock_lifetime=1):
            served.append(number)
            await asyncio.sleep(0.6)

    async def run() -> None:
        store = _store()
        await asyncio.gather(*(turn(n, store) for n in range(3)))

    asyncio.run(run())
    assert served == [0, 1, 2]
