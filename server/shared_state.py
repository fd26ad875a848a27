"""State that several Rasa processes must share, in Redis when REDIS_URL is set.

One process keeps rate-limit counters and Slack's seen deliveries in memory; behind a load
balancer every process must see the same counts, so they live in Redis with atomic commands
(INCR + EXPIRE in one pipeline; SET NX EX).
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Optional

from consignment import metrics, settings

logger = logging.getLogger(__name__)


class RedisWindowLimiter:
    """At most `limit` events per key per minute, counted in Redis for every process."""

    def __init__(self, client, window_s: int = 60) -> None:
        self.client = client
        self.window_s = window_s

    async def allow(self, key: str, limit: int) -> bool:
        if limit <= 0:
            return True
        bucket = f"ratelimit:{key}:{int(time.time() // self.window_s)}"
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                count, _ = await pipe.incr(bucket).expire(bucket, self.window_s * 2).execute()
        except Exception as error:  # Redis down: let the message through rather than drop it
            metrics.count_dependency_error("redis")
            logger.warning("rate limit not checked (Redis unavailable: %s)", type(error).__name__)
            return True
        return count <= limit


_client = None


def redis_client():
    """The process's asyncio Redis client, or None without REDIS_URL."""
    global _client
    url = settings.redis_url()
    if not url:
        return None
    if _client is None:
        import redis.asyncio as redis

        _client = redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return _client


def shared_limiter() -> Optional[RedisWindowLimiter]:
    client = redis_client()
    return RedisWindowLimiter(client) if client is not None else None


class TurnReplies:
    """A REST turn's replies by its client-given message id, so that a client retrying a turn
    that failed at the transport gets the replies of the turn that ran instead of running it
    twice — only the chat's holder (the same driver, or anonymous for anonymous turns) gets them.
    In Redis when REDIS_URL is set (any replica may get the retry), else in memory."""

    PENDING = "pending"

    def __init__(self, client=None, ttl_s: int = 600) -> None:
        self.client = client
        self.ttl_s = ttl_s
        # key → (last written, value), oldest write first: forgetting the expired ones stops at the
        # first fresh one instead of reading every turn of the last ttl_s on every turn
        self._memory: "OrderedDict[str, tuple]" = OrderedDict()

    @staticmethod
    def _key(sender: str, message_id: str) -> str:
        import hashlib

        part = lambda text: hashlib.sha256(text.encode()).hexdigest()[:24]  # noqa: E731
        return f"turn:{part(sender)}:{part(message_id)}"

    async def begin(self, sender: str, message_id: str, holder: str) -> bool:
        """True when this turn is new and now ours to run."""
        import json

        key, pending = self._key(sender, message_id), json.dumps({"holder": holder, "state": self.PENDING})
        if self.client is None:
            self._forget_old()
            if key in self._memory:
                return False
            self._memory[key] = (time.monotonic(), pending)
            return True
        try:
            return bool(await self.client.set(key, pending, nx=True, ex=self.ttl_s))
        except Exception:  # Redis down: run the turn (a retry may then run twice)
            metrics.count_dependency_error("redis")
            return True

    async def finish(self, sender: str, message_id: str, holder: str, replies: list) -> None:
        import json

        key, value = self._key(sender, message_id), json.dumps({"holder": holder, "replies": replies})
        if self.client is None:
            self._memory[key] = (time.monotonic(), value)
            self._memory.move_to_end(key)
            return
        try:
            await self.client.set(key, value, ex=self.ttl_s)
        except Exception:
            metrics.count_dependency_error("redis")

    async def abandon(self, sender: str, message_id: str) -> None:
        key = self._key(sender, message_id)
        if self.client is None:
            self._memory.pop(key, None)
            return
        try:
            await self.client.delete(key)
        except Exception:
            metrics.count_dependency_error("redis")

    async def replies(self, sender: str, message_id: str, holder: str, wait_s: float) -> Optional[list]:
        """The stored replies of this holder's turn that ran (waiting while it still runs), or None."""
        import asyncio
        import json

        key = self._key(sender, message_id)
        deadline = time.monotonic() + wait_s
        while True:
            if self.client is None:
                value = (self._memory.get(key) or (0, None))[1]
            else:
                try:
                    raw = await self.client.get(key)
                except Exception:
                    metrics.count_dependency_error("redis")
                    return None
                value = raw.decode() if isinstance(raw, bytes) else raw
            if value is None:
                return None
            stored = json.loads(value)
            if stored.get("holder") != holder:
                return None  # someone else's turn: never replayed
            if "replies" in stored:
                return stored["replies"]
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.1)

    def _forget_old(self) -> None:
        cutoff = time.monotonic() - self.ttl_s
        while self._memory:
            key, (at, _) = next(iter(self._memory.items()))
            if at >= cutoff:
                break
            del self._memory[key]
