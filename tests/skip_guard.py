"""A skipped test fails the run (issue 13, item 8): a test that did not run proved nothing, and a
suite whose PostgreSQL or Redis tests skip when the service is missing could pass with none of
them run. Loaded for every run by pytest.ini (`-p tests.skip_guard`); `make test` starts the
services the tests need (scripts/ensure_postgres.sh, scripts/ensure_redis.sh).

An expected failure (xfail) is not a skip; deselecting with `-k`/`-m` is not either.
"""
from __future__ import annotations

from typing import List

import pytest

_skipped: List[str] = []


def pytest_runtest_logreport(report) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session, exitstatus) -> None:
    if _skipped and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    if _skipped:
        terminalreporter.section("skipped tests fail the run", sep="=", red=True, bold=True)
        for line in _skipped:
            terminalreporter.write_line(f"SKIPPED (counts as a failure) {line}", red=True)
