"""Follow-up questions after the Q3 answer (issue 14 item 5), through the real servers over REST:
an end date only from the record, nothing about the customer, the article's lines for ⓐ / ⓑ,
and the way forward when nothing is on record."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
import requests

from consignment.identity import mint_driver_token
from tests.conftest import DEMO_DRIVERS, TEST_SECRET

pytestmark = pytest.mark.live

OPERATIONS_CENTRE = "1688-6618"


def rest(assistant, sender: str, text: str, token: str | None) -> str:
    metadata = {"driver_token": token} if token else {}
    answer = requests.post(f"{assistant.url}/webhooks/rest/webhook", timeout=120,
                           json={"sender": sender, "message": text, "metadata": metadata})
    answer.raise_for_status()
    return " ".join(reply.get("text") or "" for reply in answer.json())


def answered_q3(assistant, driver: str) -> tuple[str, str, str]:
    """A conversation of `driver` that got the Q3 answer; returns (sender, token, that answer)."""
    sender = f"followup-{uuid.uuid4().hex}"
    token = mint_driver_token(driver, TEST_SECRET)
    name, phone = DEMO_DRIVERS[driver]
    for text in ("콜마너에서 콜 수락이 안 돼요", "네 카카오요", name):
        rest(assistant, sender, text, token)
    return sender, token, rest(assistant, sender, phone, token)


def test_when_a_suspension_ends_comes_from_the_record(assistant):
    sender, token, answer = answered_q3(assistant, "D-1005")  # suspended until 2027-12-31
    assert "정지되어" in answer
    assert "2027년 12월 31일까지" in rest(assistant, sender, "정지 언제 풀려요?", token)


def test_an_open_ended_suspension_gets_no_invented_date(assistant):
    sender, token, _ = answered_q3(assistant, "D-1001")  # suspended, no end on record
    reply = rest(assistant, sender, "언제 풀리나요", token)
    assert "종료 예정일이 없어" in reply
    assert "년" not in reply.split("종료 예정일이 없어")[0]


def test_the_end_date_is_not_told_to_another_drivers_token(assistant):
    sender, _, _ = answered_q3(assistant, "D-1005")
    other = mint_driver_token("D-1003", TEST_SECRET)
    reply = requests.post(f"{assistant.url}/webhooks/rest/webhook", timeout=120, json={
        "sender": sender, "message": "언제 풀려요?", "metadata": {"driver_token": other}})
    # the conversation belongs to D-1005: another driver's client is refused outright
    assert reply.status_code == 403
    assert "2027" not in reply.text


def test_the_end_date_needs_a_valid_token_on_the_asking_message(assistant):
    sender, token, _ = answered_q3(assistant, "D-1005")
    expired = mint_driver_token("D-1005", TEST_SECRET, ttl=dt.timedelta(seconds=-5))
    reply = rest(assistant, sender, "언제 풀려요?", expired)
    assert "2027" not in reply
    assert "본인확인이 완료되지 않아" in reply


def test_who_blocked_the_driver_is_never_told(assistant):
    sender, token, answer = answered_q3(assistant, "D-1002")  # one customer block
    assert "특정 고객님의 요청으로" in answer
    reply = rest(assistant, sender, "그 고객이 누구예요?", token)
    assert "개인정보 보호를 위해 안내해 드릴 수 없습니다" in reply
    assert "C-9" not in reply


def test_other_calls_after_a_customer_block_can_be_accepted(assistant):
    sender, token, _ = answered_q3(assistant, "D-1002")
    assert "다른 호출 건은 수락이 가능합니다" in rest(assistant, sender, "다른 콜은 돼요?", token)


def test_other_calls_after_a_suspension_cannot(assistant):
    sender, token, _ = answered_q3(assistant, "D-1001")
    reply = rest(assistant, sender, "그럼 다른 콜은 받을 수 있는 거죠?", token)
    assert "모든 위탁콜 노출이 제한되어" in reply


def test_why_after_no_restriction_on_record_gives_the_way_forward(assistant):
    sender, token, answer = answered_q3(assistant, "D-1003")  # nothing on record
    assert "배차 제한 내역이 없습니다" in answer
    reply = rest(assistant, sender, "왜 안 되는 건데요?", token)
    assert OPERATIONS_CENTRE in reply


def test_a_follow_up_before_any_lookup_offers_the_lookup(assistant):
    sender = f"followup-{uuid.uuid4().hex}"
    reply = rest(assistant, sender, "정지 언제 풀려요?", mint_driver_token("D-1005", TEST_SECRET))
    assert "아직 기사님의 배차 제한 내역을 확인하지 않았습니다" in reply
    assert "2027" not in reply


def test_a_colmaner_question_out_of_scope_points_to_its_operations_centre(assistant):
    reply = rest(assistant, f"oos-{uuid.uuid4().hex}", "콜마너 프로그램 사용료 얼마예요?", None)
    assert OPERATIONS_CENTRE in reply


def test_another_question_out_of_scope_does_not(assistant):
    reply = rest(assistant, f"oos-{uuid.uuid4().hex}", "오늘 날씨 어때요", None)
    assert "상담원 연결" in reply and OPERATIONS_CENTRE not in reply
