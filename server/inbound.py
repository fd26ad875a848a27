"""What the channels accept from the outside: message size, message rate, button payloads, and
who the client is (its address, behind a trusted proxy).

Every channel a driver or an agent reaches (REST, the widget's socket, agent assist) asks the
same guard before a message reaches Rasa, so that one sender or one address cannot flood the
event loop, and a driver cannot send Rasa's own commands (`/restart` would un-pause a
conversation an agent owns).
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any, Deque, Dict, FrozenSet, Iterable, Optional

from consignment import metrics, settings
from consignment.identity import TOKEN_METADATA_KEY, mask_tokens_in, token_holder

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
WINDOW_S = 60.0
INTENT_PREFIX = "/"
RASA_COMMANDS = frozenset({"restart", "session_start", "back"})


@dataclass(frozen=True)
class Refusal:
    """Why a message is not taken: the HTTP status and the messages.yml key."""

    status: int
    key: str


TOO_LONG = Refusal(413, "message_too_long")
TOO_MANY = Refusal(429, "too_many_messages")


class SlidingWindowLimiter:
    """At most `limit` events per key in any `window_s` seconds, in this process.

    Several processes share a limiter through Redis (server.shared_state); this one is the
    embedded default."""

    def __init__(self, window_s: float = WINDOW_S, clock=time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._events: Dict[str, Deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._last_sweep = clock()

    async def allow(self, key: str, limit: int) -> bool:
        if limit <= 0:
            return True
        now = self._clock()
        with self._lock:
            events = self._events[key]
            while events and events[0] <= now - self.window_s:
                events.popleft()
            if len(events) >= limit:
                return False
            events.append(now)
            if now - self._last_sweep > self.window_s:
                self._sweep(now)
        return True

    def _sweep(self, now: float) -> None:
        """Forgets keys idle for a whole window, so memory stays bounded by active senders."""
        for key in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window_s]:
            del self._events[key]
        self._last_sweep = now


class InboundGuard:
    """Size and rate limits per sender and per client address, and the payloads a driver may send."""

    def __init__(self, offered_payloads: Iterable[str] = (), limiter=None, agents: bool = False,
                 intents: Iterable[str] = ()) -> None:
        limits = settings.rate_limits()
        # a driver's conversation, or an agent's calls (the console polls the queue)
        self.per_sender = limits.per_agent_per_min if agents else limits.per_sender_per_min
        self.per_address = limits.per_address_per_min
        self.limiter = limiter or _default_limiter()
        self.offered_payloads: FrozenSet[str] = frozenset(offered_payloads)
        self.intents: FrozenSet[str] = frozenset(intents) - RASA_COMMANDS

    async def refusal(self, channel: str, sender: str, address: Optional[str], text: str) -> Optional[Refusal]:
        if len(text) > MAX_MESSAGE_CHARS:
            metrics.count_refusal(channel, "size")
            return TOO_LONG
        if not await self.limiter.allow(f"{channel}:sender:{sender}", self.per_sender):
            metrics.count_refusal(channel, "sender")
            logger.warning("%s: rate limit for a sender reached", channel)
            return TOO_MANY
        if address and not await self.limiter.allow(f"address:{address}", self.per_address):
            metrics.count_refusal(channel, "address")
            logger.warning("%s: rate limit for a client address reached", channel)
            return TOO_MANY
        return None

    def driver_text(self, text: str) -> str:
        """The text as the dialogue sees it. A button payload the assistant offers stays a
        payload, and so does a bare intent (/affirm); Rasa's own commands that change the
        conversation (/restart, /session_start, /back: they would un-pause a conversation an
        agent owns) and payloads that set entities (/inform{…}) are read as the words typed."""
        # a token pasted into the chat is no words to understand: the NLU sees the mask the stored
        # conversation keeps, not a random string whose reading would change with each token
        text = mask_tokens_in(text.strip())
        if text.startswith(INTENT_PREFIX) and text not in self.offered_payloads:
            intent = text[len(INTENT_PREFIX):]
            if intent not in self.intents:  # a command, entities, or no intent of this assistant
                return intent.lstrip(INTENT_PREFIX).strip()
        return text


ANONYMOUS = "anonymous"
MAX_TOKEN_CHARS = 4096


def is_text(text: str) -> bool:
    """Whether a client's string can be text at all: a lone surrogate ("\\ud800" in the JSON)
    cannot (it fails the first encode further in), so every channel answers it with its 400."""
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def driver_metadata(metadata: Any) -> Dict[str, str]:
    """Only the driver token (CONTRACT §4) of a client's metadata reaches the tracker."""
    token = metadata.get(TOKEN_METADATA_KEY) if isinstance(metadata, dict) else None
    if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_CHARS:
        return {TOKEN_METADATA_KEY: token}
    return {}


def chat_holder(token: Optional[str]) -> str:
    """Who holds a chat: the driver a correctly signed token names (expired or not), else
    anonymous. Binds a widget session, a REST conversation (consignment.conversation_holders)
    and a retried REST turn to the driver who started it."""
    driver = token_holder(token)
    return f"driver:{driver}" if driver else ANONYMOUS


def holder_key() -> bytes:
    # every replica shares DRIVER_TOKEN_SECRET, so what one process signs another can check
    secret = settings.driver_token_secret() or "no-driver-tokens"
    return hashlib.sha256(b"chat-holder:" + secret.encode()).digest()


def holder_digest(token: Optional[str]) -> str:
    """A keyed digest of the chat's holder: storable, comparable, not the driver id itself."""
    return hmac.new(holder_key(), chat_holder(token).encode(), hashlib.sha256).hexdigest()[:32]


class DriverGuards:
    """The guard for the running model's domain (its buttons and intents), built again only
    when a new model is loaded: the REST channel and the widget share this."""

    def __init__(self) -> None:
        self._domain_id: Optional[int] = None
        self._guard: Optional[InboundGuard] = None

    def for_domain(self, domain) -> "InboundGuard":
        if self._guard is None or id(domain) != self._domain_id:
            self._guard = InboundGuard(offered_payloads(domain.responses if domain else {}),
                                       intents=domain.intents if domain else ())
            self._domain_id = id(domain)
        return self._guard


def offered_payloads(responses: Dict[str, list]) -> FrozenSet[str]:
    """Every button payload of the domain's responses (and nothing else)."""
    return frozenset(
        button["payload"]
        for variants in responses.values()
        for variant in variants
        for button in variant.get("buttons") or []
        if isinstance(button, dict) and isinstance(button.get("payload"), str)
    )


def client_address(peer: Optional[str], forwarded_for: Optional[str]) -> Optional[str]:
    """The client's address: the peer's, or — only when the peer is a trusted proxy — the last
    address the proxy added to X-Forwarded-For (a client can write the header itself)."""
    if not peer:
        return None
    if forwarded_for and _trusted(peer):
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not _trusted(hop):
                return hop
        # every hop is a trusted proxy: the nearest one's (a client can write the leftmost)
        return hops[-1] if hops else peer
    return peer


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.trusted_proxies())


def is_loopback(address: Optional[str]) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


_limiter = None
_limiter_lock = threading.Lock()


def _default_limiter():
    """One limiter per process: Redis-backed when REDIS_URL is set, else in memory."""
    global _limiter
    with _limiter_lock:
        if _limiter is None:
            from server.shared_state import shared_limiter

            _limiter = shared_limiter() or SlidingWindowLimiter()
    return _limiter
