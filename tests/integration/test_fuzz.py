"""Bounded fuzzing of every door a stranger can knock on: REST, the widget's socket, agent assist
(Slack's is in test_slack.py, against its own server). Thousands of generated inputs — random
Unicode, control characters, 100 kB strings, malformed JSON, wrong types, malformed and
oversized tokens — and then: no 5xx, no stack trace in any answer, and the assistant still
answers a driver normally.

FUZZ_EXAMPLES sets how many inputs each door gets (default 300; `make fuzz` runs 5,000).
The inputs come from a seeded generator (FUZZ_SEED), so a failure can be replayed.
"""
from __future__ import annotations

import json
import os
import random
import string
from typing import Any, Callable, List

import pytest
import requests

from consignment.agent_auth import mint_agent_token
from consignment.identity import mint_driver_token
from tests.conftest import TEST_SECRET
from tests.live_servers import AGENT_SECRET

pytestmark = pytest.mark.live

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
SEED = int(os.environ.get("FUZZ_SEED", "20261130"))
TRACE_MARKS = ("Traceback", 'File "/', "Exception:", "sqlalchemy.", "rasa.core")


class Fuzz:
    """Inputs of every shape a client could send."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def text(self) -> str:
        pick = self.rng.random()
        if pick < 0.05:
            return self.rng.choice(["가", "ㅋ", "a", "😭", "\u0000", " "]) * self.rng.choice([2001, 20_000, 100_000])
        if pick < 0.15:
            return "".join(chr(self.rng.randrange(0, 32)) for _ in range(self.rng.randrange(1, 50)))
        if pick < 0.25:
            return self.rng.choice(["/restart", "/session_start", "/back", "/inform{\"driver_name\":\"김민수\"}",
                                    "/request_human", "/nlu_fallback", "/", "//", "/affirm{", "/%s" % "x" * 300])
        if pick < 0.55:
            return "".join(self.rng.choice("콜마너위탁수락안돼요카모발주사정책ㅋㅠ 0123456789-?!") for _ in range(self.rng.randrange(0, 80)))
        return "".join(self._code_point() for _ in range(self.rng.randrange(0, 300)))

    def _code_point(self) -> str:
        while True:
            code = self.rng.randrange(0, 0x110000) if self.rng.random() < 0.3 else self.rng.randrange(0x20, 0xD7A4)
            if not 0xD800 <= code <= 0xDFFF:  # surrogates cannot be sent as UTF-8
                return chr(code)

    def value(self, depth: int = 0) -> Any:
        choices: List[Callable[[], Any]] = [
            lambda: None, lambda: self.rng.random() < 0.5, lambda: self.rng.randrange(-10**12, 10**12),
            lambda: self.rng.random() * 1e300, self.text,
        ]
        if depth < 3:
            choices += [lambda: [self.value(depth + 1) for _ in range(self.rng.randrange(0, 4))],
                        lambda: {self.text()[:20]: self.value(depth + 1) for _ in range(self.rng.randrange(0, 4))}]
        return self.rng.choice(choices)()

    def token(self) -> Any:
        pick = self.rng.random()
        if pick < 0.2:
            return mint_driver_token(self.rng.choice(["D-1001", "D-1002", "D-9999", "", "x" * 300]), TEST_SECRET)
        if pick < 0.4:
            return "eyJhbGciOiJub25lIn0." + "".join(self.rng.choice(string.ascii_letters) for _ in range(40)) + "."
        if pick < 0.5:
            return "a." * self.rng.randrange(1, 5000)
        if pick < 0.6:
            return "x" * self.rng.choice([4097, 70_000])
        return self.value()

    def body(self, fields: dict) -> Any:
        """A body that is mostly right, with one part wrong, or something else entirely."""
        pick = self.rng.random()
        if pick < 0.1:
            return self.value()
        body = dict(fields)
        key = self.rng.choice(list(body) + ["extra"])
        body[key] = self.value()
        return body

    def raw(self) -> bytes:
        pick = self.rng.random()
        if pick < 0.3:
            return bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(0, 200)))
        if pick < 0.6:
            return json.dumps(self.value()).encode()[: self.rng.randrange(1, 200)]  # cut mid-way
        return self.text().encode("utf-8", "surrogatepass")


def assert_no_leak(answer: requests.Response, what: str) -> None:
    assert answer.status_code < 500, f"{what}: {answer.status_code} {answer.text[:300]}"
    assert not any(mark in answer.text for mark in TRACE_MARKS), f"{what}: {answer.text[:300]}"


def still_answers(assistant) -> None:
    reply = requests.post(f"{assistant.url}/webhooks/rest/webhook",
                          json={"sender": "after-fuzz-0123456789abcdef0123456789abcdef", "message": "위탁콜이 뭐예요?"}, timeout=60)
    assert reply.status_code == 200 and "CNMP" in reply.text


def test_fuzz_rest(assistant):
    fuzz = Fuzz(SEED)
    session = requests.Session()
    url = f"{assistant.url}/webhooks/rest/webhook"
    for i in range(EXAMPLES):
        if fuzz.rng.random() < 0.25:
            data = fuzz.raw()
            answer = session.post(url, data=data, headers={"Content-Type": "application/json"}, timeout=60)
            what = f"raw {data[:80]!r}"
        else:
            body = fuzz.body({"sender": f"fuzz-{i % 50}", "message": fuzz.text(), "metadata": {"driver_token": fuzz.token()}})
            answer = session.post(url, json=body, timeout=60)
            what = f"body {str(body)[:120]}"
        assert_no_leak(answer, what)
    still_answers(assistant)


def test_fuzz_agent_assist(assistant):
    fuzz = Fuzz(SEED + 1)
    session = requests.Session()
    good = {"Authorization": f"Bearer {mint_agent_token('A-FUZZ', AGENT_SECRET)}"}
    paths = ["suggest", "lookup", "feedback", "handoffs/x/take", "handoffs/x/reply", "handoffs/x/resolve",
             "handoffs/x/transfer"]
    for _ in range(EXAMPLES):
        path = fuzz.rng.choice(paths)
        # a header is bytes on the wire: any value, sent as its UTF-8 bytes
        bad = f"Bearer {fuzz.token()}"[:8_000].encode("utf-8", "surrogatepass").decode("latin-1")
        headers = good if fuzz.rng.random() < 0.8 else {"Authorization": bad}
        if fuzz.rng.random() < 0.2:
            answer = session.post(f"{assistant.url}/webhooks/assist/{path}", data=fuzz.raw(),
                                  headers={**headers, "Content-Type": "application/json"}, timeout=60)
        else:
            body = fuzz.body({"text": fuzz.text(), "conversation_id": fuzz.text()[:60], "driver_id": fuzz.text()[:20],
                              "phone": fuzz.text()[:20], "suggestion_id": fuzz.text()[:40], "verdict": "used",
                              "to_agent": fuzz.text()[:20]})
            answer = session.post(f"{assistant.url}/webhooks/assist/{path}", json=body, headers=headers, timeout=60)
        assert_no_leak(answer, path)
    assert session.get(f"{assistant.url}/webhooks/assist/intents", headers=good, timeout=30).status_code == 200
    still_answers(assistant)


def test_fuzz_widget_socket(assistant):
    import socketio

    fuzz = Fuzz(SEED + 2)
    client = socketio.Client(reconnection=False)
    answers: list = []
    client.on("bot_uttered", lambda data: answers.append(data))
    client.connect(assistant.url, socketio_path="/socket.io", transports=["polling"], wait_timeout=30)
    try:
        token = mint_driver_token("D-1003", TEST_SECRET)
        confirmed: list = []
        client.on("session_confirm", lambda session_id: confirmed.append(session_id))
        client.emit("session_request", {"session_id": None, "customData": {"driver_token": token}})
        client.sleep(1)
        for _ in range(max(EXAMPLES // 3, 20)):
            event = fuzz.rng.choice(["user_uttered", "user_uttered", "session_request", fuzz.text()[:30] or "x"])
            payload = fuzz.body({"message": fuzz.text(), "session_id": fuzz.rng.choice(confirmed + [fuzz.text()[:40]]),
                                 "customData": {"driver_token": fuzz.token()}})
            try:
                client.emit(event, payload)
            except Exception as error:  # the client refusing to send (e.g. over its buffer) is fine
                assert "server" not in str(error).lower()
        client.sleep(2)
        for data in answers:
            text = json.dumps(data, ensure_ascii=False)
            assert not any(mark in text for mark in TRACE_MARKS), text[:300]
    finally:
        client.disconnect()
    assert requests.get(f"{assistant.url}/webhooks/widget/health", timeout=30).json() == {"status": "ok"}
    still_answers(assistant)
