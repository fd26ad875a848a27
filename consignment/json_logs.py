"""Production logs: one JSON object a line, for a log collector (docs/operations.md).

    {"time": "2026-11-29T03:00:00.123Z", "level": "INFO", "logger": "consignment.restriction",
     "event": "restriction inquiry: answered (suspended)", "conversation": "3f1c…", "outcome": "suspended"}

`conversation` is a keyed digest (HMAC) of the conversation id: lines of one conversation can be
followed across both processes and replicas, and nobody reading the logs learns the id (it can be
a driver's or a UUID the driver app keeps). The key comes from DRIVER_TOKEN_SECRET, which every
replica shares. `outcome` is set by code that logs one (a Q3 answer, a handoff's reason).

What never reaches a line: a driver's text, name, phone, token or suspension reason. The
project's own log calls never pass them; as a second guard every event has phone numbers and
tokens masked, and an exception is logged by its type, without its message or traceback (both
can quote what a driver sent). Demo mode (consignment.settings.json_logs) keeps readable lines.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import hmac
import json
import logging
import sys
import warnings
from typing import Optional

from consignment import settings
from consignment.identity import mask_tokens_in
from consignment.phone import mask_phone_numbers_in

# the conversation of the turn (Rasa) or the action call (action server) running in this task
current_conversation: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("conversation", default=None)

OUTCOME = "outcome"  # logger.info("…", extra={"outcome": …})


def conversation_digest(conversation_id: str) -> str:
    secret = settings.driver_token_secret() or "no-driver-tokens"
    key = hashlib.sha256(b"log-conversation:" + secret.encode()).digest()
    return hmac.new(key, conversation_id.encode(), hashlib.sha256).hexdigest()[:24]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        try:
            event = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed call still gives a line
            event = str(record.msg)
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "event": mask_tokens_in(mask_phone_numbers_in(event)),
        }
        conversation = current_conversation.get()
        if conversation:
            line["conversation"] = conversation_digest(conversation)
        outcome = getattr(record, OUTCOME, None)
        if isinstance(outcome, str):
            line["outcome"] = outcome
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False)


def install(extra_loggers: tuple = ()) -> bool:
    """In production, every handler of the root logger (and of `extra_loggers`, e.g. Sanic's,
    which keep their own) writes JSON lines, and Python warnings (but deprecations) go through logging too; a
    process with no handler yet gets one on stdout at INFO. Returns whether JSON logs are on."""
    if not settings.json_logs():
        return False
    formatter = JsonFormatter()
    root = logging.getLogger()
    if not root.handlers:
        # a process nobody configured — the action server's serving worker, which newer rasa-sdk
        # spawns without its primary's logging config — logs like the primary: INFO, to stdout
        root.addHandler(logging.StreamHandler(sys.stdout))
        if root.level == logging.WARNING:  # the interpreter's default, not anyone's choice
            root.setLevel(logging.INFO)
    for name in (None, *extra_loggers):
        for handler in logging.getLogger(name).handlers:
            handler.setFormatter(formatter)
    # deprecations are for the developers upgrading a library, not for the operators' log
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
    logging.captureWarnings(True)
    return True
