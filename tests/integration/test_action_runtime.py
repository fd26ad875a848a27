"""Where the action server runs (docs/platform.md): the project's run commands start it from
.venv-actions, a supported Python with a current rasa_sdk and no Rasa; CONTRACT §1's
`.venv/bin/rasa run actions` still serves the same actions on Rasa's Python 3.10."""
from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.live_servers import ACTIONS_PORT, LEGACY_ACTION_SERVER, RASA_PORT, running_assistant

pytestmark = pytest.mark.live

# Q1's answer comes from action_explain_consignment_call: the article's definition names CNMP
Q1 = "위탁콜이 뭐예요?"
# its own pair, apart from the session's servers and the other tests' extra pairs
LEGACY_PORTS = (RASA_PORT + 7, ACTIONS_PORT + 7)


def texts(replies) -> str:
    return " ".join(r.get("text") or "" for r in replies)


def interpreter_of(pid: int) -> dict:
    """Python version, rasa_sdk version and whether `rasa` imports, asked of the interpreter the
    process runs (argv[0] of the process: the venv's python, so the venv's packages answer)."""
    argv0 = Path(PROJECT_ROOT, Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode())
    probe = ("import importlib.util, json, platform, rasa_sdk; print(json.dumps({'python': platform.python_version(),"
             " 'rasa_sdk': rasa_sdk.__version__, 'rasa': bool(importlib.util.find_spec('rasa'))}))")
    return json.loads(subprocess.run([str(argv0), "-c", probe], capture_output=True, text=True, check=True).stdout)


def test_the_action_server_answers_from_a_supported_python_without_rasa(assistant, sender):
    assert "CNMP" in texts(assistant.say(sender, Q1))
    found = interpreter_of(assistant.processes[0].pid)
    assert tuple(int(part) for part in found["python"].split(".")[:2]) >= (3, 12), found
    assert tuple(int(part) for part in found["rasa_sdk"].split(".")[:2]) >= (3, 21), found
    assert found["rasa"] is False, found


def test_the_contract_command_rasa_run_actions_still_answers_a_q1_turn(tmp_path):
    with running_assistant(tmp_path, *LEGACY_PORTS, action_server=LEGACY_ACTION_SERVER) as legacy:
        assert interpreter_of(legacy.processes[0].pid)["python"].startswith("3.10.")
        assert "CNMP" in texts(legacy.say(f"test-{uuid.uuid4().hex}", Q1))
