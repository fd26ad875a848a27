"""The action server's metrics, liveness and readiness (consignment/metrics.py; docs/operations.md).

What the actions count (Q3 answers, 본인확인 outcomes, handoffs, failing stores) they count where
it happens (actions/, consignment/restriction.py); this module serves it. rasa-sdk calls
`attach(app)` through its plugin hook (rasa_sdk_plugins/, the package rasa-sdk 3.6 looks for)
before it starts Sanic: the probe port (ACTIONS_METRICS_PORT, default 9155) is bound then — one
another process holds stops the start, naming the port — and served by the action server's own
event loop once it runs. Ready = the admin database and agent assist's store answer.

No import of Rasa here: the action server may run with rasa-sdk alone.
"""
from __future__ import annotations

import json
import logging

from consignment import json_logs, metrics, settings
from consignment.admin_db import default_repository
from consignment.assist_store import default_store

logger = logging.getLogger(__name__)

SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access")


def readiness() -> metrics.Readiness:
    return metrics.Readiness({
        "admin_db": metrics.in_thread(lambda: metrics.sql_answers(default_repository().engine)),
        "assist_db": metrics.in_thread(lambda: metrics.sql_answers(default_store().engine)),
    })


def conversation_of(body: bytes) -> str | None:
    """The conversation an action call is for (its `sender_id`), for the log lines' digest."""
    try:
        call = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    sender = call.get("sender_id") if isinstance(call, dict) else None
    return sender if isinstance(sender, str) else None


def attach(app) -> None:
    json_logs.install(SANIC_LOGGERS)
    if not settings.metrics_enabled():
        logger.warning("METRICS=off: no metrics and no /live, /ready (benchmarks only)")
        return
    where = settings.metrics("actions")
    what = "action server's metrics port (ACTIONS_METRICS_PORT)"
    # a taken port stops the start here, before anything serves. Newer rasa-sdk (Sanic's worker
    # manager) builds the app twice — in the primary process and in the worker that serves — so the
    # port is only tried here and bound for good in the serving process, when its server starts
    metrics.bind(where.host, where.port, what).close()
    probes: list = []

    async def start(_app, _loop) -> None:
        probe = metrics.ProbeServer(metrics.bind(where.host, where.port, what), readiness())
        await probe.start()
        probes.append(probe)
        logger.info("metrics, /live and /ready on %s:%d", where.host, where.port)

    async def stop(_app, _loop) -> None:
        for probe in probes:
            await probe.stop()

    async def note_conversation(request) -> None:
        # each request runs in its own task: the conversation stays with this call's log lines
        if request.path == "/webhook" and request.headers.get("Content-Encoding") != "deflate":
            json_logs.current_conversation.set(conversation_of(request.body))

    app.register_listener(start, "before_server_start")
    app.register_listener(stop, "before_server_stop")
    app.register_middleware(note_conversation, "request")
