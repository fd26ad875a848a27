"""A Rasa server that cannot keep conversations where it is configured to, or whose Rasa lacks
an internal that server/ patches, does not start (issue 13, item 2): it exits non-zero with a
message that says why, and never serves — never from Rasa's in-memory fall-back.

Three real `rasa run` starts (launched together, each short-lived): a PostgreSQL tracker store
where nothing listens, a tracker store class that cannot be imported, and a Rasa in which
FailSafeTrackerStore keeps its wrapped store under another name (a sitecustomize renames the
attribute, as a patch release would)."""
from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, NamedTuple, Optional

import pytest

from server import self_check
from server.self_check import Assumption, StartupCheckFailed
from tests.conftest import PROJECT_ROOT
from tests.live_servers import MODEL, VENV_BIN, metrics_port, server_environment

START_LIMIT_S = 240


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Start(NamedTuple):
    returncode: Optional[int]  # None: it was serving and had to be stopped
    served: bool
    output: str


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _watch(process: subprocess.Popen, port: int, log: Path, deadline: float) -> Start:
    """Until the process exits or its port answers (it serves: stopped, reported)."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return Start(process.returncode, False, log.read_text(encoding="utf-8", errors="replace"))
        if _listening(port):
            process.kill()
            process.wait()
            return Start(None, True, log.read_text(encoding="utf-8", errors="replace"))
        time.sleep(0.5)
    process.kill()
    process.wait()
    raise AssertionError(f"rasa run neither exited nor served in {START_LIMIT_S} s")


SITECUSTOMIZE = '''
# a Rasa release in which FailSafeTrackerStore keeps the store it wraps under another name
import rasa.core.tracker_store as stores

_init = stores.FailSafeTrackerStore.__init__


def _renamed(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self._primary_store = self.__dict__.pop("_tracker_store")


stores.FailSafeTrackerStore.__init__ = _renamed
'''


@pytest.fixture(scope="module")
def starts(tmp_path_factory) -> Dict[str, Start]:
    if not MODEL.exists():
        pytest.fail("no trained model at models/current.tar.gz: run `make train` (the test command does)")
    unreachable_postgres = free_port()  # bound a moment ago, nobody listens on it now
    stores = {
        "postgres_unreachable": (
            "tracker_store:\n  type: server.tracker_store.RedactingSQLTrackerStore\n  dialect: postgresql\n"
            f"  url: 127.0.0.1\n  port: {unreachable_postgres}\n  db: consignment\n  username: postgres\n"),
        "not_importable": "tracker_store:\n  type: server.tracker_store.NoSuchTrackerStore\n  db: x.db\n",
        "renamed_attribute": None,  # the project's own store, on SQLite
    }
    running = {}
    for name, store in stores.items():
        workdir = tmp_path_factory.mktemp(name)
        endpoints = workdir / "endpoints.yml"
        endpoints.write_text(store or f"tracker_store:\n  type: server.tracker_store.RedactingSQLTrackerStore\n"
                                      f"  dialect: sqlite\n  db: {workdir / 'conversations.db'}\n", encoding="utf-8")
        env = server_environment(workdir)
        if name == "renamed_attribute":
            (workdir / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(workdir), env.get("PYTHONPATH")]))
        port, log = free_port(), workdir / "rasa.log"
        process = subprocess.Popen(
            [str(VENV_BIN / "rasa"), "run", "--port", str(port), "--model", str(MODEL), "--endpoints", str(endpoints),
             "--credentials", str(PROJECT_ROOT / "credentials.yml")],
            cwd=PROJECT_ROOT, env={**env, "METRICS_PORT": str(metrics_port(port))}, stdout=open(log, "w"),
            stderr=subprocess.STDOUT,
        )
        running[name] = (process, port, log)
    deadline = time.monotonic() + START_LIMIT_S
    return {name: _watch(process, port, log, deadline) for name, (process, port, log) in running.items()}


# ── real starts ──────────────────────────────────────────────────────────────

@pytest.mark.live
def test_a_postgresql_tracker_store_nobody_answers_stops_the_start(starts):
    start = starts["postgres_unreachable"]
    assert not start.served and start.returncode not in (None, 0)
    assert "ConversationStoreMissing: the conversation store postgresql://postgres@127.0.0.1" in start.output
    assert "cannot be reached at start" in start.output


@pytest.mark.live
def test_a_tracker_store_that_cannot_be_imported_stops_the_start_instead_of_serving_from_memory(starts):
    start = starts["not_importable"]
    assert not start.served and start.returncode not in (None, 0)
    assert "the tracker store `server.tracker_store.NoSuchTrackerStore` (endpoints.yml) cannot be imported" in start.output
    assert "Using `InMemoryTrackerStore` instead" not in start.output


@pytest.mark.live
def test_a_rasa_without_an_attribute_server_relies_on_does_not_start_and_names_it(starts):
    start = starts["renamed_attribute"]
    assert not start.served and start.returncode not in (None, 0)
    assert "StartupCheckFailed" in start.output
    assert "FailSafeTrackerStore (the wrapped store) having `_tracker_store`, and `_tracker_store` is gone" in start.output


# ── the check itself ─────────────────────────────────────────────────────────

def test_every_assumption_the_server_modules_declare_holds_on_this_rasa():
    import server  # noqa: F401 - imports every patching module, as `rasa run` does

    owners = {each.owner for each in self_check.registered()}
    assert {"server.tracker_store", "server.handoff_pause", "server.action_server_outage",
            "server.action_response_schema", "server.slack_channel", "server.widget_channel", "server.lock_store"} <= owners
    assert self_check.problems() == []


def test_the_check_names_a_missing_attribute_and_refuses():
    gone = Assumption("server.example", "rasa.core.tracker_store.SQLTrackerStore", ("_event_query", "_renamed_since"))
    with pytest.raises(StartupCheckFailed) as refused:
        self_check.verify([gone])
    assert "server.example relies on rasa.core.tracker_store.SQLTrackerStore having `_renamed_since`" in str(refused.value)
    assert "_event_query" not in str(refused.value).split("having", 1)[1]  # the one still there is not named


def test_the_check_names_a_changed_signature():
    changed = Assumption("server.example", "rasa.core.actions.action.RemoteAction.run",
                         signature=("self", "output_channel", "nlg", "tracker"))
    assert self_check.problems([changed]) == [
        "server.example relies on rasa.core.actions.action.RemoteAction.run taking (self, output_channel, nlg, tracker), "
        "but it takes (self, output_channel, nlg, tracker, domain)"
    ]


def test_the_check_names_a_module_that_is_gone():
    gone = Assumption("server.example", "rasa.core.channels.no_such_channel.Input", ("sio",))
    [problem] = self_check.problems([gone])
    assert problem.startswith("server.example relies on rasa.core.channels.no_such_channel.Input, which cannot be imported")


def test_the_check_reads_attributes_rasa_sets_in_init_from_a_built_instance():
    class Renamed:
        def __init__(self) -> None:
            self._primary_store = object()

    [problem] = self_check.problems([Assumption("server.example", "FailSafeTrackerStore", ("_tracker_store",), make=Renamed)])
    assert "having `_tracker_store`" in problem
