"""Who may call the assist API, and the one wrapper every authenticated route runs in.

An unrevoked agent token with the route's role (consignment/agent_auth.py), the rate limits per
agent and per client address (server/inbound.py), a JSON object body. A store that is down is a
503 and a bug a 500, each with a Korean message — never a trace.
"""
from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Optional

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from consignment.agent_auth import AGENT_ROLE, Agent, AgentAuthError, verify_agent_authorization
from consignment.assist_store import default_store
from consignment.content import message
from server.inbound import InboundGuard, client_address
from server.tracker_store import ConversationsUnavailable

logger = logging.getLogger(__name__)

CHANNEL = "assist"  # the input channel's name (credentials.yml: server.assist_channel.AgentAssistInput)

# (request, the calling agent's id, the JSON body, **path parameters) → response
Handler = Callable[..., Awaitable[HTTPResponse]]


@dataclass(frozen=True)
class Route:
    path: str
    method: str
    handler: Handler
    role: Optional[str] = AGENT_ROLE  # None: public (the console's static files, the API document)


def error(status: int, key: str, **values: Any) -> HTTPResponse:
    return response.json({"error": message("assist_api", key, **values)}, status=status)


async def blocking(function, *args):
    """A database call off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args))


async def calling_agent(request: Request, role: str) -> Agent:
    agent = verify_agent_authorization(request.headers.get("Authorization"), required_role=role)  # signature, expiry, role
    if await blocking(default_store().is_agent_token_revoked, agent.token_id):
        raise AgentAuthError(401, message("agent_auth", "revoked"))
    return agent


def _body(request: Request) -> Optional[Dict[str, Any]]:
    try:
        body = request.json if request.method == "POST" and request.body else {}
    except Exception:  # malformed JSON
        return None
    return body if isinstance(body, dict) else None


def authenticated(handler: Handler, guard: InboundGuard, channel: str, role: str = AGENT_ROLE) -> Handler:
    @functools.wraps(handler)
    async def wrapper(request: Request, **path: str) -> HTTPResponse:
        try:
            agent = await calling_agent(request, role)
        except AgentAuthError as refusal:
            return response.json({"error": refusal.message}, status=refusal.status)
        except SQLAlchemyError:
            return error(503, "store_unavailable")
        address = client_address(request.ip, request.headers.get("X-Forwarded-For"))
        refusal = await guard.refusal(channel, agent.agent_id, address, "")
        if refusal:
            return error(refusal.status, refusal.key)
        body = _body(request)
        if body is None:
            return error(400, "json_object_required")
        try:
            return await handler(request, agent.agent_id, body, **path)
        except (SQLAlchemyError, ConversationsUnavailable) as failure:
            logger.error("agent assist: store unavailable (%s)", type(failure).__name__)
            return error(503, "store_unavailable")
        except Exception:  # a bug must not show its trace to an agent
            logger.exception("agent assist: %s failed", request.path)
            return error(500, "internal_error")

    return wrapper
