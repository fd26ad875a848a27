"""Q2 as drivers ask it about real trips, and questions in the article's words about what it does
not cover (issue 14), through the live REST channel: the NLU, the dialogue and the real action."""
from __future__ import annotations

import pytest

from tests.integration.test_driver_sentences import REGION_LIST, texts

pytestmark = pytest.mark.live

OUT_OF_SCOPE = "그 내용은 제가 안내해 드리기 어렵습니다"


def test_a_destination_alone_is_not_answered_as_a_start(assistant, sender):
    answer = texts(assistant.say(sender, "목적지가 부산이면요?"))
    assert "출발지 기준" in answer and "어디에서 출발" in answer
    assert "부산에서 출발하는 콜은" not in answer


def test_a_start_and_a_destination_are_answered_by_the_start(assistant, sender):
    answer = texts(assistant.say(sender, "오창에서 태워서 부산 가는 콜도 위탁콜 돼요?"))
    assert "오창은 현재 위탁콜 운영 지역이 아닙니다" in answer and "출발지 기준" in answer
    assert "부산에서 출발하는 콜은" not in answer


def test_the_start_given_after_being_asked_gets_its_answer(assistant, sender):
    assistant.say(sender, "도착지가 대전인데 되나요?")
    answer = texts(assistant.say(sender, "천안에서 출발해요"))
    assert "천안에서 출발하는 콜은 위탁콜 운영 지역(천안)에 포함됩니다" in answer


def test_a_region_group_says_which_listed_regions_it_holds(assistant, sender):
    answer = texts(assistant.say(sender, "영남권은 위탁콜 다 되나요"))
    assert "영남" in answer and "경남" in answer and "포함되지 않습니다" in answer
    assert "부산" in answer and "경북" in answer


def test_several_places_get_one_grouped_answer_with_the_list_once(assistant, sender):
    answer = texts(assistant.say(sender, "수원 포항 아산 다 되나요?"))
    assert "수원" in answer and "포항" in answer and "아산" in answer
    assert answer.count(REGION_LIST) <= 1


def test_a_landmark_stays_part_of_its_place(assistant, sender):
    answer = texts(assistant.say(sender, "나주 혁신도시에서 출발하는 콜 있어요?"))
    assert "나주" in answer and "혁신도'" not in answer
    assert "확인하지 못했습니다" not in answer


@pytest.mark.parametrize("question", [
    "위탁콜 수수료는 얼마나 떼가요?",
    "제휴기사 정산은 언제 입금돼요?",
    "위탁콜 벌점 받으면 어떻게 돼요",
    "제 차 보험 갱신은 어디서 해요?",
    "위탁콜 유류비 지원 되나요?",
])
def test_a_question_the_article_does_not_cover_gets_the_out_of_scope_answer(assistant, sender, question):
    answer = texts(assistant.say(sender, question))
    assert OUT_OF_SCOPE in answer
    assert REGION_LIST not in answer and "카카오가 발주한 콜" not in answer and "보험으로 운행" not in answer
