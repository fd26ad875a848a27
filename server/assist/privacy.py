"""A driver's rights, for CS leads (CONTRACT §4; docs/privacy.md):

    GET  /drivers/<driver_id>/export   everything held about the driver, as JSON (audited)
    POST /drivers/<driver_id>/erase    all of it deleted, their conversations' state too; one
                                       audit line stays: that an erasure happened, by whom, when

Lead tokens only (an agent gets 403, no token 401). What is the driver's, and what is not, is
consignment/driver_data.py's; each conversation's events are deleted under its lock, so a turn
running at that moment finishes first and the next one starts from nothing.
"""
from __future__ import annotations

import re
from typing import Any, Dict

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from consignment import conversation_events, driver_data
from consignment.agent_auth import LEAD_ROLE
from consignment.assist_store import default_store
from consignment.conversation_holders import default_holders
from server.assist.auth import Route, blocking, error
from server.tracker_store import sql_engine_of

DRIVER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


async def export_driver(request: Request, lead_id: str, body: Dict[str, Any], driver_id: str) -> HTTPResponse:
    if not DRIVER_ID.match(driver_id):
        return error(400, "driver_id_invalid")
    engine = sql_engine_of(request.app.ctx.agent.tracker_store)
    if engine is None:
        return error(503, "store_unavailable")
    data = await blocking(driver_data.export, driver_id, engine, default_store(), default_holders())
    await blocking(default_store().record_privacy_request, lead_id, driver_id, "export", driver_data.counts(data))
    return response.json(data, headers={"Cache-Control": "no-store"})


async def erase_driver(request: Request, lead_id: str, body: Dict[str, Any], driver_id: str) -> HTTPResponse:
    if not DRIVER_ID.match(driver_id):
        return error(400, "driver_id_invalid")
    agent = request.app.ctx.agent
    engine = sql_engine_of(agent.tracker_store)
    if engine is None:
        return error(503, "store_unavailable")
    holders = default_holders()
    conversation_ids = await blocking(holders.conversations_of, driver_id)
    events = 0
    for conversation_id in conversation_ids:
        async with agent.lock_store.lock(conversation_id):
            events += await blocking(conversation_events.erase_conversation, engine, conversation_id)
    erased = await blocking(driver_data.erase_records, driver_id, conversation_ids, events, lead_id,
                            default_store(), holders)
    return response.json({"driver_id": driver_id, "erased": erased})


ROUTES = (
    Route("/drivers/<driver_id>/export", "GET", export_driver, role=LEAD_ROLE),
    Route("/drivers/<driver_id>/erase", "POST", erase_driver, role=LEAD_ROLE),
)
