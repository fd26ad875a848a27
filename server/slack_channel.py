"""Staff questions from Slack, answered in the message's thread (credentials.yml turns it on).

    POST /webhooks/slack/webhook   Slack Events API (event_callback, url_verification) and
                                   interactivity (button clicks, form-encoded `payload`)
    GET  /webhooks/slack/          health

Switched on by the environment, never by credentials.yml (no secrets in the repository):

    SLACK_BOT_TOKEN       xoxb-... bot token             both needed; without them the server
    SLACK_SIGNING_SECRET  the app's signing secret       starts without Slack (the route says 404)
    SLACK_API_URL         optional Web API base URL (tests, Slack-compatible gateways);
                          default https://slack.com/api/
    SLACK_CHANNELS        optional channel IDs (comma-separated, or `*`) where every message is
                          answered; elsewhere in channels only @mentions are. DMs: always.

What it adds to Rasa's SlackInput:
- every request is signed: v0 HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret,
  compared in constant time; a timestamp more than 5 minutes old or ahead is refused (401);
- each Slack message is answered once: deliveries are remembered by `event_id` (Slack's retries,
  X-Slack-Retry-Num) and by message (`channel`+`ts`, `client_msg_id`), so the `app_mention` and
  the `message` event of one message give one answer; the memory is in-process, bounded, 1 hour;
- bot and system messages (`bot_id`, any subtype but file_share/thread_broadcast) are ignored;
- the answer goes into the thread (`thread_ts` = the event's `thread_ts` or its `ts`), one Slack
  message per bot utterance, without the deprecated `as_user`; custom JSON that is not a Slack
  message (the handoff packet) is not posted;
- the conversation is per staff member and channel (`slack-{user}-{channel}`); the input channel
  is "slack" and the metadata says {"channel": "slack"}: the actions never look a driver up here
  (there is no driver token in Slack).
"""
from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import time
from collections import OrderedDict
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, FrozenSet, Iterable, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from consignment import settings
from server import self_check
from server.shared_state import redis_client

logger = logging.getLogger(__name__)

# Rasa's SlackInput/SlackBot internals used below; the disabled channel sets SlackInput's
# attributes itself, so they must be the ones Rasa's __init__ sets (server/self_check.py)
self_check.requires(__name__, "rasa.core.channels.slack.SlackInput", "_sanitize_user_message",
                    "_is_interactive_message", "_get_interactive_response")
self_check.requires(__name__, "rasa.core.channels.slack.SlackInput.__init__", signature=(
    "self", "slack_token", "slack_channel", "proxy", "slack_retry_reason_header", "slack_retry_number_header",
    "errors_ignore_retry", "use_threads", "slack_signing_secret", "conversation_granularity"))
self_check.requires_on_instance(
    __name__, "SlackInput (the attributes its __init__ sets)",
    lambda: SlackInput("xoxb-self-check", slack_signing_secret="self-check"),
    "_background_tasks", "errors_ignore_retry", "retry_reason_header", "retry_num_header", "slack_token",
    "slack_signing_secret", "slack_channel", "proxy", "use_threads", "conversation_granularity")
self_check.requires(__name__, "rasa.core.channels.slack.SlackBot._post_message", signature=("self", "channel", "kwargs"))
self_check.requires(__name__, "rasa.core.channels.slack.SlackBot.__init__",
                    signature=("self", "token", "slack_channel", "thread_id", "proxy"))
self_check.requires_on_instance(__name__, "SlackBot (its Web API client)", lambda: SlackBot("xoxb-self-check"),
                                "client", "slack_channel", "thread_id")

ENV_TOKEN = "SLACK_BOT_TOKEN"
ENV_SIGNING_SECRET = "SLACK_SIGNING_SECRET"
DEFAULT_API_URL = "https://slack.com/api/"

CHANNEL_NAME = "slack"
SEEN_TTL_S = 60 * 60
SEEN_MAX_ENTRIES = 20_000
MAX_TEXT = 2000
# message subtypes that are still a person writing; every other subtype is a bot or the system
PERSON_SUBTYPES = (None, "file_share", "thread_broadcast")
LEADING_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>[\s,:]*")
# Slack message keys a custom response may carry; anything else (e.g. the handoff packet) is ours
SLACK_MESSAGE_KEYS = ("text", "blocks", "attachments", "mrkdwn", "unfurl_links", "unfurl_media")


def signature_problem(
    signing_secret: str, timestamp: Optional[str], signature: Optional[str], body: bytes,
    now: Optional[float] = None,
) -> Optional[str]:
    """Why a request is not from Slack, or None when its v0 signature and timestamp (within
    5 minutes) are good. The check itself is slack_sdk's SignatureVerifier."""
    if not signing_secret:
        return "no signing secret configured"
    if not timestamp or not signature:
        return "missing X-Slack-Request-Timestamp or X-Slack-Signature"
    timestamp = timestamp.strip()
    if not timestamp.isdigit() or len(timestamp) > 12:
        return "malformed timestamp"
    verifier = SignatureVerifier(signing_secret, _FixedClock(now) if now is not None else Clock())
    try:
        valid = verifier.is_valid(body or b"", timestamp, signature.strip())
    except (ValueError, TypeError, UnicodeDecodeError):  # non-ASCII signature, undecodable body
        return "malformed body or signature"
    return None if valid else "bad signature, or timestamp outside the 5-minute window"


class _FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


class SeenCache:
    """Keys seen in the last `ttl_s` seconds, at most `max_entries` of them (oldest dropped)."""

    def __init__(self, ttl_s: float = SEEN_TTL_S, max_entries: int = SEEN_MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: "OrderedDict[str, float]" = OrderedDict()

    def _prune(self) -> None:
        expired_before = self._clock() - self.ttl_s
        while self._entries:
            key, seen_at = next(iter(self._entries.items()))
            if seen_at >= expired_before and len(self._entries) <= self.max_entries:
                break
            self._entries.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        self._prune()
        return key in self._entries

    def __len__(self) -> int:
        self._prune()
        return len(self._entries)

    def add(self, *keys: Optional[str]) -> None:
        now = self._clock()
        for key in keys:
            if key:
                self._entries[key] = now
                self._entries.move_to_end(key)
        self._prune()

    async def seen_before(self, key: str) -> bool:
        return key in self

    async def claim(self, *keys: Optional[str]) -> bool:
        """True the first time any of these keys comes (and all are remembered from then on)."""
        keys = tuple(key for key in keys if key)
        first = not any(key in self for key in keys)
        self.add(*keys)
        return first


class RedisSeen:
    """SeenCache's memory in Redis, for several Rasa processes: whichever process gets a
    delivery first answers it, atomically (one Lua script: check and mark in one step)."""

    _CLAIM = """
local first = 1
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, '1', 'NX', 'EX', tonumber(ARGV[1])) == false then first = 0 end
end
return first
"""

    def __init__(self, client, ttl_s: int = SEEN_TTL_S) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self._claim = client.register_script(self._CLAIM)
        # Redis down: this process remembers on its own (a retry reaching another process may
        # then be answered twice; better than not answering Slack at all)
        self.fallback = SeenCache(ttl_s)

    @staticmethod
    def _key(key: str) -> str:
        return f"slack-seen:{key}"

    async def seen_before(self, key: str) -> bool:
        try:
            return bool(await self.client.exists(self._key(key)))
        except Exception as error:
            logger.warning("Slack de-duplication without Redis (%s)", type(error).__name__)
            return await self.fallback.seen_before(key)

    async def claim(self, *keys: Optional[str]) -> bool:
        present = [key for key in keys if key]
        if not present:
            return True
        try:
            return bool(await self._claim(keys=[self._key(key) for key in present], args=[self.ttl_s]))
        except Exception as error:
            logger.warning("Slack de-duplication without Redis (%s)", type(error).__name__)
            return await self.fallback.claim(*present)


class StaffSlackBot(SlackBot):
    """Posts to one channel and thread through the Web API at `base_url`."""

    def __init__(self, token: Text, slack_channel: Optional[Text] = None, thread_id: Optional[Text] = None,
                 proxy: Optional[Text] = None, base_url: Text = DEFAULT_API_URL) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        self.client = AsyncWebClient(token, base_url=base_url, proxy=proxy)

    async def _post_message(self, channel: Text, **kwargs: Any) -> None:
        # `as_user` is refused by apps with granular bot scopes; `type` is no API argument
        kwargs.pop("as_user", None)
        kwargs.pop("type", None)
        await super()._post_message(channel, **kwargs)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """One Slack message per utterance (Rasa's splits at blank lines)."""
        text = (text or "").strip()
        if text:
            await self._post_message(channel=self.slack_channel or recipient_id, text=text)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        message = {key: json_message[key] for key in SLACK_MESSAGE_KEYS if key in json_message}
        if not any(key in message for key in ("text", "blocks", "attachments")):
            logger.debug("custom payload with no Slack message (%s) not posted", sorted(json_message))
            return
        await self._post_message(channel=self.slack_channel or recipient_id, **message)


def _api_url(value: Optional[str]) -> str:
    url = (value or "").strip() or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def _channel_list(value: Optional[str]) -> FrozenSet[str]:
    return frozenset(part.strip() for part in (value or "").split(",") if part.strip())


class StaffSlackInput(SlackInput):
    """Rasa's Slack connector for staff: signed, deduplicated, answered in threads."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        """Secrets come from the environment only; the credentials.yml entry may stay empty."""
        slack = settings.slack()
        token, secret = slack.bot_token, slack.signing_secret
        if bool(token) != bool(secret):
            logger.error(
                "Slack stays off: set both %s and %s (only %s is set).",
                ENV_TOKEN, ENV_SIGNING_SECRET, ENV_TOKEN if token else ENV_SIGNING_SECRET,
            )
        elif not token:
            logger.info("Slack is off (%s and %s are not set).", ENV_TOKEN, ENV_SIGNING_SECRET)
        return cls(
            token or None,
            secret or None,
            api_url=slack.api_url,
            answer_all_in=_channel_list(slack.channels),
            proxy=(credentials or {}).get("proxy"),
        )

    def __init__(self, slack_token: Optional[Text], slack_signing_secret: Optional[Text],
                 api_url: Optional[Text] = None, answer_all_in: Iterable[str] = (),
                 proxy: Optional[Text] = None) -> None:
        self.enabled = bool(slack_token and slack_signing_secret)
        if self.enabled:
            super().__init__(
                slack_token, slack_channel=None, proxy=proxy, use_threads=True,
                slack_signing_secret=slack_signing_secret, conversation_granularity="channel",
            )
        else:  # no validation: nothing is served
            self.slack_token, self.slack_signing_secret = None, ""
            self.slack_channel, self.proxy, self.use_threads = None, proxy, True
            self.conversation_granularity = "channel"
            self.errors_ignore_retry = ()
            self.retry_reason_header, self.retry_num_header = "x-slack-retry-reason", "x-slack-retry-num"
            self._background_tasks = set()
        self.api_url = _api_url(api_url)
        self.answer_all_in = frozenset(answer_all_in)
        client = redis_client()  # several processes: Redis; one: memory
        self.seen = RedisSeen(client) if client is not None else SeenCache()

    # ── authenticity ─────────────────────────────────────────────────────────
    def authenticity_problem(self, request: Request) -> Optional[str]:
        return signature_problem(
            self.slack_signing_secret,
            request.headers.get("X-Slack-Request-Timestamp"),
            request.headers.get("X-Slack-Signature"),
            request.body,
        )

    def is_request_from_slack_authentic(self, request: Request) -> bool:
        return self.authenticity_problem(request) is None

    # ── what gets an answer ──────────────────────────────────────────────────
    @staticmethod
    def _bot_user_ids(payload: Dict[str, Any]) -> List[str]:
        ids = [user for user in payload.get("authed_users") or [] if isinstance(user, str)]
        for authorization in payload.get("authorizations") or []:
            if isinstance(authorization, dict) and authorization.get("is_bot", True) and authorization.get("user_id"):
                ids.append(authorization["user_id"])
        return ids

    def skip_reason(self, payload: Dict[str, Any], event: Dict[str, Any]) -> Optional[str]:
        """Why an event gets no answer, or None when it is a person's question to the bot."""
        kind = event.get("type")
        if kind not in ("message", "app_mention"):
            return f"event type {kind!r}"
        if event.get("bot_id") or event.get("bot_profile") or event.get("subtype") not in PERSON_SUBTYPES:
            return "bot or system message"
        user, channel = event.get("user"), event.get("channel")
        if not isinstance(user, str) or not user or not isinstance(channel, str) or not channel:
            return "no user or channel"
        if user in self._bot_user_ids(payload):
            return "the bot's own message"
        if not isinstance(event.get("text"), str) or not event["text"].strip():
            return "no text"
        if kind == "app_mention" or event.get("channel_type") == "im":
            return None
        if channel in self.answer_all_in or (
            "*" in self.answer_all_in and event.get("channel_type") in ("channel", "group")
        ):
            return None
        return "channel message without a mention"

    @staticmethod
    def message_keys(event: Dict[str, Any]) -> List[str]:
        """Keys shared by every event about one message (its app_mention and its message event)."""
        keys = []
        if event.get("channel") and event.get("ts"):
            keys.append(f"message:{event['channel']}:{event['ts']}")
        if event.get("client_msg_id"):
            keys.append(f"client_msg:{event['client_msg_id']}")
        return keys

    def clean_text(self, text: str, bot_user_ids: List[str]) -> str:
        text = LEADING_MENTION.sub("", text)
        text = self._sanitize_user_message(text, bot_user_ids)
        return html.unescape(text).strip()[:MAX_TEXT]

    @staticmethod
    def conversation_id(user: str, channel: str) -> str:
        return f"slack-{user}-{channel}"

    # ── handing a message to Rasa ────────────────────────────────────────────
    def get_output_channel(self, channel: Optional[Text] = None, thread_id: Optional[Text] = None) -> OutputChannel:
        if not self.enabled:
            return CollectingOutputChannel()
        return StaffSlackBot(self.slack_token, channel or self.slack_channel, thread_id, self.proxy, self.api_url)

    def _dispatch(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str, user: str,
                  channel: str, thread_ts: Optional[str], slack: Dict[str, Any], bot_user_ids: List[str]) -> None:
        metadata = {
            "channel": CHANNEL_NAME,
            "out_channel": channel,
            "thread_id": thread_ts,
            "users": bot_user_ids,
            "slack": {key: value for key, value in slack.items() if value is not None},
        }
        message = UserMessage(
            text, self.get_output_channel(channel, thread_ts), self.conversation_id(user, channel),
            input_channel=self.name(), metadata=metadata,
        )

        async def handle() -> None:
            try:
                await on_new_message(message)
            except Exception:  # the request was answered already: log, never raise into the loop
                logger.exception("Slack message %s in %s was not answered", slack.get("ts"), channel)

        task = asyncio.create_task(handle())
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)

    async def _on_event(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            return response.json({"error": "body is not JSON"}, status=HTTPStatus.BAD_REQUEST)
        if not isinstance(payload, dict):
            return response.json({"error": "body is not a JSON object"}, status=HTTPStatus.BAD_REQUEST)
        if payload.get("type") == "url_verification":
            return response.json({"challenge": payload.get("challenge")})
        if payload.get("type") != "event_callback" or not isinstance(payload.get("event"), dict):
            return response.text("")
        event = payload["event"]
        event_id = payload.get("event_id")
        event_key = f"event:{event_id}" if event_id else None
        retry = request.headers.get("X-Slack-Retry-Num")
        if event_key and await self.seen.seen_before(event_key):
            logger.info("Slack event %s delivered again (retry %s): already handled", event_id, retry)
            return response.text("", headers={"X-Slack-No-Retry": "1"})
        reason = self.skip_reason(payload, event)
        if reason:
            logger.debug("Slack event %s not answered: %s", event_id, reason)
            await self.seen.claim(event_key)
            return response.text("")
        keys = self.message_keys(event)
        if not await self.seen.claim(event_key, *keys):  # a retry, or the same message's other event
            logger.info("Slack message %s in %s already answered (event %s)", event.get("ts"), event.get("channel"), event_id)
            return response.text("", headers={"X-Slack-No-Retry": "1"})
        bot_user_ids = self._bot_user_ids(payload)
        text = self.clean_text(event["text"], bot_user_ids)
        if not text:
            return response.text("")
        channel = event["channel"]
        self._dispatch(
            on_new_message, text, event["user"], channel, event.get("thread_ts") or event.get("ts"),
            {
                "team_id": payload.get("team_id"), "user_id": event["user"], "channel_id": channel,
                "channel_type": event.get("channel_type"), "event_type": event.get("type"),
                "event_id": event_id, "ts": event.get("ts"), "thread_ts": event.get("thread_ts"),
            },
            bot_user_ids,
        )
        return response.text("")

    async def _on_interaction(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        try:
            payload = json.loads(request.form.get("payload") or "")
        except (ValueError, TypeError):
            return response.json({"error": "no interaction payload"}, status=HTTPStatus.BAD_REQUEST)
        if not isinstance(payload, dict) or not self._is_interactive_message(payload):
            return response.text("")
        text = self._get_interactive_response(payload["actions"][0])
        user = (payload.get("user") or {}).get("id")
        channel = (payload.get("channel") or {}).get("id")
        if not text or not user or not channel:
            return response.text("")
        key = payload.get("trigger_id") or payload["actions"][0].get("action_ts")
        key = f"interaction:{key}" if key else None
        if key and not await self.seen.claim(key):
            return response.text("")
        message = payload.get("message") or {}
        self._dispatch(
            on_new_message, str(text)[:MAX_TEXT], user, channel, message.get("thread_ts") or message.get("ts"),
            {
                "team_id": (payload.get("team") or {}).get("id"), "user_id": user, "channel_id": channel,
                "event_type": payload.get("type"), "ts": message.get("ts"), "thread_ts": message.get("thread_ts"),
            },
            [],
        )
        return response.text("")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        slack_bp = Blueprint("staff_slack_webhook", __name__)

        if not self.enabled:
            @slack_bp.route("/", methods=["GET"])
            async def health_off(_: Request) -> HTTPResponse:
                return response.json({"error": "Slack is not configured"}, status=HTTPStatus.NOT_FOUND)

            @slack_bp.route("/webhook", methods=["GET", "POST"])
            async def webhook_off(_: Request) -> HTTPResponse:
                return response.json({"error": "Slack is not configured"}, status=HTTPStatus.NOT_FOUND)

            return slack_bp

        @slack_bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @slack_bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            problem = self.authenticity_problem(request)
            if problem:
                logger.warning("Slack request refused: %s", problem)
                return response.json({"error": "request is not signed by Slack"}, status=HTTPStatus.UNAUTHORIZED)
            content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
            if content_type == "application/json":
                return await self._on_event(request, on_new_message)
            if content_type == "application/x-www-form-urlencoded":
                return await self._on_interaction(request, on_new_message)
            return response.json({"error": "unsupported content type"}, status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE)

        return slack_bp
