"""A driver's rights through the real servers (CONTRACT §4, docs/privacy.md): a CS lead exports
everything held about a driver, and erases it, leaving one audit line."""
from __future__ import annotations

import json
import threading
import uuid

import pytest
import requests
import sqlalchemy as sa

from consignment.agent_auth import mint_agent_token
from consignment.identity import mint_driver_token
from tests.conftest import DEMO_DRIVERS, TEST_SECRET
from tests.live_servers import AGENT_SECRET, age_conversation, queued_handoff

pytestmark = pytest.mark.live

# drivers no later live test relies on (an erasure deletes everything about them)
DRIVER = "D-1004"
ERASED = "D-1007"
OTHER = "D-1003"
WRONG_PHONE = "010-0000-0000"
QUESTION = "위탁콜이 뭐예요?"


def lead() -> dict:
    return {"Authorization": f"Bearer {mint_agent_token('A-LEAD-PRIVACY', AGENT_SECRET, role='lead')}"}


def agent() -> dict:
    return {"Authorization": f"Bearer {mint_agent_token('A-PRIVACY', AGENT_SECRET)}"}


def export(assistant, driver_id: str, headers: dict | None = None) -> requests.Response:
    return requests.get(f"{assistant.url}/webhooks/assist/drivers/{driver_id}/export",
                        headers=lead() if headers is None else headers, timeout=60)


def erase(assistant, driver_id: str, headers: dict | None = None) -> requests.Response:
    return requests.post(f"{assistant.url}/webhooks/assist/drivers/{driver_id}/erase",
                         headers=lead() if headers is None else headers, timeout=60)


def say(assistant, sender: str, text: str, driver_id: str) -> list:
    return assistant.say(sender, text, {"driver_token": mint_driver_token(driver_id, TEST_SECRET)})


def stored_events(assistant, sender: str, type_name: str | None = None) -> int:
    """The conversation's rows in the live servers' events table, of every session."""
    engine = sa.create_engine(f"sqlite:///{assistant.workdir / 'conversations.db'}")
    query = "SELECT count(*) FROM events WHERE sender_id = :s" + (" AND type_name = :t" if type_name else "")
    with engine.connect() as conn:
        count = conn.execute(sa.text(query), {"s": sender, "t": type_name}).scalar()
    engine.dispose()
    return count


def tracker_messages(assistant, sender: str) -> list:
    """What Rasa's own API has of the conversation: its messages (reading an unknown conversation
    there starts a fresh session in it, with no message)."""
    return [e for e in assistant.tracker(sender)["events"] if e["event"] in ("user", "bot")]


def a_drivers_data(assistant, driver_id: str) -> dict:
    """What a driver with a token leaves: a REST conversation with a rating and a handoff, and a
    failed 본인확인 in another conversation."""
    asked, checked = f"privacy-{uuid.uuid4().hex}", f"privacy-{uuid.uuid4().hex}"
    say(assistant, asked, QUESTION, driver_id)
    say(assistant, asked, "/rate_helpful", driver_id)
    say(assistant, asked, "상담원 연결해 주세요", driver_id)
    for text in ("콜마너에서 콜 수락이 안 돼요", "네 카카오요", DEMO_DRIVERS[driver_id][0], WRONG_PHONE):
        say(assistant, checked, text, driver_id)
    return {"asked": asked, "checked": checked, "handoff_id": queued_handoff(assistant, asked)["handoff_id"]}


@pytest.fixture(scope="module")
def exported(assistant):
    """D-1004's data and another driver's, then the lead's export of D-1004."""
    data = a_drivers_data(assistant, DRIVER)
    data["other"] = a_drivers_data(assistant, OTHER)
    answer = export(assistant, DRIVER)
    assert answer.status_code == 200, answer.text
    data["export"] = answer.json()
    yield data
    for driver_id in (DRIVER, OTHER):  # the failed checks must not lock the drivers out for later tests
        erase(assistant, driver_id)


def test_the_export_holds_the_drivers_conversation_with_their_own_messages(exported):
    (conversation,) = [c for c in exported["export"]["conversations"] if c["conversation_id"] == exported["asked"]]
    assert conversation["channel"] == "rest"
    assert {"from": "driver", "text": QUESTION} in [{k: m[k] for k in ("from", "text")} for m in conversation["messages"]]
    assert any(m["from"] == "bot" for m in conversation["messages"])


def test_the_export_holds_the_drivers_handoff(exported):
    handoffs = {h["handoff_id"]: h for h in exported["export"]["handoffs"]}
    assert handoffs[exported["handoff_id"]]["conversation_id"] == exported["asked"]
    assert handoffs[exported["handoff_id"]]["packet"]["reason"] == "driver_request"


def test_the_export_holds_the_drivers_rating(exported):
    assert [(r["conversation_id"], r["rating"]) for r in exported["export"]["ratings"]] == [(exported["asked"], "up")]


def test_the_export_holds_the_drivers_failed_identity_check(exported):
    assert len(exported["export"]["failed_identity_checks"]) == 1
    conversation_ids = {c["conversation_id"] for c in exported["export"]["conversations"]}
    assert exported["checked"] in conversation_ids


def test_the_export_holds_nothing_of_another_driver(exported):
    text = json.dumps(exported["export"], ensure_ascii=False)
    other = exported["other"]
    assert OTHER not in text
    assert other["asked"] not in text and other["checked"] not in text and other["handoff_id"] not in text
    assert DEMO_DRIVERS[OTHER][0] not in text


def test_the_export_holds_no_full_phone_number_or_token(exported):
    text = json.dumps(exported["export"], ensure_ascii=False)
    assert WRONG_PHONE not in text and "eyJ" not in text


def test_an_export_is_audited(assistant, exported):
    again = export(assistant, DRIVER).json()
    requests_seen = again["audit"]["privacy_requests"]
    assert [(r["action"], r["lead_id"]) for r in requests_seen][-1] == ("export", "A-LEAD-PRIVACY")


@pytest.mark.parametrize("call", [export, erase])
def test_an_agent_gets_403_and_nobody_without_a_token_gets_in(assistant, call):
    assert call(assistant, DRIVER, agent()).status_code == 403
    assert call(assistant, DRIVER, {}).status_code == 401


def test_a_driver_id_that_is_not_one_gets_400_in_korean(assistant):
    answer = export(assistant, "D-1004%20OR%201=1")
    assert answer.status_code == 400 and "기사 ID" in answer.json()["error"]


def test_erase_leaves_only_the_line_that_it_happened(assistant):
    data = a_drivers_data(assistant, ERASED)
    before = export(assistant, ERASED).json()
    assert before["conversations"] and before["handoffs"] and before["ratings"] and before["failed_identity_checks"]

    answer = erase(assistant, ERASED)
    assert answer.status_code == 200, answer.text
    after = export(assistant, ERASED).json()
    assert after["conversations"] == after["handoffs"] == after["ratings"] == after["failed_identity_checks"] == []
    assert after["agent_suggestions"] == after["audit"]["lookups"] == after["audit"]["agent_actions"] == []
    (line,) = after["audit"]["privacy_requests"]
    assert (line["action"], line["lead_id"], line["driver_id"]) == ("erase", "A-LEAD-PRIVACY", ERASED) and line["at"]
    for sender in (data["asked"], data["checked"]):
        assert stored_events(assistant, sender) == 0
        assert tracker_messages(assistant, sender) == []
    queue = requests.get(f"{assistant.url}/webhooks/assist/handoffs", headers=agent(), timeout=30).json()["handoffs"]
    assert data["handoff_id"] not in {item["handoff_id"] for item in queue}


def test_erase_after_a_session_restart_still_finds_the_conversation(assistant):
    sender = f"privacy-{uuid.uuid4().hex}"
    say(assistant, sender, QUESTION, ERASED)
    age_conversation(assistant, sender, hours=3)  # the session expires: the next message starts another
    say(assistant, sender, "대전도 되나요?", ERASED)
    assert stored_events(assistant, sender, "session_started") == 2

    assert erase(assistant, ERASED).status_code == 200
    assert stored_events(assistant, sender) == 0  # every session, not only the one Rasa loads
    assert tracker_messages(assistant, sender) == []


def widget_turns(assistant, driver_id: str, texts: list) -> str:
    """A widget conversation opened with the driver's token; its session id."""
    import socketio

    client = socketio.Client(reconnection=False)
    confirmed, ended = [], threading.Event()
    client.on("session_confirm", lambda session_id: confirmed.append(session_id))
    client.on("bot_turn_end", lambda data: ended.set())
    token = mint_driver_token(driver_id, TEST_SECRET)
    client.connect(assistant.url, socketio_path="/socket.io", transports=["polling"], wait_timeout=30)
    try:
        client.emit("session_request", {"session_id": None, "customData": {"driver_token": token}})
        for _ in range(100):
            if confirmed:
                break
            client.sleep(0.1)
        for text in texts:
            ended.clear()
            client.emit("user_uttered", {"message": text, "session_id": confirmed[0],
                                         "customData": {"driver_token": token}})
            assert ended.wait(60)
    finally:
        client.disconnect()
    return confirmed[0]


def test_a_widget_conversation_is_its_drivers_and_erased_with_them(assistant):
    session_id = widget_turns(assistant, ERASED, [QUESTION])
    (conversation,) = [c for c in export(assistant, ERASED).json()["conversations"]
                       if c["conversation_id"] == session_id]
    assert conversation["channel"] == "widget" and conversation["messages"][0]["text"] == QUESTION
    assert erase(assistant, ERASED).status_code == 200
    assert stored_events(assistant, session_id) == 0


def test_the_openapi_document_describes_export_and_erase(assistant):
    paths = requests.get(f"{assistant.url}/webhooks/assist/openapi.json", timeout=10).json()["paths"]
    assert "get" in paths["/drivers/{driver_id}/export"] and "post" in paths["/drivers/{driver_id}/erase"]
