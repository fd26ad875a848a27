"""The agents' queue tells two requests apart at a glance, and the console offers only what the
agent may do — in a real headless Chromium against the live servers (issue 18 §2–4).

Two drivers ask for an agent on the REST channel: one after the whole Q3 flow (본인확인 done), one
after a Q2 region question. Their queue items read alike in the summary ("기사님 요청 · …"); what
tells them apart is the topic (Q1/Q2/Q3), 본인확인, the channel and when they asked — and none of
that is the driver's words, name or phone.
"""
from __future__ import annotations

import json
import re

import pytest
import requests

from consignment.agent_auth import mint_agent_token
from consignment.identity import mint_driver_token
from tests.browser.conftest import SCREENSHOT_DIR, strict_page
from tests.conftest import TEST_SECRET
from tests.live_servers import AGENT_SECRET, queued_handoff

pytestmark = pytest.mark.live

TIMEOUT_MS = 30_000
AGENT = "A-31"
HUMAN = "상담원 연결해 주세요"
Q3 = "콜마너에서 발주사의 정책에 따라 현재 해당 콜은 배차 진행이 어렵습니다 라고 떠요"
Q2 = "대전도 되나요?"


@pytest.fixture(scope="module")
def agent_token() -> str:
    return mint_agent_token(AGENT, AGENT_SECRET)


def headers(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


class Driver:
    def __init__(self, assistant, sender: str, driver_id: str) -> None:
        self.assistant, self.sender = assistant, sender
        self.metadata = {"driver_token": mint_driver_token(driver_id, TEST_SECRET)}

    def says(self, text: str) -> str:
        return " ".join(m.get("text", "") for m in self.assistant.say(self.sender, text, self.metadata))

    def asks_for_an_agent(self) -> str:
        assert "상담원에게 연결해 드리겠습니다" in self.says(HUMAN)
        return queued_handoff(self.assistant, self.sender)["handoff_id"]


@pytest.fixture(scope="module")
def two_drivers(assistant, agent_token):
    """D-1001 after the whole Q3 flow, D-1003 after a region question: both handed over."""
    import uuid

    verified = Driver(assistant, f"test-{uuid.uuid4().hex}", "D-1001")
    assert "발주사가 카카오 모빌리티" in verified.says(Q3)
    verified.says("네 카카오요")
    assert "계정이 정지되어" in verified.says("김민수이고 번호는 010-1234-5678이에요")
    asking = Driver(assistant, f"test-{uuid.uuid4().hex}", "D-1003")
    asking.says(Q2)
    handoffs = {"q3": (verified, verified.asks_for_an_agent()), "q2": (asking, asking.asks_for_an_agent())}
    yield handoffs
    for _, handoff_id in handoffs.values():  # the queue stays short for the other tests
        requests.post(f"{assistant.url}/webhooks/assist/handoffs/{handoff_id}/take", headers=headers(agent_token), json={}, timeout=30)
        requests.post(f"{assistant.url}/webhooks/assist/handoffs/{handoff_id}/resolve", headers=headers(agent_token), json={}, timeout=30)


@pytest.fixture
def page(browser):
    with strict_page(browser, "the console page", viewport={"width": 1280, "height": 900}) as tab:
        tab.set_default_timeout(TIMEOUT_MS)
        yield tab


def open_console(page, assistant, token: str) -> None:
    page.goto(f"{assistant.url}/webhooks/assist/console")
    page.get_by_label("상담사 토큰").fill(token)


def item_of(page, driver):
    return page.locator(f'[data-testid="handoff-item"][data-conversation-id="{driver.sender}"]')


def test_two_requests_that_read_alike_show_their_topic_identity_check_and_channel(page, assistant, agent_token, two_drivers):  # noqa: F811
    from playwright.sync_api import expect

    open_console(page, assistant, agent_token)
    verified, asking = item_of(page, two_drivers["q3"][0]), item_of(page, two_drivers["q2"][0])
    expect(verified.get_by_test_id("handoff-topic")).to_have_text("Q3 배차 제한")
    expect(asking.get_by_test_id("handoff-topic")).to_have_text("Q2 운영 지역")
    expect(verified.get_by_test_id("handoff-identity")).to_have_text("본인확인 완료")
    expect(asking.get_by_test_id("handoff-identity")).to_have_text("본인확인 전")
    for item in (verified, asking):
        expect(item.get_by_test_id("handoff-channel")).to_have_text("기사 앱")
        expect(item.get_by_test_id("handoff-asked")).to_have_text(re.compile(r"^(오전|오후) \d{1,2}:\d{2} 요청$"))
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.get_by_test_id("handoff-list").screenshot(path=str(SCREENSHOT_DIR / "console-queue.png"))


def test_the_queue_shows_no_driver_words_name_or_phone(page, assistant, agent_token, two_drivers):  # noqa: F811
    from playwright.sync_api import expect

    listed = requests.get(f"{assistant.url}/webhooks/assist/handoffs", headers=headers(agent_token), timeout=30).json()
    mine = [item for item in listed["handoffs"] if item["handoff_id"] in {h for _, h in two_drivers.values()}]
    assert {item["topic_label"] for item in mine} == {"Q3 배차 제한", "Q2 운영 지역"}
    text = json.dumps(mine, ensure_ascii=False)
    for private in ("김민수", "1234-5678", "D-1001", "D-1003", "대전도 되나요", HUMAN, "카카오요"):
        assert private not in text
    open_console(page, assistant, agent_token)
    listed_on_screen = page.get_by_test_id("handoff-list")
    expect(item_of(page, two_drivers["q3"][0])).to_be_visible()
    for private in ("김민수", "1234-5678", "대전도 되나요"):
        assert private not in listed_on_screen.inner_text()


def test_종료_is_offered_only_on_a_conversation_the_agent_has_taken(page, assistant, agent_token, two_drivers):  # noqa: F811
    from playwright.sync_api import expect

    open_console(page, assistant, agent_token)
    item_of(page, two_drivers["q2"][0]).click()
    detail = page.get_by_test_id("handoff-detail")
    expect(detail.get_by_test_id("take-button")).to_be_visible()
    expect(detail.get_by_test_id("resolve-button")).to_be_hidden()
    detail.get_by_test_id("take-button").click()
    expect(detail.get_by_test_id("detail-status")).to_have_text(f"진행 중 ({AGENT})")
    expect(detail.get_by_test_id("resolve-button")).to_be_visible()
    # taken by someone else: again no 종료 for this agent
    other = mint_agent_token("A-32", AGENT_SECRET)
    open_console(page, assistant, other)
    item_of(page, two_drivers["q2"][0]).click()
    expect(detail.get_by_test_id("detail-status")).to_have_text(f"진행 중 ({AGENT})")
    expect(detail.get_by_test_id("resolve-button")).to_be_hidden()


def test_the_announcement_of_one_conversation_is_not_read_out_for_another(page, assistant, agent_token, two_drivers):  # noqa: F811
    from playwright.sync_api import expect

    verified, _ = two_drivers["q3"]
    requests.post(f"{assistant.url}/webhooks/assist/handoffs/{two_drivers['q3'][1]}/take", headers=headers(agent_token), json={}, timeout=30)
    open_console(page, assistant, agent_token)
    item_of(page, verified).click()
    announce = page.locator("#whisper-announce")
    expect(announce).to_contain_text("새 추천:")  # the card for the driver's last message
    item_of(page, two_drivers["q2"][0]).click()
    expect(announce).to_have_text("")


def test_the_card_shows_the_korean_label_and_plain_next_step_not_keys(page, assistant, agent_token):  # noqa: F811
    from playwright.sync_api import expect

    open_console(page, assistant, agent_token)
    box = page.get_by_test_id("message-input")
    box.fill("위탁콜 전국적으로 하는 건가요?")
    box.press("Enter")
    card = page.get_by_test_id("suggestion-card")
    expect(card.get_by_test_id("intent-summary")).to_have_text("위탁콜 운영 지역 문의")
    expect(card.get_by_test_id("intent-name")).to_be_hidden()  # the key only in 세부 정보
    card.get_by_test_id("intent-keys").locator("summary").click()
    expect(card.get_by_test_id("intent-name")).to_have_text("ask_service_regions")
    card.get_by_test_id("intent-keys").locator("summary").click()
    shown = card.inner_text()
    for key in ("ask_service_regions", "utter_", "report_acceptance_blocked", "→", "(카모)", "탐색:"):
        assert key not in shown, key
    expect(card.get_by_test_id("next-step")).to_contain_text("출발지 기준")
