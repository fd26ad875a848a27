"""Shared fixtures: the demo admin data in a throw-away SQLite, a fixed clock, secrets."""
from __future__ import annotations

import contextlib
import datetime as dt
import sys
import uuid
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from consignment import settings  # noqa: E402
from consignment.admin_db import AdminRepository  # noqa: E402

TEST_SECRET = "test-driver-token-secret-0123456789abcdef"
# fixtures/admin/drivers.csv: who each demo driver is (name, phone)
DEMO_DRIVERS = {
    "D-1001": ("김민수", "010-1234-5678"),
    "D-1002": ("이영희", "010-2345-6789"),
    "D-1003": ("박철수", "010-3456-7890"),
    "D-1004": ("최지훈", "010-4567-8901"),
    "D-1005": ("정수진", "010-5678-9012"),
    "D-1006": ("한동욱", "010-6789-0123"),
    "D-1007": ("오세영", "010-7890-1234"),
}
# The day the fixtures describe: D-1001 and D-1005 suspended, D-1004's suspension over.
NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=settings.KST)


@pytest.fixture(autouse=True)
def driver_token_secret(monkeypatch):
    monkeypatch.setenv("DRIVER_TOKEN_SECRET", TEST_SECRET)
    return TEST_SECRET


@pytest.fixture
def sqlite_repository(tmp_path) -> AdminRepository:
    """The demo data in a fresh SQLite file, with the clock fixed at NOW."""
    return AdminRepository(
        url=f"sqlite:///{tmp_path / 'admin.db'}", clock=lambda: NOW, load_demo_data=True
    )


POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"


@contextlib.contextmanager
def throwaway_postgres_database(prefix: str):
    """A fresh database on the local PostgreSQL (make test starts it: fail, never skip), its URL;
    dropped afterwards."""
    import sqlalchemy as sa

    admin = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT",
                             connect_args={"connect_timeout": 3})
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL not reachable at {POSTGRES_SERVER} (run scripts/ensure_postgres.sh): {error}")
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# The real Rasa server and action server, started once per session for every live test
# (integration and browser): registered here so that all modules share one instance.
from tests.live_servers import assistant, sender  # noqa: E402,F401
