"""Agent assist over HTTP, inside the Rasa server (credentials.yml turns it on).

    POST /webhooks/assist/suggest   {"text": ..., "conversation_id": optional}
    POST /webhooks/assist/lookup    {"driver_id": ...} or {"phone": ...}
    POST /webhooks/assist/feedback  {"suggestion_id": ..., "verdict": used|edited|rejected, "corrected_intent": optional}
    GET  /webhooks/assist/console   the agent console (Korean page)

Every API call needs an agent token (Authorization: Bearer, consignment/agent_auth.py).
It runs in the Rasa server because it needs the loaded model (parse) and the tracker store
(reading a driver's conversation); it never writes to a driver's conversation.
"""
from __future__ import annotations

import asyncio
import functools
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

from consignment import assist
from consignment.admin_db import AdminDataUnavailable, default_repository
from consignment.agent_auth import AgentAuthError, verify_agent_authorization
from consignment.assist_store import VERDICTS, default_store
from korean_nlu.text import mask_phone

logger = logging.getLogger(__name__)

CONSOLE_DIR = Path(__file__).resolve().parent / "console"
CONSOLE_FILES = {".html": "text/html", ".js": "application/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
MAX_TEXT = 2000


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def _agent(request: Request) -> str:
    return verify_agent_authorization(request.headers.get("Authorization"))


async def _blocking(function, *args):
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args))


class AgentAssistInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "assist"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        assist_bp = Blueprint("agent_assist", __name__)

        def authenticated(handler):
            @functools.wraps(handler)
            async def wrapper(request: Request, **path: str) -> HTTPResponse:
                try:
                    agent_id = _agent(request)
                except AgentAuthError as refusal:
                    return _error(refusal.status, refusal.message)
                try:
                    body = request.json if request.method == "POST" and request.body else {}
                except Exception:  # malformed JSON
                    body = None
                if not isinstance(body, dict):
                    return _error(400, "JSON 객체를 보내 주세요.")
                return await handler(request, agent_id, body, **path)

            return wrapper

        @assist_bp.route("/suggest", methods=["POST"])
        @authenticated
        async def suggest(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
            text = body.get("text")
            if not isinstance(text, str) or not text.strip():
                return _error(400, "기사님 메시지(text)를 입력해 주세요.")
            text = text[:MAX_TEXT]
            agent = request.app.ctx.agent
            parse = await agent.parse_message(text)
            conversation = await _conversation(agent, body.get("conversation_id"))
            card = assist.suggest(parse, agent.domain.responses, conversation)
            card["suggestion_id"] = await _blocking(
                default_store().record_suggestion, agent_id, body.get("conversation_id"), text,
                card["intent"]["name"], card["intent"]["confidence"],
            )
            return response.json(card)

        @assist_bp.route("/lookup", methods=["POST"])
        @authenticated
        async def lookup(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
            driver_id, phone = body.get("driver_id"), body.get("phone")
            if not (isinstance(driver_id, str) and driver_id.strip()) and not (isinstance(phone, str) and phone.strip()):
                return _error(400, "기사 ID(driver_id) 또는 휴대폰 번호(phone)를 입력해 주세요.")
            query = f"driver_id:{driver_id}" if driver_id else f"phone:{mask_phone(phone)}"
            try:
                found, card = await _blocking(
                    assist.lookup, default_repository(), request.app.ctx.agent.domain.responses,
                    driver_id.strip() if driver_id else None, phone,
                )
            except AdminDataUnavailable:
                await _blocking(default_store().audit_lookup, agent_id, None, query, "unavailable")
                return _error(503, "어드민 데이터베이스에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.")
            await _blocking(default_store().audit_lookup, agent_id, found, query, card.get("status", "not_found"))
            logger.info("assist lookup by %s: %s → %s", agent_id, query, card.get("status", "not_found"))
            if found is None:
                return _error(404, "해당 기사를 찾을 수 없습니다.")
            return response.json(card)

        @assist_bp.route("/feedback", methods=["POST"])
        @authenticated
        async def feedback(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
            verdict = body.get("verdict")
            corrected = body.get("corrected_intent") or None
            if verdict not in VERDICTS:
                return _error(400, "verdict 는 used, edited, rejected 중 하나여야 합니다.")
            if corrected is not None and corrected not in request.app.ctx.agent.domain.intents:
                return _error(400, f"알 수 없는 인텐트입니다: {corrected}")
            stored = await _blocking(default_store().record_feedback, str(body.get("suggestion_id")), agent_id, verdict, corrected)
            if not stored:
                return _error(404, "해당 추천을 찾을 수 없습니다.")
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
                return _error(404, "해당 상담 연결 요청을 찾을 수 없습니다.")
            if not await _blocking(default_store().take_handoff, handoff_id, agent_id):
                return _error(409, "이미 다른 상담사가 맡았거나 종료된 요청입니다.")
            return response.json({"handoff_id": handoff_id, "status": "taken", "agent_id": agent_id})

        @assist_bp.route("/handoffs/<handoff_id>/reply", methods=["POST"])
        @authenticated
        async def reply(request: Request, agent_id: str, body: Dict[str, Any], handoff_id: str) -> HTTPResponse:
            text = body.get("text")
            if not isinstance(text, str) or not text.strip():
                return _error(400, "보낼 메시지(text)를 입력해 주세요.")
            handoff = await _blocking(default_store().handoff, handoff_id)
            if handoff is None or handoff["status"] == "resolved":
                return _error(404, "진행 중인 상담 연결 요청이 아닙니다.")
            delivered = await _deliver_agent_reply(request.app.ctx.agent, handoff, agent_id, text.strip()[:MAX_TEXT])
            return response.json({"delivered": delivered})

        @assist_bp.route("/handoffs/<handoff_id>/resolve", methods=["POST"])
        @authenticated
        async def resolve(request: Request, agent_id: str, body: Dict[str, Any], handoff_id: str) -> HTTPResponse:
            handoff = await _blocking(default_store().handoff, handoff_id)
            if handoff is None:
                return _error(404, "해당 상담 연결 요청을 찾을 수 없습니다.")
            await _blocking(default_store().resolve_handoff, handoff_id, agent_id)
            # resumed, then listening: the driver's next message starts a fresh turn for the bot
            await _append_events(
                request.app.ctx.agent, handoff["conversation_id"],
                [ConversationResumed(), ActionExecuted(ACTION_LISTEN_NAME)],
            )
            return response.json({"handoff_id": handoff_id, "status": "resolved"})

        @assist_bp.route("/console", methods=["GET"])
        async def console(request: Request) -> HTTPResponse:
            return await response.file(CONSOLE_DIR / "index.html", mime_type="text/html; charset=utf-8")

        @assist_bp.route("/console/<name>", methods=["GET"])
        async def console_file(request: Request, name: str) -> HTTPResponse:
            path = (CONSOLE_DIR / name).resolve()
            if path.parent != CONSOLE_DIR or path.suffix not in CONSOLE_FILES or not path.exists():
                return _error(404, "not found")
            return await response.file(path, mime_type=CONSOLE_FILES[path.suffix] + "; charset=utf-8")

        @assist_bp.route("/intents", methods=["GET"])
        @authenticated
        async def intents(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
            return response.json({"intents": list(request.app.ctx.agent.domain.intents)})

        return assist_bp


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
