"""Agent assist over HTTP, inside the Rasa server (credentials.yml turns it on).

    POST /webhooks/assist/suggest   {"text": ..., "conversation_id": optional}        server/assist/suggestions.py
    POST /webhooks/assist/lookup    {"driver_id": ...} or {"phone": ...}  (audited)   server/assist/suggestions.py
    POST /webhooks/assist/feedback  {"suggestion_id", "verdict", "corrected_intent"?} server/assist/suggestions.py
    GET  /webhooks/assist/intents                                                     server/assist/suggestions.py
    GET  /webhooks/assist/handoffs  the queue; GET …/handoffs/<id> (the taker's view);
         POST …/handoffs/<id>/take|reply|transfer|resolve (audited)                   server/assist/handoffs.py
    GET  /webhooks/assist/analytics the CS lead's numbers (lead role)                 server/assist/analytics.py
    GET  /webhooks/assist/drivers/<id>/export, POST …/erase  a driver's rights (lead role, audited)
                                                                                      server/assist/privacy.py
    GET  /webhooks/assist/openapi.json, /console, /console/<file>                     server/assist/console.py

Every API call needs an unrevoked agent token and stays within the size and rate limits
(server/assist/auth.py). It runs in the Rasa server because it needs the loaded model (parse)
and the tracker store (a handed-over driver's conversation); suggestions never write to a
driver's conversation.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from server.assist import analytics, console, handoffs, privacy, suggestions
from server.assist.auth import CHANNEL, authenticated
from server.inbound import InboundGuard

ROUTES = (*suggestions.ROUTES, *handoffs.ROUTES, *analytics.ROUTES, *privacy.ROUTES, *console.ROUTES)


class AgentAssistInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        assist_bp = Blueprint("agent_assist", __name__)
        guard = InboundGuard(agents=True)
        for route in ROUTES:
            handler = route.handler if route.role is None else authenticated(route.handler, guard, CHANNEL, route.role)
            assist_bp.add_route(handler, route.path, methods=[route.method], name=route.handler.__name__)
        return assist_bp
