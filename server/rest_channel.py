"""The REST channel (POST /webhooks/rest/webhook), Rasa's `rest` with the doors closed.

    {"sender": "...", "message": "...", "metadata": {"driver_token": "<JWT>"}, "message_id": optional}
        → [{"recipient_id", "text", ...}]

    POST /webhooks/rest/messages  {"sender": "...", "metadata": {"driver_token": "<JWT>"}, "after": <unix time>}
        → {"handed_over": true|false, "messages": [{"recipient_id", "text", "timestamp"}]}

The second is the poll of a client without push (the driver app on REST) during a handoff: what
the agents wrote to this conversation after `after` (the last `timestamp` the client saw; none:
the whole current session), without sending a message. Same holder rule, same per-address limit,
its own per-conversation allowance (polling every 5 s leaves room for the driver's messages).

A client that retries a turn after a transport failure sends the same `message_id` (and
`"retry": true`): it gets the replies of the turn that ran, and the message is not handled twice.
The replies are kept in Redis for a while (server.shared_state.TurnReplies); a retry whose turn
is not there (Redis restarted, the process that ran it was killed) is looked up in the stored
conversation itself, the durable record of what ran.

What it adds to Rasa's RestInput: a body that is not that shape gets 400 (not a 500 with a stack
trace); size and rate limits per sender and per client address (413 / 429, with the reply a
driver can read); only the driver token of the metadata reaches the conversation; the input
channel is always "rest" (a client cannot claim to be Slack); Rasa's own commands (/restart)
are read as text; a failure inside Rasa is an apology, never a trace.

A conversation belongs to its first holder (CONTRACT §4; consignment.conversation_holders): the
driver a correctly signed token names (expired or not: a re-issued token is the same driver), or
an anonymous client. Any other holder naming its sender id gets 403 and nothing of it: no turn,
no pause, no rating, no replayed replies. Without a token the sender id is the only key to a
conversation, so an anonymous client must send one nobody can guess (at least 32 characters, a
UUID); a shorter one gets 400. A stored conversation nobody holds yet (one from before holders
were kept, or from another channel) goes only to the holder its own messages name.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import math
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from consignment.content import message
from consignment.conversation_holders import default_holders
from consignment.identity import TOKEN_METADATA_KEY, token_holder, token_in_force
from server.handoff_pause import AGENT_REPLY, HANDED_OVER, agent_replies_after, handed_over
from server.inbound import DriverGuards, client_address, driver_metadata, holder_digest, is_text
from server.shared_state import TurnReplies, redis_client

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128
# without a token, the sender id is the conversation's only key: a UUID's length at least
MIN_ANONYMOUS_SENDER_CHARS = 32
# conversation ids other channels make (Slack: slack-{user}-{channel}, KakaoTalk: kakao-{digest}): never a REST client's to
# claim first, since those channels do not ask the holders table
OTHER_CHANNELS_PREFIXES = ("slack-", "kakao-")
# the chat's holder (a keyed digest) stored with each driver message: a retried turn's replies go
# only to the one who sent it (server/inbound.py)
HOLDER_KEY = "holder"
MAX_MESSAGE_ID_CHARS = 64
# how long a retry waits for the same turn still running elsewhere before it runs it again
RETRY_WAIT_S = 30.0


async def stored_turn_replies(agent, sender: str, message_id: str, holder: str) -> Optional[list]:
    """The replies of the turn that handled `message_id` for this chat's holder, from the stored
    conversation; None when no such turn is stored (it never ran, or died before its events were
    saved) or it was someone else's."""
    tracker = await agent.tracker_store.retrieve(sender)
    if tracker is None:
        return None
    replies, found = [], False
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if found:
                break
            found = event.message_id == message_id and (event.metadata or {}).get(HOLDER_KEY) == holder
        elif found and isinstance(event, BotUttered):
            message = {"recipient_id": sender, **({"text": event.text} if event.text else {})}
            for key in ("buttons", "custom", "image", "attachment"):
                if (event.data or {}).get(key):
                    message[key] = event.data[key]
            kept = for_the_driver(message)  # a retry gets what the turn gave: never the agents' packet
            if kept is not None:
                replies.append(kept)
    return replies if found else None


def _usable_sender(sender: Any) -> bool:
    return isinstance(sender, str) and bool(sender.strip()) and len(sender) <= MAX_SENDER_CHARS and is_text(sender)


def _seconds(value: Any) -> Optional[float]:
    """`after` as a finite number of seconds, or None (a string, a bool, NaN, a 400-digit number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        seconds = float(value)
    except OverflowError:
        return None
    return seconds if math.isfinite(seconds) else None


def claimable(tracker, holder: str) -> bool:
    """Whether a stored conversation that nobody holds yet may become this holder's: only when
    every message in it came through this channel from this holder (a conversation from before
    holders were kept), or it has none."""
    if tracker is None:
        return True
    return all(
        event.input_channel == DriverRestInput.name() and (event.metadata or {}).get(HOLDER_KEY) == holder
        for event in tracker.events if isinstance(event, UserUttered)
    )


async def holds_conversation(agent, sender: str, driver_id: Optional[str], holder: str) -> bool:
    """Whether this holder (the token's driver, or None: anonymous) holds the conversation, taking
    it when it is new. The holders' database answers in a thread: the event loop never waits."""
    holders = default_holders()
    blocking = functools.partial(asyncio.get_running_loop().run_in_executor, None)
    held = await blocking(holders.holder, sender)
    # every session of it: a conversation from before holders were kept may have an older session
    if held is None and not claimable(await agent.tracker_store.retrieve_full_tracker(sender), holder):
        return False
    return await blocking(holders.claim, sender, driver_id, DriverRestInput.name())


# what a reply carries for the agents, never for the driver's client (the handoff context packet)
STAFF_ONLY_CUSTOM_KEYS = ("handoff",)


def for_the_driver(reply: dict) -> Optional[dict]:
    """A reply as the driver's client gets it: without the agents' handoff packet (None when
    nothing else was in it)."""
    custom = reply.get("custom")
    if not isinstance(custom, dict) or not any(key in custom for key in STAFF_ONLY_CUSTOM_KEYS):
        return reply
    kept = {key: value for key, value in custom.items() if key not in STAFF_ONLY_CUSTOM_KEYS}
    trimmed = {key: value for key, value in reply.items() if key != "custom"}
    if kept:
        trimmed["custom"] = kept
    return trimmed if set(trimmed) - {"recipient_id"} else None


class DriverRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest_bp = Blueprint("driver_rest", __name__)
        guards = DriverGuards()
        turns = TurnReplies(redis_client())


        def reply(sender: Optional[str], key: str, status: int) -> HTTPResponse:
            return response.json([{"recipient_id": sender, "text": message("driver_channel", key)}], status=status)

        @rest_bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest_bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # malformed JSON
                body = None
            sender = body.get("sender") if isinstance(body, dict) else None
            text = body.get("message") if isinstance(body, dict) else None
            if not _usable_sender(sender) or not isinstance(text, str) or not is_text(text):
                return reply(sender if isinstance(sender, str) else None, "invalid_request", 400)
            metadata = driver_metadata(body.get("metadata"))
            token = metadata.get(TOKEN_METADATA_KEY)
            holder = holder_digest(token)
            guard = guards.for_domain(request.app.ctx.agent.domain)
            address = client_address(request.ip, request.headers.get("X-Forwarded-For"))
            # counted per holder of the sender id: someone naming a driver's conversation spends
            # their own allowance, not the driver's
            refusal = await guard.refusal(self.name(), f"{holder}:{sender}", address, text)
            if refusal:
                return reply(sender, refusal.key, refusal.status)
            driver_id = token_holder(token)
            if driver_id is None and len(sender.strip()) < MIN_ANONYMOUS_SENDER_CHARS:
                return reply(sender, "guessable_anonymous_sender", 400)
            if sender.strip().lower().startswith(OTHER_CHANNELS_PREFIXES):
                return reply(sender, "conversation_of_another_holder", 403)
            try:
                held = await holds_conversation(request.app.ctx.agent, sender, driver_id, holder)
            except Exception as error:  # who holds it cannot be told: nothing runs
                logger.error("rest: the conversation's holder could not be checked (%s)", type(error).__name__)
                return reply(sender, "unavailable", 503)
            if not held:
                logger.warning("rest: a message for a conversation another holder holds was refused")
                return reply(sender, "conversation_of_another_holder", 403)
            message_id = body.get("message_id")
            if not (isinstance(message_id, str) and 0 < len(message_id) <= MAX_MESSAGE_ID_CHARS):
                message_id = None
            # a retry gets the replies of the turn that ran — which may hold a suspension reason: to a
            # driver's chat only with a token still in force (the turn itself checked it then); the
            # token is checked only when there is something to replay, never on every turn
            def replay_refused() -> bool:
                return driver_id is not None and not token_in_force(token)

            if message_id and not await turns.begin(sender, message_id, holder):
                done = await turns.replies(sender, message_id, holder, RETRY_WAIT_S)
                if done is not None:  # the retry of a turn that ran: its replies, not a second run
                    if replay_refused():
                        return reply(sender, "token_expired_retry", 401)
                    return response.json(done)
            if message_id and body.get("retry") is True:
                if replay_refused():
                    await turns.abandon(sender, message_id)
                    return reply(sender, "token_expired_retry", 401)
                try:
                    stored = await stored_turn_replies(request.app.ctx.agent, sender, message_id, holder)
                except Exception as error:  # the conversation store is down: the turn fails
                    logger.error("rest: the retried turn could not be looked up (%s)", type(error).__name__)
                    await turns.abandon(sender, message_id)
                    return reply(sender, "unavailable", 503)
                if stored is not None:
                    await turns.finish(sender, message_id, holder, stored)
                    return response.json(stored)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(
                    guard.driver_text(text), collector, sender,
                    input_channel=self.name(), metadata={**metadata, HOLDER_KEY: holder},
                    message_id=message_id,
                ))
            except Exception as error:  # never a trace to the client
                logger.error("rest: the message could not be handled (%s)", type(error).__name__)
                if message_id:
                    await turns.abandon(sender, message_id)
                return reply(sender, "unavailable", 503)
            # during a handoff the bot is silent and REST has no push: the turn carries what the
            # agent wrote since the driver's last message (server/handoff_pause.py), then a line saying
            # the message reached the agent — never an empty reply that looks like a lost message
            replies = [kept for kept in map(for_the_driver, collector.messages) if kept is not None]
            if any(r.get(AGENT_REPLY) for r in replies) and driver_id is not None and not token_in_force(token):
                # an agent's words reach a driver's chat only with a token in force; they stay in the
                # conversation, and the app hears them with its next token (a message or a poll)
                replies = [r for r in replies if not r.get(AGENT_REPLY)]
                replies.append({"recipient_id": sender, "text": message("driver_channel", "token_expired")})
            replies = [{k: v for k, v in r.items() if k != AGENT_REPLY} for r in replies]
            if getattr(collector, HANDED_OVER, False):
                replies.append({"recipient_id": sender, "text": message("driver_channel", "passed_to_agent")})
            if message_id:
                await turns.finish(sender, message_id, holder, replies)
            return response.json(replies)

        @rest_bp.route("/messages", methods=["POST"])
        async def agent_messages(request: Request) -> HTTPResponse:
            """What the agents wrote to the conversation after `after`: a REST client's way to hear
            an agent without sending a message."""
            try:
                body = request.json
            except Exception:  # malformed JSON
                body = None
            sender = body.get("sender") if isinstance(body, dict) else None
            after = _seconds(body.get("after", 0)) if isinstance(body, dict) else None
            if not _usable_sender(sender) or after is None:
                return reply(sender if isinstance(sender, str) else None, "invalid_poll", 400)
            token = driver_metadata(body.get("metadata")).get(TOKEN_METADATA_KEY)
            holder = holder_digest(token)
            guard = guards.for_domain(request.app.ctx.agent.domain)
            address = client_address(request.ip, request.headers.get("X-Forwarded-For"))
            refusal = await guard.refusal(f"{self.name()}-poll", f"{holder}:{sender}", address, "")
            if refusal:
                return reply(sender, refusal.key, refusal.status)
            driver_id = token_holder(token)
            if driver_id is None and len(sender.strip()) < MIN_ANONYMOUS_SENDER_CHARS:
                return reply(sender, "guessable_anonymous_sender", 400)
            blocking = functools.partial(asyncio.get_running_loop().run_in_executor, None)
            try:
                held = await blocking(default_holders().holder, sender)
                if held is None:  # nobody has written here: nothing to hear, and nothing is claimed
                    return response.json({"handed_over": False, "messages": []})
                if held.driver_id != driver_id:
                    logger.warning("rest: a poll of a conversation another holder holds was refused")
                    return reply(sender, "conversation_of_another_holder", 403)
                if driver_id is not None and not token_in_force(token):
                    # what an agent wrote to a driver may be personal data: it needs a token in force,
                    # like a disclosure (an expired one still names who holds the chat)
                    return reply(sender, "token_expired", 401)
                tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
                in_queue = await handed_over(sender)
            except Exception as error:  # never a trace, never a made-up "nothing new"
                logger.error("rest: a poll could not be answered (%s)", type(error).__name__)
                return reply(sender, "unavailable", 503)
            if tracker is None:
                return response.json({"handed_over": bool(in_queue), "messages": []})
            return response.json({
                "handed_over": tracker.is_paused() if in_queue is None else in_queue,
                "messages": [
                    {"recipient_id": sender, "text": text, "timestamp": at}
                    for text, at in agent_replies_after(tracker, after)
                ],
            })

        return rest_bp
