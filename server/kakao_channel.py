"""KakaoTalk: a 카카오 i 오픈빌더 (Open Builder) skill server inside the Rasa server (credentials.yml).

    POST /webhooks/kakao/skill   Open Builder's skill payload in, its `version: "2.0"` template out
    GET  /webhooks/kakao/        health

On only when KAKAO_SKILL_SECRET is set (consignment/settings.py); then every request must carry
it in `X-Kakao-Skill-Secret` (compared in constant time), anything else gets 401. Off, both
routes say 404. Set-up in Open Builder, and what is verified against Kakao's documents and what
only against the tests' fake: docs/kakao.md.

What a turn does:
- the conversation is `kakao-<HMAC of the botUserKey>` (KAKAO_USER_KEY_SECRET): two KakaoTalk
  users never share one, the botUserKey itself is stored nowhere, and a REST client cannot name
  a `kakao-` conversation (server/rest_channel.py). The input channel is "kakao" and the
  metadata says {"channel": "kakao"} and carries no token: a KakaoTalk user is never a verified
  driver, so nothing from the admin record is disclosed here (actions/acceptance_blocked.py);
- the guards of the other driver channels apply (server/inbound.py): message size, the rate per
  conversation, Rasa's commands read as words; a quick reply's `extra.payload` (Open Builder hands
  it back as `action.clientExtra`) is taken only when the assistant offers that payload. The
  per-address limit does not apply: every driver's message comes from Open Builder's addresses;
- Open Builder waits 5 seconds. A turn that is not done within KAKAO_REPLY_WITHIN_SECONDS is
  answered with a holding line and goes on running: with a `callbackUrl` whose origin is in
  KAKAO_CALLBACK_ORIGINS (never any other URL from the payload), its answer is POSTed there
  (`useCallback`), or an apology when it is not ready within KAKAO_CALLBACK_WITHIN_SECONDS (the URL
  is valid for a minute); without one, the holding line says the answer comes with the driver's
  next message. Whatever did not reach the driver (a late answer, a failed callback, more than
  three bubbles' worth) is kept and comes first in the driver's next answer (PendingAnswers);
- the reply: 1–3 `simpleText` outputs of at most 1,000 characters, a longer answer split at line,
  then sentence boundaries, never cut; more pieces than three are packed together, and whatever
  still does not fit waits for the next message. The responses' buttons become at most 10 quick
  replies (`label` at most 14 characters, `messageText` the button's full title);
- a handoff goes to the agents' queue like on every channel (actions/handoff.py); a skill cannot
  push, so the driver is told the agent's answer comes with their next message, and each turn
  during the handoff carries what the agent wrote since (server/handoff_pause.py).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import threading
import time
import urllib.parse
from collections import OrderedDict
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text, Tuple

import aiohttp
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from consignment import settings
from consignment.content import message
from server.handoff_pause import HANDED_OVER
from server.inbound import MAX_MESSAGE_CHARS, DriverGuards, is_text
from server.rest_channel import STAFF_ONLY_CUSTOM_KEYS, for_the_driver
from server.shared_state import redis_client

logger = logging.getLogger(__name__)

CHANNEL_NAME = "kakao"
SECRET_HEADER = "X-Kakao-Skill-Secret"
SENDER_PREFIX = "kakao-"
# Open Builder's limits (docs/kakao.md): outputs per answer, characters per simpleText, quick replies
MAX_OUTPUTS = 3
MAX_TEXT_CHARS = 1000
MAX_QUICK_REPLIES = 10
MAX_LABEL_CHARS = 14
MAX_USER_KEY_CHARS = 256
CALLBACK_POST_TIMEOUT_S = 10.0
# an answer the driver has not seen yet is kept this long for their next message
PENDING_TTL_S = 24 * 60 * 60
PENDING_MAX_CONVERSATIONS = 10_000
BUBBLE_SEPARATOR = "\n\n"


# ── the reply: Open Builder's 2.0 template ───────────────────────────────────
def _split_long(text: str, limit: int, separators: Iterable[re.Pattern]) -> List[str]:
    """Pieces of at most `limit` characters, cut only at the first separator that works."""
    if len(text) <= limit:
        return [text]
    separators = list(separators)
    if not separators:  # one unbroken run longer than a bubble: cut at the limit (nothing lost)
        return [text[i:i + limit] for i in range(0, len(text), limit)]
    pattern, rest = separators[0], separators[1:]
    parts = [part for part in pattern.split(text) if part and part.strip()]
    if len(parts) <= 1:
        return _split_long(text, limit, rest)
    pieces: List[str] = []
    for part in parts:
        for piece in _split_long(part.strip(), limit, rest):
            joiner = "\n" if pattern is _LINES else " "
            if pieces and len(pieces[-1]) + len(joiner) + len(piece) <= limit:
                pieces[-1] += joiner + piece
            else:
                pieces.append(piece)
    return pieces


_LINES = re.compile(r"\n+")
_SENTENCES = re.compile(r"(?<=[.!?。])\s+")
_SPACES = re.compile(r"\s+")


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> List[str]:
    """A text in pieces of at most `limit` characters: at line breaks, else at sentence ends,
    else at spaces; only a run with none of these is cut mid-word."""
    text = (text or "").strip()
    if not text:
        return []
    return _split_long(text, limit, (_LINES, _SENTENCES, _SPACES))


def pack_outputs(texts: Iterable[str], limit: int = MAX_TEXT_CHARS, max_outputs: int = MAX_OUTPUTS
                 ) -> Tuple[List[str], List[str]]:
    """(the bubbles of one answer, what does not fit in it): one bubble a piece when there are
    few enough, else consecutive pieces packed together (in order, fewest bubbles)."""
    pieces = [piece for text in texts for piece in split_text(text, limit)]
    if len(pieces) <= max_outputs:
        return pieces, []
    packed: List[str] = []
    for piece in pieces:
        if packed and len(packed[-1]) + len(BUBBLE_SEPARATOR) + len(piece) <= limit:
            packed[-1] += BUBBLE_SEPARATOR + piece
        else:
            packed.append(piece)
    return packed[:max_outputs], packed[max_outputs:]


def quick_label(title: str) -> str:
    title = title.strip()
    return title if len(title) <= MAX_LABEL_CHARS else title[:MAX_LABEL_CHARS - 1] + "…"


def quick_replies(messages: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The responses' buttons as quick replies: what the driver would type as `messageText`,
    the button's payload in `extra` (it comes back as `action.clientExtra`)."""
    replies: List[Dict[str, Any]] = []
    seen = set()
    for sent in messages:
        for button in sent.get("buttons") or []:
            title = button.get("title") if isinstance(button, dict) else None
            if not isinstance(title, str) or not title.strip() or title in seen:
                continue
            seen.add(title)
            reply = {"action": "message", "label": quick_label(title), "messageText": title.strip()}
            if isinstance(button.get("payload"), str):
                reply["extra"] = {"payload": button["payload"]}
            replies.append(reply)
    return replies[:MAX_QUICK_REPLIES]


def skill_template(outputs: List[str], replies: List[Dict[str, Any]] = ()) -> Dict[str, Any]:
    template: Dict[str, Any] = {"outputs": [{"simpleText": {"text": text}} for text in outputs]}
    if replies:
        template["quickReplies"] = list(replies)
    return {"version": "2.0", "template": template}


def line(key: str) -> Dict[str, Any]:
    """One of the channel's own sentences (content/messages.yml `kakao`), as a bot message."""
    return {"text": message("kakao", key)}


def answer(messages: List[Dict[str, Any]]) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """(the skill response for these bot messages, the messages that did not fit in it)."""
    texts = [sent["text"] for sent in messages if isinstance(sent.get("text"), str) and sent["text"].strip()]
    if not texts:  # Open Builder needs at least one output: never an empty bubble
        texts = [message("driver_channel", "unavailable")]
    outputs, overflow = pack_outputs(texts)
    if overflow:  # the buttons belong to the end of the answer: they come with the rest
        buttons = [{"buttons": sent["buttons"]} for sent in messages if sent.get("buttons")]
        return skill_template(outputs), [{"text": text} for text in overflow] + buttons
    return skill_template(outputs, quick_replies(messages)), []


# ── who writes: the botUserKey, as a keyed digest ────────────────────────────
def conversation_id(user_key: str, key: str) -> str:
    digest = hmac.new(key.encode(), user_key.encode(), hashlib.sha256).hexdigest()[:40]
    return f"{SENDER_PREFIX}{digest}"


def origin_of(url: str) -> Optional[str]:
    """`scheme://host[:port]` of an http(s) URL with no user part; None for anything else."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except (ValueError, AttributeError):
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{parts.hostname.lower()}" + (f":{port}" if port and port != default else "")


def allowed_callback(url: Any, allowed_origins: Iterable[str]) -> bool:
    if not isinstance(url, str) or not url.strip():
        return False
    origin = origin_of(url)
    return origin is not None and origin in {origin_of(allowed) for allowed in allowed_origins}


# ── answers the driver has not seen yet ──────────────────────────────────────
class PendingAnswers:
    """Bot messages kept for a conversation's next turn, in this process (bounded, 24 h)."""

    def __init__(self, ttl_s: float = PENDING_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._kept: "OrderedDict[str, Tuple[float, List[Dict[str, Any]]]]" = OrderedDict()
        self._lock = threading.Lock()

    async def keep(self, sender: str, messages: List[Dict[str, Any]]) -> None:
        if not messages:
            return
        with self._lock:
            _, earlier = self._kept.pop(sender, (0.0, []))
            self._kept[sender] = (self._clock(), earlier + list(messages))
            while len(self._kept) > PENDING_MAX_CONVERSATIONS:
                self._kept.popitem(last=False)

    async def take(self, sender: str) -> List[Dict[str, Any]]:
        with self._lock:
            kept_at, messages = self._kept.pop(sender, (0.0, []))
        return messages if messages and self._clock() - kept_at <= self.ttl_s else []


class RedisPendingAnswers:
    """PendingAnswers in Redis, for several Rasa processes: the next message may reach another."""

    def __init__(self, client, ttl_s: int = PENDING_TTL_S) -> None:
        self.client = client
        self.ttl_s = int(ttl_s)
        self.fallback = PendingAnswers(ttl_s)

    @staticmethod
    def _key(sender: str) -> str:
        return f"kakao-pending:{sender}"

    async def keep(self, sender: str, messages: List[Dict[str, Any]]) -> None:
        if not messages:
            return
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.rpush(self._key(sender), *[json.dumps(m, ensure_ascii=False) for m in messages])
                pipe.expire(self._key(sender), self.ttl_s)
                await pipe.execute()
        except Exception as error:  # Redis down: this process keeps it
            logger.warning("kakao: pending answer kept in this process only (%s)", type(error).__name__)
            await self.fallback.keep(sender, messages)

    async def take(self, sender: str) -> List[Dict[str, Any]]:
        local = await self.fallback.take(sender)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.lrange(self._key(sender), 0, -1)
                pipe.delete(self._key(sender))
                stored, _ = await pipe.execute()
        except Exception as error:
            logger.warning("kakao: pending answers unreadable (%s)", type(error).__name__)
            return local
        return local + [json.loads(item) for item in stored or []]


# ── the channel ──────────────────────────────────────────────────────────────
class KakaoCollector(CollectingOutputChannel):
    """Collects a turn's bot messages (and, during a handoff, the agent's: server/handoff_pause.py)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME


def driver_messages(collector: CollectingOutputChannel) -> List[Dict[str, Any]]:
    """A finished turn's messages as the driver gets them: never the agents' handoff packet; after a
    handoff, and during one, a line saying how the agent's answer reaches KakaoTalk."""
    collected = list(collector.messages)
    handed_over_now = any(
        isinstance(sent.get("custom"), dict) and any(key in sent["custom"] for key in STAFF_ONLY_CUSTOM_KEYS)
        for sent in collected
    )
    messages = [kept for kept in map(for_the_driver, collected) if kept is not None]
    if handed_over_now:
        messages.append(line("handed_over"))
    elif getattr(collector, HANDED_OVER, False):
        messages.append({"text": message("driver_channel", "passed_to_agent")})
    return messages


class KakaoSkillInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        """Secrets come from the environment only; the credentials.yml entry stays empty."""
        kakao = settings.kakao()
        if not kakao.skill_secret:
            logger.info("KakaoTalk is off (KAKAO_SKILL_SECRET is not set).")
        return cls(kakao)

    def __init__(self, kakao: settings.KakaoSettings) -> None:
        self.kakao = kakao
        self.enabled = bool(kakao.skill_secret)
        client = redis_client()
        self.pending = RedisPendingAnswers(client) if client is not None else PendingAnswers()
        self._background: set = set()

    # ── requests ─────────────────────────────────────────────────────────────
    def authentic(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER) or ""
        return hmac.compare_digest(given.encode("utf-8", "replace"), self.kakao.skill_secret.encode())

    def _spawn(self, coroutine: Awaitable[Any]) -> "asyncio.Task":
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _run_turn(self, on_new_message, text: str, sender: str) -> List[Dict[str, Any]]:
        collector = KakaoCollector()
        try:
            await on_new_message(UserMessage(
                text, collector, sender, input_channel=self.name(), metadata={"channel": CHANNEL_NAME},
            ))
        except Exception as error:  # never a trace to the driver, never an invented answer
            logger.error("kakao: the message could not be handled (%s)", type(error).__name__)
            return [{"text": message("driver_channel", "unavailable")}]
        return driver_messages(collector)

    async def _reply(self, sender: str, messages: List[Dict[str, Any]]) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
        """(the skill response, the messages it answers with): what the driver has not seen yet
        first, then this turn's answer; what does not fit waits for the next message."""
        earlier = await self.pending.take(sender)
        answered = earlier + messages
        body, overflow = answer(([line("earlier_answer")] if earlier else []) + answered)
        await self.pending.keep(sender, overflow)
        return body, answered

    async def _keep_when_done(self, turn: "asyncio.Task", sender: str) -> None:
        try:
            messages = await turn
        except Exception:  # _run_turn catches what the turn raises; a cancelled task is gone
            return
        await self.pending.keep(sender, messages)

    async def _answer_by_callback(self, turn: "asyncio.Task", sender: str, url: str, within_s: float) -> None:
        try:
            messages = await asyncio.wait_for(asyncio.shield(turn), max(within_s, 0.0))
        except asyncio.TimeoutError:
            logger.warning("kakao: the answer missed the callback's minute; kept for the next message")
            await self._post_callback(url, skill_template([message("kakao", "late")]))
            self._spawn(self._keep_when_done(turn, sender))
            return
        body, answered = await self._reply(sender, messages)
        if not await self._post_callback(url, body):  # not lost: the driver's next message brings it
            await self.pending.take(sender)  # any overflow is part of `answered`
            await self.pending.keep(sender, answered)

    async def _post_callback(self, url: str, body: Dict[str, Any]) -> bool:
        if not allowed_callback(url, self.kakao.callback_origins):  # checked before; never another URL
            return False
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=CALLBACK_POST_TIMEOUT_S)) as session:
                async with session.post(url, json=body, allow_redirects=False) as posted:
                    if 200 <= posted.status < 300:
                        return True
                    logger.warning("kakao: the callback was refused (HTTP %s)", posted.status)
        except Exception as error:
            logger.warning("kakao: the callback could not be posted (%s)", type(error).__name__)
        return False

    async def _skill(self, request: Request, on_new_message) -> HTTPResponse:
        started = time.monotonic()
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
            body = None
        user_request = body.get("userRequest") if isinstance(body, dict) else None
        user = user_request.get("user") if isinstance(user_request, dict) else None
        user_key = user.get("id") if isinstance(user, dict) else None
        utterance = user_request.get("utterance") if isinstance(user_request, dict) else None
        if not isinstance(user_key, str) or not user_key.strip() or len(user_key) > MAX_USER_KEY_CHARS \
                or not isinstance(utterance, str) or not is_text(user_key) or not is_text(utterance):
            return response.json(skill_template([message("kakao", "invalid_request")]), status=HTTPStatus.BAD_REQUEST)
        sender = conversation_id(user_key.strip(), self.kakao.user_key_secret)
        guard = self.guards.for_domain(request.app.ctx.agent.domain)
        # Open Builder answers every driver from its own few addresses: no per-address limit here
        refusal = await guard.refusal(self.name(), sender, None, utterance)
        if refusal:
            return response.json(skill_template([message("driver_channel", refusal.key)]))
        action = body.get("action") if isinstance(body.get("action"), dict) else {}
        extra = action.get("clientExtra")
        payload = extra.get("payload") if isinstance(extra, dict) else None
        text = payload if isinstance(payload, str) and payload in guard.offered_payloads else utterance
        text = guard.driver_text(text[:MAX_MESSAGE_CHARS])
        if not text:
            return response.json(skill_template([message("kakao", "empty_utterance")]))
        callback_url = user_request.get("callbackUrl")
        turn = self._spawn(self._run_turn(on_new_message, text, sender))
        done, _ = await asyncio.wait({turn}, timeout=self.kakao.reply_within_s)
        if done:
            return response.json((await self._reply(sender, turn.result()))[0])
        if allowed_callback(callback_url, self.kakao.callback_origins):
            self._spawn(self._answer_by_callback(
                turn, sender, callback_url, self.kakao.callback_within_s - (time.monotonic() - started)))
            return response.json({"version": "2.0", "useCallback": True, "data": {"text": message("kakao", "holding")}})
        if callback_url:
            logger.warning("kakao: a callbackUrl outside KAKAO_CALLBACK_ORIGINS was ignored")
        self._spawn(self._keep_when_done(turn, sender))
        return response.json(skill_template([message("kakao", "still_working")]))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        kakao_bp = Blueprint("kakao_skill", __name__)
        self.guards = DriverGuards()

        if not self.enabled:
            @kakao_bp.route("/", methods=["GET"])
            async def health_off(_: Request) -> HTTPResponse:
                return response.json({"error": message("kakao", "not_configured")}, status=HTTPStatus.NOT_FOUND)

            @kakao_bp.route("/skill", methods=["GET", "POST"])
            async def skill_off(_: Request) -> HTTPResponse:
                return response.json({"error": message("kakao", "not_configured")}, status=HTTPStatus.NOT_FOUND)

            return kakao_bp

        @kakao_bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @kakao_bp.route("/skill", methods=["POST"])
        async def skill(request: Request) -> HTTPResponse:
            if not self.authentic(request):
                logger.warning("kakao: a skill request without the right secret was refused")
                return response.json({"error": message("kakao", "unauthorized")}, status=HTTPStatus.UNAUTHORIZED)
            return await self._skill(request, on_new_message)

        return kakao_bp
