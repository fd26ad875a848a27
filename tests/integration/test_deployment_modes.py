"""The doors of a deployment, tried from outside the way an outsider would (issue 8).

The session's assistant (tests/live_servers.py) runs with Rasa's HTTP API behind a token; two
more starts go through the project's own run command (`scripts/run.sh --serve`, i.e. `make
serve`): production mode, and demo mode.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, Iterator

import pytest
import requests

from tests.conftest import PROJECT_ROOT, TEST_SECRET
from tests.live_servers import AGENT_SECRET, API_TOKEN, bot_silent, metrics_port

pytestmark = pytest.mark.live

PRODUCTION_PORTS = (16005, 16055)
DEMO_PORTS = (17005, 17055)


# ── the session's assistant: Rasa's API behind RASA_API_TOKEN ──────────────────

def test_a_tracker_is_not_readable_without_the_api_token(assistant, sender):
    assistant.say(sender, "콜마너에서 콜 수락이 안 돼요")
    refused = requests.get(f"{assistant.url}/conversations/{sender}/tracker", timeout=30)
    assert refused.status_code in (401, 403) and "events" not in refused.text
    assert requests.get(f"{assistant.url}/conversations/{sender}/tracker",
                        params={"token": "wrong-token"}, timeout=30).status_code in (401, 403)
    assert "events" in assistant.tracker(sender)  # with the token it answers


def test_the_model_cannot_be_replaced_or_unloaded_without_the_api_token(assistant):
    assert requests.put(f"{assistant.url}/model", json={"model_file": "/tmp/evil.tar.gz"}, timeout=30).status_code in (401, 403)
    assert requests.delete(f"{assistant.url}/model", timeout=30).status_code in (401, 403)
    assert requests.get(f"{assistant.url}/status", params={"token": API_TOKEN}, timeout=30).json()["model_file"]


def test_a_handed_over_conversation_cannot_be_unpaused_through_the_api_without_the_token(assistant, sender):
    assistant.say(sender, "상담원 연결해 주세요")
    resumed = requests.post(f"{assistant.url}/conversations/{sender}/tracker/events",
                            json=[{"event": "resume"}], timeout=30)
    assert resumed.status_code in (401, 403)
    assert bot_silent(assistant.say(sender, "여보세요"))


def test_a_driver_cannot_unpause_a_handed_over_conversation_with_rasas_own_commands(assistant, sender):
    assistant.say(sender, "상담원 연결해 주세요")
    assert bot_silent(assistant.say(sender, "/restart"))
    assert bot_silent(assistant.say(sender, "/session_start"))
    assert bot_silent(assistant.say(sender, "여보세요"))


def test_the_demo_endpoints_are_off_in_production_mode(assistant):
    base = f"{assistant.url}/webhooks/widget"
    assert requests.get(f"{base}/demo-token", params={"driver": "D-1001"}, timeout=10).status_code == 404
    assert requests.get(f"{base}/demo", timeout=10).status_code == 404


# ── `make serve` in production mode ────────────────────────────────────────────

@contextlib.contextmanager
def served(tmp_path: Path, ports, env: Dict[str, str]) -> Iterator[subprocess.Popen]:
    rasa_port, actions_port = ports
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RASA_API_TOKEN", "ADMIN_DB", "ASSIST"))},
        "RASA_PORT": str(rasa_port), "ACTIONS_PORT": str(actions_port),
        "METRICS_PORT": str(metrics_port(rasa_port)), "ACTIONS_METRICS_PORT": str(metrics_port(actions_port)),
        "ASSISTANT_VAR_DIR": str(tmp_path), **env,
    }
    log = open(tmp_path / "run.log", "w")
    process = subprocess.Popen([str(PROJECT_ROOT / "scripts" / "run.sh"), "--serve"], cwd=PROJECT_ROOT,
                               env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"run.sh stopped: {(tmp_path / 'run.log').read_text()[-3000:]}")
            if "ready:" in (tmp_path / "run.log").read_text():
                break
            time.sleep(1)
        else:
            raise AssertionError("run.sh did not get ready in time")
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("production")
    with served(tmp, PRODUCTION_PORTS, {
        "ASSISTANT_DEMO_MODE": "0", "DRIVER_TOKEN_SECRET": TEST_SECRET, "AGENT_TOKEN_SECRET": AGENT_SECRET,
        "ADMIN_DB_URL": f"sqlite:///{tmp / 'admin.db'}", "ADMIN_DB_LOAD_DEMO": "1",
    }):
        yield f"http://127.0.0.1:{PRODUCTION_PORTS[0]}", tmp


def test_production_start_says_its_mode(production):
    _, tmp = production
    assert "mode: PRODUCTION" in (tmp / "run.log").read_text()


def test_production_start_answers_drivers(production):
    url, _ = production
    replies = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": "p-1-0123456789abcdef0123456789abcdef", "message": "위탁콜이 뭐예요?"}, timeout=60)
    assert replies.status_code == 200 and "CNMP" in replies.text


def test_production_logs_are_json_lines_that_never_hold_what_a_driver_said(production):
    """One JSON object a line in both processes' logs (consignment/json_logs.py), none holding the
    driver's text, name, phone, token or suspension reason — after a whole Q3 flow (ⓐ for D-1001)."""
    import csv
    import json
    import uuid

    from consignment.identity import mint_driver_token
    from consignment.json_logs import conversation_digest
    from tests.conftest import DEMO_DRIVERS

    url, tmp = production
    name, phone = DEMO_DRIVERS["D-1001"]
    token = mint_driver_token("D-1001", TEST_SECRET)
    sender = f"json-logs-{uuid.uuid4().hex}"
    said = ["콜마너에서 콜 수락이 안 돼요", "카카오모빌리티요", name, phone]
    for text in said:
        answer = requests.post(f"{url}/webhooks/rest/webhook", timeout=60,
                               json={"sender": sender, "message": text, "metadata": {"driver_token": token}})
        assert answer.status_code == 200
    with open(PROJECT_ROOT / "fixtures" / "admin" / "account_suspensions.csv", encoding="utf-8") as rows:
        reason = next(row["reason"] for row in csv.DictReader(rows) if row["driver_id"] == "D-1001")
    assert reason in " ".join(reply.get("text") or "" for reply in answer.json())  # the lookup answered ⓐ
    lines = [line for log in ("rasa.log", "actions.log")
             for line in (tmp / "log" / log).read_text(encoding="utf-8").splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # each line is one JSON object
    assert records and all({"time", "level", "logger", "event"} <= set(record) for record in records)
    forbidden = [*said, name, phone, phone.replace("-", ""), token, reason]
    assert not [line for line in lines if any(part in line for part in forbidden)]
    answered = [record for record in records if record.get("outcome") == "suspended"]
    assert answered and answered[0]["conversation"] == conversation_digest(sender) != sender


@pytest.mark.parametrize("method,path", [
    ("GET", "/conversations/p-1/tracker"), ("PUT", "/model"), ("DELETE", "/model"),
    ("POST", "/conversations/p-1/tracker/events"), ("POST", "/model/parse"), ("GET", "/domain"),
])
def test_production_start_without_an_api_token_keeps_rasas_http_api_closed(production, method, path):
    url, _ = production
    answer = requests.request(method, f"{url}{path}", json={}, timeout=30)
    assert answer.status_code in (401, 403, 404, 405)
    assert '"events"' not in answer.text and '"model_file"' not in answer.text


def test_production_start_mints_no_demo_token(production):
    url, _ = production
    assert requests.get(f"{url}/webhooks/widget/demo-token", params={"driver": "D-1001"}, timeout=10).status_code == 404


def test_production_start_limits_messages_per_client_address(production):
    """120 messages a minute from one address, whatever sender ids it makes up."""
    url, _ = production
    statuses = [
        requests.post(f"{url}/webhooks/rest/webhook", json={"sender": f"flood-{i}", "message": "ㅎ"}, timeout=60).status_code
        for i in range(125)
    ]
    assert statuses.count(200) <= 120 and statuses[-1] == 429


def test_production_start_refuses_without_its_secrets(tmp_path):
    done = subprocess.run([str(PROJECT_ROOT / "scripts" / "run.sh"), "--serve"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120,
                          env={**{k: v for k, v in os.environ.items() if not k.endswith("_SECRET")},
                               "ASSISTANT_DEMO_MODE": "0", "ASSISTANT_VAR_DIR": str(tmp_path)})
    assert done.returncode != 0 and "DRIVER_TOKEN_SECRET" in done.stderr


# ── `make serve` in demo mode ──────────────────────────────────────────────────

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    with served(tmp, DEMO_PORTS, {"ASSISTANT_DEMO_MODE": "1"}):
        yield f"http://127.0.0.1:{DEMO_PORTS[0]}", tmp


def non_loopback_address() -> str:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: only picks the outgoing interface
        return probe.getsockname()[0]
    except OSError:
        return ""
    finally:
        probe.close()


def listening_addresses(port: int) -> set:
    """The local addresses of the sockets listening on `port` (the kernel's table: /proc/net/tcp*)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        with open(table, encoding="ascii") as rows:
            for row in list(rows)[1:]:
                local, state = row.split()[1], row.split()[3]
                address, port_hex = local.split(":")
                if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                    raw = bytes.fromhex(address)
                    # the kernel writes each 32-bit word in host (little-endian) order
                    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                    found.add(socket.inet_ntop(socket.AF_INET if width == 8 else socket.AF_INET6, words))
    return found


def test_demo_logs_stay_readable(demo):
    _, tmp = demo
    first = (tmp / "log" / "rasa.log").read_text(encoding="utf-8").splitlines()
    assert first and not [line for line in first if line.startswith('{"time"')]


def test_demo_start_listens_on_loopback_only(demo):
    for port in DEMO_PORTS:
        assert listening_addresses(port) and listening_addresses(port) <= {"127.0.0.1", "::1"}
    address = non_loopback_address()  # and, where this machine has another address, tried from it
    for port in DEMO_PORTS if address and not address.startswith("127.") else ():
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://{address}:{port}/", timeout=5)


def test_demo_start_mints_demo_tokens_for_this_machine_only(demo):
    url, _ = demo
    assert requests.get(f"{url}/webhooks/widget/demo-token", params={"driver": "D-1001"}, timeout=10).status_code == 200
    forwarded = requests.get(f"{url}/webhooks/widget/demo-token", params={"driver": "D-1001"},
                             headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
    assert forwarded.status_code == 404


def test_demo_mode_refuses_a_real_admin_database(tmp_path):
    done = subprocess.run([str(PROJECT_ROOT / "scripts" / "run.sh"), "--serve"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "ASSISTANT_DEMO_MODE": "1", "ASSISTANT_VAR_DIR": str(tmp_path),
                               "ADMIN_DB_URL": "postgresql://postgres@127.0.0.1:5432/postgres"})
    assert done.returncode != 0 and "demo mode" in done.stderr


def test_a_server_started_by_hand_in_demo_mode_refuses_a_real_admin_database():
    done = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "python"), "-c", "import server"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "ASSISTANT_DEMO_MODE": "1",
                               "ADMIN_DB_URL": "postgresql://postgres@127.0.0.1:5432/postgres"})
    assert done.returncode != 0 and "refusing to start" in done.stderr
