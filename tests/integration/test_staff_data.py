"""Staff see only what they need, and every read of a driver's conversation is accounted for
(issue 13, item 5): the queue, take, the taker's view, suggest, packets, logs — on the live servers."""
from __future__ import annotations

import pytest
import requests

from consignment.agent_auth import mint_agent_token
from consignment.assist_store import AssistStore
from consignment.identity import mint_driver_token
from tests.conftest import TEST_SECRET
from tests.live_servers import AGENT_SECRET

pytestmark = pytest.mark.live

DRIVER_WORDS = "제 차 번호판 가나다라 확인 부탁"  # what only the driver wrote


def agent(agent_id: str) -> dict:
    return {"Authorization": f"Bearer {mint_agent_token(agent_id, AGENT_SECRET)}"}


def api(assistant, method: str, path: str, headers: dict, body: dict | None = None) -> requests.Response:
    return requests.request(method, f"{assistant.url}/webhooks/assist/{path}", json=body if method == "POST" else None,
                            headers=headers, timeout=30)


def hand_over(assistant, sender, *turns: str) -> dict:
    """The driver's turns, then a request for an agent; the conversation's queue item."""
    for turn in turns:
        assistant.say(sender, turn)
    assistant.say(sender, "상담원 연결해 주세요")
    return queue_item(assistant, sender)


def queue_item(assistant, sender) -> dict:
    queue = api(assistant, "GET", "handoffs", agent("A-ANY")).json()["handoffs"]
    return next(h for h in queue if h["conversation_id"] == sender)


def reads(assistant, handoff_id: str) -> list:
    rows = AssistStore(f"sqlite:///{assistant.workdir / 'assist.db'}").agent_audit_rows()
    return [(r["agent_id"], r["detail"].split(":")[0]) for r in rows if r["handoff_id"] == handoff_id and r["action"] == "read"]


def test_the_queue_carries_the_summary_but_not_the_drivers_messages(assistant, sender):
    item = hand_over(assistant, sender, DRIVER_WORDS, "위탁콜이 뭐예요?")
    assert "transcript" not in item and "what_was_asked" not in item["packet"] and "slots" not in item["packet"]
    assert DRIVER_WORDS not in str(item) and "상담원 연결해 주세요" not in str(item)  # not even the last words
    assert item["summary"].startswith("기사님 요청") and item["reason_label"] == "기사님 요청"


def test_taking_a_handoff_answers_with_its_transcript_and_audits_the_read(assistant, sender):
    item = hand_over(assistant, sender, DRIVER_WORDS)
    taken = api(assistant, "POST", f"handoffs/{item['handoff_id']}/take", agent("A-S1"), {}).json()
    assert DRIVER_WORDS in [line["text"] for line in taken["transcript"]]
    assert DRIVER_WORDS in taken["handoff"]["packet"]["what_was_asked"]
    assert reads(assistant, item["handoff_id"]) == [("A-S1", "take")]


def test_the_taker_can_refresh_a_conversation_and_another_agent_cannot(assistant, sender):
    item = hand_over(assistant, sender, DRIVER_WORDS)
    api(assistant, "POST", f"handoffs/{item['handoff_id']}/take", agent("A-S2"), {})
    assistant.say(sender, "아직이에요?")
    mine = api(assistant, "GET", f"handoffs/{item['handoff_id']}", agent("A-S2"))
    assert mine.status_code == 200 and "아직이에요?" in [line["text"] for line in mine.json()["transcript"]]
    theirs = api(assistant, "GET", f"handoffs/{item['handoff_id']}", agent("A-S3"))
    assert theirs.status_code == 403 and "transcript" not in theirs.json()


def test_every_refresh_that_shows_something_new_is_audited_and_an_unchanged_one_adds_nothing(assistant, sender):
    item = hand_over(assistant, sender, DRIVER_WORDS)
    hid = item["handoff_id"]
    api(assistant, "POST", f"handoffs/{hid}/take", agent("A-S4"), {})
    api(assistant, "GET", f"handoffs/{hid}", agent("A-S4"))
    api(assistant, "GET", f"handoffs/{hid}", agent("A-S4"))  # the same conversation again: already accounted for
    assistant.say(sender, "여보세요?")
    api(assistant, "GET", f"handoffs/{hid}", agent("A-S4"))
    assert reads(assistant, hid) == [("A-S4", "take"), ("A-S4", "view"), ("A-S4", "view")]


def test_a_suggestion_does_not_read_a_conversation_the_agent_does_not_hold(assistant, sender):
    assistant.say(sender, "콜마너에서 콜 수락이 안 돼요")
    assistant.say(sender, "네 카카오요")
    card = api(assistant, "POST", "suggest", agent("A-S5"), {"text": "김민수", "conversation_id": sender}).json()
    assert card["conversation"] is None and card["conversation_withheld"] is True


def test_a_suggestion_for_the_agents_own_handoff_follows_it_and_audits_the_read(assistant, sender):
    item = hand_over(assistant, sender, "콜마너에서 콜 수락이 안 돼요", "네 카카오요")
    api(assistant, "POST", f"handoffs/{item['handoff_id']}/take", agent("A-S6"), {})
    card = api(assistant, "POST", "suggest", agent("A-S6"), {"text": "김민수", "conversation_id": sender}).json()
    assert card["conversation"]["slots"]["ordering_company"] == "카카오모빌리티"
    assert ("A-S6", "suggest") in reads(assistant, item["handoff_id"])


def test_a_token_pasted_by_the_driver_never_reaches_a_handoff_packet(assistant, sender):
    pasted = mint_driver_token("D-1001", TEST_SECRET)
    assistant.say(sender, "콜마너에서 콜 수락이 안 돼요")
    assistant.say(sender, "카카오요")
    assistant.say(sender, pasted)
    replies = assistant.say(sender, pasted)  # a second unusable answer: handed over, this message the last
    assert "상담원에게 연결해 드리겠습니다" in " ".join(r.get("text", "") for r in replies)
    item = queue_item(assistant, sender)
    taken = api(assistant, "POST", f"handoffs/{item['handoff_id']}/take", agent("A-S7"), {}).json()
    stored = AssistStore(f"sqlite:///{assistant.workdir / 'assist.db'}").handoff(item["handoff_id"])
    assert item["packet"]["reason"] == "misunderstanding"
    assert pasted not in str(item) and pasted not in str(taken) and pasted not in str(stored)


def test_logs_name_outcomes_never_the_drivers_words(assistant, sender):
    hand_over(assistant, sender, DRIVER_WORDS)
    logs = "".join(log.read_text(encoding="utf-8", errors="replace") for log in assistant.logs)
    assert "상담원 연결해 주세요" not in logs and DRIVER_WORDS not in logs
    assert "handoff recorded" in logs  # the outcome is logged


def test_logs_never_tie_a_driver_to_a_suspension(assistant):
    assert api(assistant, "POST", "lookup", agent("A-S8"), {"driver_id": "D-1005"}).json()["status"] == "suspended"
    lookups = [line for log in assistant.logs for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
               if "assist lookup" in line]
    assert lookups and not any("D-1005" in line or "suspended" in line for line in lookups)
