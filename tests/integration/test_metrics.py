"""Metrics, liveness and readiness of both processes, read the way Prometheus and a kubelet read
them: over HTTP from each process's metrics port (server/metrics.py, actions/metrics.py).

One pair of servers for the module, with agent assist's store on a throw-away PostgreSQL database,
so that the last test can drop it under the running servers.
"""
from __future__ import annotations

import socket
import subprocess
import uuid
from typing import Dict, Tuple

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from consignment.identity import mint_driver_token
from tests.conftest import DEMO_DRIVERS, PROJECT_ROOT, TEST_SECRET, throwaway_postgres_database
from tests.live_servers import (
    ACTIONS_PORT,
    RASA_PORT,
    VENV_BIN,
    metrics_port,
    running_assistant,
    server_environment,
)

pytestmark = pytest.mark.live

# a pair of its own beside the session's (+2 is the cross-origin test's)
PORTS = (RASA_PORT + 3, ACTIONS_PORT + 3)
RASA_METRICS, ACTIONS_METRICS = (f"http://127.0.0.1:{metrics_port(port)}" for port in PORTS)

Samples = Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with throwaway_postgres_database("metrics_assist") as assist_db:
        with running_assistant(tmp_path_factory.mktemp("metrics"), *PORTS, extra_env={"ASSIST_DB_URL": assist_db}) as instance:
            yield instance, assist_db


def scrape(base: str) -> Samples:
    answer = requests.get(f"{base}/metrics", timeout=30)
    answer.raise_for_status()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def sender() -> str:
    return f"metrics-{uuid.uuid4().hex}"


def q3_flow(assistant, conversation: str, driver: str, name: str, phone: str) -> list:
    token = mint_driver_token(driver, TEST_SECRET)
    replies = []
    for text in ("콜마너에서 콜 수락이 안 돼요", "카카오모빌리티요", name, phone):
        replies = assistant.say(conversation, text, metadata={"driver_token": token})
    return replies


def test_a_rest_turn_counts_for_its_intent_and_channel(served):
    assistant, _ = served
    text = "위탁콜이 뭐예요?"
    intent = assistant.parse(text)["intent"]["name"]
    before = value(scrape(RASA_METRICS), "assistant_turns_total", channel="rest", intent=intent)
    assistant.say(sender(), text)
    after = scrape(RASA_METRICS)
    assert value(after, "assistant_turns_total", channel="rest", intent=intent) == before + 1
    assert value(after, "assistant_reply_seconds_count", channel="rest") >= 1


def test_a_q3_lookup_counts_its_outcome(served):
    assistant, _ = served
    before = scrape(ACTIONS_METRICS)
    replies = q3_flow(assistant, sender(), "D-1001", *DEMO_DRIVERS["D-1001"])
    assert any("계정이 정지" in (reply.get("text") or "") for reply in replies)  # ⓐ, D-1001's suspension
    after = scrape(ACTIONS_METRICS)
    assert value(after, "assistant_q3_outcomes_total", outcome="suspended") == \
        value(before, "assistant_q3_outcomes_total", outcome="suspended") + 1
    assert value(after, "assistant_identity_checks_total", outcome="verified") == \
        value(before, "assistant_identity_checks_total", outcome="verified") + 1


def test_a_failed_identity_check_counts_as_refused(served):
    assistant, _ = served
    before = scrape(ACTIONS_METRICS)
    name, _ = DEMO_DRIVERS["D-1002"]
    q3_flow(assistant, sender(), "D-1002", name, "010-9999-0000")  # not D-1002's phone
    after = scrape(ACTIONS_METRICS)
    assert value(after, "assistant_q3_outcomes_total", outcome="refused") == \
        value(before, "assistant_q3_outcomes_total", outcome="refused") + 1
    assert value(after, "assistant_identity_checks_total", outcome="not_verified") == \
        value(before, "assistant_identity_checks_total", outcome="not_verified") + 1


def test_no_label_carries_a_sender_id_a_driver_a_name_or_a_phone(served):
    assistant, _ = served
    conversation = sender()
    name, phone = DEMO_DRIVERS["D-1005"]
    q3_flow(assistant, conversation, "D-1005", name, phone)
    assistant.say(conversation, f"{name} {phone} 상담원 연결해 주세요",
                  metadata={"driver_token": mint_driver_token("D-1005", TEST_SECRET)})
    label_values = {label for base in (RASA_METRICS, ACTIONS_METRICS) for (_, labels) in scrape(base) for _, label in labels}
    assert label_values  # the scrape has labelled samples at all
    forbidden = (conversation, "metrics-", "D-100", name, phone, phone.replace("-", ""), "eyJ")
    assert not [label for label in label_values if any(part in label for part in forbidden)]


def test_both_processes_are_live_and_ready_when_every_store_answers(served):
    for base in (RASA_METRICS, ACTIONS_METRICS):
        assert requests.get(f"{base}/live", timeout=10).status_code == 200
        ready = requests.get(f"{base}/ready", timeout=10)
        assert ready.status_code == 200, ready.text
    assert value(scrape(RASA_METRICS), "assistant_ready") == 1


def test_the_model_served_is_named_by_its_id(served):
    samples = scrape(RASA_METRICS)
    assert [labels for (name, labels), v in samples.items() if name == "assistant_model_info" and v == 1]


# after this one agent assist's store is gone: keep it the module's last
def test_readiness_names_the_store_that_is_down(served):
    import sqlalchemy as sa

    _, assist_db = served
    server, database = assist_db.rsplit("/", 1)
    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{database}" WITH (FORCE)'))
    admin.dispose()
    for base in (RASA_METRICS, ACTIONS_METRICS):
        ready = requests.get(f"{base}/ready", timeout=30)
        assert ready.status_code == 503
        assert "assist_db" in ready.json()["failing"]
        assert "postgresql" not in ready.text and database not in ready.text  # names, never URLs
        assert requests.get(f"{base}/live", timeout=10).status_code == 200  # alive, just not ready
    assert value(scrape(RASA_METRICS), "assistant_dependency_up", dependency="assist_db") == 0


@pytest.mark.parametrize("process", ["rasa", "actions"])
def test_a_taken_metrics_port_stops_the_start(tmp_path, process):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        taken = holder.getsockname()[1]
        env = {**server_environment(tmp_path), "METRICS_PORT": str(taken), "ACTIONS_METRICS_PORT": str(taken)}
        command = [str(VENV_BIN / "rasa"), "run", "actions", "--port", str(PORTS[1] + 1)] if process == "actions" else [
            str(VENV_BIN / "rasa"), "run", "--port", str(PORTS[0] + 1), "--credentials", str(PROJECT_ROOT / "credentials.yml")]
        done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode not in (0, None)
    assert f"cannot listen on 127.0.0.1:{taken}" in done.stdout + done.stderr
