"""What the agent should say next, and the driver's record behind it.

    POST /suggest    {"text", "conversation_id"?}  a suggestion card (stored for feedback)
    POST /lookup     {"driver_id"} or {"phone"}     a driver's restriction record (audited)
    POST /feedback   {"suggestion_id", "verdict", "corrected_intent"?}
    GET  /intents    the intents an agent may correct a suggestion to

A suggestion follows a driver's conversation only when the calling agent holds that
conversation's handoff (taken, not resolved): a driver's chat is staff's to read only once it
is handed to them, conversation ids are chosen by clients and can be guessed, and each such read
is audited like any other. For any other conversation id the card is built from the text alone
(`conversation` null, `conversation_withheld` true). Suggestions never write to a conversation.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from consignment import assist
from consignment.admin_db import AdminDataUnavailable, default_repository
from consignment.assist_store import VERDICTS, default_store
from consignment.phone import mask_phone
from server.assist import conversations
from server.assist.auth import CHANNEL, Route, blocking, error
from server.inbound import MAX_MESSAGE_CHARS

logger = logging.getLogger(__name__)

MAX_ID_CHARS = 128


def rendered(agent, script: list) -> list:
    """Script lines filled in by the server's response generator (server/nlg.py), exactly as
    the driver's chat would say them: {"response", "text"}."""
    lines = []
    for script_line in script:
        filled = agent.nlg.generate_from_slots(script_line["response"], {}, CHANNEL, **script_line["values"])
        lines.append({"response": script_line["response"], "text": (filled or {}).get("text", "")})
    return lines


async def _conversation_for(agent, agent_id: str, conversation_id: Optional[str]) -> Optional[Dict[str, Any]]:
    """The conversation's state if the agent holds its handoff (the read audited), else None."""
    handoff = await blocking(default_store().taken_handoff, conversation_id, agent_id)
    if handoff is None:
        return None
    current = await conversations.state(agent, conversation_id)
    latest = ((current or {}).get("latest_message") or {}).get("message_id") or "-"
    await blocking(default_store().audit_read, handoff["handoff_id"], agent_id, conversation_id,
                   f"suggest: state at message {latest}")
    return current


async def suggest(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return error(400, "text_required")
    if len(text) > MAX_MESSAGE_CHARS:
        return error(413, "message_too_long")
    conversation_id = body.get("conversation_id")
    if not isinstance(conversation_id, str) or not conversation_id or len(conversation_id) > MAX_ID_CHARS:
        conversation_id = None
    agent = request.app.ctx.agent
    parse = await agent.parse_message(text)
    conversation = await _conversation_for(agent, agent_id, conversation_id) if conversation_id else None
    card = assist.suggest(parse, conversation)
    card["script"] = rendered(agent, card["script"])
    card["conversation_withheld"] = bool(conversation_id) and conversation is None
    card["suggestion_id"] = await blocking(
        default_store().record_suggestion, agent_id, conversation_id, text,
        card["intent"]["name"], card["intent"]["confidence"],
    )
    return response.json(card)


async def lookup(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
    driver_id, phone = body.get("driver_id"), body.get("phone")
    driver_id = driver_id if isinstance(driver_id, str) and 0 < len(driver_id.strip()) <= MAX_ID_CHARS else None
    phone = phone if isinstance(phone, str) and 0 < len(phone.strip()) <= MAX_ID_CHARS else None
    if not driver_id and not phone:
        return error(400, "lookup_query_required")
    query = f"driver_id:{driver_id}" if driver_id else f"phone:{mask_phone(phone)}"
    try:
        found, card = await blocking(
            assist.lookup, default_repository(), driver_id.strip() if driver_id else None, phone,
        )
    except AdminDataUnavailable:
        await blocking(default_store().audit_lookup, agent_id, None, query, "unavailable")
        return error(503, "admin_unavailable")
    if card:
        card["script"] = rendered(request.app.ctx.agent, card["script"])
    await blocking(default_store().audit_lookup, agent_id, found, query, card.get("status", "not_found"))
    # who was looked up and what their record says are in the audit table, not in the log
    logger.info("assist lookup: %s", "found" if found else "not found")
    if found is None:
        return error(404, "driver_not_found")
    return response.json(card)


async def feedback(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
    verdict = body.get("verdict")
    corrected = body.get("corrected_intent") or None
    if verdict not in VERDICTS:
        return error(400, "verdict_invalid")
    if isinstance(corrected, str) and corrected not in request.app.ctx.agent.domain.intents:
        return error(400, "intent_unknown", intent=corrected)
    if corrected is not None and not isinstance(corrected, str):
        return error(400, "intent_unknown", intent=str(corrected)[:40])
    stored = await blocking(default_store().record_feedback, str(body.get("suggestion_id"))[:MAX_ID_CHARS],
                            agent_id, verdict, corrected)
    if not stored:
        return error(404, "suggestion_not_found")
    return response.json({"stored": True})


async def intents(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
    names = list(request.app.ctx.agent.domain.intents)
    # `labels`: what an agent reads for each (content/agent_assist.yml summaries); the names stay the API's
    return response.json({"intents": names, "labels": assist.intent_labels(names)})


ROUTES = (
    Route("/suggest", "POST", suggest),
    Route("/lookup", "POST", lookup),
    Route("/feedback", "POST", feedback),
    Route("/intents", "GET", intents),
)
