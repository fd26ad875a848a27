"""A REST conversation belongs to its first holder (CONTRACT §4, issue 13 item 3): the driver whose
token started it, or one anonymous client. Nobody else — with no token, or with another driver's —
can pause it ("상담원 연결"), rate it or add a turn to it, by naming its sender id."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
import requests

from consignment.identity import mint_driver_token
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.live

OWNER = "D-1001"
REFUSED = "다른 기기나 계정에서 시작된 대화"
REASON = "운행 중 사고 발생 후 미신고"


def rest(assistant, sender: str, text: str, token=None) -> requests.Response:
    body = {"sender": sender, "message": text, "metadata": {"driver_token": token} if token else {}}
    return requests.post(f"{assistant.url}/webhooks/rest/webhook", json=body, timeout=60)


@pytest.fixture
def owned(assistant):
    """A verified driver's conversation in the middle of Q3 (the name is asked next)."""
    sender, token = f"holder-{uuid.uuid4()}", mint_driver_token(OWNER, TEST_SECRET)
    for text in ("콜마너에서 콜 수락이 안 돼요", "네 카카오요"):
        assert rest(assistant, sender, text, token).status_code == 200
    return sender, token


STRANGERS = {"no token": None, "another driver's token": "D-1002"}
ATTEMPTS = {"a handoff": "상담원 연결해 주세요", "a rating": "/rate_helpful", "a turn": "김민수"}


@pytest.mark.parametrize("stranger", STRANGERS.values(), ids=STRANGERS.keys())
@pytest.mark.parametrize("text", ATTEMPTS.values(), ids=ATTEMPTS.keys())
def test_another_holder_is_refused_and_the_drivers_conversation_is_untouched(assistant, owned, stranger, text):
    sender, _ = owned
    before = assistant.tracker(sender)
    answer = rest(assistant, sender, text, mint_driver_token(stranger, TEST_SECRET) if stranger else None)
    assert answer.status_code == 403 and REFUSED in answer.json()[0]["text"]
    after = assistant.tracker(sender)
    assert len(after["events"]) == len(before["events"]) and not after["paused"]


def test_a_strangers_handoff_does_not_stop_the_driver_who_finishes_q3_with_a_reissued_token(assistant, owned):
    sender, _ = owned
    rest(assistant, sender, "상담원 연결해 주세요")  # no token: someone who only knows the sender id
    # the driver app issued a new token meanwhile (a later expiry): the same driver
    fresh = mint_driver_token(OWNER, TEST_SECRET, ttl=dt.timedelta(hours=2))
    assert rest(assistant, sender, "김민수", fresh).status_code == 200
    answer = rest(assistant, sender, "010-1234-5678", fresh)
    assert answer.status_code == 200 and REASON in " ".join(reply.get("text") or "" for reply in answer.json())


def test_a_driver_cannot_take_over_an_anonymous_clients_conversation(assistant):
    sender = f"anonymous-{uuid.uuid4()}"
    assert rest(assistant, sender, "위탁콜이 뭐예요?").status_code == 200
    before = assistant.tracker(sender)
    answer = rest(assistant, sender, "상담원 연결해 주세요", mint_driver_token("D-1002", TEST_SECRET))
    assert answer.status_code == 403 and REFUSED in answer.json()[0]["text"]
    assert len(assistant.tracker(sender)["events"]) == len(before["events"])


def test_an_anonymous_conversation_needs_an_unguessable_sender_id(assistant):
    """Without a token the sender id is the only key: a short, guessable one is refused."""
    answer = rest(assistant, f"driver-{uuid.uuid4().hex[:4]}", "위탁콜이 뭐예요?")
    assert answer.status_code == 400 and "32자 이상" in answer.json()[0]["text"]


def stored_conversation(assistant, sender: str, channel: str, metadata: dict) -> None:
    """A conversation already in the tracker store that nobody holds yet (written the way an
    operator would, through Rasa's HTTP API): one from another channel, or from before holders."""
    from tests.live_servers import API_TOKEN

    event = {"event": "user", "text": "안녕하세요", "input_channel": channel, "metadata": metadata,
             "parse_data": {"intent": {"name": "greet", "confidence": 1.0}, "entities": []}}
    requests.post(f"{assistant.url}/conversations/{sender}/tracker/events", params={"token": API_TOKEN},
                  json=[event], timeout=30).raise_for_status()


def test_a_conversation_started_on_another_channel_is_not_taken_over_through_rest(assistant):
    sender = uuid.uuid4().hex  # the shape of a widget session id
    stored_conversation(assistant, sender, "socketio", {})
    answer = rest(assistant, sender, "상담원 연결해 주세요")
    assert answer.status_code == 403 and not assistant.tracker(sender)["paused"]


def test_a_rest_client_cannot_claim_a_slack_conversation_id_before_slack_uses_it(assistant):
    token = mint_driver_token(OWNER, TEST_SECRET)
    assert rest(assistant, "slack-U0PROBE-C0PROBE", "위탁콜이 뭐예요?", token).status_code == 403


def test_a_conversation_from_before_holders_were_kept_goes_on_for_the_driver_its_messages_name(assistant):
    from server.inbound import holder_digest

    sender, token = f"earlier-{uuid.uuid4()}", mint_driver_token(OWNER, TEST_SECRET)
    stored_conversation(assistant, sender, "rest", {"holder": holder_digest(token)})
    assert rest(assistant, sender, "상담원 연결해 주세요").status_code == 403
    assert rest(assistant, sender, "위탁콜이 뭐예요?", token).status_code == 200
