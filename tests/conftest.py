"""Shared fixtures: the demo admin data in a throw-away SQLite, a fixed clock, secrets."""
from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from consignment import settings  # noqa: E402
from consignment.admin_db import AdminRepository  # noqa: E402

TEST_SECRET = "test-driver-token-secret-0123456789abcdef"
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


# The real Rasa server and action server, started once per session for every live test
# (integration and browser): registered here so that all modules share one instance.
from tests.live_servers import assistant, sender  # noqa: E402,F401
