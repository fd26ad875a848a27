"""Live suggestions (실시간 추천) for a taken handoff, in a real headless Chromium against the live
servers: a driver talks through the REST channel, the agent works in the console.

Once the agent has taken the conversation, every new driver message that the console's poll
brings gets a suggestion card (POST /webhooks/assist/suggest with the conversation id); a script
line goes into the reply box with 답변란에 넣기 and is never sent from there.
"""
from __future__ import annotations

import json
import re

import pytest
import requests

from consignment.agent_auth import mint_agent_token
from consignment.identity import mint_driver_token
from tests.browser.conftest import strict_page
from tests.conftest import TEST_SECRET
from tests.live_servers import AGENT_SECRET, queued_handoff

pytestmark = pytest.mark.live

TIMEOUT_MS = 30_000
POLL_MS = 5_000  # console.js HANDOFF_REFRESH_MS
WITHIN_A_POLL_MS = POLL_MS + 5_000  # one poll, the suggestion itself, and a busy machine
AGENT = "A-21"

HUMAN = "상담원 연결해 주세요"
Q3 = "콜마너에서 콜 수락이 안 돼요"
Q1 = "위탁콜이 뭐예요?"
COMPANY_QUESTION = "콜마너에서 발주사가 카카오 모빌리티라고 안내받으신 걸까요?"
# the empathy line has two variants (domain.yml utter_empathy): its common ending
EMPATHY = "제가 몇 가지 확인 후 빠르게 안내해 드리겠습니다."


@pytest.fixture(scope="module")
def agent_token() -> str:
    return mint_agent_token(AGENT, AGENT_SECRET)


@pytest.fixture
def page(browser):
    with strict_page(browser, "the console page", viewport={"width": 1280, "height": 900}) as tab:
        tab.set_default_timeout(TIMEOUT_MS)
        yield tab


class Driver:
    """A driver on the REST channel, with a valid driver token, handed over to an agent."""

    def __init__(self, assistant, sender: str) -> None:
        self.assistant = assistant
        self.sender = sender
        self.metadata = {"driver_token": mint_driver_token("D-1003", TEST_SECRET)}
        self.handoff_id = None

    def says(self, text: str) -> list:
        return self.assistant.say(self.sender, text, self.metadata)

    def asks_for_an_agent(self) -> None:
        messages = self.says(HUMAN)
        assert "상담원에게 연결해 드리겠습니다" in " ".join(m.get("text", "") for m in messages), messages
        self.handoff_id = queued_handoff(self.assistant, self.sender)["handoff_id"]

    def bot_events(self) -> list:
        return [e for e in self.assistant.tracker(self.sender)["events"] if e.get("event") == "bot"]


@pytest.fixture
def driver(assistant, sender, agent_token):  # noqa: F811
    person = Driver(assistant, sender)
    person.asks_for_an_agent()
    yield person
    # the queue stays short for the other tests: the agent's conversation is resolved
    requests.post(f"{assistant.url}/webhooks/assist/handoffs/{person.handoff_id}/resolve",
                  headers={"Authorization": f"Bearer {agent_token}"}, json={}, timeout=30)


def take(page, assistant, token: str, driver: Driver):  # noqa: F811
    """The console open, the driver's conversation selected and taken by the agent."""
    from playwright.sync_api import expect

    page.goto(f"{assistant.url}/webhooks/assist/console")
    page.get_by_label("상담사 토큰").fill(token)
    item = page.locator(f'[data-testid="handoff-item"][data-conversation-id="{driver.sender}"]')
    item.click()
    detail = page.get_by_test_id("handoff-detail")
    detail.get_by_test_id("take-button").click()
    expect(detail.get_by_test_id("detail-status")).to_have_text(f"진행 중 ({AGENT})")
    # the message the driver was handed over with has its card already
    expect(latest_card(page).get_by_test_id("whisper-message")).to_have_text(HUMAN)
    expect(latest_card(page).get_by_test_id("whisper-summary")).to_be_visible()
    return detail


def latest_card(page):
    return page.locator('[data-testid="whisper-card"][data-latest="true"]')


def card_for(page, text: str):
    from playwright.sync_api import expect

    card = latest_card(page)
    expect(card.get_by_test_id("whisper-message")).to_have_text(text, timeout=WITHIN_A_POLL_MS)
    expect(card.get_by_test_id("whisper-summary")).to_be_visible(timeout=WITHIN_A_POLL_MS)
    return card


def test_a_new_driver_message_gets_a_suggestion_card_within_a_poll(page, assistant, agent_token, driver):  # noqa: F811
    from playwright.sync_api import expect

    take(page, assistant, agent_token, driver)
    driver.says(Q3)
    card = card_for(page, Q3)
    expect(card.get_by_test_id("whisper-summary")).to_have_text("콜마너 배차 제한 (발주사 정책) 문의")
    expect(card.get_by_test_id("whisper-call-type")).to_have_text("위탁콜")
    expect(card.get_by_test_id("whisper-next-step")).to_contain_text("카카오 모빌리티인지 확인")
    expect(card.get_by_test_id("whisper-stage")).to_have_text("진행 중인 단계 없음 — 상담원 응대 중")
    expect(card.get_by_test_id("whisper-line").filter(has_text=COMPANY_QUESTION)).to_have_count(1)
    expect(card.get_by_test_id("whisper-line").filter(has_text=EMPATHY)).to_have_count(1)
    expect(card.get_by_test_id("whisper-insert").first).to_have_text("답변란에 넣기")


def test_the_suggestion_reads_the_conversation_and_never_writes_to_it(page, assistant, agent_token, driver):  # noqa: F811
    take(page, assistant, agent_token, driver)
    driver.says(Q3)
    before = assistant.tracker(driver.sender)["events"]
    card_for(page, Q3)
    after = assistant.tracker(driver.sender)["events"]
    assert after == before
    said = [e.get("text") for e in driver.bot_events()]
    assert COMPANY_QUESTION not in said and EMPATHY not in said


def test_inserting_a_line_fills_the_reply_box_and_sends_nothing(page, assistant, agent_token, driver):  # noqa: F811
    from playwright.sync_api import expect

    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith("/reply") else None)
    detail = take(page, assistant, agent_token, driver)
    driver.says(Q3)
    card = card_for(page, Q3)
    card.get_by_test_id("whisper-line").filter(has_text=COMPANY_QUESTION).get_by_test_id("whisper-insert").click()
    reply = detail.get_by_test_id("reply-input")
    expect(reply).to_have_value(COMPANY_QUESTION)
    expect(reply).to_be_focused()
    page.wait_for_timeout(1_000)
    assert sent == []
    assert COMPANY_QUESTION not in [e.get("text") for e in driver.bot_events()]
    expect(detail.get_by_test_id("transcript-line").filter(has_text=COMPANY_QUESTION)).to_have_count(0)


def test_inserting_records_the_suggestion_as_used_once(page, assistant, agent_token, driver):  # noqa: F811
    from playwright.sync_api import expect

    verdicts = []
    page.on("request", lambda r: verdicts.append(json.loads(r.post_data))
            if r.method == "POST" and r.url.endswith("/webhooks/assist/feedback") else None)
    take(page, assistant, agent_token, driver)
    driver.says(Q3)
    card = card_for(page, Q3)
    suggestion_id = card.get_attribute("data-suggestion-id")
    card.get_by_test_id("whisper-line").filter(has_text=EMPATHY).get_by_test_id("whisper-insert").click()
    expect(card.get_by_test_id("whisper-verdict")).to_have_text("사용함으로 기록됨")
    card.get_by_test_id("whisper-line").filter(has_text=COMPANY_QUESTION).get_by_test_id("whisper-insert").click()
    expect(page.get_by_test_id("reply-input")).to_have_value(
        re.compile(re.escape(EMPATHY) + "\n" + re.escape(COMPANY_QUESTION) + "$"))
    page.wait_for_timeout(1_000)
    assert verdicts == [{"suggestion_id": suggestion_id, "verdict": "used"}]


def test_a_line_changed_before_sending_is_recorded_as_edited(page, assistant, agent_token, driver):  # noqa: F811
    from playwright.sync_api import expect

    verdicts = []
    page.on("request", lambda r: verdicts.append(json.loads(r.post_data)["verdict"])
            if r.method == "POST" and r.url.endswith("/webhooks/assist/feedback") else None)
    detail = take(page, assistant, agent_token, driver)
    driver.says(Q3)
    card = card_for(page, Q3)
    card.get_by_test_id("whisper-line").filter(has_text=COMPANY_QUESTION).get_by_test_id("whisper-insert").click()
    reply = detail.get_by_test_id("reply-input")
    reply.press("End")
    reply.type(" 앱 화면에 그렇게 나오나요?")
    reply.press("Enter")
    expect(detail.get_by_test_id("transcript-line").filter(has_text="앱 화면에 그렇게 나오나요?")).to_have_attribute("data-from", "agent")
    expect(card.get_by_test_id("whisper-verdict")).to_have_text("수정함으로 기록됨")
    assert verdicts == ["used", "edited"]


def test_a_poll_that_brings_nothing_new_asks_for_no_suggestion(page, assistant, agent_token, driver):  # noqa: F811
    take(page, assistant, agent_token, driver)
    driver.says(Q3)
    card_for(page, Q3)
    calls = []
    page.on("request", lambda r: calls.append(r.url.rsplit("/", 1)[-1]) if "/webhooks/assist/" in r.url else None)
    page.wait_for_timeout(2 * POLL_MS + 1_000)
    assert calls.count("handoffs") >= 2
    assert "suggest" not in calls


def test_older_cards_fold_and_the_latest_message_leads(page, assistant, agent_token, driver):  # noqa: F811
    from playwright.sync_api import expect

    take(page, assistant, agent_token, driver)
    driver.says(Q3)
    card_for(page, Q3)
    driver.says(Q1)
    latest = card_for(page, Q1)
    expect(latest.get_by_test_id("whisper-summary")).to_have_text("위탁콜이 무엇인지 문의")
    cards = page.get_by_test_id("whisper-card")
    expect(cards).to_have_count(3)  # 상담원 연결, Q3, Q1: newest first
    expect(cards.first).to_have_attribute("open", "")
    expect(cards.nth(1).get_by_test_id("whisper-message")).to_have_text(Q3)
    assert cards.nth(1).evaluate("card => card.open") is False
    expect(cards.nth(1).get_by_test_id("whisper-line").first).to_be_hidden()


def test_the_stage_of_a_form_in_progress_is_said_in_korean(page, assistant, agent_token, driver):  # noqa: F811
    from playwright.sync_api import expect

    # the server's real card, with the conversation where a form would be asking for the name
    def in_form(route):
        response = route.fetch()
        card = response.json()
        card["conversation"] = dict(card.get("conversation") or {}, active_form="restriction_form",
                                    requested_slot="driver_name", q3_step="driver_name")
        route.fulfill(response=response, json=card)

    take(page, assistant, agent_token, driver)
    page.route("**/webhooks/assist/suggest", in_form)
    driver.says(Q3)
    stage = card_for(page, Q3).get_by_test_id("whisper-stage")
    expect(stage).to_have_text("진행 중: 배차 제한 확인 (발주사 확인 · 본인확인) · 단계: 본인확인 — 성함 확인")
