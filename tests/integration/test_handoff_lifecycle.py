"""A conversation is paused exactly while the agents' queue holds an open or taken handoff for it
(issue 13, item 1): through REST and the assist API on the live servers, with the databases failing
for real (a table renamed away under the running server, then back)."""
from __future__ import annotations

import contextlib
import sqlite3

import pytest
import requests

from consignment.agent_auth import mint_agent_token
from tests.live_servers import AGENT_SECRET, API_TOKEN, age_conversation, bot_silent

pytestmark = pytest.mark.live


def agent(agent_id: str) -> dict:
    return {"Authorization": f"Bearer {mint_agent_token(agent_id, AGENT_SECRET)}"}


def texts(replies: list) -> str:
    return " ".join(r.get("text", "") for r in replies)


def handed_over_and_taken(assistant, sender, agent_headers) -> str:
    """The driver asked for an agent over REST and the agent took it; the handoff id."""
    assert "상담원에게 연결해 드리겠습니다" in texts(assistant.say(sender, "상담원 연결해 주세요"))
    queue = requests.get(f"{assistant.url}/webhooks/assist/handoffs", headers=agent_headers, timeout=30).json()
    handoff_id = next(h["handoff_id"] for h in queue["handoffs"] if h["conversation_id"] == sender)
    taken = requests.post(f"{assistant.url}/webhooks/assist/handoffs/{handoff_id}/take", json={},
                          headers=agent_headers, timeout=30)
    assert taken.status_code == 200
    return handoff_id


@contextlib.contextmanager
def table_gone(database, table: str):
    """`table` renamed away under the running servers for the block: every query on it fails."""
    with sqlite3.connect(database, timeout=30) as db:
        db.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        yield
    finally:
        with sqlite3.connect(database, timeout=30) as db:
            db.execute(f"ALTER TABLE {table}_away RENAME TO {table}")


def test_a_resolve_while_the_conversation_store_fails_still_gives_the_driver_the_bot_back(assistant, sender):
    mine = agent("A-LIFE-1")
    handoff_id = handed_over_and_taken(assistant, sender, mine)
    with table_gone(assistant.workdir / "conversations.db", "events"):
        resolved = requests.post(f"{assistant.url}/webhooks/assist/handoffs/{handoff_id}/resolve", json={},
                                 headers=mine, timeout=30)
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert "CNMP" in texts(assistant.say(sender, "위탁콜이 뭐예요?"))


def test_a_conversation_unpaused_behind_the_queues_back_stays_with_the_agent(assistant, sender):
    handed_over_and_taken(assistant, sender, agent("A-LIFE-2"))
    resumed = requests.post(f"{assistant.url}/conversations/{sender}/tracker/events", params={"token": API_TOKEN},
                            json=[{"event": "resume"}], timeout=30)
    assert resumed.status_code == 200
    assert bot_silent(assistant.say(sender, "위탁콜이 뭐예요?"))  # the agent still owns it: the bot stays silent


def test_the_pause_outlives_a_session_start_even_while_the_queue_cannot_be_read(assistant, sender):
    handed_over_and_taken(assistant, sender, agent("A-LIFE-3"))
    age_conversation(assistant, sender, hours=2)  # the driver writes again after the session expired
    with table_gone(assistant.workdir / "assist.db", "assist_handoffs"):
        assert bot_silent(assistant.say(sender, "아직 기다리고 있어요"))
    assert bot_silent(assistant.say(sender, "여보세요?"))  # and still once the queue answers again
    events = [e["event"] for e in assistant.tracker(sender)["events"]]
    since_new_session = events[len(events) - events[::-1].index("session_started"):]
    assert "user" in since_new_session and "bot" not in since_new_session




def test_a_handoff_transferred_to_a_name_nobody_uses_is_released_by_a_lead_and_resolved(assistant, sender):
    mine, lead = agent("A-LIFE-4"), {"Authorization": f"Bearer {mint_agent_token('L-LIFE', AGENT_SECRET, role='lead')}"}
    handoff_id = handed_over_and_taken(assistant, sender, mine)
    base = f"{assistant.url}/webhooks/assist/handoffs/{handoff_id}"
    assert requests.post(f"{base}/transfer", json={"to_agent": "A-NOBODY"}, headers=mine, timeout=30).status_code == 200
    assert requests.post(f"{base}/release", json={}, headers=mine, timeout=30).status_code == 403  # agents may not
    assert requests.post(f"{base}/release", json={}, headers=lead, timeout=30).json()["status"] == "open"
    other = agent("A-LIFE-5")
    assert requests.post(f"{base}/take", json={}, headers=other, timeout=30).status_code == 200
    assert requests.post(f"{base}/resolve", json={}, headers=other, timeout=30).status_code == 200
    assert "CNMP" in texts(assistant.say(sender, "위탁콜이 뭐예요?"))


def test_a_rest_driver_gets_the_agents_reply_with_their_next_message_once_and_never_the_packet(assistant, sender):
    mine = agent("A-LIFE-6")
    first = assistant.say(sender, "상담원 연결해 주세요")
    assert not any("handoff" in (r.get("custom") or {}) for r in first)  # the packet is the agents'
    queue = requests.get(f"{assistant.url}/webhooks/assist/handoffs", headers=mine, timeout=30).json()
    handoff_id = next(h["handoff_id"] for h in queue["handoffs"] if h["conversation_id"] == sender)
    base = f"{assistant.url}/webhooks/assist/handoffs/{handoff_id}"
    assert requests.post(f"{base}/take", json={}, headers=mine, timeout=30).status_code == 200
    assert requests.post(f"{base}/reply", json={"text": "상담원 김하나입니다. 무엇을 도와드릴까요?"},
                         headers=mine, timeout=30).status_code == 200
    answer = texts(assistant.say(sender, "콜 수락이 안 돼서요"))
    assert "상담원 김하나입니다" in answer and "상담원에게 전달했습니다" in answer
    again = texts(assistant.say(sender, "여보세요?"))
    assert "상담원 김하나입니다" not in again and "상담원에게 전달했습니다" in again


def test_an_agents_last_reply_before_resolving_reaches_a_rest_driver_ahead_of_the_bot(assistant, sender):
    mine = agent("A-LIFE-7")
    handoff_id = handed_over_and_taken(assistant, sender, mine)
    base = f"{assistant.url}/webhooks/assist/handoffs/{handoff_id}"
    assert requests.post(f"{base}/reply", json={"text": "확인해 보니 정상입니다. 다시 시도해 주세요."},
                         headers=mine, timeout=30).status_code == 200
    assert requests.post(f"{base}/resolve", json={}, headers=mine, timeout=30).status_code == 200
    replies = [r.get("text", "") for r in assistant.say(sender, "위탁콜이 뭐예요?")]
    assert replies[0] == "확인해 보니 정상입니다. 다시 시도해 주세요." and "CNMP" in " ".join(replies[1:])
    assert "확인해 보니 정상입니다" not in texts(assistant.say(sender, "위탁콜이 뭐예요?"))  # once


def test_a_retried_handoff_turn_replays_the_handoff_message_without_the_agents_packet(assistant, sender):
    body = {"sender": sender, "message": "상담원 연결해 주세요", "message_id": f"m-{sender}"}
    first = requests.post(f"{assistant.url}/webhooks/rest/webhook", json=body, timeout=60).json()
    again = requests.post(f"{assistant.url}/webhooks/rest/webhook", json={**body, "retry": True}, timeout=60).json()
    assert "상담원에게 연결해 드리겠습니다" in texts(again) and texts(again) == texts(first)
    assert not any("handoff" in (r.get("custom") or {}) for r in again)
