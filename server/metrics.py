"""The Rasa server's metrics, liveness and readiness (consignment/metrics.py; docs/operations.md).

Every turn of every channel goes through MessageProcessor.handle_message: wrapped here, it is
timed (assistant_reply_seconds) and counted by channel and by the intent the NLU gave it
(assistant_turns_total, assistant_fallbacks_total for nlu_fallback, assistant_turn_failures_total
when it raised). The intent is read from the tracker that log_message returns (wrapped too) —
bounded by the model's own intents, so a label never carries a text.

The probe port (METRICS_PORT, default 9105) is bound when Rasa registers its channels, before
the server starts: a port another process holds stops the start right there, with the port named.
It is served by Rasa's own event loop once the server runs. Ready = the model is loaded, the
conversation store and agent assist's store answer, and Redis when REDIS_URL configures it.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from contextvars import ContextVar
from typing import FrozenSet, Optional

import rasa.core.channels.channel as rasa_channels
from rasa.core.processor import MessageProcessor

from consignment import json_logs, metrics, settings
from consignment.assist_store import default_store
from server import self_check

logger = logging.getLogger(__name__)

self_check.requires(__name__, "rasa.core.processor.MessageProcessor.handle_message", signature=("self", "message"))
self_check.requires(__name__, "rasa.core.processor.MessageProcessor.log_message",
                    signature=("self", "message", "should_save_tracker"))
self_check.requires(__name__, "rasa.core.channels.channel.register", signature=("input_channels", "app", "route"))
self_check.requires(__name__, "rasa.core.agent.Agent", "model_id", "is_ready")

# Sanic keeps handlers of its own on these: in production they write JSON lines too
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access")
FALLBACK_INTENT = "nlu_fallback"


class _Turn:
    intent: Optional[str] = None


_turn: ContextVar[Optional[_Turn]] = ContextVar("turn", default=None)
_original_handle = getattr(MessageProcessor.handle_message, "__wrapped__", MessageProcessor.handle_message)
_original_log = getattr(MessageProcessor.log_message, "__wrapped__", MessageProcessor.log_message)
_original_register = getattr(rasa_channels.register, "__wrapped__", rasa_channels.register)
_intents_of_domain: dict = {}


def known_intents(domain) -> FrozenSet[str]:
    """The model's intents (a new model brings its own), plus Rasa's fallback."""
    key = id(domain)
    if key not in _intents_of_domain:
        _intents_of_domain.clear()
        _intents_of_domain[key] = frozenset(domain.intents if domain else ()) | {FALLBACK_INTENT}
    return _intents_of_domain[key]


async def _handle_counted(self: MessageProcessor, message):
    channel = metrics.bounded(message.input_channel, metrics.CHANNELS)
    turn = _Turn()
    turn_token = _turn.set(turn)
    conversation_token = json_logs.current_conversation.set(message.sender_id)
    started = time.perf_counter()
    failed = False
    try:
        return await _original_handle(self, message)
    except BaseException:
        failed = True
        raise
    finally:
        metrics.REPLY_SECONDS.labels(channel).observe(time.perf_counter() - started)
        intent = metrics.bounded(turn.intent, known_intents(self.domain))
        metrics.TURNS.labels(channel, intent).inc()
        if intent == FALLBACK_INTENT:
            metrics.FALLBACKS.labels(channel).inc()
        if failed:
            metrics.TURN_FAILURES.labels(channel).inc()
        _turn.reset(turn_token)
        json_logs.current_conversation.reset(conversation_token)


async def _log_noting_intent(self: MessageProcessor, message, should_save_tracker: bool = True):
    tracker = await _original_log(self, message, should_save_tracker)
    turn = _turn.get()
    if turn is not None:
        turn.intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
    return tracker


_handle_counted.__wrapped__ = _original_handle  # type: ignore[attr-defined]
_log_noting_intent.__wrapped__ = _original_log  # type: ignore[attr-defined]


# ── the probe port ───────────────────────────────────────────────────────────

def _register_with_probes(input_channels, app, route):
    _original_register(input_channels, app, route)
    attach(app)


_register_with_probes.__wrapped__ = _original_register  # type: ignore[attr-defined]


def attach(app) -> None:
    """Binds the probe port now (or stops the start), and serves it once Sanic runs."""
    json_logs.install(SANIC_LOGGERS)  # Sanic configured its loggers when Rasa created the app
    where = settings.metrics("rasa")
    sock = metrics.bind(where.host, where.port, "Rasa server's metrics port (METRICS_PORT)")
    probes = metrics.ProbeServer(sock, readiness(app), before_scrape=lambda: refresh(app))

    async def start(_app, _loop) -> None:
        await probes.start()
        logger.info("metrics, /live and /ready on %s:%d", where.host, where.port)

    async def stop(_app, _loop) -> None:
        await probes.stop()

    app.register_listener(start, "after_server_start")
    app.register_listener(stop, "before_server_stop")


def _agent(app):
    return getattr(app.ctx, "agent", None)


def readiness(app) -> metrics.Readiness:
    from server.tracker_store import sql_engine_of

    async def model() -> None:
        agent = _agent(app)
        if agent is None or not agent.is_ready():
            raise LookupError("no model loaded")

    async def tracker_store() -> None:
        agent = _agent(app)
        if agent is None or getattr(agent, "tracker_store", None) is None:
            raise LookupError("no conversation store yet")
        engine = sql_engine_of(agent.tracker_store)
        if engine is not None:
            await asyncio.get_running_loop().run_in_executor(None, metrics.sql_answers, engine)

    def assist_db() -> None:
        metrics.sql_answers(default_store().engine)

    checks = {"model": model, "tracker_store": tracker_store, "assist_db": metrics.in_thread(assist_db)}
    if settings.redis_url():
        from server.shared_state import redis_client

        async def redis() -> None:
            await redis_client().ping()

        checks["redis"] = redis
    return metrics.Readiness(checks)


async def refresh(app) -> None:
    """What is read at scrape time: the model served, the agents' queue."""
    agent = _agent(app)
    if agent is not None and agent.is_ready():
        metrics.serve_model(agent.model_id)
    depth, oldest = await asyncio.get_running_loop().run_in_executor(None, default_store().waiting_handoffs)
    metrics.HANDOFF_QUEUE_DEPTH.set(depth)
    age = (dt.datetime.now(dt.timezone.utc) - oldest).total_seconds() if oldest is not None else 0.0
    metrics.HANDOFF_QUEUE_OLDEST.set(max(age, 0.0))


def install() -> None:
    if not settings.metrics_enabled():
        logger.warning("METRICS=off: no metrics and no /live, /ready (benchmarks only)")
        return
    if MessageProcessor.handle_message is not _handle_counted:
        MessageProcessor.handle_message = _handle_counted
    if MessageProcessor.log_message is not _log_noting_intent:
        MessageProcessor.log_message = _log_noting_intent
    if rasa_channels.register is not _register_with_probes:
        rasa_channels.register = _register_with_probes
