"""Agent assist over HTTP, inside the Rasa server (credentials.yml turns it on).

    POST /webhooks/assist/suggest   {"text": ..., "conversation_id": optional}
    POST /webhooks/assist/lookup    {"driver_id": ...} or {"phone": ...}            (audited)
    POST /webhooks/assist/feedback  {"suggestion_id": ..., "verdict": used|edited|rejected, "corrected_intent": optional}
    GET  /webhooks/assist/handoffs  the queue; POST …/handoffs/<id>/take|reply|transfer|resolve (audited)
    GET  /webhooks/assist/openapi.json   this API, for integrators
    GET  /webhooks/assist/console   the agent console (Korean page)

Every API call needs an unrevoked agent token (Authorization: Bearer, consignment/agent_auth.py)
and stays within the size and rate limits (server/inbound.py). A handed-over conversation is
its taker's: only that agent replies, transfers or resolves it. It runs in the Rasa server
because it needs the loaded model (parse) and the tracker store (reading a driver's
conversation); suggestions never write to a driver's conversation.
"""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
import functools
import io
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationResumed, UserUttered
from rasa.shared.core.trackers import EventVerbosity
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from sqlalchemy.exc import SQLAlchemyError

from consignment import analytics, assist
from consignment.admin_db import AdminDataUnavailable, default_repository
from consignment.agent_auth import AGENT_ROLE, LEAD_ROLE, Agent, AgentAuthError, verify_agent_authorization
from consignment.assist_store import TAKEN, VERDICTS, default_store
from consignment.content import message
from consignment.phone import mask_phone
from server.inbound import MAX_MESSAGE_CHARS, InboundGuard, client_address
from server.tracker_store import ConversationsUnavailable

logger = logging.getLogger(__name__)

CONSOLE_DIR = Path(__file__).resolve().parent / "console"
CONSOLE_FILES = {".html": "text/html", ".js": "application/javascript", ".css": "text/css", ".svg": "image/svg+xml",
                 ".txt": "text/plain"}
MAX_TEXT = MAX_MESSAGE_CHARS
MAX_ID_CHARS = 128
MAX_ANALYTICS_DAYS = 400
# the console may load only its own files and talk only to this server
CONSOLE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}


def _error(status: int, key: str, **values: Any) -> HTTPResponse:
    return response.json({"error": message("assist_api", key, **values)}, status=status)


async def _agent(request: Request, role: str) -> Agent:
    header = request.headers.get("Authorization")
    agent = verify_agent_authorization(header, required_role=role)  # signature, expiry, role
    if await _blocking(default_store().is_agent_token_revoked, agent.token_id):
        raise AgentAuthError(401, message("agent_auth", "revoked"))
    return agent


def _rendered(agent, script: list) -> list:
    """Script lines filled in by the server's response generator (server/nlg.py), exactly as
    the driver's chat would say them: {"response", "text"}."""
    lines = []
    for script_line in script:
        filled = agent.nlg.generate_from_slots(script_line["response"], {}, AgentAssistInput.name(), **script_line["values"])
        lines.append({"response": script_line["response"], "text": (filled or {}).get("text", "")})
    return lines


async def _blocking(function, *args):
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args))


class AgentAssistInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "assist"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        assist_bp = Blueprint("agent_assist", __name__)

        guard = InboundGuard(agents=True)

        def authenticated(handler=None, role: str = AGENT_ROLE):
            """Agent token (unrevoked, with the role), rate limits per agent and per address, a
            JSON object body; a store that is down is a 503, an error never a trace."""
            if handler is None:
                return functools.partial(authenticated, role=role)

            @functools.wraps(handler)
            async def wrapper(request: Request, **path: str) -> HTTPResponse:
                try:
                    agent = await _agent(request, role)
                except AgentAuthError as refusal:
                    return response.json({"error": refusal.message}, status=refusal.status)
                except SQLAlchemyError:
                    return _error(503, "store_unavailable")
                address = client_address(request.ip, request.headers.get("X-Forwarded-For"))
                refusal = await guard.refusal(self.name(), agent.agent_id, address, "")
                if refusal:
                    return _error(refusal.status, refusal.key)
                try:
                    body = request.json if request.method == "POST" and request.body else {}
                except Exception:  # malformed JSON
                    body = None
                if not isinstance(body, dict):
                    return _error(400, "json_object_required")
                try:
                    return await handler(request, agent.agent_id, body, **path)
                except (SQLAlchemyError, ConversationsUnavailable) as error:
                    logger.error("agent assist: store unavailable (%s)", type(error).__name__)
                    return _error(503, "store_unavailable")
                except Exception:  # a bug must not show its trace to an agent
                    logger.exception("agent assist: %s failed", request.path)
                    return _error(500, "internal_error")

            return wrapper

        @assist_bp.route("/suggest", methods=["POST"])
        @authenticated
        async def suggest(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
            text = body.get("text")
            if not isinstance(text, str) or not text.strip():
                return _error(400, "text_required")
            if len(text) > MAX_TEXT:
                return _error(413, "message_too_long")
            conversation_id = body.get("conversation_id")
            if conversation_id is not None and (not isinstance(conversation_id, str) or len(conversation_id) > MAX_ID_CHARS):
                conversation_id = None
            body["conversation_id"] = conversation_id
            agent = request.app.ctx.agent
            parse = await agent.parse_message(text)
            conversation = await _conversation(agent, body.get("conversation_id"))
            card = assist.suggest(parse, conversation)
            card["script"] = _rendered(agent, card["script"])
            card["suggestion_id"] = await _blocking(
                default_store().record_suggestion, agent_id, body.get("conversation_id"), text,
                card["intent"]["name"], card["intent"]["confidence"],
            )
            return response.json(card)

        @assist_bp.route("/lookup", methods=["POST"])
        @authenticated
        async def lookup(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
            driver_id, phone = body.get("driver_id"), body.get("phone")
            driver_id = driver_id if isinstance(driver_id, str) and 0 < len(driver_id.strip()) <= MAX_ID_CHARS else None
            phone = phone if isinstance(phone, str) and 0 < len(phone.strip()) <= MAX_ID_CHARS else None
            if not driver_id and not phone:
                return _error(400, "lookup_query_required")
            query = f"driver_id:{driver_id}" if driver_id else f"phone:{mask_phone(phone)}"
            try:
                found, card = await _blocking(
                    assist.lookup, default_repository(), driver_id.strip() if driver_id else None, phone,
                )
            except AdminDataUnavailable:
                await _blocking(default_store().audit_lookup, agent_id, None, query, "unavailable")
                return _error(503, "admin_unavailable")
            if card:
                card["script"] = _rendered(request.app.ctx.agent, card["script"])
            await _blocking(default_store().audit_lookup, agent_id, found, query, card.get("status", "not_found"))
            logger.info("assist lookup by %s: %s → %s", agent_id, query, card.get("status", "not_found"))
            if found is None:
                return _error(404, "driver_not_found")
            return response.json(card)

        @assist_bp.route("/feedback", methods=["POST"])
        @authenticated
        async def feedback(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
            verdict = body.get("verdict")
            corrected = body.get("corrected_intent") or None
            if verdict not in VERDICTS:
                return _error(400, "verdict_invalid")
            if isinstance(corrected, str) and corrected not in request.app.ctx.agent.domain.intents:
                return _error(400, "intent_unknown", intent=corrected)
            if corrected is not None and not isinstance(corrected, str):
                return _error(400, "intent_unknown", intent=str(corrected)[:40])
            stored = await _blocking(default_store().record_feedback, str(body.get("suggestion_id"))[:MAX_ID_CHARS], agent_id, verdict, corrected)
            if not stored:
                return _error(404, "suggestion_not_found")
            return response.json({"stored": True})

        @assist_bp.route("/handoffs", methods=["GET"])
        @authenticated
        async def list_handoffs(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
            rows = await _blocking(default_store().handoffs)
            agent = request.app.ctx.agent
            for row in rows:
                row["transcript"] = await _transcript(agent, row["conversation_id"])
            return response.json({"handoffs": rows}, default=str)

        @assist_bp.route("/handoffs/<handoff_id>/take", methods=["POST"])
        @authenticated
        async def take_handoff(request: Request, agent_id: str, body: Dict[str, Any], handoff_id: str) -> HTTPResponse:
            if await _blocking(default_store().handoff, handoff_id) is None:
                return _error(404, "handoff_not_found")
            if not await _blocking(default_store().take_handoff, handoff_id, agent_id):
                return _error(409, "handoff_taken")
            return response.json({"handoff_id": handoff_id, "status": "taken", "agent_id": agent_id})

        async def owned_handoff(handoff_id: str, agent_id: str):
            """(handoff, None) when it is taken by this agent, else (None, the error response)."""
            handoff = await _blocking(default_store().handoff, handoff_id)
            if handoff is None or handoff["status"] == "resolved":
                return None, _error(404, "handoff_not_active")
            if handoff["status"] != TAKEN or handoff["agent_id"] != agent_id:
                return None, _error(403, "handoff_not_yours")
            return handoff, None

        @assist_bp.route("/handoffs/<handoff_id>/reply", methods=["POST"])
        @authenticated
        async def reply(request: Request, agent_id: str, body: Dict[str, Any], handoff_id: str) -> HTTPResponse:
            text = body.get("text")
            if not isinstance(text, str) or not text.strip():
                return _error(400, "reply_required")
            if len(text) > MAX_TEXT:
                return _error(413, "message_too_long")
            handoff, refusal = await owned_handoff(handoff_id, agent_id)
            if refusal:
                return refusal
            delivered = await _deliver_agent_reply(request.app.ctx.agent, handoff, agent_id, text.strip())
            await _blocking(default_store().audit_reply, handoff_id, agent_id, handoff["conversation_id"], delivered)
            return response.json({"delivered": delivered})

        @assist_bp.route("/handoffs/<handoff_id>/transfer", methods=["POST"])
        @authenticated
        async def transfer(request: Request, agent_id: str, body: Dict[str, Any], handoff_id: str) -> HTTPResponse:
            to_agent = body.get("to_agent")
            if not isinstance(to_agent, str) or not to_agent.strip() or len(to_agent) > 64:
                return _error(400, "transfer_target_required")
            _, refusal = await owned_handoff(handoff_id, agent_id)
            if refusal:
                return refusal
            if not await _blocking(default_store().transfer_handoff, handoff_id, agent_id, to_agent.strip()):
                return _error(409, "handoff_taken")
            return response.json({"handoff_id": handoff_id, "status": "taken", "agent_id": to_agent.strip()})

        @assist_bp.route("/handoffs/<handoff_id>/resolve", methods=["POST"])
        @authenticated
        async def resolve(request: Request, agent_id: str, body: Dict[str, Any], handoff_id: str) -> HTTPResponse:
            handoff, refusal = await owned_handoff(handoff_id, agent_id)
            if refusal:
                return refusal
            if not await _blocking(default_store().resolve_handoff, handoff_id, agent_id):
                return _error(409, "handoff_taken")  # changed hands meanwhile: the bot stays paused
            # resumed, then listening: the driver's next message starts a fresh turn for the bot
            await _append_events(
                request.app.ctx.agent, handoff["conversation_id"],
                [ConversationResumed(), ActionExecuted(ACTION_LISTEN_NAME)],
            )
            return response.json({"handoff_id": handoff_id, "status": "resolved"})

        @assist_bp.route("/analytics", methods=["GET"])
        @authenticated(role=LEAD_ROLE)
        async def analytics_report(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
            try:
                start = dt.date.fromisoformat(request.args.get("from", ""))
                end = dt.date.fromisoformat(request.args.get("to", ""))
            except ValueError:
                return _error(400, "date_range_required")
            if end < start or (end - start).days > MAX_ANALYTICS_DAYS:
                return _error(400, "date_range_required")
            engine = _events_engine(request.app.ctx.agent.tracker_store)
            if engine is None:
                return _error(503, "store_unavailable")
            result = await _blocking(analytics.report, engine, default_store(), start, end)
            if request.args.get("format") == "csv":
                lines = io.StringIO()
                csv.writer(lines).writerows(analytics.csv_rows(result))
                return response.text(lines.getvalue(), content_type="text/csv; charset=utf-8", headers={
                    "Content-Disposition": f'attachment; filename="assistant-{start}-{end}.csv"'})
            return response.json(result)

        @assist_bp.route("/openapi.json", methods=["GET"])
        async def openapi(request: Request) -> HTTPResponse:
            return await response.file(Path(__file__).resolve().parent / "assist_openapi.json",
                                       mime_type="application/json", headers={"Cache-Control": "no-cache"})

        @assist_bp.route("/console", methods=["GET"])
        async def console(request: Request) -> HTTPResponse:
            return await response.file(CONSOLE_DIR / "index.html", mime_type="text/html; charset=utf-8",
                                       headers=CONSOLE_HEADERS)

        @assist_bp.route("/console/<name>", methods=["GET"])
        async def console_file(request: Request, name: str) -> HTTPResponse:
            path = (CONSOLE_DIR / name).resolve()
            if path.parent != CONSOLE_DIR or path.suffix not in CONSOLE_FILES or not path.exists():
                return _error(404, "not_found")
            headers = CONSOLE_HEADERS if path.suffix == ".html" else {
                "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
            return await response.file(path, mime_type=CONSOLE_FILES[path.suffix] + "; charset=utf-8", headers=headers)

        @assist_bp.route("/intents", methods=["GET"])
        @authenticated
        async def intents(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
            return response.json({"intents": list(request.app.ctx.agent.domain.intents)})

        return assist_bp


def _events_engine(tracker_store):
    """The SQL engine of the tracker store, inside Rasa's wrappers (fail-safe, awaitable)."""
    while not hasattr(tracker_store, "engine") and hasattr(tracker_store, "_tracker_store"):
        tracker_store = tracker_store._tracker_store
    return getattr(tracker_store, "engine", None)


async def _conversation(agent, conversation_id: Optional[str]) -> Optional[Dict[str, Any]]:
    """The driver's conversation state, read from the tracker store (never written)."""
    if not conversation_id or not isinstance(conversation_id, str):
        return None
    tracker = await agent.tracker_store.retrieve(conversation_id)
    if tracker is None:
        return None
    return tracker.current_state(EventVerbosity.NONE)


async def _transcript(agent, conversation_id: str) -> list:
    """The conversation's messages as stored (phone numbers masked, no tokens)."""
    tracker = await agent.tracker_store.retrieve(conversation_id)
    if tracker is None:
        return []
    lines = []
    for event in tracker.events:
        if isinstance(event, UserUttered) and event.text:
            lines.append({"from": "driver", "text": event.text, "timestamp": event.timestamp})
        elif isinstance(event, BotUttered) and event.text:
            who = "agent" if (event.metadata or {}).get("agent_id") else "bot"
            lines.append({"from": who, "text": event.text, "timestamp": event.timestamp})
    return lines


async def _append_events(agent, conversation_id: str, events: list) -> None:
    async with agent.lock_store.lock(conversation_id):
        tracker = await agent.tracker_store.retrieve(conversation_id)
        if tracker is None:
            return
        for event in events:
            tracker.update(event)
        await agent.tracker_store.save(tracker)


async def _deliver_agent_reply(agent, handoff: Dict[str, Any], agent_id: str, text: str) -> bool:
    """Puts the agent's reply in the driver's conversation and pushes it to the widget."""
    await _append_events(agent, handoff["conversation_id"], [BotUttered(text, metadata={"agent_id": agent_id})])
    try:
        from server.widget_channel import send_to_driver
    except ImportError:  # no widget channel: the reply is in the transcript only
        return False
    return await send_to_driver(handoff["conversation_id"], text)
