"""Two Rasa processes behind one address share everything a driver or a Slack user can notice
(issue 13, item 8): the conversation (PostgreSQL tracker store), the handoff queue (the assist
store, on the same PostgreSQL), and in Redis (REDIS_URL) the rate limits, Slack's seen
deliveries, the replies of REST turns for retries, widget presence and the widget's rooms.

One action server and two Rasa servers (`first`, `second`), started once for the module, as
`make cluster` runs them (its endpoints: PostgreSQL tracker store, atomic Redis lock store).
Each test sends one part of an exchange to one process and the rest to the other.
"""
from __future__ import annotations

import asyncio
import shutil
import time
import uuid

import pytest
import requests
import socketio
import sqlalchemy as sa

from consignment.agent_auth import mint_agent_token
from consignment.identity import mint_driver_token
from tests.conftest import PROJECT_ROOT, TEST_SECRET
from tests.integration.test_slack import (
    BOT_TOKEN,
    BOT_USER,
    DEFINITION,
    QA_CHANNEL,
    QUESTION,
    SIGNING_SECRET,
    FakeSlack,
    SlackServer,
    event_callback,
    message_event,
    staff,
)
from tests.integration.test_startup_self_check import free_port
from tests.live_servers import (
    AGENT_SECRET,
    API_TOKEN,
    MODEL,
    VENV_BIN,
    _start,
    _stop,
    _wait_until_ready,
    server_environment,
    start_action_server,
)

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis]

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/0"
PER_SENDER_PER_MIN = 8  # low, so that the limit test needs few turns
SUSPENSION_REASON = "운행 중 사고 발생 후 미신고"  # D-1001's, in the demo data

ENDPOINTS = """
action_endpoint:
  url: "http://127.0.0.1:{actions_port}/webhook"
  enable_selective_domain: true
tracker_store:
  type: server.tracker_store.RedactingSQLTrackerStore
  dialect: postgresql
  url: 127.0.0.1
  port: 5432
  db: {database}
  username: postgres
lock_store:
  type: server.lock_store.AtomicRedisLockStore
nlg:
  type: server.nlg.KoreanResponseGenerator
"""


class Pair:
    def __init__(self, first: str, second: str, database_url: str, fake_slack: FakeSlack) -> None:
        self.first, self.second = first, second
        self.database_url = database_url
        self.slack_first = SlackServer(first, fake_slack)
        self.slack_second = SlackServer(second, fake_slack)
        self.fake_slack = fake_slack


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model at models/current.tar.gz: run `make train` (the test command does)")
    workdir = tmp_path_factory.mktemp("shared")
    model = workdir / "model.tar.gz"
    shutil.copyfile(MODEL, model)  # a retraining elsewhere must not swap the model under the servers
    database = f"consignment_shared_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    fake = FakeSlack()
    actions_port, ports = free_port(), (free_port(), free_port())
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(ENDPOINTS.format(actions_port=actions_port, database=database), encoding="utf-8")
    env = server_environment(workdir, {
        "ASSIST_DB_URL": f"{POSTGRES}/{database}",
        "REDIS_URL": REDIS_URL,
        "RATE_LIMIT_PER_SENDER_PER_MIN": str(PER_SENDER_PER_MIN),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"http://127.0.0.1:{fake.port}/",
        "SLACK_CHANNELS": QA_CHANNEL,
    })
    logs = [workdir / "actions.log", workdir / "rasa-first.log", workdir / "rasa-second.log"]
    processes = [start_action_server(workdir, actions_port, env, logs[0])]
    try:
        for port, log in zip(ports, logs[1:]):
            processes.append(_start(
                [str(VENV_BIN / "rasa"), "run", "--enable-api", "--auth-token", API_TOKEN, "--port", str(port),
                 "--model", str(model), "--endpoints", str(endpoints),
                 "--credentials", str(PROJECT_ROOT / "credentials.yml")],
                env, log,
            ))
        for port in ports:
            _wait_until_ready(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{actions_port}", processes, logs)
        yield Pair(f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}", f"{POSTGRES}/{database}", fake)
    finally:
        for process in processes:
            _stop(process)
        fake.close()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def rest(url: str, body: dict) -> requests.Response:
    return requests.post(f"{url}/webhooks/rest/webhook", json=body, timeout=60)


def texts(answer: requests.Response) -> str:
    return " ".join(reply.get("text") or "" for reply in answer.json())


def new_sender() -> str:
    return f"shared-{uuid.uuid4().hex}"


def tracker(url: str, sender: str) -> dict:
    answer = requests.get(f"{url}/conversations/{sender}/tracker", params={"token": API_TOKEN}, timeout=30)
    answer.raise_for_status()
    return answer.json()


def agent(agent_id: str = "A-SHARED") -> dict:
    return {"Authorization": f"Bearer {mint_agent_token(agent_id, AGENT_SECRET)}"}


# ── the conversation, on PostgreSQL ──────────────────────────────────────────

def test_a_q3_conversation_alternating_between_the_processes_ends_in_the_drivers_answer(pair):
    sender, token = new_sender(), mint_driver_token("D-1001", TEST_SECRET)
    turns = ["콜마너에서 콜 수락이 안 돼요", "네 카카오요", "김민수", "010-1234-5678"]
    for number, text in enumerate(turns):
        answer = rest(pair.first if number % 2 == 0 else pair.second,
                      {"sender": sender, "message": text, "metadata": {"driver_token": token}})
        assert answer.status_code == 200
    assert SUSPENSION_REASON in texts(answer)  # the second process knew the first's turns


def test_the_conversation_is_stored_in_postgresql_redacted(pair):
    sender, token = new_sender(), mint_driver_token("D-1001", TEST_SECRET)
    assert rest(pair.first, {"sender": sender, "message": "김민수 010-1234-5678 입니다",
                             "metadata": {"driver_token": token}}).status_code == 200
    engine = sa.create_engine(pair.database_url)
    with engine.connect() as connection:
        stored = [row.data for row in connection.execute(
            sa.text("select data from events where sender_id = :sender order by id"), {"sender": sender})]
    engine.dispose()
    assert any('"event": "user"' in data for data in stored)
    everything = "\n".join(stored)
    assert "010-****-5678" in everything and "1234-5678" not in everything and token not in everything


# ── Redis: limits, retries ───────────────────────────────────────────────────

def test_the_per_sender_limit_counts_the_messages_both_processes_took(pair):
    sender = new_sender()
    for number in range(PER_SENDER_PER_MIN):  # half to each process: each alone is under the limit
        assert rest(pair.first if number % 2 else pair.second, {"sender": sender, "message": "안녕하세요"}).status_code == 200
    over = rest(pair.first, {"sender": sender, "message": "안녕하세요"})
    assert over.status_code == 429


def test_a_turn_retried_on_the_other_process_gets_the_replies_of_the_turn_that_ran(pair):
    sender, token = new_sender(), mint_driver_token("D-1001", TEST_SECRET)
    body = {"sender": sender, "metadata": {"driver_token": token}}
    rest(pair.first, {**body, "message": "콜마너에서 콜 수락이 안 돼요", "message_id": "turn-1"})
    ran = rest(pair.first, {**body, "message": "네 카카오요", "message_id": "turn-2"})
    retried = rest(pair.second, {**body, "message": "네 카카오요", "message_id": "turn-2", "retry": True})
    assert retried.status_code == 200 and retried.json() == ran.json()
    users = [event["text"] for event in tracker(pair.second, sender)["events"] if event["event"] == "user"]
    assert users.count("네 카카오요") == 1  # not run a second time


# ── Redis: Slack's deliveries ────────────────────────────────────────────────

def slack_questions(pair, user: str, channel: str) -> list:
    events = tracker(pair.second, f"slack-{user}-{channel}")["events"]
    return [event["text"] for event in events if event["event"] == "user"]


def test_a_slack_event_redelivered_to_the_other_process_is_answered_once(pair):
    user, dm, ts = staff(), "D0DM000003", f"{time.time():.6f}"
    payload = event_callback(message_event(QUESTION, dm, "im", user, ts=ts))
    assert pair.slack_first.send(payload).status_code == 200
    retry = pair.slack_second.send(payload, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status_code == 200
    (post,) = pair.fake_slack.wait_for_posts(ts)
    assert DEFINITION in post["body"]["text"]
    time.sleep(3)  # a second answer, had the other process run the turn too, would be here by now
    assert len(pair.fake_slack.posts(ts)) == 1
    assert slack_questions(pair, user, dm) == [QUESTION]


def test_the_mention_and_the_message_event_of_one_slack_message_on_two_processes_get_one_answer(pair):
    user, ts = staff(), f"{time.time():.6f}"
    message = message_event(f"<@{BOT_USER}> {QUESTION}", QA_CHANNEL, "channel", user, ts=ts)
    assert pair.slack_first.send(event_callback(message)).status_code == 200
    assert pair.slack_second.send(event_callback({**message, "type": "app_mention"})).status_code == 200
    (post,) = pair.fake_slack.wait_for_posts(ts)
    assert DEFINITION in post["body"]["text"]
    time.sleep(3)
    assert len(pair.fake_slack.posts(ts)) == 1
    assert slack_questions(pair, user, QA_CHANNEL) == [QUESTION]


# ── Redis: the widget on one process, the agent on the other ─────────────────

class Widget:
    """A stand-in for the drivers' widget: a python-socketio client speaking its protocol
    (server/widget_channel.py): session_request → session_confirm, user_uttered → bot_uttered."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.client = socketio.AsyncClient(reconnection=False)
        self.said: asyncio.Queue = asyncio.Queue()
        self.session_id: asyncio.Future = asyncio.get_running_loop().create_future()
        self.client.on("session_confirm", self._confirmed)
        self.client.on("bot_uttered", self._uttered)

    async def _confirmed(self, session_id) -> None:
        if not self.session_id.done():
            self.session_id.set_result(session_id)

    async def _uttered(self, message) -> None:
        await self.said.put(message)

    async def open(self) -> str:
        await self.client.connect(self.url, socketio_path="/socket.io", transports=["polling"])
        await self.client.emit("session_request", {"session_id": None, "customData": {"driver_token": self.token}})
        return await asyncio.wait_for(self.session_id, 30)

    async def say(self, text: str) -> None:
        await self.client.emit("user_uttered", {"message": text, "session_id": await self.session_id,
                                                "customData": {"driver_token": self.token}})

    async def next_message(self, matching, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = await asyncio.wait_for(self.said.get(), max(0.1, deadline - time.monotonic()))
            if matching(message):
                return message

    async def close(self) -> None:
        await self.client.disconnect()


async def handed_over_widget(pair) -> tuple:
    """A driver's widget on the second process, handed over to agents; (widget, handoff id)."""
    widget = Widget(pair.second, mint_driver_token("D-1002", TEST_SECRET))
    session_id = await widget.open()
    await widget.say("상담원 연결해 주세요")
    await widget.next_message(lambda message: (message.get("custom") or {}).get("handoff"))
    listed = await asyncio.to_thread(
        requests.get, f"{pair.first}/webhooks/assist/handoffs", headers=agent(), timeout=30)
    handoff_id = next(item["handoff_id"] for item in listed.json()["handoffs"] if item["conversation_id"] == session_id)
    taken = await asyncio.to_thread(
        requests.post, f"{pair.first}/webhooks/assist/handoffs/{handoff_id}/take", json={}, headers=agent(), timeout=30)
    assert taken.status_code == 200
    return widget, handoff_id


async def test_an_agents_reply_through_one_process_reaches_the_widget_on_the_other(pair):
    widget, handoff_id = await handed_over_widget(pair)
    try:
        reply = "상담사입니다. 확인해 드릴게요."
        answer = await asyncio.to_thread(
            requests.post, f"{pair.first}/webhooks/assist/handoffs/{handoff_id}/reply", json={"text": reply},
            headers=agent(), timeout=30)
        assert answer.status_code == 200 and answer.json()["delivered"] is True
        shown = await widget.next_message(lambda message: message.get("from") == "agent", timeout=30)
        assert shown["text"] == reply
    finally:
        await widget.close()


async def test_widget_presence_follows_the_widget_on_the_other_process(pair):
    widget, handoff_id = await handed_over_widget(pair)

    async def reply(text: str) -> bool:
        answer = await asyncio.to_thread(
            requests.post, f"{pair.first}/webhooks/assist/handoffs/{handoff_id}/reply", json={"text": text},
            headers=agent(), timeout=30)
        assert answer.status_code == 200
        return answer.json()["delivered"]

    assert await reply("확인 중입니다.") is True  # present: connected to the other process
    await widget.close()
    await asyncio.sleep(1)  # the disconnect reaches the server
    assert await reply("계신가요?") is False  # gone: the reply is kept for later, not reported as shown
