"""Each action's answer, with the real domain and the demo data in a throw-away SQLite."""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import consignment.admin_db as admin_db
import consignment.assist_store as assist_store
from actions.restriction_followup import ActionAnswerRestrictionFollowup
from actions.acceptance_blocked import (
    ActionAnswerAcceptanceRestriction,
    ActionTriageAcceptanceBlocked,
    ValidateRestrictionForm,
)
from actions.handoff import ActionAskRephrase, ActionHandoff
from actions.questions import ActionAnswerOutOfScope, ActionAnswerServiceRegions, ActionExplainConsignmentCall
from consignment.identity import driver_digest, mint_driver_token, phone_digest
from server.nlg import KoreanResponseGenerator
from tests.conftest import DEMO_DRIVERS, PROJECT_ROOT, TEST_SECRET

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))
DOMAIN_DICT = DOMAIN.as_dict()



@pytest.fixture(autouse=True)
def demo_repository(sqlite_repository, monkeypatch):
    monkeypatch.setattr(admin_db, "_default", sqlite_repository)
    return sqlite_repository


@pytest.fixture(autouse=True)
def handoff_queue(tmp_path, monkeypatch):
    store = assist_store.AssistStore(f"sqlite:///{tmp_path / 'assist.db'}")
    monkeypatch.setattr(assist_store, "_default", store)
    return store


def tracker(
    text: str = "",
    intent: str = "inform",
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    metadata: Optional[Dict[str, Any]] = None,
    before: Optional[List[Dict[str, Any]]] = None,
) -> Tracker:
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "metadata": metadata or {},
    }
    all_slots = {name: None for name in DOMAIN_DICT["slots"]}
    all_slots.update(slots or {})
    events = (before or []) + [{"event": "user", "text": text, "parse_data": message}]
    return Tracker("driver-1", all_slots, message, events, False, None, {}, "action_listen")


def bot_said(*responses: str) -> List[Dict[str, Any]]:
    """The bot's last turn before the message: these responses (as Rasa records them)."""
    return [{"event": "user", "text": "…"}] + [
        {"event": "bot", "text": "…", "metadata": {"utter_action": name}} for name in responses]


RESPONSES = KoreanResponseGenerator(domain=DOMAIN)
RATING = "안내가 도움이 되셨나요?"


def said(dispatcher: CollectingDispatcher) -> List[str]:
    """The texts the driver would read: each response filled in by the server's generator."""
    texts = []
    for message in dispatcher.messages:
        name = message.get("response")
        if name:
            values = {k: v for k, v in message.items() if k not in ("response", "text")}
            values.update(values.pop("kwargs", {}) or {})
            texts.append(RESPONSES.generate_from_slots(name, {}, "rest", **values)["text"])
        elif message.get("text"):
            texts.append(message["text"])
    return texts


async def run(action, a_tracker: Tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, a_tracker, DOMAIN_DICT)
    return said(dispatcher), events, dispatcher


def slot_events(events) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# ── Q1 / Q2 ─────────────────────────────────────────────────────────────────

async def test_q1_gives_the_articles_definition():
    texts, _, _ = await run(ActionExplainConsignmentCall(), tracker("위탁콜이 뭐예요", "ask_consignment_call"))
    assert texts == ["위탁콜은 카카오가 발주한 콜을 CNMP(콜마너파트너사) 프로그램을 사용하는 기사가 배정받는 콜을 말합니다.", RATING]


async def test_an_answer_that_ends_a_topic_offers_the_rating_buttons_once():
    _, _, dispatcher = await run(ActionExplainConsignmentCall(), tracker("위탁콜이 뭐예요", "ask_consignment_call"))
    offers = [m for m in dispatcher.messages if m.get("response") == "utter_rate_answer"]
    assert len(offers) == 1


async def test_no_rating_buttons_in_the_middle_of_a_form():
    a_tracker = tracker("위탁콜이 뭐예요", "ask_consignment_call")
    a_tracker.active_loop = {"name": "restriction_form"}
    _, _, dispatcher = await run(ActionExplainConsignmentCall(), a_tracker)
    assert "utter_rate_answer" not in [m.get("response") for m in dispatcher.messages]


async def test_q1_adds_the_partner_driver_line_when_asked_who_drives():
    texts, _, _ = await run(ActionExplainConsignmentCall(), tracker("제휴 기사가 누구예요", "ask_consignment_call"))
    assert any("제휴 기사(위탁기사)는 콜마너 프로그램 앱을 통해" in t for t in texts)


async def test_q2_without_a_place_gives_the_list_by_origin():
    texts, _, _ = await run(ActionAnswerServiceRegions(), tracker("전국적으로 하나요", "ask_service_regions"))
    assert texts[0].startswith("출발지 기준 서울, 부산, 인천, 광주, 울산, 경기, 강원, 천안, 제주, 대구, 경북, 목포, 대전 지역입니다.")


async def test_q2_places_a_city_under_its_listed_province():
    texts, _, _ = await run(
        ActionAnswerServiceRegions(),
        tracker("수원도 돼요?", "ask_service_regions", [{"entity": "region", "value": "수원", "start": 0, "end": 2}]),
    )
    assert "수원에서 출발하는 콜은 위탁콜 운영 지역(경기)에 포함됩니다" in texts[0]


async def test_q2_says_asan_is_not_covered():
    texts, _, _ = await run(
        ActionAnswerServiceRegions(),
        tracker("아산은요", "ask_service_regions", [{"entity": "region", "value": "아산", "start": 0, "end": 2}]),
    )
    assert texts[0].startswith("아산은 현재 위탁콜 운영 지역이 아닙니다.")


async def test_q2_gives_daejeons_start_date():
    texts, _, _ = await run(
        ActionAnswerServiceRegions(),
        tracker("대전도 되나요", "ask_service_regions", [{"entity": "region", "value": "대전", "start": 0, "end": 2}]),
    )
    assert "2022년 4월 25일부터" in texts[0]


async def test_a_bare_name_outside_any_question_gets_a_question_back_not_the_region_list():
    texts, _, dispatcher = await run(
        ActionAnswerServiceRegions(),
        tracker("김민수요", "inform", [{"entity": "driver_name", "value": "김민수", "start": 0, "end": 3}]),
    )
    assert texts == ["어떤 점이 궁금하신가요? 아래에서 골라 주시거나 편하게 말씀해 주세요."]
    assert len(dispatcher.messages) == 1


async def test_q2_is_honest_about_an_unknown_place():
    texts, _, _ = await run(
        ActionAnswerServiceRegions(),
        tracker("무릉도원도 돼요", "ask_service_regions", [{"entity": "region", "value": "무릉도원", "start": 0, "end": 4}]),
    )
    assert "'무릉도원'이 어느 지역인지 제가 확인하지 못했습니다" in texts[0]


def region_tracker(text: str, *places: str) -> Tracker:
    """A Q2 message with its region entities where the NLU puts them (value=written when they differ)."""
    entities, start = [], 0
    for written, value in (p.split("=") if "=" in p else (p, p) for p in places):
        start = text.index(written, start)
        entities.append({"entity": "region", "value": value, "start": start, "end": start + len(written)})
        start += len(written)
    return tracker(text, "ask_service_regions", entities)


async def test_q2_a_destination_alone_is_not_answered_as_the_start_but_the_start_is_asked():
    texts, _, dispatcher = await run(ActionAnswerServiceRegions(), region_tracker("목적지가 부산이면요?", "부산"))
    assert texts == ["위탁콜 지역은 출발지 기준이라, 도착지인 부산은 운영 지역 여부를 정하지 않습니다. 콜이 어디에서 출발하는지 알려주시겠어요?"]
    assert "utter_rate_answer" not in [m.get("response") for m in dispatcher.messages]


async def test_q2_a_call_from_ochang_to_busan_is_answered_for_ochang():
    texts, _, _ = await run(ActionAnswerServiceRegions(), region_tracker("오창에서 태워서 부산 가는 콜", "오창", "부산"))
    assert texts[0].startswith("오창은 현재 위탁콜 운영 지역이 아닙니다.")
    assert texts[1] == "도착지인 부산은 운영 지역 여부와 관계없습니다. 위탁콜 지역은 출발지 기준입니다."


async def test_q2_a_region_group_says_which_listed_regions_it_holds():
    texts, _, _ = await run(ActionAnswerServiceRegions(), region_tracker("영남권도 되나요", "영남권=영남"))
    assert texts[0] == ("영남 지역 중 부산·대구·울산·경북에서 출발하는 콜은 위탁콜 운영 지역에 포함되고, "
                        "경남에서 출발하는 콜은 포함되지 않습니다. 위탁콜 지역은 출발지 기준입니다.")


async def test_q2_two_names_of_one_place_get_one_answer():
    texts, _, _ = await run(ActionAnswerServiceRegions(), region_tracker("김해 장유 돼요?", "김해", "장유"))
    assert [t for t in texts if t != RATING] == [
        "김해 장유는 현재 위탁콜 운영 지역이 아닙니다. 위탁콜은 출발지 기준 서울, 부산, 인천, 광주, 울산, 경기, 강원, 천안, 제주, 대구, 경북, 목포, 대전 지역입니다.\n지역이 확대될 경우 공지사항을 통해 안내해 드리겠습니다."]


async def test_q2_several_places_get_one_grouped_answer_with_the_list_once():
    texts, _, _ = await run(ActionAnswerServiceRegions(), region_tracker("수원 포항 아산 다 돼요?", "수원", "포항", "아산"))
    assert texts[:2] == ["수원(경기)·포항(경북)에서 출발하는 콜은 위탁콜 운영 지역에 포함됩니다.", "아산은 현재 위탁콜 운영 지역이 아닙니다."]
    assert sum("서울, 부산, 인천" in t for t in texts) == 1


# ── Q3 triage ───────────────────────────────────────────────────────────────

async def test_a_colmaner_restriction_report_starts_the_flow_with_empathy():
    texts, events, _ = await run(
        ActionTriageAcceptanceBlocked(),
        tracker("콜마너에서 콜 수락이 안 돼요", "report_acceptance_blocked",
                [{"entity": "partner_app", "value": "콜마너", "start": 0, "end": 3}]),
    )
    assert slot_events(events)["triage"] == "consignment"
    assert "확인 후 빠르게 안내해 드리겠습니다" in texts[0]


async def test_a_quoted_restriction_message_without_the_app_name_starts_the_flow():
    _, events, _ = await run(
        ActionTriageAcceptanceBlocked(),
        tracker("발주사의 정책에 따라 배차 진행이 어렵다고 떠요", "report_acceptance_blocked"),
    )
    assert slot_events(events)["triage"] == "consignment"


async def test_an_ambiguous_report_is_asked_back_first():
    texts, events, _ = await run(ActionTriageAcceptanceBlocked(), tracker("콜 수락이 안 돼요", "report_acceptance_blocked"))
    assert slot_events(events)["triage"] == "ask_again"
    assert "콜마너 앱에서 [발주사의 정책에 따라 현재 해당 콜은 배차 진행이 어렵습니다]" in texts[0]


async def test_another_call_type_is_handed_over_with_its_type():
    texts, events, _ = await run(
        ActionTriageAcceptanceBlocked(),
        tracker("예약콜 수락이 안 돼요", "report_acceptance_blocked", [{"entity": "call_type", "value": "예약콜", "start": 0, "end": 3}]),
    )
    assert slot_events(events) == {"triage": "handoff", "call_type": "예약콜"}
    assert "콜타입에 따라 안내가 다릅니다. 말씀하신 예약콜은 이 상담" in texts[0]


async def test_partner_call_in_a_colmaner_context_is_a_consignment_call():
    _, events, _ = await run(
        ActionTriageAcceptanceBlocked(),
        tracker("콜마너에서 제휴콜이 안 잡혀요", "report_acceptance_blocked", [
            {"entity": "partner_app", "value": "콜마너", "start": 0, "end": 3},
            {"entity": "call_type", "value": "제휴콜", "start": 6, "end": 9},
        ]),
    )
    assert slot_events(events)["triage"] == "consignment"


async def test_in_slack_a_restriction_question_is_explained_without_a_lookup():
    a_tracker = tracker("콜마너에서 콜 수락이 안 돼요", "report_acceptance_blocked",
                        [{"entity": "partner_app", "value": "콜마너", "start": 0, "end": 3}])
    a_tracker.events[-1]["input_channel"] = "slack"
    texts, events, _ = await run(ActionTriageAcceptanceBlocked(), a_tracker)
    assert slot_events(events) == {"triage": "explained_elsewhere"}
    assert "상담사 콘솔의 조회에서만" in texts[0]


async def test_yes_to_the_ask_back_starts_the_flow():
    _, events, _ = await run(ActionTriageAcceptanceBlocked(), tracker("네", "affirm", slots={"triage": "ask_again"}))
    assert slot_events(events)["triage"] == "consignment"


# ── Q3 form validation ──────────────────────────────────────────────────────

async def validate(slot: str, value: Any, text: str, intent: str = "inform", entities=None, slots=None):
    a_tracker = tracker(text, intent, entities, {**(slots or {}), slot: value, "requested_slot": slot})
    a_tracker.events.append({"event": "slot", "name": slot, "value": value})
    texts, events, _ = await run(ValidateRestrictionForm(), a_tracker)
    return texts, slot_events(events)


async def test_a_kakao_answer_is_normalised_and_identity_check_announced():
    texts, slots = await validate("ordering_company", "카카오모빌리티", "카모요",
                                  entities=[{"entity": "ordering_company", "value": "카카오모빌리티", "start": 0, "end": 2}])
    assert slots["ordering_company"] == "카카오모빌리티"
    assert any("본인확인" in t for t in texts)


async def test_another_company_ends_the_form_without_identity_questions():
    _, slots = await validate("ordering_company", "티맵이요", "티맵이요")
    assert slots["ordering_company"] == "티맵"
    assert "requested_slot" in slots and slots["requested_slot"] is None


@pytest.mark.parametrize("answer", ["카카오인지 아닌지 모르겠어요", "아니 잘 모르겠는데", "확인 안 해봤어요"])
async def test_an_unsure_answer_gets_where_to_look_and_the_question_again(answer):
    texts, slots = await validate("ordering_company", "다른 업체", answer, intent="deny")
    assert slots["ordering_company"] is None and slots["unsure_answers"] == 1
    assert "form_retries" not in slots
    assert "제휴콜은 출발지 앞에 (제휴)라고 표시" in texts[0]
    assert not any("해당 업체로 문의" in t for t in texts)


async def test_a_second_unsure_answer_offers_an_agent():
    texts, slots = await validate("ordering_company", "잘 기억 안 나요", "잘 기억 안 나요", intent="unsure",
                                  slots={"unsure_answers": 1})
    assert slots["ordering_company"] is None and slots["unsure_answers"] == 2
    assert "상담원" in texts[0]


async def test_an_unsure_answer_to_the_phone_question_offers_an_agent_without_counting_a_retry():
    texts, slots = await validate("phone_number", "번호가 기억이 안 나요", "번호가 기억이 안 나요", intent="unsure")
    assert slots["phone_number"] is None and "form_retries" not in slots
    assert "상담원 연결" in texts[0]


@pytest.mark.parametrize("answer", ["아니요 다른 업체예요", "카카오 아니에요", "다른 회사요"])
async def test_saying_it_is_another_company_without_naming_it_ends_the_form(answer):
    _, slots = await validate("ordering_company", answer, answer)
    assert slots["ordering_company"] == "다른 업체"


async def test_a_named_other_company_wins_over_a_negated_kakao():
    _, slots = await validate("ordering_company", "카카오 아니고 로지요", "카카오 아니고 로지요")
    assert slots["ordering_company"] == "로지"


async def test_an_unusable_company_answer_is_asked_again_with_the_hint():
    texts, slots = await validate("ordering_company", "글쎄요 잘", "글쎄요 잘")
    assert slots["ordering_company"] is None
    assert "(제휴)" in texts[0]


async def test_a_name_answer_is_kept_without_its_wrapping():
    _, slots = await validate("driver_name", "김민수입니다", "김민수입니다")
    assert slots["driver_name"] == "김민수"


async def test_a_bad_name_is_asked_again_clearly():
    texts, slots = await validate("driver_name", "ㅋㅋㅋ", "ㅋㅋㅋ")
    assert slots["driver_name"] is None and "한글 성함" in texts[0]


async def test_a_phone_is_stored_masked_with_its_digest():
    _, slots = await validate("phone_number", "01012345678", "01012345678")
    assert slots["phone_number"] == "010-****-5678"
    assert slots["phone_digest"] == phone_digest("010-1234-5678")


async def test_a_bad_phone_is_asked_again_clearly():
    texts, slots = await validate("phone_number", "1234", "1234")
    assert slots["phone_number"] is None and "010으로 시작하는 번호" in texts[0]


async def test_a_second_unusable_answer_in_a_row_ends_the_form():
    _, slots = await validate("phone_number", "1234요", "1234요", slots={"form_retries": 1})
    assert slots["form_retries"] == 2 and slots["requested_slot"] is None


# ── Q3 answer ───────────────────────────────────────────────────────────────

def identity_slots(driver_id: str, name: Optional[str] = None, phone: Optional[str] = None) -> Dict[str, Any]:
    record_name, record_phone = DEMO_DRIVERS[driver_id]
    return {
        "ordering_company": "카카오모빌리티",
        "driver_name": name or record_name,
        "phone_number": "***",
        "phone_digest": phone_digest(phone or record_phone),
    }


def with_token(driver_id: str) -> Dict[str, Any]:
    return {"driver_token": mint_driver_token(driver_id, TEST_SECRET)}


async def answer_for(driver_id: str, **kwargs) -> List[str]:
    metadata = kwargs.pop("metadata", with_token(driver_id))
    texts, _, _ = await run(
        ActionAnswerAcceptanceRestriction(),
        tracker("010-0000-0000", slots=identity_slots(driver_id, **kwargs), metadata=metadata),
    )
    return texts


WAIT = "확인 감사합니다. 배차 제한 사유 확인 후 안내해 드릴게요. 잠시만 기다려주시겠습니까?"


@pytest.mark.parametrize("driver_id,reason", [("D-1001", "운행 중 사고 발생 후 미신고"), ("D-1005", "음주 의심 신고에 따른 조사")])
async def test_a_suspended_driver_hears_the_wait_line_and_the_suspension_reason(driver_id, reason):
    texts = await answer_for(driver_id)
    assert texts == [
        WAIT,
        f"기다려주셔서 감사합니다. 기사님께서는 카카오 T에서 {reason} 사유로 계정이 정지되어 콜마너에서도 콜수락이 제한되고 있습니다.",
        RATING,
    ]


@pytest.mark.parametrize("driver_id", ["D-1002", "D-1004", "D-1006"])
async def test_a_driver_blocked_by_customers_hears_the_customer_block_answer(driver_id):
    texts = await answer_for(driver_id)
    assert texts[1].startswith("기다려주셔서 감사합니다. 특정 고객님의 요청으로 해당 고객님의 호출 건은 수락이 제한됩니다.")


@pytest.mark.parametrize("driver_id", ["D-1003", "D-1007"])
async def test_a_driver_with_nothing_on_record_is_pointed_to_colmaner_support(driver_id):
    texts = await answer_for(driver_id)
    assert "1688-6618" in texts[1]


NOT_VERIFIED = "본인확인이 완료되지 않아 배차 제한 사유를 안내해 드릴 수 없습니다"


async def test_without_a_token_nothing_from_the_record_is_said():
    texts = await answer_for("D-1001", metadata={})
    assert NOT_VERIFIED in texts[1] and "사고" not in " ".join(texts)


async def test_someone_elses_token_discloses_nothing():
    texts = await answer_for("D-1001", metadata=with_token("D-1003"))
    assert NOT_VERIFIED in texts[1] and "사고" not in " ".join(texts)


async def test_a_wrong_phone_discloses_nothing():
    texts = await answer_for("D-1001", phone="010-1111-2222")
    assert NOT_VERIFIED in texts[1]


async def test_an_unknown_name_and_an_unmatched_record_get_the_same_answer():
    stranger = await answer_for("D-1001", name="홍길동", phone="010-1111-2222")
    mismatch = await answer_for("D-1003", name="김민수", phone="010-1234-5678", metadata=with_token("D-1003"))
    assert stranger == mismatch


async def test_a_database_outage_gets_an_apology_and_an_agent_offer(monkeypatch):
    monkeypatch.setattr(admin_db, "_default", admin_db.AdminRepository(url="postgresql://postgres@127.0.0.1:1/x", load_demo_data=False))
    texts = await answer_for("D-1001")
    assert "지금 배차 제한 내역을 조회할 수 없어" in texts[1] and "사고" not in " ".join(texts)


async def test_another_company_is_told_to_ask_that_company():
    texts, _, _ = await run(ActionAnswerAcceptanceRestriction(), tracker(slots={"ordering_company": "티맵모빌리티"}))
    assert texts == ["발주사가 티맵모빌리티인 경우, 배차 제한 사유는 티맵모빌리티로 문의해 주셔야 합니다."]


async def test_the_answer_clears_the_identity_slots():
    _, events, _ = await run(ActionAnswerAcceptanceRestriction(), tracker(slots=identity_slots("D-1001"), metadata=with_token("D-1001")))
    slots = slot_events(events)
    assert slots["driver_name"] is None and slots["phone_digest"] is None


async def test_the_answer_remembers_who_passed_identity_as_a_digest_only():
    _, events, _ = await run(ActionAnswerAcceptanceRestriction(), tracker(slots=identity_slots("D-1005"), metadata=with_token("D-1005")))
    remembered = slot_events(events)["q3_verified_driver"]
    assert remembered == driver_digest("D-1005") and "D-1005" not in remembered


# ── Q3 follow-ups ───────────────────────────────────────────────────────────

async def followup(text: str, outcome: Optional[str], driver_id: Optional[str] = None, token_of: Optional[str] = None) -> List[str]:
    slots = {"q3_outcome": outcome, "q3_verified_driver": driver_digest(driver_id) if driver_id else None}
    metadata = with_token(token_of or driver_id) if (token_of or driver_id) else {}
    texts, events, _ = await run(ActionAnswerRestrictionFollowup(), tracker(text, "ask_restriction_followup", slots=slots, metadata=metadata))
    assert events == []
    return texts


async def test_when_it_ends_reads_the_end_date_from_the_record():
    texts = await followup("언제 풀려요?", "suspended", "D-1005")
    assert "2027년 12월 31일까지" in texts[0]


async def test_an_open_ended_suspension_is_said_to_have_no_end_on_record():
    texts = await followup("언제 풀려요?", "suspended", "D-1001")
    assert "종료 예정일이 없어" in texts[0]


async def test_the_end_date_is_refused_to_a_token_of_another_driver():
    texts = await followup("언제 풀려요?", "suspended", "D-1005", token_of="D-1003")
    assert NOT_VERIFIED in texts[0] and "2027" not in texts[0]


@pytest.mark.parametrize("question", ["왜 그런 거죠", "다른 콜은요?"])
async def test_why_and_other_calls_are_refused_once_the_token_has_expired(question):
    expired = {"driver_token": mint_driver_token("D-1005", TEST_SECRET, ttl=dt.timedelta(seconds=-60))}
    texts, _, _ = await run(ActionAnswerRestrictionFollowup(), tracker(
        question, "ask_restriction_followup",
        slots={"q3_outcome": "suspended", "q3_verified_driver": driver_digest("D-1005")}, metadata=expired))
    assert NOT_VERIFIED in texts[0] and not any("정지" in text for text in texts)


async def test_the_end_date_is_refused_without_a_token():
    texts, _, _ = await run(ActionAnswerRestrictionFollowup(), tracker(
        "언제 풀려요?", "ask_restriction_followup", slots={"q3_outcome": "suspended", "q3_verified_driver": driver_digest("D-1005")}))
    assert NOT_VERIFIED in texts[0]


async def test_the_end_date_lookup_in_an_outage_apologises(monkeypatch):
    monkeypatch.setattr(admin_db, "_default", admin_db.AdminRepository(url="postgresql://postgres@127.0.0.1:1/x", load_demo_data=False))
    texts = await followup("언제 풀려요?", "suspended", "D-1005")
    assert "지금 배차 제한 내역을 조회할 수 없어" in texts[0]


@pytest.mark.parametrize("outcome", ["suspended", "customer_block", "none_on_record"])
async def test_who_the_customer_is_is_never_said(outcome):
    texts = await followup("그 고객이 누구예요?", outcome, "D-1002")
    assert texts[0] == "죄송합니다. 고객님의 정보는 개인정보 보호를 위해 안내해 드릴 수 없습니다."


async def test_other_calls_after_a_block_are_acceptable_as_the_script_says():
    assert await followup("다른 콜은 돼요?", "customer_block", "D-1002") == [
        "네. 요청한 고객님의 콜만 차단되고 다른 호출 건은 수락이 가능합니다."]


async def test_other_calls_after_a_suspension_are_not():
    texts = await followup("다른 콜은 돼요?", "suspended", "D-1001")
    assert "모든 위탁콜 노출이 제한되어" in texts[0]


async def test_why_after_nothing_on_record_gives_the_way_forward():
    texts = await followup("왜 안 되는 건데요?", "none_on_record", "D-1003")
    assert "1688-6618" in texts[0]


async def test_a_follow_up_before_any_answer_offers_the_lookup_and_says_nothing_of_the_record():
    texts = await followup("언제 풀려요?", None, token_of="D-1005")
    assert texts[0].startswith("아직 기사님의 배차 제한 내역을 확인하지 않았습니다")


async def test_a_why_that_reads_like_a_new_report_after_the_answer_is_a_follow_up():
    texts, events, _ = await run(ActionTriageAcceptanceBlocked(), tracker(
        "그러면 왜 수락이 안되는거예요", "report_acceptance_blocked",
        slots={"q3_outcome": "customer_block", "q3_verified_driver": driver_digest("D-1002")}, metadata=with_token("D-1002")))
    assert "다시 만나지 않기" in texts[0] and slot_events(events)["triage"] == "followed_up"


async def test_a_new_report_naming_colmaner_after_the_answer_starts_the_flow_again():
    texts, events, _ = await run(ActionTriageAcceptanceBlocked(), tracker(
        "콜마너에서 또 콜 수락이 안 돼요", "report_acceptance_blocked",
        entities=[{"entity": "partner_app", "value": "콜마너"}], slots={"q3_outcome": "customer_block"}))
    assert slot_events(events)["triage"] == "consignment"


async def test_when_calls_come_back_without_a_place_after_a_suspension_is_a_follow_up():
    texts, _, _ = await run(ActionAnswerServiceRegions(), tracker(
        "언제부터 콜 받을 수 있나요", "ask_service_regions",
        slots={"q3_outcome": "suspended", "q3_verified_driver": driver_digest("D-1005")}, metadata=with_token("D-1005")))
    assert "2027년 12월 31일까지" in texts[0]


async def test_a_follow_up_read_as_out_of_scope_right_after_the_answer_is_answered_as_a_follow_up():
    texts, _, _ = await run(ActionAnswerOutOfScope(), tracker(
        "그 손님이 누군지는 알 수 있나", "out_of_scope",
        slots={"q3_outcome": "customer_block", "q3_verified_driver": driver_digest("D-1002")}, metadata=with_token("D-1002"),
        before=bot_said("utter_restriction_customer_block", "utter_rate_answer")))
    assert texts == [RESPONSES.generate_from_slots(name, {}, "rest")["text"]
                     for name in ("utter_restriction_customer_private", "utter_restriction_other_calls_ok")]


async def test_small_talk_with_a_follow_ups_word_topics_after_the_answer_stays_out_of_scope():
    texts, _, _ = await run(ActionAnswerOutOfScope(), tracker(
        "오늘 점심 언제 먹을까요", "out_of_scope",
        slots={"q3_outcome": "suspended", "q3_verified_driver": driver_digest("D-1005")}, metadata=with_token("D-1005"),
        before=bot_said("utter_restriction_suspended") + bot_said("utter_consignment_definition")))
    assert texts == [RESPONSES.generate_from_slots("utter_out_of_scope", {}, "rest")["text"]]


async def test_an_uncovered_topic_after_the_answer_stays_out_of_scope():
    texts, _, _ = await run(ActionAnswerOutOfScope(), tracker(
        "수수료는 언제 정산돼요", "out_of_scope", slots={"q3_outcome": "customer_block"},
        before=bot_said("utter_restriction_customer_block")))
    assert texts == [RESPONSES.generate_from_slots("utter_out_of_scope", {}, "rest")["text"]]


async def test_an_unsure_reading_with_a_follow_ups_word_after_the_answer_is_a_follow_up_not_a_rephrase():
    texts, events, _ = await run(ActionAskRephrase(), tracker(
        "근데 그거 언제 끝남", "nlu_fallback", slots={"q3_outcome": "suspended", "q3_verified_driver": driver_digest("D-1005")},
        metadata=with_token("D-1005"), before=bot_said("utter_restriction_why_suspended")))
    assert "2027년 12월 31일까지" in texts[0] and not slot_events(events).get("misunderstood")


async def test_an_unsure_reading_that_names_another_call_type_hands_over_with_it():
    texts, events, _ = await run(ActionAskRephrase(), tracker(
        "예약콜 그거 어케 되는거", "nlu_fallback", entities=[{"entity": "call_type", "value": "예약콜"}]))
    assert "말씀하신 예약콜" in texts[0] and slot_events(events)["call_type"] == "예약콜"
    assert any(e.get("event") == "pause" for e in events)


# ── handoff ─────────────────────────────────────────────────────────────────

async def test_handoff_packet_has_the_consultation_path_and_no_full_phone():
    a_tracker = tracker("상담원 연결해 주세요", "request_human",
                        slots={"call_type": "예약콜", "phone_number": "010-****-5678", "driver_name": "김민수"})
    a_tracker.events.insert(0, {"event": "user", "text": "예약콜 수락이 안돼요 010-1234-5678"})
    texts, _, dispatcher = await run(ActionHandoff(), a_tracker)
    packet = dispatcher.messages[0]["custom"]["handoff"]
    assert packet["consultation_path"] == "대리_기사 ▶ 배정/운행 ▶ 배정정책 ▶ 예약콜"
    assert "010-1234-5678" not in str(packet)
    assert texts[0].startswith("상담원에게 연결해 드리겠습니다.")


async def test_a_handoff_is_queued_for_agents_and_pauses_the_conversation(handoff_queue):
    _, events, _ = await run(ActionHandoff(), tracker("상담원 연결해 주세요", "request_human"))
    assert {"event": "pause"} in [{"event": e["event"]} for e in events]
    (queued,) = handoff_queue.handoffs()
    assert queued["status"] == "open" and queued["packet"]["reason"] == "driver_request"


async def test_when_the_handoff_queue_is_down_the_driver_is_told_and_the_bot_keeps_answering(monkeypatch):
    class Broken:
        def open_handoff(self, *args):
            raise OSError("disk full")
    monkeypatch.setattr(assist_store, "_default", Broken())
    texts, events, _ = await run(ActionHandoff(), tracker("상담원 연결해 주세요", "request_human"))
    assert "지금은 상담원에게 연결할 수 없습니다" in texts[0]
    assert "pause" not in [e["event"] for e in events]


async def test_in_slack_a_handoff_request_is_answered_without_queueing_or_pausing(handoff_queue):
    a_tracker = tracker("상담원 연결해 주세요", "request_human")
    a_tracker.events[-1]["input_channel"] = "slack"
    texts, events, _ = await run(ActionHandoff(), a_tracker)
    assert "상담사 콘솔에서" in texts[0]
    assert "pause" not in [e["event"] for e in events] and handoff_queue.handoffs() == []
