"""The real Rasa server and action server, started once for the whole test session.

They run on their own ports with their own SQLite files (admin data and conversations) under a
temporary folder, the demo data loaded, a test secret for driver tokens and a fixed clock.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, Optional, Sequence

import pytest
import requests

from tests.conftest import PROJECT_ROOT, TEST_SECRET

RASA_PORT = int(os.environ.get("TEST_RASA_PORT", "15005"))
ACTIONS_PORT = int(os.environ.get("TEST_ACTIONS_PORT", "15055"))
MODEL = PROJECT_ROOT / "models" / "current.tar.gz"
START_TIMEOUT_S = 240
AGENT_SECRET = "test-agent-token-secret-0123456789abcdef"
# Rasa's HTTP API (/model/parse, /conversations) is on for the tests, behind this token, as in a
# production deployment that enables it (RASA_API_TOKEN)
API_TOKEN = "test-rasa-api-token-0123456789abcdef"
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
# the action server as the project's run commands start it: .venv-actions, a supported Python
ACTION_SERVER = [str(PROJECT_ROOT / "scripts" / "actions.sh")]
# CONTRACT §1's command: the same actions on Rasa's Python 3.10
LEGACY_ACTION_SERVER = [str(VENV_BIN / "rasa"), "run", "actions"]
# Every process a test starts serves metrics on its own port (server/metrics.py, actions/metrics.py):
# its own port + this. Test ports are x05/x55 (+2, +3 for extra pairs; 16005/16055, 17005/17055 in
# test_deployment_modes.py): +30 lands on none of them.
METRICS_OFFSET = 30


def metrics_port(port: int) -> int:
    return port + METRICS_OFFSET


def with_metrics_port(command: Sequence[str], env: Dict[str, str]) -> Dict[str, str]:
    """`env` with the metrics port of the process `command` starts (from its `--port`)."""
    command = [str(part) for part in command]
    if "--port" not in command:
        return env
    port = int(command[command.index("--port") + 1])
    # an action server: `rasa run actions` (CONTRACT §1) or scripts/actions.sh (.venv-actions)
    starts_actions = "actions" in command[1:3] or command[0].endswith("actions.sh")
    name = "ACTIONS_METRICS_PORT" if starts_actions else "METRICS_PORT"
    return {**env, name: str(metrics_port(port))}


class Assistant:
    def __init__(self, url: str, workdir: Path) -> None:
        self.url = url
        self.workdir = workdir

    def say(self, sender: str, text: str, metadata: dict | None = None) -> list:
        body = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        response = requests.post(f"{self.url}/webhooks/rest/webhook", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def restart_rasa(self, sig: int = signal.SIGTERM) -> None:
        """The Rasa server stopped with `sig` (SIGKILL: a crash, nothing flushed on the way out),
        then started again with the same command and environment; returns once it answers."""
        rasa = self.processes[1]
        if rasa.poll() is None:
            os.killpg(rasa.pid, sig)
            rasa.wait(timeout=30)
        restarted_log = self.workdir / f"rasa-restarted-{len(self.logs)}.log"
        self.processes[1] = _start(self.rasa_command, self.env, restarted_log)
        self.logs.append(restarted_log)
        _wait_until_ready(self.url, self.actions_url, self.processes, [self.logs[0], restarted_log])

    def tracker(self, sender: str) -> dict:
        response = requests.get(f"{self.url}/conversations/{sender}/tracker", params={"token": API_TOKEN}, timeout=30)
        response.raise_for_status()
        return response.json()

    def parse(self, text: str) -> dict:
        response = requests.post(f"{self.url}/model/parse", params={"token": API_TOKEN}, json={"text": text}, timeout=30)
        response.raise_for_status()
        return response.json()

    @contextlib.contextmanager
    def action_server_down(self) -> Iterator[None]:
        """The action server stopped for the block, started again (same environment) after it."""
        actions = self.processes[0]
        _stop(actions)
        try:
            yield
        finally:
            restarted_log = self.workdir / f"actions-restarted-{len(self.logs)}.log"
            self.processes[0] = start_action_server(self.workdir, ACTIONS_PORT, self.env, restarted_log, self.action_server)
            self.logs.append(restarted_log)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if requests.get(f"http://127.0.0.1:{ACTIONS_PORT}/health", timeout=2).ok:
                        break
                except requests.RequestException:
                    time.sleep(0.5)


def _start(command, env, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=with_metrics_port(command, env), stdout=open(log, "w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _wait_until_ready(url: str, actions_url: str, processes, logs) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for process, log in zip(processes, logs):
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")
        try:
            if requests.get(f"{actions_url}/health", timeout=2).ok and "model_file" in requests.get(f"{url}/status", params={"token": API_TOKEN}, timeout=2).text:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError("servers did not become ready in time")


def server_environment(workdir: Path, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """What both servers run with in tests: their own SQLite files, test secrets, a fixed clock."""
    return {
        # a developer's real Slack credentials must not switch Slack on in tests
        **{k: v for k, v in os.environ.items() if not k.startswith("SLACK_")},
        "DRIVER_TOKEN_SECRET": TEST_SECRET,
        "ADMIN_DB_URL": f"sqlite:///{workdir / 'admin.db'}",
        "ADMIN_DB_LOAD_DEMO": "1",
        "ASSISTANT_NOW": "2026-11-29T12:00:00+09:00",
        "RASA_TELEMETRY_ENABLED": "false",
        # log lines reach the log files as they are written (tests read what the servers log)
        "PYTHONUNBUFFERED": "1",
        "AGENT_TOKEN_SECRET": AGENT_SECRET,
        "ASSIST_DB_URL": f"sqlite:///{workdir / 'assist.db'}",
        # every test request comes from this machine: no per-address limit (its own test turns it on)
        "RATE_LIMIT_PER_ADDRESS_PER_MIN": "0",
        **(extra or {}),
    }


def start_action_server(workdir: Path, actions_port: int, env: Dict[str, str], log: Path,
                        command: Sequence[str] = ACTION_SERVER) -> subprocess.Popen:
    return _start([*command, "--port", str(actions_port)], env, log)


@contextlib.contextmanager
def running_assistant(
    workdir: Path, rasa_port: int, actions_port: int, model: Path = MODEL, extra_env: Optional[Dict[str, str]] = None,
    extra_rasa_args: Sequence[str] = (), action_server: Sequence[str] = ACTION_SERVER,
    rasa_actions_url: Optional[str] = None,
) -> Iterator[Assistant]:
    """Both servers on the given ports, stopped on exit; `extra_rasa_args` go to `rasa run` (e.g. `--cors`),
    `action_server` is the command that starts the action server (its port is added);
    `rasa_actions_url` points the Rasa server elsewhere than the action server (a proxy in between)."""
    if not model.exists():
        pytest.fail("no trained model at models/current.tar.gz: run `make train` (the test command does)")
    endpoints = workdir / "endpoints.yml"
    # the project's endpoints.yml (tracker store, response generator, …) with this run's port and files
    endpoints.write_text(
        (PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8")
        .replace("http://localhost:5055/webhook", rasa_actions_url or f"http://127.0.0.1:{actions_port}/webhook")
        .replace("db: var/conversations.db", f"db: {workdir / 'conversations.db'}"),
        encoding="utf-8",
    )
    env = server_environment(workdir, extra_env)
    logs = [workdir / "actions.log", workdir / "rasa.log"]
    rasa_command = [
        str(VENV_BIN / "rasa"), "run", "--enable-api", "--auth-token", API_TOKEN, "--port", str(rasa_port), "--model", str(model),
        "--endpoints", str(endpoints), "--credentials", str(PROJECT_ROOT / "credentials.yml"), *extra_rasa_args,
    ]
    processes = [start_action_server(workdir, actions_port, env, logs[0], action_server), _start(rasa_command, env, logs[1])]
    url = f"http://127.0.0.1:{rasa_port}"
    try:
        _wait_until_ready(url, f"http://127.0.0.1:{actions_port}", processes, logs)
        instance = Assistant(url, workdir)
        instance.processes = processes
        instance.logs = logs
        instance.env = env
        instance.action_server = action_server
        instance.rasa_command = rasa_command
        instance.actions_url = f"http://127.0.0.1:{actions_port}"
        yield instance
    finally:
        for process in instance.processes if "instance" in locals() else processes:
            _stop(process)


@pytest.fixture(scope="session")
def assistant(tmp_path_factory):
    with running_assistant(tmp_path_factory.mktemp("assistant"), RASA_PORT, ACTIONS_PORT) as instance:
        yield instance


@pytest.fixture
def sender() -> str:
    # a UUID's worth: without a token the sender id is the conversation's only key (server/rest_channel.py)
    return f"test-{uuid.uuid4().hex}"


def bot_silent(replies: list) -> bool:
    """A REST turn of a handed-over conversation: the bot says nothing, the driver only hears
    that the message reached the agent (server/rest_channel.py)."""
    from consignment.content import message

    return [r.get("text") for r in replies] == [message("driver_channel", "passed_to_agent")]


def age_conversation(assistant, sender: str, hours: float) -> None:
    """Moves every stored event of the conversation `hours` into the past (a session expiry)."""
    import json
    import sqlite3

    shift = hours * 3600
    with sqlite3.connect(assistant.workdir / "conversations.db") as db:
        rows = db.execute("SELECT id, data, timestamp FROM events WHERE sender_id = ?", (sender,)).fetchall()
        for row_id, data, stamp in rows:
            event = json.loads(data)
            event["timestamp"] = event["timestamp"] - shift
            db.execute("UPDATE events SET data = ?, timestamp = ? WHERE id = ?", (json.dumps(event), stamp - shift, row_id))
    time.sleep(0.1)


def queued_handoff(assistant, sender: str) -> dict:
    """The agents' queue item of a handed-over conversation (the driver's client never gets the
    packet: server/rest_channel.py), read as an agent would."""
    from consignment.agent_auth import mint_agent_token

    queue = requests.get(f"{assistant.url}/webhooks/assist/handoffs", timeout=30,
                         headers={"Authorization": f"Bearer {mint_agent_token('A-TESTS', AGENT_SECRET)}"})
    queue.raise_for_status()
    return next(item for item in queue.json()["handoffs"] if item["conversation_id"] == sender)
