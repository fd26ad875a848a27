"""Agent assist API on the live Rasa server: auth, suggest, lookup with audit, feedback."""
from __future__ import annotations

import datetime as dt

import time

import jwt
import pytest
import requests

from consignment.agent_auth import mint_agent_token
from consignment.assist_store import AssistStore, corrections_as_nlu_yaml
from consignment.identity import mint_driver_token
from tests.conftest import TEST_SECRET
from tests.live_servers import AGENT_SECRET, bot_silent

pytestmark = pytest.mark.live


def headers(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def agent_headers():
    return headers(mint_agent_token("A-07", AGENT_SECRET))


def post(assistant, path, body, hdrs):
    return requests.post(f"{assistant.url}/webhooks/assist/{path}", json=body, headers=hdrs, timeout=30)


def test_no_token_is_401(assistant):
    assert post(assistant, "suggest", {"text": "위탁콜이 뭐예요"}, {}).status_code == 401


def test_an_expired_agent_token_is_401(assistant):
    expired = mint_agent_token("A-07", AGENT_SECRET, ttl=dt.timedelta(seconds=-10))
    assert post(assistant, "suggest", {"text": "위탁콜"}, headers(expired)).status_code == 401


def test_a_token_without_the_agent_role_is_403(assistant):
    token = mint_agent_token("A-07", AGENT_SECRET, role="viewer")
    assert post(assistant, "suggest", {"text": "위탁콜"}, headers(token)).status_code == 403


def test_a_driver_token_is_not_an_agent_token(assistant):
    driver = mint_driver_token("D-1001", TEST_SECRET)
    assert post(assistant, "lookup", {"driver_id": "D-1001"}, headers(driver)).status_code == 401


def test_a_driver_token_signed_with_the_agent_secret_still_lacks_the_role(assistant):
    now = int(time.time())
    forged = jwt.encode({"sub": "D-1001", "iat": now, "exp": now + 3600, "jti": "x1"}, AGENT_SECRET, algorithm="HS256")
    assert post(assistant, "lookup", {"driver_id": "D-1001"}, headers(forged)).status_code == 403


def test_an_agent_token_without_an_id_is_refused_because_it_could_never_be_revoked(assistant):
    unrevocable = jwt.encode({"sub": "A-07", "role": "agent", "exp": 4102444800}, AGENT_SECRET, algorithm="HS256")
    assert post(assistant, "suggest", {"text": "위탁콜"}, headers(unrevocable)).status_code == 401


SUGGEST_CASES = {
    "ask_consignment_call": "위탁콜이 뭐예요?",
    "ask_consignment_insurance": "위탁콜 보험은 어떻게 돼요",
    "ask_service_regions": "위탁콜 전국적으로 하는 건가요?",
    "report_acceptance_blocked": "콜마너에서 콜 수락이 안 돼요",
    "inform": "김민수 010-1234-5678",
    "affirm": "네 맞아요",
    "deny": "아니요",
    "greet": "안녕하세요",
    "goodbye": "수고하세요",
    "thank": "감사합니다",
    "request_human": "상담원 연결해 주세요",
    "bot_challenge": "사람이에요?",
    "out_of_scope": "수수료 정산은 언제 돼요?",
}


@pytest.mark.parametrize("intent,text", sorted(SUGGEST_CASES.items()))
def test_suggest_recognises_every_contract_intent(assistant, agent_headers, intent, text):
    card = post(assistant, "suggest", {"text": text}, agent_headers).json()
    assert card["intent"]["name"] == intent
    assert len(card["ranking"]) <= 3 and card["next_step"] and card["suggestion_id"]


def test_suggest_for_q3_gives_the_empathy_line_the_company_question_and_the_path(assistant, agent_headers):
    card = post(assistant, "suggest", {"text": "콜마너에서 발주사 정책 때문에 배차 진행이 어렵다고 떠요"}, agent_headers).json()
    lines = [line["text"] for line in card["script"]]
    # utter_empathy has two variants (domain.yml), chosen at random: both end the same way
    assert any("제가 몇 가지 확인 후 빠르게 안내해 드리겠습니다" in line for line in lines)
    assert "콜마너에서 발주사가 카카오 모빌리티라고 안내받으신 걸까요?" in lines
    assert card["consultation_path"] == "대리_기사 ▶ 배정/운행 ▶ 배정정책 ▶ 위탁콜"
    assert "카카오 모빌리티인지 확인" in card["next_step"]
    assert any("2025. 2.19" in (ref.get("note") or "") for ref in card["references"])


def test_suggest_masks_phone_numbers_in_entities(assistant, agent_headers):
    card = post(assistant, "suggest", {"text": "김민수 010-1234-5678"}, agent_headers).json()
    # `label`: the entity's Korean name an agent reads (content/agent_assist.yml entity_labels)
    assert {"entity": "phone_number", "label": "휴대폰 번호", "value": "010-****-5678"} in card["entities"]


def test_suggest_follows_the_agents_handed_over_conversation_without_changing_it(assistant, agent_headers, sender):
    assistant.say(sender, "콜마너에서 콜 수락이 안 돼요")
    assistant.say(sender, "네 카카오요")
    hid = handed_over(assistant, sender)
    post(assistant, f"handoffs/{hid}/take", {}, agent_headers)
    before = assistant.tracker(sender)["events"]
    card = post(assistant, "suggest", {"text": "김민수", "conversation_id": sender}, agent_headers).json()
    assert card["conversation"]["slots"]["ordering_company"] == "카카오모빌리티"
    assert assistant.tracker(sender)["events"] == before


@pytest.mark.parametrize(
    "driver_id,status,reason,blocked",
    [("D-1001", "suspended", "운행 중 사고 발생 후 미신고", 0), ("D-1002", "customer_blocked", None, 1),
     ("D-1003", "none", None, 0), ("D-1004", "customer_blocked", None, 2),
     ("D-1005", "suspended", "음주 의심 신고에 따른 조사", 0), ("D-1006", "customer_blocked", None, 1),
     ("D-1007", "none", None, 0)],
)
def test_lookup_gives_each_demo_driver_status_and_script(assistant, agent_headers, driver_id, status, reason, blocked):
    card = post(assistant, "lookup", {"driver_id": driver_id}, agent_headers).json()
    assert (card["status"], card["reason"], card["blocked_customers"]) == (status, reason, blocked)
    assert "C-9" not in str(card)  # never customer ids
    if reason:
        assert reason in card["script"][-1]["text"]


def test_lookup_by_phone_finds_the_driver(assistant, agent_headers):
    assert post(assistant, "lookup", {"phone": "01023456789"}, agent_headers).json()["driver_id"] == "D-1002"


def test_lookup_of_an_unknown_driver_is_404(assistant, agent_headers):
    assert post(assistant, "lookup", {"driver_id": "D-9999"}, agent_headers).status_code == 404


def test_every_lookup_is_audited_with_agent_driver_time_and_result(assistant, agent_headers):
    post(assistant, "lookup", {"driver_id": "D-1005"}, agent_headers)
    rows = AssistStore(f"sqlite:///{assistant.workdir / 'assist.db'}").audit_rows()
    row = rows[-1]
    assert (row["agent_id"], row["driver_id"], row["result"]) == ("A-07", "D-1005", "suspended")
    assert row["looked_up_at"] is not None


def test_feedback_is_stored_and_corrections_export_as_nlu_yaml(assistant, agent_headers):
    card = post(assistant, "suggest", {"text": "콜마너 콜이 안 떠요 왜 그래요"}, agent_headers).json()
    answer = post(assistant, "feedback", {"suggestion_id": card["suggestion_id"], "verdict": "edited",
                                          "corrected_intent": "report_acceptance_blocked"}, agent_headers)
    assert answer.status_code == 200
    exported = corrections_as_nlu_yaml(AssistStore(f"sqlite:///{assistant.workdir / 'assist.db'}").corrections())
    assert "- intent: report_acceptance_blocked" in exported and "콜마너 콜이 안 떠요 왜 그래요" in exported


def test_feedback_with_an_unknown_verdict_is_400(assistant, agent_headers):
    assert post(assistant, "feedback", {"suggestion_id": "x", "verdict": "maybe"}, agent_headers).status_code == 400


def test_the_console_page_is_served(assistant):
    page = requests.get(f"{assistant.url}/webhooks/assist/console", timeout=10)
    assert page.status_code == 200 and "상담" in page.text


def test_a_handoff_pauses_the_bot_take_gives_the_transcript_and_resolving_resumes_it(assistant, agent_headers, sender):
    assistant.say(sender, "콜마너에서 콜 수락이 안 돼요 010-1234-5678")
    assert "상담원에게 연결해 드리겠습니다" in " ".join(r.get("text", "") for r in assistant.say(sender, "상담원 연결해 주세요"))
    assert bot_silent(assistant.say(sender, "여보세요?"))  # paused: the bot stays silent

    listed = requests.get(f"{assistant.url}/webhooks/assist/handoffs", headers=agent_headers, timeout=30).json()["handoffs"]
    mine = next(h for h in listed if h["conversation_id"] == sender)
    assert mine["packet"]["consultation_path"].startswith("대리_기사 ▶ 배정/운행 ▶ 배정정책 ▶ ")

    hid = mine["handoff_id"]
    taken = post(assistant, f"handoffs/{hid}/take", {}, agent_headers).json()
    assert taken["status"] == "taken"
    transcript = " ".join(line["text"] for line in taken["transcript"])
    assert "여보세요?" in transcript and "1234-5678" not in transcript
    assert post(assistant, f"handoffs/{hid}/take", {}, agent_headers).status_code == 409
    assert post(assistant, f"handoffs/{hid}/reply", {"text": "상담사 김하나입니다. 확인해 드릴게요."}, agent_headers).status_code == 200
    assert post(assistant, f"handoffs/{hid}/resolve", {}, agent_headers).json()["status"] == "resolved"
    assert "CNMP" in " ".join(r.get("text", "") for r in assistant.say(sender, "위탁콜이 뭐예요?"))


def test_the_handoff_list_needs_an_agent_token(assistant):
    assert requests.get(f"{assistant.url}/webhooks/assist/handoffs", timeout=30).status_code == 401


def handed_over(assistant, sender) -> str:
    """A conversation handed over to agents; its handoff id."""
    assistant.say(sender, "상담원 연결해 주세요")
    listed = requests.get(f"{assistant.url}/webhooks/assist/handoffs", headers=headers(mint_agent_token("A-Q", AGENT_SECRET)),
                          timeout=30).json()["handoffs"]
    return next(h for h in listed if h["conversation_id"] == sender)["handoff_id"]


def test_only_the_agent_who_took_a_conversation_replies_to_it_or_resolves_it(assistant, sender):
    hid = handed_over(assistant, sender)
    mine, theirs = headers(mint_agent_token("A-01", AGENT_SECRET)), headers(mint_agent_token("A-02", AGENT_SECRET))
    assert post(assistant, f"handoffs/{hid}/take", {}, mine).status_code == 200
    assert post(assistant, f"handoffs/{hid}/reply", {"text": "제가 답할게요"}, theirs).status_code == 403
    assert post(assistant, f"handoffs/{hid}/resolve", {}, theirs).status_code == 403
    assert post(assistant, f"handoffs/{hid}/transfer", {"to_agent": "A-02"}, theirs).status_code == 403
    assert bot_silent(assistant.say(sender, "아직이에요?"))  # still paused: nobody resolved it


def test_a_transfer_is_explicit_and_moves_the_conversation_to_the_other_agent(assistant, sender):
    hid = handed_over(assistant, sender)
    mine, theirs = headers(mint_agent_token("A-03", AGENT_SECRET)), headers(mint_agent_token("A-04", AGENT_SECRET))
    post(assistant, f"handoffs/{hid}/take", {}, mine)
    assert post(assistant, f"handoffs/{hid}/transfer", {"to_agent": "A-04"}, mine).status_code == 200
    assert post(assistant, f"handoffs/{hid}/reply", {"text": "이어서 안내드립니다"}, mine).status_code == 403
    assert post(assistant, f"handoffs/{hid}/reply", {"text": "이어서 안내드립니다"}, theirs).status_code == 200
    assert post(assistant, f"handoffs/{hid}/resolve", {}, theirs).status_code == 200


def test_every_take_reply_transfer_and_resolve_is_audited(assistant, sender):
    hid = handed_over(assistant, sender)
    mine = headers(mint_agent_token("A-05", AGENT_SECRET))
    post(assistant, f"handoffs/{hid}/take", {}, mine)
    post(assistant, f"handoffs/{hid}/reply", {"text": "확인해 드릴게요 010-1234-5678"}, mine)
    post(assistant, f"handoffs/{hid}/transfer", {"to_agent": "A-06"}, mine)
    post(assistant, f"handoffs/{hid}/resolve", {}, headers(mint_agent_token("A-06", AGENT_SECRET)))
    rows = [r for r in AssistStore(f"sqlite:///{assistant.workdir / 'assist.db'}").agent_audit_rows() if r["handoff_id"] == hid]
    assert [(r["agent_id"], r["action"]) for r in rows] == [  # take answers with the transcript: a read
        ("A-05", "take"), ("A-05", "read"), ("A-05", "reply"), ("A-05", "transfer"), ("A-06", "resolve")]
    assert all(r["conversation_id"] == sender and r["at"] for r in rows)


def test_a_revoked_agent_token_opens_nothing(assistant):
    import subprocess
    import sys

    token = mint_agent_token("A-LOST", AGENT_SECRET)
    assert requests.get(f"{assistant.url}/webhooks/assist/intents", headers=headers(token), timeout=30).status_code == 200
    done = subprocess.run([sys.executable, "-m", "consignment.assist_store", "revoke-agent-token", token, "분실"],
                          env={**assistant.env}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert requests.get(f"{assistant.url}/webhooks/assist/intents", headers=headers(token), timeout=30).status_code == 401
    other = mint_agent_token("A-LOST", AGENT_SECRET)  # a new token of the same agent still works
    assert requests.get(f"{assistant.url}/webhooks/assist/intents", headers=headers(other), timeout=30).status_code == 200


def test_the_console_page_carries_a_content_security_policy(assistant):
    page = requests.get(f"{assistant.url}/webhooks/assist/console", timeout=10)
    policy = page.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_a_suggestion_for_an_overlong_message_is_refused_with_413(assistant, agent_headers):
    assert post(assistant, "suggest", {"text": "가" * 2001}, agent_headers).status_code == 413


def test_the_openapi_document_describes_the_api(assistant):
    spec = requests.get(f"{assistant.url}/webhooks/assist/openapi.json", timeout=10).json()
    assert spec["openapi"].startswith("3.") and "/suggest" in spec["paths"]


def test_an_agent_token_that_would_outlive_its_revocation_is_401(assistant):
    long_lived = mint_agent_token("A-LONG", AGENT_SECRET, ttl=dt.timedelta(days=365), role="lead")
    assert post(assistant, "suggest", {"text": "위탁콜"}, headers(long_lived)).status_code == 401
