"""Drivers' real sentences through the real NLU and dialogue (issue 7): places, names, answers
outside a flow, unsure answers, particles, outages and handoffs across sessions."""
from __future__ import annotations

import re
from typing import List

import pytest
import requests
from rasa.shared.core.domain import Domain

from consignment.identity import mint_driver_token
from consignment.regions import service_regions
from server.nlg import KoreanResponseGenerator
from tests.conftest import PROJECT_ROOT, TEST_SECRET
from tests.live_servers import ACTIONS_PORT, AGENT_SECRET, API_TOKEN, age_conversation, bot_silent

pytestmark = pytest.mark.live

REGION_LIST = "출발지 기준 서울, 부산, 인천, 광주, 울산, 경기, 강원, 천안, 제주, 대구, 경북, 목포, 대전 지역입니다"
RAW_PARTICLE = re.compile(r"은\(는\)|이\(가\)|을\(를\)|\(으\)로|과\(와\)")


def texts(replies) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def buttons(replies) -> List[str]:
    return [b["title"] for r in replies for b in r.get("buttons") or []]


def token_of(driver_id: str) -> dict:
    return {"driver_token": mint_driver_token(driver_id, TEST_SECRET)}


# ── 1. every place of the gazetteer, whole ─────────────────────────────────────

def test_every_gazetteer_spelling_reaches_the_region_answer_whole_with_its_region(assistant):
    """Each spelling of content/regions_gazetteer.yml in a driver's question: the NLU's region
    value is the place as the gazetteer names it (여의도 stays 여의도), and the real action's
    answer names the article's region it falls under, or says it is not covered."""
    regions = service_regions()
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    responses = KoreanResponseGenerator(domain=domain)
    failures = []
    session = requests.Session()
    for written, _ in regions.spellings():
        question = f"{written}에서도 위탁콜 받을 수 있나요?"
        parse = session.post(f"{assistant.url}/model/parse", params={"token": API_TOKEN}, json={"text": question}, timeout=30).json()
        values = [e["value"] for e in parse["entities"] if e["entity"] == "region"]
        expected = regions.canonical_name(written)
        if parse["intent"]["name"] != "ask_service_regions" or expected not in values:
            failures.append(f"{written}: intent {parse['intent']['name']}, regions {values}")
            continue
        answered = session.post(f"http://127.0.0.1:{ACTIONS_PORT}/webhook", json={
            "next_action": "action_answer_service_regions", "sender_id": "gazetteer",
            "tracker": {"sender_id": "gazetteer", "slots": {}, "latest_message": parse, "events": [],
                        "paused": False, "followup_action": None, "active_loop": {},
                        "latest_action_name": "action_listen"},
            "domain": domain.as_dict(), "version": "3.6.2",
        }, timeout=30).json()
        said = " ".join(
            responses.generate_from_slots(r["response"], {}, "rest", **{k: v for k, v in r.items() if k != "response"})["text"]
            for r in answered["responses"]
        )
        coverage = regions.resolve(expected)
        named_region = all(
            (c.listed_region in said) if c.covered else ("운영 지역이 아닙니다" in said) for c in coverage
        )
        if "확인하지 못했습니다" in said or not named_region or RAW_PARTICLE.search(said):
            failures.append(f"{written}: {said[:120]}")
    assert not failures, f"{len(failures)} of {len(regions.spellings())} spellings:\n" + "\n".join(failures[:40])


# ── 2. "…에서도 받을 수 있나요?" is a region question ──────────────────────────

@pytest.mark.parametrize(
    "question,answer",
    [
        ("창원에서도 위탁콜 받을 수 있나요?", "창원은 현재 위탁콜 운영 지역이 아닙니다"),
        ("수원에서두 위탁콜 잡을수 있어요?", "위탁콜 운영 지역(경기)에 포함됩니다"),
        ("여의도에서 출발하는 위탁콜 탈 수 있나요", "여의도에서 출발하는 콜은 위탁콜 운영 지역(서울)"),
        ("청주는 위탁콜 안 들어와요?", "청주는 현재 위탁콜 운영 지역이 아닙니다"),
        ("목포만 하는 거예요? 전남은?", "목포"),
        ("대전 위탁콜 가능?", "2022년 4월 25일부터"),
    ],
)
def test_a_place_with_an_availability_question_gets_the_region_answer_not_the_definition(assistant, sender, question, answer):
    reply = texts(assistant.say(sender, question))
    assert answer in reply
    assert "CNMP(콜마너파트너사)" not in reply


# ── 3. an answer outside any question ─────────────────────────────────────────

@pytest.mark.parametrize("message", ["김민수요", "카카오모빌리티요", "010-1234-5678", "티맵이에요"])
def test_a_bare_answer_outside_a_flow_gets_a_question_back_never_the_list_or_a_lookup(assistant, sender, message):
    replies = assistant.say(sender, message, token_of("D-1001"))
    said = texts(replies)
    assert "어떤 점이 궁금하신가요?" in said
    assert REGION_LIST not in said and "사유로 계정이 정지" not in said
    assert buttons(replies) == ["위탁콜이 뭐예요?", "위탁콜 운영 지역", "콜마너에서 콜 수락이 안 돼요"]


# ── 4. "not sure whether it's Kakao" ─────────────────────────────────────────

def test_an_unsure_ordering_company_gets_help_then_an_agent_offer_never_the_other_company_script(assistant, sender):
    assistant.say(sender, "콜마너에서 콜 수락이 안 돼요 발주사 정책 어쩌고 떠요", token_of("D-1001"))
    first = texts(assistant.say(sender, "카카오인지 아닌지 잘 모르겠어요", token_of("D-1001")))
    assert "제휴콜은 출발지 앞에 (제휴)라고 표시" in first
    assert "카카오 모빌리티라고 안내받으신 걸까요?" in first
    second = assistant.say(sender, "확인 안 해봤어요", token_of("D-1001"))
    assert "상담원이 도와드리겠습니다" in texts(second) and "상담원 연결" in buttons(second)
    assert "해당 업체로 문의" not in first + texts(second)
    # the driver can still answer: the flow goes on
    assert "성함" in texts(assistant.say(sender, "네 카카오 맞아요", token_of("D-1001")))


# ── 5. names with particles and endings ──────────────────────────────────────

@pytest.mark.parametrize(
    "name_answer",
    ["김민수이고 번호는 010-1234-5678이에요", "제 이름은 김민수입니다 01012345678", "김민수요 010 1234 5678"],
)
def test_a_name_and_phone_in_one_answer_verify_the_driver(assistant, sender, name_answer):
    metadata = token_of("D-1001")
    assistant.say(sender, "콜마너에서 발주사의 정책에 따라 배차 진행이 어렵대요", metadata)
    assistant.say(sender, "네 카카오요", metadata)
    reply = texts(assistant.say(sender, name_answer, metadata))
    assert "운행 중 사고 발생 후 미신고 사유로 계정이 정지되어" in reply


@pytest.mark.parametrize("name_answer", ["이영희예요", "저는 이영희인데요", "이영희라고 합니다", "네 이영희입니다"])
def test_a_name_with_its_ending_passes_identity(assistant, sender, name_answer):
    metadata = token_of("D-1002")
    assistant.say(sender, "콜마너에서 콜 수락이 안 돼요", metadata)
    assistant.say(sender, "카카오모빌리티요", metadata)
    assistant.say(sender, name_answer, metadata)
    reply = texts(assistant.say(sender, "010-2345-6789", metadata))
    assert "특정 고객님의 요청으로 해당 고객님의 호출 건은 수락이 제한됩니다" in reply


# ── 6. the outage apology's agent button ─────────────────────────────────────

def test_with_the_action_server_down_the_agent_button_reaches_the_queue_not_the_apology_again(assistant, sender):
    with assistant.action_server_down():
        apology = assistant.say(sender, "위탁콜이 뭐예요?")
        assert "상담원 연결" in buttons(apology)
        pressed = texts(assistant.say(sender, "/request_human"))
        assert "상담원에게 연결해 드리겠습니다" in pressed
        assert "일시적인 문제로" not in pressed
        assert bot_silent(assistant.say(sender, "여보세요"))  # paused: an agent owns it now
    queue = requests.get(f"{assistant.url}/webhooks/assist/handoffs", headers=agent_headers(), timeout=30).json()
    assert sender in [h["conversation_id"] for h in queue["handoffs"]]


def agent_headers() -> dict:
    from consignment.agent_auth import mint_agent_token

    return {"Authorization": f"Bearer {mint_agent_token('A-TEST', AGENT_SECRET)}"}


# ── 8. particles ──────────────────────────────────────────────────────────────

@pytest.mark.parametrize(
    "turns,expected",
    [
        (["아산도 돼요?"], "아산은 현재 위탁콜 운영 지역이 아닙니다"),
        (["콜마너에서 콜 수락이 안 돼요", "티맵이요"], "티맵으로 문의해 주셔야 합니다"),
        (["콜마너에서 콜 수락이 안 돼요", "로지요"], "로지로 문의해 주셔야 합니다"),
        (["예약콜 수락이 안 돼요"], "예약콜은 이 상담"),
    ],
)
def test_particles_follow_the_filled_in_word(assistant, sender, turns, expected):
    replies = [texts(assistant.say(sender, turn)) for turn in turns]
    assert expected in replies[-1]
    assert not RAW_PARTICLE.search("\n".join(replies))


# ── 10. a handoff outlives a session start ───────────────────────────────────

def test_an_open_handoff_keeps_the_conversation_paused_after_the_session_expires(assistant, sender):
    assistant.say(sender, "상담원 연결해 주세요")
    age_conversation(assistant, sender, hours=2)  # the driver writes again two hours later
    assert bot_silent(assistant.say(sender, "아직 기다리고 있어요"))
    events = [e["event"] for e in assistant.tracker(sender)["events"]]
    since_new_session = events[len(events) - events[::-1].index("session_started"):]
    assert "user" in since_new_session and "bot" not in since_new_session


