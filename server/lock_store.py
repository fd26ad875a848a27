"""A conversation lock that holds across processes (endpoints.yml `lock_store`).

Rasa handles one message of a conversation at a time: the processor holds the conversation's
lock while it reads the tracker, predicts, runs actions and saves. Rasa OSS 3.6's
RedisLockStore reads the ticket lock, changes it in Python and writes it back: two processes can
both read "nobody is served", and both serve — the same tracker saved twice, events lost. Here
every step is one Lua script, atomic in Redis (the shape of redis-py's `Lock`):

- a message takes a ticket: INCR of the conversation's counter, appended to its queue with an
  expiry (`TICKET_LOCK_LIFETIME`, Rasa's own setting, default 60 s);
- it is served when its ticket heads the queue; a head whose holder died (kill -9 mid-turn)
  expires and is dropped, so a crashed process blocks a conversation for one lifetime at most;
- it leaves the queue when done (or when it gives up waiting), only its own ticket.

Tickets keep Rasa's order: two messages of one driver are answered in the order they came.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

KEY_PREFIX = "convlock:"
# how long a waiting message may wait for the messages before it before it gives up
WAIT_TIMEOUT_S = 2 * LOCK_LIFETIME
POLL_S = 0.02

# KEYS: queue (list), expiry (hash), counter. ARGV: lifetime ms. → the new ticket
_ISSUE = """
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
local ticket = redis.call('INCR', KEYS[3])
redis.call('RPUSH', KEYS[1], ticket)
redis.call('HSET', KEYS[2], ticket, now_ms + tonumber(ARGV[1]))
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[1]) * 10) end
return ticket
"""

# KEYS: queue, expiry. ARGV: ticket, lifetime ms. → 1 when the ticket is served now
_ACQUIRE = """
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
while true do
  local head = redis.call('LINDEX', KEYS[1], 0)
  if not head then return 0 end
  if head == ARGV[1] then
    redis.call('HSET', KEYS[2], head, now_ms + tonumber(ARGV[2]))
    return 1
  end
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
        return [f"{base}:queue", f"{base}:expiry", f"{base}:counter"]

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = POLL_S,
    ) -> AsyncGenerator[TicketLock, None]:
        queue, expiry, counter = self._keys(conversation_id)
        lifetime_ms = int(lock_lifetime * 1000)
        try:
            ticket = int(await self._issue(keys=[queue, expiry, counter], args=[lifetime_ms]))
        except Exception as error:
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
                logger.warning("lock release failed (%s); the ticket expires by itself", type(error).__name__)

    # Rasa's synchronous ticket API is not used with this store: every caller takes `lock()`.
    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        return None

    def delete_lock(self, conversation_id: Text) -> None:
        return None

    def save_lock(self, lock: TicketLock) -> None:
        return None
