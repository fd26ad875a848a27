"""A conversation lock that holds across processes (endpoints.yml `lock_store`).

Rasa handles one message of a conversation at a time: the processor holds the conversation's
lock while it reads the tracker, predicts, runs actions and saves. Rasa OSS 3.6's
RedisLockStore reads the ticket lock, changes it in Python and writes it back: two processes can
both read "nobody is served", and both serve — the same tracker saved twice, events lost. Here
every step is one Lua script, atomic in Redis (the shape of redis-py's `Lock`):

- a message takes a random ticket, appended to the conversation's queue with an expiry
  (`TICKET_LOCK_LIFETIME`, Rasa's own setting, default 60 s); each poll of a waiting message
  renews its own ticket, so only the ticket of a process that stopped (kill -9 mid-turn, or a
  turn longer than the lifetime) expires, and it blocks the conversation for one lifetime at most;
- it is served when its ticket heads the queue, and leaves the queue when done (or when it
  gives up waiting): only its own ticket.

The queue keeps Rasa's order: two messages of one driver are answered in the order they came.
Redis must keep its keys: restarted without persistence, it forgets the turn being served, and
the next message of that conversation may start before it ends (waiting messages re-join the
queue and are not lost).
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from consignment import metrics
from server import self_check

logger = logging.getLogger(__name__)

# Rasa takes every conversation's lock through `lock()` (Agent.handle_message, the processor, the
# HTTP API); its synchronous ticket API is what this store leaves out (server/self_check.py)
self_check.requires(__name__, "rasa.core.lock_store.LockStore.lock",
                    signature=("self", "conversation_id", "lock_lifetime", "wait_time_in_seconds"))
self_check.requires(__name__, "rasa.core.lock.TicketLock.__init__", signature=("self", "conversation_id", "tickets"))

KEY_PREFIX = "convlock:"
# how long a waiting message may wait for the messages before it before it gives up
WAIT_TIMEOUT_S = 2 * LOCK_LIFETIME
POLL_S = 0.02

# KEYS: queue (list), expiry (hash). ARGV: ticket (random), lifetime ms. Joins the queue.
_ISSUE = """
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], now_ms + tonumber(ARGV[2]))
for i = 1, 2 do redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2]) * 10) end
return 1
"""

# KEYS: queue, expiry. ARGV: ticket, lifetime ms. → 1 when the ticket is served now.
# A waiter's poll keeps its own ticket alive (only a ticket whose owner stopped polling — a killed
# process — expires), and puts it back in line if Redis lost it (a restart without persistence).
_ACQUIRE = """
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then
  redis.call('RPUSH', KEYS[1], ARGV[1])
end
redis.call('HSET', KEYS[2], ARGV[1], now_ms + tonumber(ARGV[2]))
for i = 1, 2 do redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2]) * 10) end
while true do
  local head = redis.call('LINDEX', KEYS[1], 0)
  if not head then return 0 end
  if head == ARGV[1] then return 1 end
  local expires = tonumber(redis.call('HGET', KEYS[2], head) or '0')
  if expires > now_ms then return 0 end
  redis.call('LPOP', KEYS[1])
  redis.call('HDEL', KEYS[2], head)
end
"""

# KEYS: queue, expiry. ARGV: ticket. Removes only this ticket.
_RELEASE = """
redis.call('LREM', KEYS[1], 0, ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""


class AtomicRedisLockStore(LockStore):
    """endpoints.yml: `lock_store: {type: server.lock_store.AtomicRedisLockStore, url: <host>,
    port: 6379, db: 0, password: …}` — or REDIS_URL when no host is given."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, client: Any = None) -> None:
        if client is None:
            import redis.asyncio as redis

            from consignment import settings

            config = endpoint_config.kwargs if endpoint_config else {}
            host = endpoint_config.url if endpoint_config else None
            if host:
                client = redis.Redis(host=host, port=int(config.get("port", 6379)), db=int(config.get("db", 0)),
                                     password=config.get("password"), socket_timeout=5, socket_connect_timeout=5)
            else:
                client = redis.from_url(settings.redis_url() or "redis://127.0.0.1:6379/0",
                                        socket_timeout=5, socket_connect_timeout=5)
        self.client = client
        self._issue = client.register_script(_ISSUE)
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)

    @staticmethod
    def _keys(conversation_id: Text):
        base = f"{KEY_PREFIX}{conversation_id}"
        return [f"{base}:queue", f"{base}:expiry"]

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = POLL_S,
    ) -> AsyncGenerator[TicketLock, None]:
        queue, expiry = self._keys(conversation_id)
        lifetime_ms = int(lock_lifetime * 1000)
        ticket = uuid.uuid4().hex  # random: a Redis that lost its keys cannot hand it out twice
        try:
            await self._issue(keys=[queue, expiry], args=[ticket, lifetime_ms])
        except Exception as error:
            metrics.count_dependency_error("redis")
            raise LockError(f"could not take a ticket for the conversation: {type(error).__name__}") from error
        try:
            waited = 0.0
            while not await self._acquire(keys=[queue, expiry], args=[ticket, lifetime_ms]):
                if waited > WAIT_TIMEOUT_S:
                    raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
                await asyncio.sleep(min(wait_time_in_seconds, 0.1))
                waited += min(wait_time_in_seconds, 0.1)
            yield TicketLock(conversation_id)
        finally:
            try:
                await self._release(keys=[queue, expiry], args=[ticket])
            except Exception as error:  # the ticket expires on its own
                metrics.count_dependency_error("redis")
                logger.warning("lock release failed (%s); the ticket expires by itself", type(error).__name__)

    # Rasa's synchronous ticket API is not used with this store: every caller takes `lock()`.
    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        return None

    def delete_lock(self, conversation_id: Text) -> None:
        return None

    def save_lock(self, lock: TicketLock) -> None:
        return None
