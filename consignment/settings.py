"""Every environment variable the assistant reads, in one place.

| variable | meaning | default |
|---|---|---|
| ADMIN_DB_URL | SQLAlchemy URL of the admin (suspension) database | SQLite file var/admin.db, demo data loaded on first use |
| ADMIN_DB_TIMEOUT_SECONDS | connect and statement timeout | 3 |
| DRIVER_TOKEN_SECRET | HS256 secret of driver tokens (CONTRACT §4) | unset: no token verifies |
| ADMIN_DB_LOAD_DEMO | 1 loads fixtures/admin/ into an empty configured database too (tests, demos on PostgreSQL) | 0 |
| ASSISTANT_DEMO_MODE | 1 enables demo helpers (minting tokens for demo drivers, loopback only); refuses a non-SQLite ADMIN_DB_URL | 0 (`make run` sets 1) |
| AGENT_TOKEN_SECRET | HS256 secret of agent tokens | unset: no agent gets in |
| ASSIST_DB_URL | agent assist's store: suggestions, audit, handoffs, failed 본인확인, revoked tokens | SQLite var/assist.db |
| RATE_LIMIT_PER_SENDER_PER_MIN / RATE_LIMIT_PER_ADDRESS_PER_MIN / RATE_LIMIT_PER_AGENT_PER_MIN | messages (agent-assist calls) a minute (0: off) | 30 / 120 / 240 |
| ASSISTANT_VAR_DIR | where embedded databases, logs and demo secrets live | var/ |
| TRUSTED_PROXIES | proxies whose X-Forwarded-For is believed | none |
| WIDGET_ALLOWED_ORIGINS | origins that may open the widget socket (`*`: any) | the server's own |
| REDIS_URL | Redis shared by several processes | unset: in process |
| TRACKER_DB_URL | PostgreSQL for conversations in `make cluster` | postgresql://postgres@127.0.0.1:5432/consignment |
| SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, SLACK_CHANNELS | Slack (docs/slack.md) | off |
| RETENTION_CONVERSATIONS_DAYS | days a conversation's events (the driver's and the bot's messages, agents' replies) are kept after they happened; an unresolved handoff's conversation is kept until it is resolved | 90 |
| RETENTION_RATINGS_DAYS | days a rating is kept, anonymised (no conversation, hour only) once its conversation is gone | 400 |
| RETENTION_HANDOFFS_DAYS | days a resolved handoff (its context packet) is kept after it was resolved; unresolved ones are never purged | 90 |
| RETENTION_IDENTITY_FAILURES_DAYS | days a failed 본인확인 is kept (the limit needs one hour) | 7 |
| RETENTION_AUDIT_DAYS | days audit lines (lookups, agents' actions, privacy requests) are kept: ids only | 730 |
| RETENTION_SUGGESTIONS_DAYS | days agents' suggestions (a pasted, masked driver message) and their feedback are kept | 180 |
| RETENTION_CONVERSATION_HOLDERS_DAYS | days a conversation's holder (its driver id) is kept once none of its events is left | 90 |
| RETENTION_REVOKED_TOKENS_DAYS | days a revoked agent token's id is kept (longer than any agent token lives: 8 h by default) | 30 |
| PURGE_BATCH_SIZE | rows a purge transaction deletes at most (short transactions while serving) | 500 |
| KAKAO_SKILL_SECRET | shared secret Open Builder sends in `X-Kakao-Skill-Secret` (docs/kakao.md) | unset: the KakaoTalk channel is off (404) |
| KAKAO_USER_KEY_SECRET | key of the digest that turns a botUserKey into a conversation id | derived from KAKAO_SKILL_SECRET |
| KAKAO_CALLBACK_ORIGINS | origins (`https://host[:port]`, comma-separated) the channel may POST a callback answer to | https://bot-api.kakao.com |
| KAKAO_REPLY_WITHIN_SECONDS / KAKAO_CALLBACK_WITHIN_SECONDS | how long a turn may run before the skill answers with a holding line / before the callback carries an apology | 3.5 / 50 |
| ASSISTANT_NOW | ISO time the assistant takes as "now" (demos, reproducible runs) | the real clock |
| METRICS_HOST | address the metrics/probe ports listen on (`GET /metrics`, `/live`, `/ready`) | 127.0.0.1 |
| METRICS | `off` runs a process without metrics and probes (scripts/benchmark_metrics.py measures their cost; never in a deployment: its probes would fail) | on |
| LOG_FORMAT | `json` (one object a line) or `text` | json, text in demo mode |
| METRICS_PORT / ACTIONS_METRICS_PORT | the Rasa server's / the action server's metrics and probe port | 9105 / 9155 |
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Tuple

from consignment.content import PROJECT_ROOT

KST = dt.timezone(dt.timedelta(hours=9), "KST")
# where the embedded databases, logs and demo secrets live (ASSISTANT_VAR_DIR; default var/)
VAR_DIR = Path(os.environ.get("ASSISTANT_VAR_DIR") or PROJECT_ROOT / "var").resolve()
DEFAULT_ADMIN_DB_PATH = VAR_DIR / "admin.db"
DEMO_FIXTURES_DIR = PROJECT_ROOT / "fixtures" / "admin"

Clock = Callable[[], dt.datetime]


def admin_db_url() -> Optional[str]:
    """The configured admin database, or None for the embedded SQLite default."""
    return os.environ.get("ADMIN_DB_URL") or None


def admin_db_timeout_seconds() -> float:
    return float(os.environ.get("ADMIN_DB_TIMEOUT_SECONDS", "3"))


def load_demo_into_configured_db() -> bool:
    return os.environ.get("ADMIN_DB_LOAD_DEMO", "0") == "1"


def driver_token_secret() -> Optional[str]:
    return os.environ.get("DRIVER_TOKEN_SECRET") or None


def demo_mode() -> bool:
    return os.environ.get("ASSISTANT_DEMO_MODE", "0") == "1"


def assist_db_url() -> str:
    """Agent assist's own store (suggestions, feedback, audit, handoff queue)."""
    return os.environ.get("ASSIST_DB_URL") or f"sqlite:///{VAR_DIR / 'assist.db'}"


def agent_token_secret() -> Optional[str]:
    return os.environ.get("AGENT_TOKEN_SECRET") or None


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str
    signing_secret: str
    api_url: Optional[str]
    channels: Optional[str]


def slack() -> SlackSettings:
    """SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET switch Slack on; SLACK_API_URL points it at
    another Web API (tests, gateways); SLACK_CHANNELS lists channels where every message is
    answered."""
    return SlackSettings(
        bot_token=os.environ.get("SLACK_BOT_TOKEN", "").strip(),
        signing_secret=os.environ.get("SLACK_SIGNING_SECRET", "").strip(),
        api_url=os.environ.get("SLACK_API_URL") or None,
        channels=os.environ.get("SLACK_CHANNELS") or None,
    )


@dataclass(frozen=True)
class KakaoSettings:
    skill_secret: str
    user_key_secret: str
    callback_origins: Tuple[str, ...]
    reply_within_s: float
    callback_within_s: float


# the host Open Builder's callback URLs name (docs/kakao.md); nothing else is ever POSTed to
DEFAULT_KAKAO_CALLBACK_ORIGINS = ("https://bot-api.kakao.com",)


def kakao() -> KakaoSettings:
    """KAKAO_SKILL_SECRET switches the KakaoTalk skill channel on. Open Builder waits 5 s for a
    skill: KAKAO_REPLY_WITHIN_SECONDS (default 3.5, leaving room for the network) is how long a
    turn may run before the skill answers with a holding line; a callback URL is valid for a
    minute, so KAKAO_CALLBACK_WITHIN_SECONDS (default 50) is when the callback carries an
    apology instead. KAKAO_CALLBACK_ORIGINS lists where a callback may go (tests: the fake)."""
    secret = os.environ.get("KAKAO_SKILL_SECRET", "").strip()
    origins = tuple(
        origin.strip().rstrip("/").lower()
        for origin in (os.environ.get("KAKAO_CALLBACK_ORIGINS") or "").split(",") if origin.strip()
    ) or DEFAULT_KAKAO_CALLBACK_ORIGINS
    return KakaoSettings(
        skill_secret=secret,
        user_key_secret=os.environ.get("KAKAO_USER_KEY_SECRET", "").strip() or f"kakao-user-key:{secret}",
        callback_origins=origins,
        reply_within_s=_float("KAKAO_REPLY_WITHIN_SECONDS", 3.5),
        callback_within_s=_float("KAKAO_CALLBACK_WITHIN_SECONDS", 50.0),
    )


@dataclass(frozen=True)
class RateLimits:
    per_sender_per_min: int
    per_address_per_min: int
    per_agent_per_min: int


def rate_limits() -> RateLimits:
    """Messages a minute per driver conversation (RATE_LIMIT_PER_SENDER_PER_MIN, default 30),
    per client address (RATE_LIMIT_PER_ADDRESS_PER_MIN, default 120) and agent-assist calls per
    agent (RATE_LIMIT_PER_AGENT_PER_MIN, default 240: the console polls); 0 turns a limit off
    (load tests sent from one machine)."""
    return RateLimits(
        per_sender_per_min=_int("RATE_LIMIT_PER_SENDER_PER_MIN", 30),
        per_address_per_min=_int("RATE_LIMIT_PER_ADDRESS_PER_MIN", 120),
        per_agent_per_min=_int("RATE_LIMIT_PER_AGENT_PER_MIN", 240),
    )


def trusted_proxies() -> Tuple[ipaddress._BaseNetwork, ...]:
    """Proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES, comma-separated addresses or
    networks, e.g. the load balancer's 127.0.0.1). Unset: none; the peer address counts."""
    networks = []
    for part in (os.environ.get("TRUSTED_PROXIES") or "").split(","):
        if part.strip():
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
    return tuple(networks)


def widget_allowed_origins() -> Optional[List[str]]:
    """Web origins allowed to open the widget's socket (WIDGET_ALLOWED_ORIGINS, comma-separated;
    `*` for any). Unset: None, the server's own origin only."""
    value = (os.environ.get("WIDGET_ALLOWED_ORIGINS") or "").strip()
    if not value:
        return None
    return ["*"] if value == "*" else [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]


def tracker_db_url() -> str:
    """The replicated deployment's conversation database (`make cluster`, Kubernetes)."""
    return os.environ.get("TRACKER_DB_URL") or "postgresql://postgres@127.0.0.1:5432/consignment"


def redis_url() -> Optional[str]:
    """Redis shared by several processes (rate limits, Slack de-duplication, socket.io across
    processes, the lock store). Unset: each process keeps these in memory."""
    return os.environ.get("REDIS_URL") or None


@dataclass(frozen=True)
class MetricsSettings:
    host: str
    port: int


def metrics(process: str) -> MetricsSettings:
    """Where a process serves Prometheus metrics, liveness and readiness (CONTRACT §1): the Rasa
    server ("rasa") on METRICS_PORT (9105), the action server ("actions") on ACTIONS_METRICS_PORT
    (9155), both on METRICS_HOST (127.0.0.1: the metrics name no driver, but say how busy the
    service is; a pod sets 0.0.0.0 for its probes)."""
    name, default = ("ACTIONS_METRICS_PORT", 9155) if process == "actions" else ("METRICS_PORT", 9105)
    return MetricsSettings(host=(os.environ.get("METRICS_HOST") or "127.0.0.1").strip(), port=_int(name, default))


def metrics_enabled() -> bool:
    """METRICS=off: no metrics, no probe port (only to measure what they cost)."""
    return (os.environ.get("METRICS") or "on").strip().lower() != "off"


def json_logs() -> bool:
    """One JSON object a log line in production (consignment/json_logs.py); demo mode keeps Rasa's
    readable lines. LOG_FORMAT=json or text says so explicitly (a developer reading a local run)."""
    chosen = (os.environ.get("LOG_FORMAT") or "").strip().lower()
    if chosen in ("json", "text"):
        return chosen == "json"
    return not demo_mode()


def _int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        raise SystemExit(f"{name} must be a whole number") from None


@dataclass(frozen=True)
class Retention:
    """How long each kind of data is kept, in days (docs/privacy.md says why each default)."""
    conversations_days: int
    ratings_days: int
    handoffs_days: int
    identity_failures_days: int
    audit_days: int
    suggestions_days: int
    conversation_holders_days: int
    revoked_tokens_days: int
    batch_size: int


def retention() -> Retention:
    """RETENTION_*_DAYS and PURGE_BATCH_SIZE (consignment/retention.py applies them)."""
    values = Retention(
        conversations_days=_int("RETENTION_CONVERSATIONS_DAYS", 90),
        ratings_days=_int("RETENTION_RATINGS_DAYS", 400),
        handoffs_days=_int("RETENTION_HANDOFFS_DAYS", 90),
        identity_failures_days=_int("RETENTION_IDENTITY_FAILURES_DAYS", 7),
        audit_days=_int("RETENTION_AUDIT_DAYS", 730),
        suggestions_days=_int("RETENTION_SUGGESTIONS_DAYS", 180),
        conversation_holders_days=_int("RETENTION_CONVERSATION_HOLDERS_DAYS", 90),
        revoked_tokens_days=_int("RETENTION_REVOKED_TOKENS_DAYS", 30),
        batch_size=_int("PURGE_BATCH_SIZE", 500),
    )
    # at least a day each: 0 would delete running conversations, reset the failed-본인확인 limit
    # (it counts an hour) and forget revocations of tokens still alive
    if values.batch_size < 1 or min(v for k, v in values.__dict__.items() if k.endswith("_days")) < 1:
        raise SystemExit("RETENTION_*_DAYS must be 1 or more and PURGE_BATCH_SIZE 1 or more")
    return values


def _float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        raise SystemExit(f"{name} must be a number of seconds") from None


class UnsafeDeployment(SystemExit):
    """A combination of settings that would expose real data: the process refuses to start."""


def check_deployment() -> str:
    """Refuses unsafe settings; returns the one line that says which mode this process is in.

    Demo mode mints driver tokens for anyone who can reach the demo page: it runs on demo data
    only (the embedded SQLite files), never on a configured real database."""
    if demo_mode():
        url = admin_db_url()
        if url and not url.startswith("sqlite"):
            raise UnsafeDeployment(
                "refusing to start: demo mode (ASSISTANT_DEMO_MODE=1) mints driver tokens and must not "
                "run on a real admin database (ADMIN_DB_URL points at one). Unset ADMIN_DB_URL for a demo, "
                "or set ASSISTANT_DEMO_MODE=0 for production."
            )
        return "demo mode: demo data, demo tokens for the demo drivers, loopback only"
    return "production mode: no demo page, no minted tokens"


def system_clock() -> dt.datetime:
    fixed = os.environ.get("ASSISTANT_NOW")
    if fixed:
        # without an offset, the time is Korea's (the admin's records read it so): always aware,
        # so that every comparison with a stored time works
        at = dt.datetime.fromisoformat(fixed)
        return at if at.tzinfo else at.replace(tzinfo=KST)
    return dt.datetime.now(KST)
