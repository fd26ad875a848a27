"""A run in which a test skips fails (tests/skip_guard.py, loaded by pytest.ini): `make test`
cannot pass with the PostgreSQL or Redis tests not run."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import PROJECT_ROOT

SUITE = '''
import pytest


def test_that_runs():
    assert True


def test_that_needs_a_service_that_is_missing():
    pytest.skip("Redis is not reachable")


@pytest.mark.xfail(reason="a known bug", strict=True)
def test_that_is_expected_to_fail():
    assert False
'''


def run(tmp_path, *arguments):
    (tmp_path / "test_suite.py").write_text(SUITE, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.skip_guard", *arguments, "test_suite.py"],
        cwd=tmp_path, env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
        timeout=120,
    )


def test_a_skipped_test_fails_the_run_and_is_named(tmp_path):
    done = run(tmp_path)
    assert done.returncode == 1
    assert "SKIPPED (counts as a failure) test_suite.py::test_that_needs_a_service_that_is_missing" in done.stdout
    assert "Redis is not reachable" in done.stdout


def test_a_run_without_skips_passes_and_an_expected_failure_is_no_skip(tmp_path):
    done = run(tmp_path, "-k", "not missing")
    assert done.returncode == 0, done.stdout
