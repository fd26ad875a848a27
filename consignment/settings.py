"""Every environment variable the assistant reads, in one place.

| variable | meaning | default |
|---|---|---|
| ADMIN_DB_URL | SQLAlchemy URL of the admin (suspension) database | SQLite file var/admin.db, demo data loaded on first use |
| ADMIN_DB_TIMEOUT_SECONDS | connect and statement timeout | 3 |
| DRIVER_TOKEN_SECRET | HS256 secret of driver tokens (CONTRACT §4) | unset: no token verifies |
| ADMIN_DB_LOAD_DEMO | 1 loads fixtures/admin/ into an empty configured database too (tests, demos on PostgreSQL) | 0 |
| ASSISTANT_DEMO_MODE | 1 enables demo helpers (minting tokens for demo drivers) | 0 |
| ASSISTANT_NOW | ISO time the assistant takes as "now" (demos, reproducible runs) | the real clock |
"""
from __future__ import annotations

import datetime as dt
import os
from typing import Callable, Optional

from consignment.content import PROJECT_ROOT

KST = dt.timezone(dt.timedelta(hours=9), "KST")
VAR_DIR = PROJECT_ROOT / "var"
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


def system_clock() -> dt.datetime:
    fixed = os.environ.get("ASSISTANT_NOW")
    if fixed:
        return dt.datetime.fromisoformat(fixed)
    return dt.datetime.now(KST)
