"""State that several Rasa processes must share, in Redis when REDIS_URL is set.

One process keeps rate-limit counters and Slack's seen deliveries in memory; behind a load
balancer every process must see the same counts, so they live in Redis with atomic commands
(INCR + EXPIRE in one pipeline; SET NX EX).
"""
from __future__ import annotations

import logging
import time
from typing import Optional

from consignment import settings

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
