"""The handoff queue and its state machine: open → taken (by one agent) → resolved.

    GET  /handoffs                  the queue: queue data and the one-line summary, no transcript
    GET  /handoffs/<id>             the taker's view: full packet and transcript (audited read)
    POST /handoffs/<id>/take        open → taken by the caller; answers with the full view (audited)
    POST /handoffs/<id>/reply       the taker writes to the driver (audited)
    POST /handoffs/<id>/transfer    the taker hands it to another agent (audited)
    POST /handoffs/<id>/resolve     the taker ends it; the bot answers the driver again (audited)
    POST /handoffs/<id>/release     a CS lead puts a taken one back in the queue (audited): the way
                                    out when its taker is gone or it was transferred to a wrong name

Two databases are involved and only one decides: the queue (assist store) says whether a
conversation is handed over, and the conversation is paused exactly while it is
(server/handoff_pause.py reconciles the tracker before each turn). So a resolve is one commit
in the queue; writing ConversationResumed into the tracker right away is a courtesy that may
fail without leaving the driver silenced.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Tuple

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from consignment import metrics
from consignment.agent_auth import LEAD_ROLE
from consignment.assist_store import RESOLVED, TAKEN, default_store
from consignment.content import message
from consignment.handoff import queue_labels, queue_view, reason_label
from server import handoff_pause
from server.assist import conversations
from server.assist.auth import Route, blocking, error
from server.inbound import MAX_MESSAGE_CHARS
from server.tracker_store import ConversationsUnavailable

logger = logging.getLogger(__name__)

MAX_TRANSFER_TARGET_CHARS = 64
TIMES = ("created_at", "taken_at", "resolved_at")


def queue_item(row: Dict[str, Any]) -> Dict[str, Any]:
    """What every agent's queue shows of a handoff: no driver message beyond the summary."""
    packet = row["packet"] or {}
    return {
        "handoff_id": row["handoff_id"],
        "conversation_id": row["conversation_id"],
        "input_channel": row.get("input_channel"),
        "status": row["status"],
        "agent_id": row.get("agent_id"),
        **{name: row.get(name) for name in TIMES},
        "reason": packet.get("reason"),
        "reason_label": reason_label(packet.get("reason")),
        "summary": packet.get("summary"),
        # what tells two requests apart at a glance: bounded labels, none of the driver's words
        **queue_labels(row.get("input_channel"), packet),
        "packet": queue_view(packet),
    }


def taker_item(row: Dict[str, Any]) -> Dict[str, Any]:
    """What the agent who took a handoff sees of it: the whole packet (driver's messages, slots)."""
    return {**queue_item(row), "packet": row["packet"]}


async def _audited_transcript(agent, row: Dict[str, Any], agent_id: str, how: str) -> list:
    """The transcript, read for this agent and audited before anyone sees it."""
    lines = await conversations.transcript(agent, row["conversation_id"])
    await blocking(default_store().audit_read, row["handoff_id"], agent_id, row["conversation_id"],
                   f"{how}: {conversations.fingerprint(lines)}")
    return lines


async def list_handoffs(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
    rows = await blocking(default_store().handoffs)
    return response.json({"handoffs": [queue_item(row) for row in rows]}, default=str)


async def owned_handoff(handoff_id: str, agent_id: str) -> Tuple[Optional[Dict[str, Any]], Optional[HTTPResponse]]:
    """(handoff, None) when it is taken by this agent, else (None, the error response)."""
    handoff = await blocking(default_store().handoff, handoff_id)
    if handoff is None or handoff["status"] == RESOLVED:
        return None, error(404, "handoff_not_active")
    if handoff["status"] != TAKEN or handoff["agent_id"] != agent_id:
        return None, error(403, "handoff_not_yours")
    return handoff, None


async def show_handoff(request: Request, agent_id: str, body: Dict[str, Any], handoff_id: str) -> HTTPResponse:
    """The taker's refresh of a conversation they hold."""
    handoff, refusal = await owned_handoff(handoff_id, agent_id)
    if refusal:
        return refusal
    lines = await _audited_transcript(request.app.ctx.agent, handoff, agent_id, "view")
    return response.json({"handoff": taker_item(handoff), "transcript": lines}, default=str)


async def take_handoff(request: Request, agent_id: str, body: Dict[str, Any], handoff_id: str) -> HTTPResponse:
    if await blocking(default_store().handoff, handoff_id) is None:
        return error(404, "handoff_not_found")
    if not await blocking(default_store().take_handoff, handoff_id, agent_id):
        return error(409, "handoff_taken")
    handoff = await blocking(default_store().handoff, handoff_id)
    answer: Dict[str, Any] = {"handoff_id": handoff_id, "status": "taken", "agent_id": agent_id,
                              "handoff": taker_item(handoff)}
    try:
        answer["transcript"] = await _audited_transcript(request.app.ctx.agent, handoff, agent_id, "take")
    except ConversationsUnavailable:  # taken all the same: GET /handoffs/<id> brings it later
        answer["transcript"] = None
        answer["transcript_error"] = message("assist_api", "store_unavailable")
    return response.json(answer, default=str)


async def reply(request: Request, agent_id: str, body: Dict[str, Any], handoff_id: str) -> HTTPResponse:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return error(400, "reply_required")
    if len(text) > MAX_MESSAGE_CHARS:
        return error(413, "message_too_long")
    handoff, refusal = await owned_handoff(handoff_id, agent_id)
    if refusal:
        return refusal
    delivered = await conversations.deliver_agent_reply(
        request.app.ctx.agent, handoff["conversation_id"], agent_id, text.strip())
    await blocking(default_store().audit_reply, handoff_id, agent_id, handoff["conversation_id"], delivered)
    return response.json({"delivered": delivered})


async def transfer(request: Request, agent_id: str, body: Dict[str, Any], handoff_id: str) -> HTTPResponse:
    to_agent = body.get("to_agent")
    if not isinstance(to_agent, str) or not to_agent.strip() or len(to_agent) > MAX_TRANSFER_TARGET_CHARS:
        return error(400, "transfer_target_required")
    _, refusal = await owned_handoff(handoff_id, agent_id)
    if refusal:
        return refusal
    if not await blocking(default_store().transfer_handoff, handoff_id, agent_id, to_agent.strip()):
        return error(409, "handoff_taken")
    return response.json({"handoff_id": handoff_id, "status": "taken", "agent_id": to_agent.strip()})


async def resolve(request: Request, agent_id: str, body: Dict[str, Any], handoff_id: str) -> HTTPResponse:
    handoff, refusal = await owned_handoff(handoff_id, agent_id)
    if refusal:
        return refusal
    if not await blocking(default_store().resolve_handoff, handoff_id, agent_id):
        return error(409, "handoff_taken")  # changed hands meanwhile: the bot stays paused
    metrics.HANDOFFS_RESOLVED.inc()
    # resolved is final here: the tracker catching up now is a courtesy (the stored conversation
    # shows it resumed); if that write fails, the driver's next message resumes it anyway
    await handoff_pause.sync_tracker(request.app.ctx.agent, handoff["conversation_id"])
    return response.json({"handoff_id": handoff_id, "status": "resolved"})


async def release(request: Request, agent_id: str, body: Dict[str, Any], handoff_id: str) -> HTTPResponse:
    """A lead's override: taken → open, so that any agent can take it (the driver stays paused,
    waiting for a person, never silenced for good by a taker who is not there)."""
    handoff = await blocking(default_store().handoff, handoff_id)
    if handoff is None or handoff["status"] == RESOLVED:
        return error(404, "handoff_not_active")
    if not await blocking(default_store().release_handoff, handoff_id, agent_id):
        return error(409, "handoff_taken")  # not taken (already open)
    return response.json({"handoff_id": handoff_id, "status": "open"})


ROUTES = (
    Route("/handoffs", "GET", list_handoffs),
    Route("/handoffs/<handoff_id>", "GET", show_handoff),
    Route("/handoffs/<handoff_id>/take", "POST", take_handoff),
    Route("/handoffs/<handoff_id>/reply", "POST", reply),
    Route("/handoffs/<handoff_id>/transfer", "POST", transfer),
    Route("/handoffs/<handoff_id>/resolve", "POST", resolve),
    Route("/handoffs/<handoff_id>/release", "POST", release, role=LEAD_ROLE),
)
