"""KakaoTalk over real HTTP: a fake 카카오 i 오픈빌더 posts skill payloads to a real Rasa server with
the KakaoTalk channel on, and receives the callbacks.

The module starts its own Rasa server and action server (own SQLite files) with KAKAO_SKILL_SECRET
set and KAKAO_CALLBACK_ORIGINS pointing at the fake's callback receiver. Between the Rasa server
and the action server sits a proxy that can make every action call slow, or fail: the way a turn
becomes slower than Open Builder's 5 seconds. The shared `assistant` fixture (no Kakao env) shows
the default run starts with the channel off.
"""
from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from consignment.agent_auth import mint_agent_token
from consignment.content import message
from server.kakao_channel import MAX_LABEL_CHARS, MAX_OUTPUTS, MAX_QUICK_REPLIES, MAX_TEXT_CHARS, conversation_id
from tests.conftest import DEMO_DRIVERS
from tests.live_servers import AGENT_SECRET, queued_handoff, running_assistant

pytestmark = pytest.mark.live

SKILL_SECRET = "test-kakao-skill-secret-0123456789abcdef"
USER_KEY_SECRET = "test-kakao-user-key-secret-0123456789"
# a callback URL is valid for a minute in Open Builder; the tests' server gives up sooner
CALLBACK_WITHIN_S = 12
SLOW_S = 6  # slower than the 3.5 s the skill waits, well within the callback's time
QUESTION = "위탁콜이 뭐예요?"
DEFINITION = "CNMP(콜마너파트너사)"
WAIT_S = 40
SLOW_ACTION = "action_explain_consignment_call"


def domain_text(response: str) -> str:
    return _domain()["responses"][response][0]["text"]


def _domain() -> dict:
    import yaml

    from tests.conftest import PROJECT_ROOT

    with open(PROJECT_ROOT / "domain.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ── fake Open Builder: the callback receiver ──────────────────────────────────
class CallbackReceiver:
    def __init__(self) -> None:
        self.calls: list = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.calls.append({"path": self.path, "body": json.loads(raw or b"{}")})
                answer = b'{"taskId": "fake", "status": "SUCCESS", "message": "", "timestamp": 0}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self) -> str:
        return f"{self.origin}/v1/bots/test-bot/callback/{uuid.uuid4().hex}"

    def posted_to(self, url: str) -> list:
        path = url[len(self.origin):]
        with self._lock:
            return [call["body"] for call in self.calls if call["path"] == path]

    def wait_for(self, url: str, timeout: float = WAIT_S) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.posted_to(url)
            if found:
                return found[0]
            time.sleep(0.2)
        raise AssertionError(f"no callback to {url} within {timeout}s")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ── between the Rasa server and the action server: slow or failing on demand ──
class ActionProxy:
    def __init__(self, actions_port: int) -> None:
        self.delay_s = 0.0
        self.failing = False
        # only this action is slowed (once a turn): Q1's answer
        self.slow_action = SLOW_ACTION
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if json.loads(raw or b"{}").get("next_action") == proxy.slow_action:
                    time.sleep(proxy.delay_s)
                if proxy.failing:
                    self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                forwarded = requests.post(f"http://127.0.0.1:{actions_port}{self.path}", data=raw, timeout=120,
                                          headers={"Content-Type": self.headers.get("Content-Type") or "application/json"})
                self.send_response(forwarded.status_code)
                self.send_header("Content-Type", forwarded.headers.get("Content-Type") or "application/json")
                self.send_header("Content-Length", str(len(forwarded.content)))
                self.end_headers()
                self.wfile.write(forwarded.content)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class OpenBuilder:
    """Posts skill payloads as Open Builder does (the fallback block hands every utterance over)."""

    def __init__(self, url: str, receiver: CallbackReceiver, proxy: ActionProxy, assistant) -> None:
        self.url = url
        self.receiver = receiver
        self.proxy = proxy
        self.assistant = assistant

    @staticmethod
    def payload(user_key: str, utterance: str, callback_url: str | None = None, extra: dict | None = None) -> dict:
        user_request = {
            "timezone": "Asia/Seoul", "lang": "ko", "utterance": utterance,
            "block": {"id": "fallback-block", "name": "폴백 블록"},
            "user": {"id": user_key, "type": "botUserKey",
                     "properties": {"botUserKey": user_key, "plusfriendUserKey": "pf-" + user_key[:8], "isFriend": True}},
            "params": {"surface": "Kakaotalk.plusfriend"},
        }
        if callback_url:
            user_request["callbackUrl"] = callback_url
        return {
            "intent": {"id": "fallback-block", "name": "폴백 블록"},
            "userRequest": user_request,
            "bot": {"id": "test-bot", "name": "위탁콜 상담"},
            "action": {"id": "skill", "name": "rasa", "params": {}, "detailParams": {}, "clientExtra": extra or {}},
        }

    def post(self, user_key: str, utterance: str, secret: str | None = SKILL_SECRET, **kwargs) -> requests.Response:
        headers = {"X-Kakao-Skill-Secret": secret} if secret is not None else {}
        return requests.post(f"{self.url}/webhooks/kakao/skill", json=self.payload(user_key, utterance, **kwargs),
                             headers=headers, timeout=60)

    def say(self, user_key: str, utterance: str, **kwargs) -> dict:
        answer = self.post(user_key, utterance, **kwargs)
        assert answer.status_code == 200, answer.text
        return answer.json()


def outputs(body: dict) -> list:
    return [output["simpleText"]["text"] for output in body["template"]["outputs"]]


def text_of(body: dict) -> str:
    return "\n".join(outputs(body))


def well_formed(body: dict) -> bool:
    template = body.get("template") or {}
    texts = template.get("outputs") or []
    return (body.get("version") == "2.0" and 1 <= len(texts) <= MAX_OUTPUTS
            and all(0 < len(output["simpleText"]["text"]) <= MAX_TEXT_CHARS for output in texts)
            and len(template.get("quickReplies") or []) <= MAX_QUICK_REPLIES)


def wait_until_answered(kakao, user: str, text: str, timeout: float = WAIT_S) -> None:
    """Until the conversation's slow turn has said `text` and listens again (read through Rasa's API)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = kakao.assistant.tracker(conversation_id(user, USER_KEY_SECRET))["events"]
        said = any(event["event"] == "bot" and text in (event.get("text") or "") for event in events)
        if said and events[-1]["event"] == "action" and events[-1]["name"] == "action_listen":
            time.sleep(0.5)  # the channel keeps the answer right after the turn
            return
        time.sleep(0.3)
    raise AssertionError(f"the slow turn did not finish within {timeout}s")


def new_user() -> str:
    return uuid.uuid4().hex  # a botUserKey


@pytest.fixture(scope="module")
def kakao(tmp_path_factory):
    receiver = CallbackReceiver()
    actions_port = _free_port()
    proxy = ActionProxy(actions_port)
    env = {
        "KAKAO_SKILL_SECRET": SKILL_SECRET,
        "KAKAO_USER_KEY_SECRET": USER_KEY_SECRET,
        "KAKAO_CALLBACK_ORIGINS": receiver.origin,
        "KAKAO_CALLBACK_WITHIN_SECONDS": str(CALLBACK_WITHIN_S),
    }
    try:
        with running_assistant(tmp_path_factory.mktemp("kakao"), _free_port(), actions_port, extra_env=env,
                               rasa_actions_url=proxy.url) as assistant:
            yield OpenBuilder(assistant.url, receiver, proxy, assistant)
    finally:
        proxy.close()
        receiver.close()


@pytest.fixture
def normal_speed(kakao):
    kakao.proxy.delay_s, kakao.proxy.failing = 0.0, False
    yield
    kakao.proxy.delay_s, kakao.proxy.failing = 0.0, False


# ── the channel's door ────────────────────────────────────────────────────────
def test_the_channel_is_off_when_no_skill_secret_is_set(assistant):
    answer = requests.post(f"{assistant.url}/webhooks/kakao/skill", json=OpenBuilder.payload(new_user(), QUESTION),
                           headers={"X-Kakao-Skill-Secret": SKILL_SECRET}, timeout=30)
    assert answer.status_code == 404


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SKILL_SECRET + "x", SKILL_SECRET[:-1]])
def test_a_request_without_the_right_secret_gets_401_and_no_turn(kakao, secret):
    user = new_user()
    answer = kakao.post(user, QUESTION, secret=secret)
    assert answer.status_code == 401
    assert DEFINITION not in json.dumps(answer.json(), ensure_ascii=False)  # the body escapes Korean
    tracker = kakao.assistant.tracker(conversation_id(user, USER_KEY_SECRET))
    assert not [event for event in tracker["events"] if event["event"] == "user"]  # nothing ran


def test_a_rest_client_cannot_claim_a_kakao_conversation(kakao):
    sender = conversation_id(new_user(), USER_KEY_SECRET)
    answer = requests.post(f"{kakao.url}/webhooks/rest/webhook", json={"sender": sender, "message": QUESTION}, timeout=30)
    assert answer.status_code == 403


def test_a_message_too_long_gets_a_korean_answer_in_the_template_and_no_turn(kakao):
    user = new_user()
    body = kakao.say(user, "위탁콜 " * 600)
    assert well_formed(body) and outputs(body) == [message("driver_channel", "message_too_long")]
    tracker = kakao.assistant.tracker(conversation_id(user, USER_KEY_SECRET))
    assert not [event for event in tracker["events"] if event["event"] == "user"]


def test_one_kakaotalk_user_flooding_is_limited_like_on_every_channel(kakao):
    user = new_user()
    answers = [text_of(kakao.say(user, "안녕하세요")) for _ in range(31)]
    assert message("driver_channel", "too_many_messages") not in answers[0]
    assert answers[-1] == message("driver_channel", "too_many_messages")
    assert message("driver_channel", "too_many_messages") not in text_of(kakao.say(new_user(), "안녕하세요"))


# ── answers in Open Builder's template ────────────────────────────────────────
def test_q1_is_answered_in_the_skill_template(kakao, normal_speed):
    body = kakao.say(new_user(), QUESTION)
    assert well_formed(body), body
    assert DEFINITION in text_of(body)


def test_the_turn_is_a_kakao_turn_with_no_token_in_its_metadata(kakao, normal_speed):
    user = new_user()
    kakao.say(user, QUESTION)
    tracker = kakao.assistant.tracker(conversation_id(user, USER_KEY_SECRET))
    said = [event for event in tracker["events"] if event["event"] == "user"]
    assert [event["input_channel"] for event in said] == ["kakao"]
    assert said[0]["metadata"]["channel"] == "kakao"
    assert not {"driver_token", "holder"} & set(said[0]["metadata"])
    assert user not in json.dumps(tracker)  # the botUserKey itself is stored nowhere


def test_the_buttons_become_quick_replies_that_work_when_pressed(kakao, normal_speed):
    user = new_user()
    body = kakao.say(user, "콜마너에서 콜 수락이 안돼요 발주사 정책 어쩌고 떠요")
    replies = body["template"].get("quickReplies") or []
    assert well_formed(body) and replies, body
    titles = {button["title"] for variants in _domain()["responses"].values() for variant in variants
              for button in variant.get("buttons") or []}
    for reply in replies:
        assert reply["action"] == "message"
        assert 0 < len(reply["label"]) <= MAX_LABEL_CHARS
        assert reply["messageText"] in titles  # what the driver would type
    kakao_button = next(reply for reply in replies if "카카오" in reply["messageText"])
    # pressed: Open Builder sends the messageText as the utterance and the extra as clientExtra
    pressed = kakao.say(user, kakao_button["messageText"], extra=kakao_button.get("extra"))
    assert domain_text("utter_identity_not_verified") in text_of(pressed)


def test_q3_never_discloses_the_record_to_a_kakaotalk_user(kakao, normal_speed):
    user = new_user()
    name, phone = DEMO_DRIVERS["D-1001"]  # suspended: 운행 중 사고 발생 후 미신고
    said = [kakao.say(user, "콜마너에서 콜 수락이 안돼요 발주사 정책 어쩌고 떠요"),
            kakao.say(user, f"네 카카오요 {name}이고 번호는 {phone}이에요")]
    everything = "\n".join(text_of(body) for body in said)
    assert "카카오 모빌리티" in text_of(said[0])  # 탐색 ran: the ordering company was asked
    assert domain_text("utter_identity_not_verified") in text_of(said[1])
    assert "미신고" not in everything and "정지" not in everything and "차단" not in everything
    assert "성함" not in everything  # no 본인확인 is asked where it cannot succeed


def test_two_kakaotalk_users_never_share_a_conversation(kakao, normal_speed):
    first, second = new_user(), new_user()
    assert conversation_id(first, USER_KEY_SECRET) != conversation_id(second, USER_KEY_SECRET)
    kakao.say(first, "콜마너에서 콜 수락이 안돼요 발주사 정책 어쩌고 떠요")  # first is asked the ordering company
    answer_to_second = text_of(kakao.say(second, "네 카카오요"))
    assert domain_text("utter_identity_not_verified") not in answer_to_second
    assert domain_text("utter_identity_not_verified") in text_of(kakao.say(first, "네 카카오요"))


# ── time: Open Builder waits 5 seconds ────────────────────────────────────────
def test_a_slow_turn_answers_by_callback(kakao, normal_speed):
    kakao.proxy.delay_s = SLOW_S
    callback = kakao.receiver.url()
    body = kakao.say(new_user(), QUESTION, callback_url=callback)
    assert body == {"version": "2.0", "useCallback": True, "data": {"text": message("kakao", "holding")}}
    posted = kakao.receiver.wait_for(callback)
    assert well_formed(posted) and DEFINITION in text_of(posted)


def test_a_turn_that_misses_the_callbacks_minute_gets_an_apology_and_the_answer_comes_next(kakao, normal_speed):
    kakao.proxy.delay_s = CALLBACK_WITHIN_S + 6
    user, callback = new_user(), kakao.receiver.url()
    assert kakao.say(user, QUESTION, callback_url=callback)["useCallback"] is True
    late = kakao.receiver.wait_for(callback)
    assert outputs(late) == [message("kakao", "late")]
    wait_until_answered(kakao, user, DEFINITION)
    kakao.proxy.delay_s = 0
    following = text_of(kakao.say(user, "대전도 되나요?"))
    assert message("kakao", "earlier_answer") in following and DEFINITION in following
    assert len(kakao.receiver.posted_to(callback)) == 1  # a callback URL is used once


def test_a_slow_turn_without_callback_says_so_and_the_answer_comes_with_the_next_message(kakao, normal_speed):
    kakao.proxy.delay_s = SLOW_S
    user = new_user()
    assert outputs(kakao.say(user, QUESTION)) == [message("kakao", "still_working")]
    wait_until_answered(kakao, user, DEFINITION)
    kakao.proxy.delay_s = 0
    following = kakao.say(user, "대전도 되나요?")
    assert well_formed(following)
    assert text_of(following).index(DEFINITION) < text_of(following).index("대전")


def test_a_callback_url_outside_the_allowed_origins_is_never_called(kakao, normal_speed):
    elsewhere = CallbackReceiver()  # as if the payload named any other server
    try:
        kakao.proxy.delay_s = SLOW_S
        user, callback = new_user(), elsewhere.url()
        assert outputs(kakao.say(user, QUESTION, callback_url=callback)) == [message("kakao", "still_working")]
        wait_until_answered(kakao, user, DEFINITION)
        kakao.proxy.delay_s = 0
        assert DEFINITION in text_of(kakao.say(user, "감사합니다"))  # the turn ran to its end
        assert elsewhere.calls == []
    finally:
        elsewhere.close()


def test_a_failing_action_server_gets_an_honest_apology(kakao, normal_speed):
    kakao.proxy.failing = True
    body = kakao.say(new_user(), QUESTION)
    assert well_formed(body)
    assert domain_text("utter_action_server_unavailable") in text_of(body)
    assert DEFINITION not in text_of(body)


# ── handoff ───────────────────────────────────────────────────────────────────
def test_a_handoff_is_queued_and_the_agents_long_answers_arrive_whole_on_the_next_messages(kakao, normal_speed):
    user = new_user()
    sender = conversation_id(user, USER_KEY_SECRET)
    handed = text_of(kakao.say(user, "상담원 연결해 주세요"))
    assert "상담원에게 연결해 드리겠습니다" in handed and message("kakao", "handed_over") in handed
    queued = queued_handoff(kakao.assistant, sender)
    assert queued["input_channel"] == "kakao"
    headers = {"Authorization": f"Bearer {mint_agent_token('A-KAKAO', AGENT_SECRET)}"}
    handoff_url = f"{kakao.url}/webhooks/assist/handoffs/{queued['handoff_id']}"
    assert requests.post(f"{handoff_url}/take", json={}, headers=headers, timeout=30).status_code == 200
    # two long replies, 3,800 characters in all: more than one skill answer holds
    sentences = [f"안내 {n}번입니다. 위탁콜 배정 기준은 출발지 기준으로 적용됩니다." for n in range(120)]
    agent_texts = [" ".join(sentences[:60])[:1900], " ".join(sentences[60:])[:1900]]
    for text in agent_texts:
        assert requests.post(f"{handoff_url}/reply", json={"text": text}, headers=headers, timeout=30).status_code == 200
    received = []
    for _ in range(3):
        body = kakao.say(user, "답변 왔나요?")
        assert well_formed(body), body
        received += outputs(body)
    channel_lines = (message("kakao", "earlier_answer"), message("driver_channel", "passed_to_agent"))
    joined = re.sub(r"\s+", "", "".join(received))
    for channel_line in channel_lines:  # the channel's own lines between the agent's pieces
        joined = joined.replace(re.sub(r"\s+", "", channel_line), "")
    for text in agent_texts:
        assert re.sub(r"\s+", "", text) in joined  # split at sentence ends, nothing lost
    assert all(len(output) <= MAX_TEXT_CHARS for output in received)


@pytest.mark.parametrize("raw", [
    b"[" * 1500 + b"]" * 1500,  # nested past the parser's depth
    '{"userRequest": {"user": {"id": "u\\ud800"}, "utterance": "위탁콜"}}'.encode(),  # a lone surrogate
])
def test_a_body_that_is_no_usable_text_gets_the_korean_400_template(kakao, raw):
    answer = requests.post(f"{kakao.url}/webhooks/kakao/skill", data=raw, timeout=60,
                           headers={"X-Kakao-Skill-Secret": SKILL_SECRET, "Content-Type": "application/json"})
    assert answer.status_code == 400
    assert well_formed(answer.json()) and outputs(answer.json()) == [message("kakao", "invalid_request")]
