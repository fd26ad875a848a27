"""Slack over real HTTP: a fake Slack Web API on loopback, a real Rasa server with Slack switched on.

The module starts its own Rasa server and action server (free ports, own SQLite files) with
SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_API_URL pointing at the fake; the shared
`assistant` fixture (no Slack env) shows the default run starts without Slack.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import socket
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from server.slack_channel import SeenCache, StaffSlackInput, signature_problem
from tests.live_servers import API_TOKEN, MODEL, running_assistant

SIGNING_SECRET = "test-slack-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-0000-slack-token"
BOT_USER = "U0BOTUSER1"
QA_CHANNEL = "C0POLICYQA"  # in SLACK_CHANNELS: every message answered
OTHER_CHANNEL = "C0GENERAL1"  # only @mentions answered
QUESTION = "위탁콜이 뭐예요?"
DEFINITION = "CNMP(콜마너파트너사)"
REPLY_TIMEOUT_S = 30


# ── fake Slack Web API ────────────────────────────────────────────────────────
class FakeSlack:
    def __init__(self) -> None:
        self.calls: list = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                if "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(raw or "{}")
                else:
                    body = {key: values[0] for key, values in urllib.parse.parse_qs(raw).items()}
                with fake._lock:
                    fake.calls.append({
                        "method": self.path.rstrip("/").rsplit("/", 1)[-1],
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "body": body,
                    })
                answer = json.dumps({"ok": True, "channel": body.get("channel"), "ts": f"{time.time():.6f}"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def posts(self, thread_ts: str | None = None) -> list:
        with self._lock:
            return [
                call for call in self.calls
                if call["method"] == "chat.postMessage"
                and (thread_ts is None or call["body"].get("thread_ts") == thread_ts)
            ]

    def wait_for_posts(self, thread_ts: str, count: int = 1, timeout: float = REPLY_TIMEOUT_S) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.posts(thread_ts)
            if len(found) >= count:
                return found
            time.sleep(0.2)
        raise AssertionError(f"no chat.postMessage in thread {thread_ts} within {timeout}s; calls: {self.calls}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ── a Rasa server with Slack on ───────────────────────────────────────────────
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SlackServer:
    def __init__(self, url: str, fake: FakeSlack) -> None:
        self.url = url
        self.fake = fake

    def post(self, body: bytes, content_type: str = "application/json", timestamp: int | None = None,
             signature: str | None = None, headers: dict | None = None) -> requests.Response:
        timestamp = int(time.time()) if timestamp is None else timestamp
        if signature is None:
            signature = sign(body, timestamp)
        return requests.post(
            f"{self.url}/webhooks/slack/webhook", data=body, timeout=30,
            headers={"Content-Type": content_type, "X-Slack-Request-Timestamp": str(timestamp),
                     "X-Slack-Signature": signature, **(headers or {})},
        )

    def send(self, payload: dict, **kwargs) -> requests.Response:
        return self.post(json.dumps(payload, ensure_ascii=False).encode("utf-8"), **kwargs)

    def tracker(self, conversation_id: str) -> dict:
        answer = requests.get(f"{self.url}/conversations/{conversation_id}/tracker", params={"token": API_TOKEN}, timeout=30)
        answer.raise_for_status()
        return answer.json()


def sign(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    return "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()


def _new_ts() -> str:
    return f"{time.time():.6f}"[:-3] + f"{uuid.uuid4().int % 1000:03d}"


def event_callback(event: dict, event_id: str | None = None) -> dict:
    return {
        "token": "deprecated-verification-token",
        "team_id": "T0TEAM0001",
        "api_app_id": "A0APP00001",
        "event": {"event_ts": event.get("ts"), **event},
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": "T0TEAM0001", "user_id": BOT_USER,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }


def message_event(text: str, channel: str, channel_type: str, user: str, ts: str | None = None, **extra) -> dict:
    return {"type": "message", "text": text, "user": user, "ts": ts or _new_ts(), "team": "T0TEAM0001",
            "channel": channel, "channel_type": channel_type, "client_msg_id": str(uuid.uuid4()), **extra}


def staff() -> str:
    return f"U0{uuid.uuid4().hex[:8].upper()}"


@pytest.fixture(scope="module")
def slack(tmp_path_factory):
    fake = FakeSlack()
    workdir = tmp_path_factory.mktemp("slack")
    model = workdir / "model.tar.gz"
    shutil.copyfile(MODEL, model)  # a retraining elsewhere must not swap the model under the server
    rasa_port = int(os.environ.get("TEST_SLACK_RASA_PORT") or _free_port())
    actions_port = int(os.environ.get("TEST_SLACK_ACTIONS_PORT") or _free_port())
    slack_env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"http://127.0.0.1:{fake.port}/",
        "SLACK_CHANNELS": QA_CHANNEL,
    }
    try:
        with running_assistant(workdir, rasa_port, actions_port, model, slack_env) as servers:
            yield SlackServer(servers.url, fake)
    finally:
        fake.close()


# ── without servers ───────────────────────────────────────────────────────────
def test_signature_check_accepts_slacks_and_refuses_the_rest():
    body, now = b'{"type":"event_callback"}', 1_700_000_000
    good = sign(body, now)
    assert signature_problem(SIGNING_SECRET, str(now), good, body, now=now) is None
    assert signature_problem(SIGNING_SECRET, str(now), good, body, now=now + 299) is None
    assert signature_problem(SIGNING_SECRET, str(now), good, body + b" ", now=now)  # body changed
    assert signature_problem("another-secret", str(now), good, body, now=now)
    assert signature_problem(SIGNING_SECRET, str(now), good, body, now=now + 301)  # stale
    assert signature_problem(SIGNING_SECRET, str(now), good, body, now=now - 301)  # from the future
    assert signature_problem(SIGNING_SECRET, None, good, body, now=now)
    assert signature_problem(SIGNING_SECRET, str(now), None, body, now=now)
    assert signature_problem(SIGNING_SECRET, "12e8", good, body, now=now)
    assert signature_problem(SIGNING_SECRET, str(now), "v0=서명", body, now=now)
    assert signature_problem("", str(now), good, body, now=now)


def test_seen_cache_forgets_after_its_ttl_and_keeps_a_bounded_size():
    clock = [0.0]
    cache = SeenCache(ttl_s=10, max_entries=3, clock=lambda: clock[0])
    cache.add("a", None)
    assert "a" in cache and len(cache) == 1
    clock[0] = 11
    assert "a" not in cache
    cache.add("b", "c", "d", "e")
    assert len(cache) == 3 and "b" not in cache and "e" in cache


def test_channel_is_off_without_both_secrets_and_on_with_them(monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "SLACK_CHANNELS"):
        monkeypatch.delenv(name, raising=False)
    assert StaffSlackInput.from_credentials(None).enabled is False
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    assert StaffSlackInput.from_credentials(None).enabled is False  # half configured stays off
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    channel = StaffSlackInput.from_credentials(None)
    assert channel.enabled and channel.name() == "slack"
    assert channel.get_output_channel("C1", "1.000100").client.base_url == "http://127.0.0.1:9/api/"


def test_events_that_get_no_answer():
    channel = StaffSlackInput(BOT_TOKEN, SIGNING_SECRET, answer_all_in=[QA_CHANNEL])
    payload = event_callback({})
    user = "U0STAFF001"
    assert channel.skip_reason(payload, message_event(QUESTION, "D0DM000001", "im", user)) is None
    assert channel.skip_reason(payload, message_event(QUESTION, QA_CHANNEL, "channel", user)) is None
    assert channel.skip_reason(payload, message_event(QUESTION, OTHER_CHANNEL, "channel", user))
    assert channel.skip_reason(payload, {**message_event(QUESTION, OTHER_CHANNEL, "channel", user), "type": "app_mention"}) is None
    assert channel.skip_reason(payload, message_event(QUESTION, "D0DM000001", "im", user, bot_id="B01"))
    assert channel.skip_reason(payload, message_event(QUESTION, "D0DM000001", "im", user, subtype="bot_message"))
    assert channel.skip_reason(payload, message_event(QUESTION, "D0DM000001", "im", user, subtype="message_changed"))
    assert channel.skip_reason(payload, message_event(QUESTION, "D0DM000001", "im", BOT_USER))
    assert channel.clean_text(f"<@{BOT_USER}> {QUESTION}", [BOT_USER]) == QUESTION
    assert channel.clean_text("A &amp; B &lt;3", []) == "A & B <3"


# ── over HTTP ─────────────────────────────────────────────────────────────────
@pytest.mark.live
def test_default_run_without_slack_env_starts_and_slack_is_off(assistant, sender):
    # the shared fixture never inherits SLACK_* from this shell (tests/live_servers.server_environment)
    assert DEFINITION in " ".join(m.get("text", "") for m in assistant.say(sender, QUESTION))
    answer = requests.post(f"{assistant.url}/webhooks/slack/webhook",
                           json={"type": "url_verification", "challenge": "abc"}, timeout=10)
    assert answer.status_code == 404 and "abc" not in answer.text


@pytest.mark.live
def test_url_verification_is_answered(slack):
    answer = slack.send({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                         "type": "url_verification"})
    assert answer.status_code == 200
    assert answer.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


@pytest.mark.live
def test_direct_message_is_answered_once_in_its_thread(slack):
    user, dm = staff(), "D0DM000001"
    event = message_event(QUESTION, dm, "im", user)
    assert slack.send(event_callback(event)).status_code == 200
    (post,) = slack.fake.wait_for_posts(event["ts"])
    assert DEFINITION in post["body"]["text"]
    assert post["body"]["channel"] == dm and post["body"]["thread_ts"] == event["ts"]
    assert post["authorization"] == f"Bearer {BOT_TOKEN}" and "as_user" not in post["body"]
    time.sleep(2)
    assert len(slack.fake.posts(event["ts"])) == 1
    tracker = slack.tracker(f"slack-{user}-{dm}")
    assert tracker["latest_input_channel"] == "slack"
    user_events = [e for e in tracker["events"] if e["event"] == "user"]
    assert [e["text"] for e in user_events] == [QUESTION]
    assert user_events[0]["metadata"]["channel"] == "slack"


@pytest.mark.live
def test_reply_in_a_thread_goes_to_that_thread(slack):
    user, parent = staff(), _new_ts()
    event = message_event(QUESTION, QA_CHANNEL, "channel", user, thread_ts=parent)
    assert slack.send(event_callback(event)).status_code == 200
    (post,) = slack.fake.wait_for_posts(parent)
    assert DEFINITION in post["body"]["text"] and post["body"]["channel"] == QA_CHANNEL


@pytest.mark.live
def test_app_mention_and_message_event_of_one_message_get_one_answer(slack):
    user, ts, client_msg_id = staff(), _new_ts(), str(uuid.uuid4())
    text = f"<@{BOT_USER}> {QUESTION}"
    mention = {"type": "app_mention", "text": text, "user": user, "ts": ts, "team": "T0TEAM0001",
               "channel": QA_CHANNEL, "client_msg_id": client_msg_id}
    message = {**mention, "type": "message", "channel_type": "channel"}
    assert slack.send(event_callback(mention)).status_code == 200
    assert slack.send(event_callback(message)).status_code == 200
    (post,) = slack.fake.wait_for_posts(ts)
    assert DEFINITION in post["body"]["text"]
    time.sleep(3)
    assert len(slack.fake.posts(ts)) == 1
    user_events = [e for e in slack.tracker(f"slack-{user}-{QA_CHANNEL}")["events"] if e["event"] == "user"]
    assert [e["text"] for e in user_events] == [QUESTION]  # the mention is not part of the text


def _barrier(slack: SlackServer, user: str, channel: str, channel_type: str = "im") -> None:
    """A good message from the same person and channel, answered: anything sent before was handled."""
    event = message_event(QUESTION, channel, channel_type, user)
    assert slack.send(event_callback(event)).status_code == 200
    slack.fake.wait_for_posts(event["ts"])


@pytest.mark.live
def test_slack_retry_of_an_answered_event_is_not_answered_again(slack):
    user, dm = staff(), "D0DM000002"
    payload = event_callback(message_event(QUESTION, dm, "im", user))
    ts = payload["event"]["ts"]
    assert slack.send(payload).status_code == 200
    slack.fake.wait_for_posts(ts)
    for number, reason in ((1, "http_error"), (2, "http_timeout")):
        retry = slack.send(payload, headers={"X-Slack-Retry-Num": str(number), "X-Slack-Retry-Reason": reason})
        assert retry.status_code == 200
    _barrier(slack, user, dm)
    assert len(slack.fake.posts(ts)) == 1


@pytest.mark.live
def test_channel_message_without_mention_outside_the_qa_channels_is_not_answered(slack):
    user = staff()
    event = message_event(QUESTION, OTHER_CHANNEL, "channel", user)
    assert slack.send(event_callback(event)).status_code == 200
    mention = {**message_event(f"<@{BOT_USER}> {QUESTION}", OTHER_CHANNEL, "channel", user), "type": "app_mention"}
    assert slack.send(event_callback(mention)).status_code == 200
    slack.fake.wait_for_posts(mention["ts"])
    assert slack.fake.posts(event["ts"]) == []


@pytest.mark.live
@pytest.mark.parametrize("extra", [{"bot_id": "B0OTHERBOT"}, {"subtype": "bot_message", "bot_id": "B0OTHERBOT"},
                                   {"subtype": "message_changed"}])
def test_bot_and_system_messages_are_ignored(slack, extra):
    user, dm = staff(), "D0DM000003"
    event = message_event(QUESTION, dm, "im", user, **extra)
    assert slack.send(event_callback(event)).status_code == 200
    _barrier(slack, user, dm)
    assert slack.fake.posts(event["ts"]) == []


@pytest.mark.live
@pytest.mark.parametrize("case", ["forged", "wrong secret", "stale", "future", "unsigned"])
def test_unauthentic_requests_are_refused_and_not_answered(slack, case):
    user, dm = staff(), "D0DM000004"
    event = message_event(QUESTION, dm, "im", user)
    body = json.dumps(event_callback(event), ensure_ascii=False).encode("utf-8")
    now = int(time.time())
    if case == "forged":
        answer = slack.post(body, signature="v0=" + "0" * 64)
    elif case == "wrong secret":
        answer = slack.post(body, signature=sign(body, now, secret="not-the-signing-secret"))
    elif case == "stale":
        answer = slack.post(body, timestamp=now - 600, signature=sign(body, now - 600))
    elif case == "future":
        answer = slack.post(body, timestamp=now + 600, signature=sign(body, now + 600))
    else:
        answer = requests.post(f"{slack.url}/webhooks/slack/webhook", data=body, timeout=30,
                               headers={"Content-Type": "application/json"})
    assert answer.status_code in (401, 403)
    _barrier(slack, user, dm)
    assert slack.fake.posts(event["ts"]) == []


@pytest.mark.live
def test_button_click_is_answered_in_the_thread(slack):
    user, parent = staff(), _new_ts()
    payload = {
        "type": "block_actions", "trigger_id": f"{uuid.uuid4().int % 10**12}.1.abc",
        "user": {"id": user}, "team": {"id": "T0TEAM0001"}, "channel": {"id": QA_CHANNEL},
        "message": {"type": "message", "ts": _new_ts(), "thread_ts": parent, "bot_id": "B0OURBOT01"},
        "actions": [{"type": "button", "action_id": "a1", "value": "/ask_consignment_call",
                     "text": {"type": "plain_text", "text": "위탁콜이 뭐예요?"}, "action_ts": _new_ts()}],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload, ensure_ascii=False)}).encode()
    assert slack.post(body, content_type="application/x-www-form-urlencoded").status_code == 200
    (post,) = slack.fake.wait_for_posts(parent)
    assert DEFINITION in post["body"]["text"]


def test_fuzz_slack_webhook_answers_every_forged_or_malformed_request_without_an_error(slack):
    """Random bodies, signatures and timestamps, and replayed signed deliveries: 4xx or 200,
    never a 5xx or a trace; a replayed delivery is answered once."""
    from tests.integration.test_fuzz import EXAMPLES, SEED, Fuzz, assert_no_leak

    fuzz = Fuzz(SEED + 3)
    for _ in range(EXAMPLES):
        body = fuzz.raw() if fuzz.rng.random() < 0.5 else json.dumps(fuzz.value()).encode()
        pick = fuzz.rng.random()
        if pick < 0.4:  # forged
            answer = slack.post(body, signature="v0=" + "".join(fuzz.rng.choice("0123456789abcdef") for _ in range(64)))
        elif pick < 0.6:  # stale or malformed timestamp
            answer = slack.post(body, timestamp=fuzz.rng.choice([0, 10**13, int(time.time()) - 3600]))
        else:  # signed, but not a Slack payload
            answer = slack.post(body, content_type=fuzz.rng.choice(["application/json", "application/x-www-form-urlencoded"]))
        assert_no_leak(answer, f"slack {body[:80]!r}")
    # a signed, valid delivery replayed ten times is answered once
    ts = _new_ts()
    delivery = json.dumps(event_callback(message_event("위탁콜이 뭐예요?", "D0DM000001", "im", staff(), ts=ts))).encode()
    for _ in range(10):
        assert slack.post(delivery).status_code == 200
    assert len(slack.fake.wait_for_posts(ts)) >= 1
    time.sleep(2)
    assert len(slack.fake.posts(ts)) == len(slack.fake.wait_for_posts(ts))
