"""Handoff end to end in a real headless Chromium (Debian's /usr/bin/chromium), against the live
servers: a driver's widget and the agent console's 상담 연결 대기 panel, in one browser.

The driver asks for an agent, the bot goes quiet, the agent takes the conversation, answers into
the driver's widget and resolves it, and the bot answers the driver again (CONTRACT §3.6).
"""
from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from consignment.agent_auth import mint_agent_token
from consignment.identity import mint_driver_token
from tests.conftest import TEST_SECRET
from tests.live_servers import AGENT_SECRET

pytestmark = pytest.mark.live

TIMEOUT_MS = 30_000
PHONE = {"width": 390, "height": 844}

Q3 = "콜마너에서 콜 수락이 안 돼요"
HANDOFF_NOTE = "상담원이 곧 연결됩니다"
WHILE_WAITING = "빨리 연결해주세요"
AGENT_REPLY = "상담사 김하나입니다. 확인해 드릴게요."
Q1 = "위탁콜이 뭐예요?"
Q1_ANSWER = "CNMP(콜마너파트너사)"
NOT_DELIVERED = "기사님 화면에 바로 전달되지 않았습니다 (대화 기록에 남았습니다). 앱(REST)으로 대화 중인 기사님께는 앱이 새 답변을 확인할 때나 다음 메시지와 함께 전해집니다"





@pytest.fixture(scope="module")
def agent_token() -> str:
    return mint_agent_token("A-07", AGENT_SECRET)


class Tab:
    """A page in its own browser context, with the JavaScript errors it raised."""

    def __init__(self, browser, **context_options) -> None:
        self.context = browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul", **context_options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.errors: list = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def close(self) -> None:
        self.context.close()
        assert not self.errors, f"JavaScript errors: {self.errors}"


@pytest.fixture
def driver(browser):
    tab = Tab(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    yield tab
    tab.close()


@pytest.fixture
def agent(browser):
    tab = Tab(browser, viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    yield tab
    tab.close()


# ── the driver's widget (same selectors as tests/browser/test_widget.py) ─────
def open_widget(page, base_url: str, token: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/webhooks/widget/#token={token}")
    expect(page.locator("#chat")).to_have_attribute("data-connection", "online")


def wait_idle(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#chat")).to_have_attribute("data-busy", "false")


def driver_says(page, text: str) -> None:
    from playwright.sync_api import expect

    box = page.locator("#input")
    box.fill(text)
    box.press("Enter")
    expect(page.locator("#log .row.user .bubble").last).to_have_text(text)
    wait_idle(page)  # the server ends every turn with bot_turn_end, with or without a reply


def bot_rows(page):
    return page.locator("#log .row.bot:not(.replies-row)")


# ── the agent console ────────────────────────────────────────────────────────
def open_console(page, base_url: str, token: str) -> None:
    page.goto(f"{base_url}/webhooks/assist/console")
    page.get_by_label("상담사 토큰").fill(token)


def test_a_driver_is_handed_to_an_agent_and_back_to_the_bot(driver, agent, assistant, agent_token):  # noqa: F811
    from playwright.sync_api import expect

    # the driver asks, then asks for an agent: the widget says one is coming
    widget = driver.page
    open_widget(widget, assistant.url, mint_driver_token("D-1002", TEST_SECRET))
    driver_says(widget, Q3)
    expect(bot_rows(widget).first).to_be_visible()
    widget.locator("#human").click()
    wait_idle(widget)
    expect(widget.locator("#log .row.user .bubble").last).to_have_text("상담원 연결")
    expect(widget.locator("#log .system-note")).to_have_text(HANDOFF_NOTE)

    # while the conversation waits for the agent the bot stays silent
    answered = bot_rows(widget).count()
    driver_says(widget, WHILE_WAITING)
    expect(bot_rows(widget)).to_have_count(answered)
    session = widget.evaluate("() => JSON.parse(localStorage.getItem('wtc-widget:v2:driver:D-1002')).session_id")
    assert session

    # the console lists the waiting conversation: why, the path and the one-line summary
    console = agent.page
    open_console(console, assistant.url, agent_token)
    item = console.locator(f'[data-testid="handoff-item"][data-conversation-id="{session}"]')
    expect(item).to_have_count(1)
    expect(item.get_by_test_id("handoff-status")).to_have_text("대기")
    expect(item.get_by_test_id("handoff-reason")).to_have_text("기사님 요청")
    expect(item.get_by_test_id("handoff-path")).to_contain_text("대리_기사 ▶ 배정/운행 ▶ 배정정책 ▶ ")
    expect(item.get_by_test_id("handoff-summary")).to_have_text("기사님 요청 · 콜타입 위탁콜")
    expect(item).not_to_contain_text(Q3)  # queue data only: the driver's words are the taker's
    expect(item.get_by_test_id("handoff-wait")).to_contain_text("대기")
    item.click()
    expect(item).to_have_attribute("aria-current", "true")

    detail = console.get_by_test_id("handoff-detail")
    expect(detail.get_by_test_id("detail-conversation")).to_have_text(session)
    expect(detail.get_by_test_id("reply-input")).to_be_disabled()  # take it first
    # the driver's own messages come only to the agent who takes the conversation (issue 13 item 5)
    expect(detail.get_by_test_id("transcript-line")).to_have_count(0)
    expect(detail.get_by_test_id("asked-line")).to_have_count(0)
    expect(detail.get_by_test_id("handoff-suggest")).to_be_disabled()

    # 맡기: the conversation is the agent's, with what the driver asked and the transcript
    detail.get_by_test_id("take-button").click()
    expect(detail.get_by_test_id("detail-status")).to_have_text("진행 중 (A-07)")
    expect(item.get_by_test_id("handoff-status")).to_have_text("진행 중 (A-07)")
    expect(detail.get_by_test_id("asked-line").filter(has_text=Q3)).to_have_count(1)
    expect(detail.get_by_test_id("transcript-line").filter(has_text=WHILE_WAITING)).to_have_attribute("data-from", "driver")

    # the driver's last message goes to the suggestion box, with the conversation id
    detail.get_by_test_id("handoff-suggest").click()
    expect(console.get_by_test_id("message-input")).to_have_value(WHILE_WAITING)
    expect(console.get_by_test_id("conversation-input")).to_have_value(session)
    expect(console.get_by_test_id("conversation-state")).to_be_visible()

    # the agent's reply (Enter sends) reaches the driver's widget, labelled 상담원
    reply = detail.get_by_test_id("reply-input")
    reply.fill(AGENT_REPLY)
    reply.press("Enter")
    expect(detail.get_by_test_id("reply-state")).to_have_text("전달됨")
    expect(reply).to_have_value("")
    from_agent = widget.locator("#log .row.agent")
    expect(from_agent.locator(".bubble")).to_have_text(AGENT_REPLY)
    expect(from_agent.locator(".sender")).to_have_text("상담원")
    expect(detail.get_by_test_id("transcript-line").filter(has_text=AGENT_REPLY)).to_have_attribute("data-from", "agent")
    # an agent's answer may quote a reason or a number: shown, never stored on the device
    stored = widget.evaluate("() => localStorage.getItem('wtc-widget:v2:driver:D-1002')")
    assert AGENT_REPLY not in stored and "저장하지 않은 안내" in stored

    # 종료 asks first, then the conversation leaves the list
    detail.get_by_test_id("resolve-button").click()
    confirm = console.get_by_test_id("resolve-confirm")
    expect(confirm).to_be_visible()
    confirm.get_by_test_id("resolve-yes").click()
    expect(item).to_have_count(0)
    expect(console.get_by_test_id("handoff-none")).to_contain_text("상담을 종료했습니다")

    # and the bot answers the driver again
    assert bot_rows(widget).filter(has_text=Q1_ANSWER).count() == 0
    driver_says(widget, Q1)
    expect(bot_rows(widget).filter(has_text=Q1_ANSWER)).to_have_count(1)


def _utc(minutes_ago: int) -> str:
    """The way the server lists SQLite times: naive UTC, microseconds."""
    moment = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes_ago)
    return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def test_the_panel_shows_text_as_text_and_says_when_a_reply_was_not_delivered(agent, assistant, agent_token):  # noqa: F811
    from playwright.sync_api import expect

    hostile = "<img src=x onerror=\"window.__pwned=1\"><b id=injected>굵게</b>"
    summary = f"연속 미이해 · 마지막 문의: {hostile}"
    queue_packet = {
        "reason": "misunderstanding", "intent": "nlu_fallback", "call_type": "탁송콜", "consultation_type": "탁송콜",
        "consultation_path": "대리_기사 ▶ 배정/운행 ▶ 배정정책 ▶ 탁송콜", "summary": summary, "handoff_id": "h-escape",
    }
    # a queue item as GET /handoffs lists it (server/assist/handoffs.py queue_item): no driver message but the summary
    handoff = {
        "handoff_id": "h-escape", "conversation_id": "<i id=injected-id>c</i>", "input_channel": "rest",
        "status": "taken", "agent_id": "A-07", "created_at": _utc(15), "taken_at": _utc(12), "resolved_at": None,
        "reason": "misunderstanding", "reason_label": "연속 미이해", "summary": summary, "packet": queue_packet,
    }
    # and the taker's view (GET /handoffs/<id>): the whole packet and the transcript
    taker_view = {
        "handoff": {**handoff, "packet": {**queue_packet, "what_was_asked": [hostile],
                                          "slots": {"driver_name": "<u id=injected-slot>김</u>", "phone_number": "010-****-5678"}}},
        "transcript": [{"from": "driver", "text": hostile, "timestamp": time.time() - 60}],
    }
    # the server's own answers, without a real conversation: the list, the view, and a reply nobody saw
    page = agent.page
    page.route("**/webhooks/assist/handoffs", lambda route: route.fulfill(json={"handoffs": [handoff]}))
    page.route("**/webhooks/assist/handoffs/h-escape", lambda route: route.fulfill(json=taker_view))
    page.route("**/webhooks/assist/handoffs/h-escape/reply", lambda route: route.fulfill(json={"delivered": False}))
    open_console(page, assistant.url, agent_token)

    item = page.locator('[data-testid="handoff-item"][data-handoff-id="h-escape"]')
    expect(item.get_by_test_id("handoff-summary")).to_have_text(f"연속 미이해 · 마지막 문의: {hostile}")
    expect(item.get_by_test_id("handoff-reason")).to_have_text("연속 미이해")
    expect(item.get_by_test_id("handoff-call-type")).to_contain_text("탁송콜")
    expect(item.get_by_test_id("handoff-wait")).to_have_text("대기 3분 · 진행 12분")
    item.click()
    detail = page.get_by_test_id("handoff-detail")
    expect(detail.get_by_test_id("transcript-line")).to_contain_text(hostile)
    expect(detail.get_by_test_id("detail-conversation")).to_have_text("<i id=injected-id>c</i>")
    expect(detail.locator('[data-testid="slot"][data-slot="phone_number"] dd')).to_have_text("010-****-5678")
    expect(detail.locator('[data-testid="slot"][data-slot="driver_name"] dd')).to_have_text("<u id=injected-slot>김</u>")
    assert page.locator("#injected, #injected-id, #injected-slot, img[src=x]").count() == 0
    assert page.evaluate("() => window.__pwned") is None

    reply = detail.get_by_test_id("reply-input")
    reply.fill("확인했습니다")
    reply.press("Enter")
    expect(detail.get_by_test_id("reply-state")).to_have_text(NOT_DELIVERED)


def test_a_handoff_made_while_the_answer_server_was_down_shows_its_reason_in_korean(agent, assistant, agent_token, sender):  # noqa: F811
    from playwright.sync_api import expect

    # the outage apology's agent button: the handoff's reason is action_server_unavailable
    with assistant.action_server_down():
        assistant.say(sender, Q1)
        assistant.say(sender, "/request_human")
    page = agent.page
    open_console(page, assistant.url, agent_token)
    item = page.locator(f'[data-testid="handoff-item"][data-conversation-id="{sender}"]')
    try:
        expect(item.get_by_test_id("handoff-reason")).to_have_text("기사님 요청 (답변 서버 장애 중)")
        item.click()
        expect(page.get_by_test_id("detail-reason")).to_have_text("기사님 요청 (답변 서버 장애 중)")
    finally:  # the queue stays short for the other tests
        handoff_id = item.get_attribute("data-handoff-id", timeout=5_000) if item.count() else None
        if handoff_id:
            headers = {"Authorization": f"Bearer {agent_token}"}
            base = f"{assistant.url}/webhooks/assist/handoffs/{handoff_id}"
            requests.post(f"{base}/take", headers=headers, json={}, timeout=30)
            requests.post(f"{base}/resolve", headers=headers, json={}, timeout=30)
