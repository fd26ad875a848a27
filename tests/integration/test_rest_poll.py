"""A REST client hears the agent without sending a message (issue 18 item 1): the poll
POST /webhooks/rest/messages on the live servers, with a real handoff taken and answered through
the assist API."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import requests

from consignment.agent_auth import mint_agent_token
from consignment.identity import mint_driver_token
from tests.conftest import TEST_SECRET
from tests.live_servers import AGENT_SECRET

pytestmark = pytest.mark.live


def agent(agent_id: str) -> dict:
    return {"Authorization": f"Bearer {mint_agent_token(agent_id, AGENT_SECRET)}"}


def say(assistant, sender: str, text: str, token: str | None = None) -> list:
    metadata = {"driver_token": token} if token else {}
    answer = requests.post(f"{assistant.url}/webhooks/rest/webhook", timeout=120,
                           json={"sender": sender, "message": text, "metadata": metadata})
    answer.raise_for_status()
    return answer.json()


def poll(assistant, sender: str, token: str | None = None, **extra) -> requests.Response:
    metadata = {"driver_token": token} if token else {}
    return requests.post(f"{assistant.url}/webhooks/rest/messages", timeout=60,
                         json={"sender": sender, "metadata": metadata, **extra})


def taken_and_answered(assistant, sender: str, agent_id: str, text: str, token: str | None = None) -> None:
    say(assistant, sender, "상담원 연결해 주세요", token)
    mine = agent(agent_id)
    queue = requests.get(f"{assistant.url}/webhooks/assist/handoffs", headers=mine, timeout=30).json()
    handoff_id = next(h["handoff_id"] for h in queue["handoffs"] if h["conversation_id"] == sender)
    base = f"{assistant.url}/webhooks/assist/handoffs/{handoff_id}"
    assert requests.post(f"{base}/take", json={}, headers=mine, timeout=30).status_code == 200
    assert requests.post(f"{base}/reply", json={"text": text}, headers=mine, timeout=30).status_code == 200


def test_a_driver_polling_hears_the_agents_reply_without_sending_anything(assistant):
    sender, token = f"poll-{uuid.uuid4().hex}", mint_driver_token("D-1003", TEST_SECRET)
    taken_and_answered(assistant, sender, "A-POLL-1", "상담원 박두리입니다. 확인해 드릴게요.", token)
    heard = poll(assistant, sender, token)
    assert heard.status_code == 200
    assert heard.json()["handed_over"] is True
    assert [m["text"] for m in heard.json()["messages"]] == ["상담원 박두리입니다. 확인해 드릴게요."]


def test_a_poll_after_the_last_timestamp_seen_brings_only_newer_replies(assistant):
    sender = f"poll-{uuid.uuid4().hex}"  # anonymous: the long sender id is the key
    taken_and_answered(assistant, sender, "A-POLL-2", "첫 번째 답변입니다.")
    seen = poll(assistant, sender).json()["messages"][-1]["timestamp"]
    assert poll(assistant, sender, after=seen).json()["messages"] == []


def test_another_driver_cannot_poll_someone_elses_conversation(assistant):
    sender, token = f"poll-{uuid.uuid4().hex}", mint_driver_token("D-1007", TEST_SECRET)
    taken_and_answered(assistant, sender, "A-POLL-3", "D-1007 기사님께만 보이는 답변입니다.", token)
    other = poll(assistant, sender, mint_driver_token("D-1002", TEST_SECRET))
    assert other.status_code == 403 and "D-1007 기사님께만" not in json.dumps(other.json(), ensure_ascii=False)
    assert poll(assistant, sender).status_code == 403  # nor a client without a token


def test_a_poll_of_a_conversation_nobody_started_claims_nothing(assistant):
    sender, token = f"poll-{uuid.uuid4().hex}", mint_driver_token("D-1002", TEST_SECRET)
    assert poll(assistant, sender, token).json() == {"handed_over": False, "messages": []}
    # the first to write still holds it: the poll did not make it D-1002's
    assert "CNMP" in " ".join(r.get("text", "") for r in say(assistant, sender, "위탁콜이 뭐예요?", mint_driver_token("D-1003", TEST_SECRET)))


def test_a_malformed_poll_gets_a_korean_400(assistant):
    answer = poll(assistant, f"poll-{uuid.uuid4().hex}", after="어제")
    assert answer.status_code == 400 and "after" in answer.json()[0]["text"]


def test_an_expired_token_hears_no_agent_reply_in_a_poll(assistant):
    sender, token = f"poll-{uuid.uuid4().hex}", mint_driver_token("D-1005", TEST_SECRET)
    taken_and_answered(assistant, sender, "A-POLL-4", "D-1005 기사님, 정지는 12월 31일까지입니다.", token)
    expired = mint_driver_token("D-1005", TEST_SECRET, ttl=dt.timedelta(seconds=-5))
    answer = poll(assistant, sender, expired)
    assert answer.status_code == 401 and "12월 31일" not in answer.content.decode("unicode_escape")
    # the reply waits for a token in force
    assert "12월 31일" in " ".join(m["text"] for m in poll(assistant, sender, token).json()["messages"])


def test_an_expired_token_hears_no_agent_reply_with_its_next_message(assistant):
    sender, token = f"poll-{uuid.uuid4().hex}", mint_driver_token("D-1001", TEST_SECRET)
    taken_and_answered(assistant, sender, "A-POLL-5", "D-1001 기사님께만 드리는 답변입니다.", token)
    replies = say(assistant, sender, "여보세요", mint_driver_token("D-1001", TEST_SECRET, ttl=dt.timedelta(seconds=-5)))
    texts = " ".join(r.get("text", "") for r in replies)
    assert "기사님께만 드리는 답변" not in texts and "로그인 정보가 만료되어" in texts
    assert not any("_agent_reply" in r for r in replies)


@pytest.mark.parametrize("after", [10 ** 400, float("nan")])
def test_an_after_that_is_no_finite_time_gets_a_korean_400(assistant, after):
    sender = f"poll-{uuid.uuid4().hex}"
    taken_and_answered(assistant, sender, "A-POLL-6", "답변입니다.")
    body = '{"sender": "%s", "after": %s}' % (sender, "NaN" if after != after else str(after))
    answer = requests.post(f"{assistant.url}/webhooks/rest/messages", data=body.encode(), timeout=60,
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and "after" in answer.json()[0]["text"]


def test_a_lone_surrogate_in_a_message_gets_a_korean_400_not_an_outage(assistant):
    body = '{"sender": "%s", "message": "위탁콜\\ud800"}' % f"surrogate-{uuid.uuid4().hex}"
    answer = requests.post(f"{assistant.url}/webhooks/rest/webhook", data=body.encode(), timeout=60,
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
