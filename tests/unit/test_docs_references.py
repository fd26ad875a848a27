"""docs/security.md names, for every door, the tests that fail when it opens again: each test
file and each test function it names exists (issue 13, item 9: it cited a test that did not)."""
from __future__ import annotations

import re

from tests.conftest import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "security.md"
TESTS = PROJECT_ROOT / "tests"


def cited() -> list:
    return re.findall(r"`((?:tests/)?[\w/]*test_\w+(?:\.py)?)`", DOC.read_text(encoding="utf-8"))


def test_every_test_file_the_security_page_cites_exists():
    files = {name for name in cited() if name.endswith(".py")}
    assert files, "the page cites no test file"
    missing = [name for name in files
               if not ((PROJECT_ROOT / name).is_file() if "/" in name else list(TESTS.rglob(name)))]
    assert missing == []


def test_every_test_function_the_security_page_cites_exists():
    functions = {name for name in cited() if not name.endswith(".py")}
    defined = set()
    for path in TESTS.rglob("test_*.py"):
        defined |= set(re.findall(r"^(?:async )?def (test_\w+)", path.read_text(encoding="utf-8"), re.M))
    assert functions and sorted(functions - defined) == []
