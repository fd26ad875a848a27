"""Whole conversations through the REST channel, with the real servers and database."""
from __future__ import annotations

import datetime as dt
import json

import jwt
import pytest

from consignment.identity import mint_driver_token
from tests.conftest import DEMO_DRIVERS, TEST_SECRET
from tests.live_servers import queued_handoff

pytestmark = pytest.mark.live

DEMO = DEMO_DRIVERS
WAIT_LINE = "잠시만 기다려주시겠습니까?"
SUSPENDED = "기사님께서는 카카오 T에서 {reason} 사유로 계정이 정지되어 콜마너에서도 콜수락이 제한되고 있습니다."
CUSTOMER_BLOCK = "특정 고객님의 요청으로 해당 고객님의 호출 건은 수락이 제한됩니다."
NOT_VERIFIED = "본인확인이 완료되지 않아"


def texts(replies) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def metadata_for(driver_id: str) -> dict:
    return {"driver_token": mint_driver_token(driver_id, TEST_SECRET)}


def q3(assistant, sender, name, phone, metadata) -> list:
    """Reports the 콜마너 restriction, confirms Kakao, gives name and phone; returns each reply."""
    turns = [
        "콜마너에서 콜 수락하려니까 발주사의 정책에 따라 배차 진행이 어렵다고 떠요ㅠㅠ",
        "네 카카오 맞아요",
        name,
        phone,
    ]
    return [assistant.say(sender, turn, metadata) for turn in turns]


def test_q3_for_a_suspended_driver_ends_with_the_reason_after_the_wait_line(assistant, sender):
    replies = q3(assistant, sender, "김민수", "010-1234-5678", metadata_for("D-1001"))
    assert "놀라셨" in texts(replies[0]) or "당황" in texts(replies[0])
    assert "카카오 모빌리티라고 안내받으신 걸까요?" in texts(replies[0])
    assert "성함" in texts(replies[1])
    assert "휴대폰 번호" in texts(replies[2])
    last = texts(replies[3])
    assert WAIT_LINE in last
    assert SUSPENDED.format(reason="운행 중 사고 발생 후 미신고") in last


@pytest.mark.parametrize(
    "driver_id,expected",
    [
        ("D-1002", CUSTOMER_BLOCK),
        ("D-1003", "1688-6618"),
        ("D-1004", CUSTOMER_BLOCK),
        ("D-1005", SUSPENDED.format(reason="음주 의심 신고에 따른 조사")),
        ("D-1006", CUSTOMER_BLOCK),
        ("D-1007", "1688-6618"),
    ],
)
def test_q3_gives_each_demo_driver_the_answer_the_article_prescribes(assistant, sender, driver_id, expected):
    name, phone = DEMO[driver_id]
    replies = q3(assistant, sender, name, phone.replace("-", ""), metadata_for(driver_id))
    assert expected in texts(replies[-1])


def test_q3_without_a_token_discloses_nothing(assistant, sender):
    replies = q3(assistant, sender, "김민수", "010-1234-5678", None)
    last = texts(replies[-1])
    assert NOT_VERIFIED in last and "사고" not in last and "정지" not in last


def test_q3_with_my_token_and_someone_elses_name_and_phone_discloses_nothing(assistant, sender):
    replies = q3(assistant, sender, "김민수", "010-1234-5678", metadata_for("D-1003"))
    assert NOT_VERIFIED in texts(replies[-1]) and "사고" not in texts(replies[-1])


def test_q3_with_an_expired_token_discloses_nothing(assistant, sender):
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)
    expired = mint_driver_token("D-1001", TEST_SECRET, ttl=dt.timedelta(hours=1), now=past)
    replies = q3(assistant, sender, "김민수", "010-1234-5678", {"driver_token": expired})
    assert NOT_VERIFIED in texts(replies[-1])


def test_q3_with_an_alg_none_token_discloses_nothing(assistant, sender):
    unsigned = jwt.encode({"sub": "D-1001", "exp": 4102444800}, key=None, algorithm="none")
    replies = q3(assistant, sender, "김민수", "010-1234-5678", {"driver_token": unsigned})
    assert NOT_VERIFIED in texts(replies[-1])


def test_a_stored_conversation_holds_neither_the_phone_number_nor_the_token(assistant, sender):
    token = metadata_for("D-1001")["driver_token"]
    q3(assistant, sender, "김민수", "010-1234-5678", {"driver_token": token})
    stored = json.dumps(assistant.tracker(sender), ensure_ascii=False)
    assert "1234-5678" not in stored and "01012345678" not in stored
    assert token not in stored
    assert "010-****-5678" in stored


def test_server_logs_hold_neither_the_phone_number_nor_the_token(assistant, sender):
    token = metadata_for("D-1002")["driver_token"]
    q3(assistant, sender, "이영희", "010-2345-6789", {"driver_token": token})
    for log in assistant.logs:
        written = log.read_text(encoding="utf-8", errors="replace")
        assert "2345-6789" not in written and "01023456789" not in written
        assert token not in written


def test_an_empty_message_gets_an_answer_not_an_error(assistant, sender):
    replies = assistant.say(sender, "   ")
    assert replies and "Traceback" not in texts(replies)


def test_a_bad_phone_is_asked_again_and_the_flow_goes_on(assistant, sender):
    metadata = metadata_for("D-1002")
    replies = q3(assistant, sender, "이영희", "0102345", metadata)
    assert "010으로 시작하는 번호" in texts(replies[-1])
    assert CUSTOMER_BLOCK in texts(assistant.say(sender, "010-2345-6789", metadata))


def test_a_question_mid_form_is_answered_and_the_form_asks_again(assistant, sender):
    assistant.say(sender, "콜마너에서 콜 수락이 안 돼요")
    reply = texts(assistant.say(sender, "근데 위탁콜이 정확히 뭐예요?"))
    assert "위탁콜은 카카오가 발주한 콜을" in reply
    assert "카카오 모빌리티라고 안내받으신 걸까요?" in reply


def test_another_ordering_company_is_sent_to_that_company(assistant, sender):
    assistant.say(sender, "콜마너에서 발주사 정책 때문에 배차가 안 된대요")
    reply = texts(assistant.say(sender, "아니요 다른 업체예요"))
    assert "해당 업체로 문의" in reply


def test_an_ambiguous_report_is_confirmed_before_the_flow(assistant, sender):
    reply = texts(assistant.say(sender, "콜 수락이 안 돼요"))
    assert "콜마너 앱에서 [발주사의 정책에 따라" in reply
    assert "카카오 모빌리티라고 안내받으신" in texts(assistant.say(sender, "네"))


def test_another_call_type_is_handed_over_with_its_type(assistant, sender):
    replies = assistant.say(sender, "예약콜 수락이 안 돼요")
    assert "콜타입에 따라 안내가 다릅니다. 말씀하신 예약콜은" in texts(replies)
    assert not any("handoff" in (r.get("custom") or {}) for r in replies)  # the packet is the agents'
    handoff = queued_handoff(assistant, sender)["packet"]
    assert handoff["consultation_path"] == "대리_기사 ▶ 배정/운행 ▶ 배정정책 ▶ 예약콜"


@pytest.mark.parametrize("question,call_type", [
    ("탁송콜은 어떻게 받는 거예요?", "탁송콜"),  # Q1's words
    ("vip콜 탈때 보험 적용 어떻게 돼요", "VIP콜"),  # the insurance question's
    ("예약콜도 부산에서 받을 수 있어요?", "예약콜"),  # a region question's
])
def test_a_question_about_another_call_type_is_handed_over_not_answered_with_the_consignment_article(
        assistant, sender, question, call_type):
    replies = texts(assistant.say(sender, question))
    assert f"말씀하신 {call_type}" in replies and "상담원에게 연결" in replies
    assert "CNMP" not in replies and "출발지 기준" not in replies
    assert queued_handoff(assistant, sender)["packet"]["call_type"] == call_type


def test_a_question_naming_the_consignment_call_beside_another_call_type_gets_the_article_and_a_pointer(assistant, sender):
    replies = texts(assistant.say(sender, "위탁콜이랑 일반콜이 뭐가 달라요?"))
    assert "CNMP" in replies and "말씀하신 일반콜 관련 문의는 상담원 연결을 요청해 주세요" in replies
    assert "상담원에게 연결해 드리겠습니다" not in replies  # answered, not handed over
    assert "CNMP" in texts(assistant.say(sender, "위탁콜은 누가 운행해요?"))  # the bot still answers


def test_two_misunderstandings_in_a_row_hand_over(assistant, sender):
    # "/nlu_fallback" is what the FallbackClassifier yields for a message it is unsure of;
    # sent as an intent payload, so that the test pins the dialogue, not a confidence score
    first = texts(assistant.say(sender, "/nlu_fallback"))
    assert "다시 한 번 말씀해 주시겠어요?" in first
    assert "상담원에게 연결해 드리겠습니다" in texts(assistant.say(sender, "/nlu_fallback"))


def test_a_misunderstanding_after_an_understood_message_is_asked_again(assistant, sender):
    assistant.say(sender, "/nlu_fallback")
    assistant.say(sender, "안녕하세요")
    assert "다시 한 번 말씀해 주시겠어요?" in texts(assistant.say(sender, "/nlu_fallback"))


def test_keyboard_mashing_is_not_taken_as_a_yes(assistant, sender):
    assistant.say(sender, "콜마너에서 콜 수락이 안 돼요")
    reply = texts(assistant.say(sender, "ㅁㄴㅇㄹ ㅁㄴㅇㄹ"))
    assert "성함" not in reply


def test_q1_answers_with_the_articles_definition(assistant, sender):
    assert "CNMP(콜마너파트너사)" in texts(assistant.say(sender, "위탁콜이뭐에요?"))


def test_q2_answers_for_a_named_place_by_origin(assistant, sender):
    assert "경북" in texts(assistant.say(sender, "포항에서 출발하는 콜도 위탁콜 되나요"))


def test_q2_says_asan_is_not_covered(assistant, sender):
    assert "아산" in texts(assistant.say(sender, "아산도 돼요?")) and "아닙니다" in texts(assistant.say(sender, "아산도 돼요?"))


def test_an_action_server_outage_gets_an_apology_not_silence(assistant, sender):
    with assistant.action_server_down():
        reply = texts(assistant.say(sender, "위탁콜이 뭐예요?"))
    assert "일시적인 문제로 답변을 드리기 어렵습니다" in reply
    assert "Traceback" not in reply
