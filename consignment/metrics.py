"""What both processes count for Prometheus, and the small HTTP server each runs for it.

The Rasa server (server/metrics.py) and the action server (actions/metrics.py) each serve, on
their own port (consignment.settings.metrics), `GET /metrics` (Prometheus' text format), `GET
/live` (answered from the process's event loop: it is alive) and `GET /ready` (200 only when
every configured store answers; else 503 naming the stores that did not — names only, never a
URL). docs/operations.md lists every metric and the alerts built on them.

Labels come from bounded sets: the domain's intents, the channels, the outcomes below. Anything
else is counted as "other" — never a sender id, a driver id, a name, a phone number or a text.
Nothing here imports Rasa: the action server may run with rasa-sdk alone.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import Awaitable, Callable, Dict, Iterable, List, Optional, Tuple

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

logger = logging.getLogger(__name__)

OTHER = "other"

# the channels a message can come through (server/*_channel.py, Rasa's own); the rest is "other"
CHANNELS = frozenset({"rest", "widget", "socketio", "assist", "slack", "kakao", "cmdline"})
# Q3's answers (consignment.restriction.RestrictionAnswer) as the CS lead counts them: ⓐ, ⓑ, none
# on record, refused (본인확인 failed or exhausted), unavailable (a store down: no answer given)
Q3_OUTCOMES = frozenset({"suspended", "customer_block", "none_on_record", "refused", "unavailable"})
IDENTITY_OUTCOMES = frozenset({"verified", "not_verified", "too_many_failed_checks", "unavailable"})
# what a refused message exceeded (server/inbound.py)
LIMITS = frozenset({"sender", "address", "size"})
# the stores and services a turn depends on; also the names /ready reports
DEPENDENCIES = frozenset({"tracker_store", "admin_db", "assist_db", "redis", "action_server"})
HANDOFF_REASONS = frozenset({"driver_request", "misunderstanding", "other_call_type", "not_consignment",
                             "action_server_unavailable"})

TURNS = Counter("assistant_turns_total", "Messages handled, by channel and the intent the NLU gave them",
                ["channel", "intent"])
TURN_FAILURES = Counter("assistant_turn_failures_total",
                        "Messages that got the apology instead of an answer (something failed)", ["channel"])
REPLY_SECONDS = Histogram("assistant_reply_seconds", "Time from a message reaching Rasa to its replies",
                          ["channel"], buckets=(0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60))
FALLBACKS = Counter("assistant_fallbacks_total", "Messages the NLU did not understand (nlu_fallback)", ["channel"])
HANDOFFS_OPENED = Counter("assistant_handoffs_opened_total", "Conversations handed to an agent", ["reason"])
HANDOFFS_RESOLVED = Counter("assistant_handoffs_resolved_total", "Handoffs an agent resolved")
HANDOFF_QUEUE_DEPTH = Gauge("assistant_handoff_queue_depth", "Handoffs open or taken, not resolved")
HANDOFF_QUEUE_OLDEST = Gauge("assistant_handoff_queue_oldest_age_seconds",
                             "Age of the oldest handoff not resolved (0: none waiting)")
IDENTITY_CHECKS = Counter("assistant_identity_checks_total", "본인확인 by outcome", ["outcome"])
Q3_ANSWERS = Counter("assistant_q3_outcomes_total", "Q3 (배차 제한) lookups by the answer given", ["outcome"])
RATE_LIMIT_REFUSALS = Counter("assistant_rate_limit_refusals_total", "Messages refused by a limit",
                              ["channel", "limit"])
DEPENDENCY_ERRORS = Counter("assistant_dependency_errors_total", "Failed calls to a store or service",
                            ["dependency"])
DEPENDENCY_UP = Gauge("assistant_dependency_up", "1 when the store answered the latest readiness check",
                      ["dependency"])
READY = Gauge("assistant_ready", "1 when the process is ready (model loaded, every store answers)")
MODEL_INFO = Gauge("assistant_model_info", "The model this process serves (value 1)", ["model_id"])
MODEL_LOADED = Gauge("assistant_model_loaded_time_seconds", "When this process started serving its model")


def bounded(value: Optional[str], allowed: Iterable[str]) -> str:
    """`value` when it is one of `allowed`, else "other": a label never carries what a client sent."""
    return value if isinstance(value, str) and value in allowed else OTHER


def count_dependency_error(dependency: str) -> None:
    DEPENDENCY_ERRORS.labels(bounded(dependency, DEPENDENCIES)).inc()


def count_refusal(channel: str, limit: str) -> None:
    RATE_LIMIT_REFUSALS.labels(bounded(channel, CHANNELS), bounded(limit, LIMITS)).inc()


def count_handoff_opened(reason: str) -> None:
    HANDOFFS_OPENED.labels(bounded(reason, HANDOFF_REASONS)).inc()


# the lookup's answer (consignment.restriction.RestrictionAnswer.kind) → the two counters
_Q3_OF_ANSWER = {"suspended": "suspended", "customer_block": "customer_block", "none_on_record": "none_on_record",
                 "not_verified": "refused", "too_many_failed_checks": "refused", "unavailable": "unavailable"}
_IDENTITY_OF_ANSWER = {"suspended": "verified", "customer_block": "verified", "none_on_record": "verified",
                       "not_verified": "not_verified", "too_many_failed_checks": "too_many_failed_checks",
                       "unavailable": "unavailable"}


def count_restriction_answer(kind: str) -> None:
    """One Q3 lookup: its answer, and what 본인확인 concluded."""
    Q3_ANSWERS.labels(bounded(_Q3_OF_ANSWER.get(kind), Q3_OUTCOMES)).inc()
    IDENTITY_CHECKS.labels(bounded(_IDENTITY_OF_ANSWER.get(kind), IDENTITY_OUTCOMES)).inc()


def serve_model(model_id: Optional[str]) -> None:
    """Records the model this process serves (one label value per process: the id of its model)."""
    if not model_id:
        return
    if (model_id,) not in {labels for labels in MODEL_INFO._metrics}:  # noqa: SLF001 - prometheus_client's own map
        MODEL_INFO.clear()
        MODEL_INFO.labels(model_id).set(1)
        MODEL_LOADED.set(time.time())


# ── readiness ─────────────────────────────────────────────────────────────────

# a check that takes longer than this counts as failed: a probe must answer within its own timeout
CHECK_TIMEOUT_S = 2.0

Check = Callable[[], Awaitable[None]]


class Readiness:
    """Named checks (`async () -> None`, raising when the thing is not there); `failing()` runs them
    all at once and returns the names of those that failed, updating assistant_dependency_up and
    assistant_ready. A check's error is logged by its type only: a database's message can carry
    its URL."""

    def __init__(self, checks: Dict[str, Check]) -> None:
        self.checks = checks

    async def failing(self) -> List[str]:
        names = list(self.checks)
        results = await asyncio.gather(*(asyncio.wait_for(self.checks[name](), CHECK_TIMEOUT_S) for name in names),
                                       return_exceptions=True)
        failed = []
        for name, result in zip(names, results):
            ok = not isinstance(result, BaseException)
            if name in DEPENDENCIES:
                DEPENDENCY_UP.labels(name).set(1 if ok else 0)
            if not ok:
                failed.append(name)
                logger.warning("not ready: %s does not answer (%s)", name, type(result).__name__)
        READY.set(0 if failed else 1)
        return failed


def in_thread(check: Callable[[], object]) -> Check:
    """A blocking check (a database query) run in a worker thread, off the event loop."""

    async def run() -> None:
        await asyncio.get_running_loop().run_in_executor(None, check)

    return run


def sql_answers(engine) -> None:
    """The database behind a SQLAlchemy engine answers a trivial query."""
    import sqlalchemy as sa

    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


# ── the probe server ──────────────────────────────────────────────────────────

def bind(host: str, port: int, what: str) -> socket.socket:
    """The metrics port, bound before the process serves anything: when it is taken the process
    must not run without metrics, so it stops here saying which port and which setting."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise SystemExit(
            f"refusing to start: the {what} cannot listen on {host}:{port} ({error.strerror or error}); "
            f"another process holds it. Stop it or choose another port (METRICS_PORT / ACTIONS_METRICS_PORT)."
        ) from None
    sock.listen(64)
    sock.setblocking(False)
    return sock


class ProbeServer:
    """GET /metrics, /live, /ready on an already bound socket, served by the process's own event
    loop (so /live answering means the loop runs). Plain HTTP/1.1, one request a connection."""

    MAX_REQUEST_BYTES = 8192

    def __init__(self, sock: socket.socket, readiness: Readiness,
                 before_scrape: Optional[Callable[[], Awaitable[None]]] = None) -> None:
        self.sock = sock
        self.readiness = readiness
        self.before_scrape = before_scrape
        self._server: Optional[asyncio.AbstractServer] = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, sock=self.sock)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            method, path = _request_line(head)
            status, content_type, body = await self._answer(method, path)
            writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                         % (status, _REASONS[status].encode(), content_type.encode(), len(body)))
            if method != "HEAD":
                writer.write(body)
            await writer.drain()
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        except Exception as error:  # noqa: BLE001 - a probe never takes the process down
            logger.error("metrics request failed (%s)", type(error).__name__)
        finally:
            writer.close()

    async def _answer(self, method: str, path: str) -> Tuple[int, str, bytes]:
        if method not in ("GET", "HEAD"):
            return 405, "text/plain; charset=utf-8", b"method not allowed\n"
        if path == "/live":
            return 200, "application/json", b'{"status":"live"}'
        if path == "/ready":
            failed = await self.readiness.failing()
            if failed:
                return 503, "application/json", _json({"status": "not ready", "failing": failed})
            return 200, "application/json", b'{"status":"ready"}'
        if path == "/metrics":
            if self.before_scrape is not None:
                try:
                    await self.before_scrape()
                except Exception as error:  # noqa: BLE001 - the counters are served even so
                    logger.warning("metrics refresh failed (%s)", type(error).__name__)
            await self.readiness.failing()  # assistant_ready and assistant_dependency_up as of now
            return 200, CONTENT_TYPE_LATEST, generate_latest(REGISTRY)
        return 404, "text/plain; charset=utf-8", b"not found: /metrics, /live, /ready\n"


_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


def _request_line(head: bytes) -> Tuple[str, str]:
    parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
    if len(parts) < 2:
        return "", ""
    return parts[0].upper(), parts[1].split("?", 1)[0]


def _json(value) -> bytes:
    import json

    return json.dumps(value, ensure_ascii=False).encode()
