"""Closed vocabularies: every spelling maps to the contract's value."""
from __future__ import annotations

import pytest

from consignment.handoff import consultation_path
from consignment.vocabulary import vocabulary


@pytest.mark.parametrize(
    "call_type,label",
    [("일반콜", "자사콜(일반)"), ("VIP콜", "자사콜(VIP)"), ("제휴콜", "제휴콜"), ("위탁콜", "위탁콜"),
     ("예약콜", "예약콜"), ("탁송콜", "탁송콜"), ("맞춤콜", "맞춤콜"), ("셔틀콜", "기타"), (None, "기타")],
)
def test_call_types_map_to_the_articles_consultation_labels(call_type, label):
    assert vocabulary().consultation_type(call_type) == label


def test_the_consultation_path_follows_the_article():
    assert consultation_path("일반콜") == "대리_기사 ▶ 배정/운행 ▶ 배정정책 ▶ 자사콜(일반)"


@pytest.mark.parametrize("written", ["카카오", "카모", "카카오T", "카카오 모빌리티", "KAKAO", "카카오모빌리티"])
def test_every_way_of_naming_kakao_is_kakao_mobility(written):
    assert vocabulary().canonical_company(written) == "카카오모빌리티"


def test_another_company_stays_as_the_driver_wrote_it():
    assert vocabulary().canonical_company("티맵") == "티맵"
    assert vocabulary().companies_in("티맵에서 온 콜이에요") == ["티맵"]


def test_every_company_named_in_an_answer_is_found():
    assert vocabulary().companies_in("카카오 아니고 로지요") == ["카카오모빌리티", "로지"]


@pytest.mark.parametrize("written", ["위탁 콜", "위탁꼴", "위탁콜"])
def test_call_type_spellings_are_normalised(written):
    assert vocabulary().canonical_call_type(written) == "위탁콜"


def test_a_partially_quoted_colmaner_message_is_recognised():
    assert vocabulary().quotes_restriction_message("발주사 정책때문에 배차진행이 어렵다는데요")


@pytest.mark.parametrize(
    "question,topic",
    [("위탁콜 구조가 어떻게 돼요", "utter_consignment_structure"), ("제휴기사가 누구예요", "utter_partner_driver"),
     ("보험은요", "utter_consignment_insurance")],
)
def test_q1_follow_up_topics_are_answered_by_their_response(question, topic):
    assert topic in vocabulary().consignment_topic_responses(question)


@pytest.mark.parametrize("text,topic", [
    ("언제 풀려요?", "ends"),
    ("정지 기간이 얼마나 돼요", "ends"),
    ("그 고객이 누구예요?", "who"),
    ("누가그랬어요", "who"),
    ("다른 콜은 돼요?", "other_calls"),
    ("그 손님 콜만 안 되는 거예요?", "other_calls"),
    ("왜 안 되는 건데요?", "why"),
    ("이유가 뭔데요", "why"),
])
def test_a_q3_follow_up_is_read_by_its_topic(text, topic):
    assert vocabulary().restriction_followup_topic(text) == topic
