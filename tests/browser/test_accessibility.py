"""Accessibility (WCAG 2.1 AA / KWCAG 2.2) of the driver widget, the agent console and the lead
dashboard, in a real headless Chromium against the live servers (issue 16 §1).

axe-core finds no serious or critical violation in each page state that matters (empty, mid-Q3
with quick replies, a disclosure, a handoff, an error); beyond axe, what a screen-reader or
keyboard user meets: the bot's replies announced (not the driver's own), every control named,
the whole Q3 flow by keyboard with the focus visible and kept, text at 200 % on a 375 px phone
without horizontal scrolling, contrast with the OS in light and in dark mode, and no motion
when the driver asks for less. The Zendesk sidebar's check is in test_zendesk_app.py.
"""
from __future__ import annotations

import uuid

import pytest
import requests

from consignment.agent_auth import mint_agent_token
from consignment.identity import mint_driver_token
from tests.browser.accessibility import axe_violations
from tests.browser.conftest import strict_page
from tests.browser.test_widget import KAKAO, Q3, REASON, Widget
from tests.conftest import TEST_SECRET
from tests.live_servers import AGENT_SECRET, queued_handoff

pytestmark = pytest.mark.live

TIMEOUT_MS = 30_000
AGENT = "A-41"
CONSOLE = "/webhooks/assist/console"
DASHBOARD = "/webhooks/assist/console/dashboard.html"
# a 375 px phone with the text at 200 %: Chromium's page zoom doubles CSS pixels, so the page
# lays out in 375 / 2 CSS pixels, drawn on 375 device pixels
ZOOMED_PHONE = {"width": 188, "height": 406}


@pytest.fixture
def widget(browser, assistant):  # noqa: F811
    tab = Widget(browser, assistant.url)
    yield tab
    tab.close()


@pytest.fixture
def page(browser):
    with strict_page(browser, "the page", viewport={"width": 1280, "height": 900}) as tab:
        tab.set_default_timeout(TIMEOUT_MS)
        yield tab


def token_of(driver_id: str) -> str:
    return mint_driver_token(driver_id, TEST_SECRET)


def no_violations(found: list) -> None:
    assert not found, "\n".join(found)


# ── the driver widget ────────────────────────────────────────────────────────
def test_the_widget_has_no_serious_axe_violation_in_any_state(widget, browser, assistant):  # noqa: F811
    from playwright.sync_api import expect

    found = []
    widget.open(token_of("D-1001"))
    found += axe_violations(widget.page, "widget, empty")
    widget.say(Q3)
    expect(widget.page.locator("#log .quick-reply", has_text=KAKAO)).to_be_visible()
    found += axe_violations(widget.page, "widget, mid-Q3 with quick replies")
    widget.click(KAKAO)
    widget.say("김민수")
    widget.say("010-1234-5678")
    assert REASON in widget.log_text()
    found += axe_violations(widget.page, "widget, the suspension reason disclosed")
    widget.page.get_by_role("button", name="상담원 연결").click()
    widget.wait_idle()
    expect(widget.page.locator("#log")).to_contain_text("상담원이 곧 연결됩니다")
    found += axe_violations(widget.page, "widget, handed over")

    offline = Widget(browser, assistant.url)
    try:
        offline.page.route("**/socket.io/**", lambda route: route.abort())
        offline.page.goto(f"{assistant.url}/webhooks/widget/")
        expect(offline.page.locator("#notice")).to_contain_text("서버에 연결하지 못했어요")
        found += axe_violations(offline.page, "widget, server unreachable")
    finally:
        offline.errors.clear()  # the aborted connection is this test's doing
        offline.close()
    no_violations(found)


def test_screen_readers_hear_the_bots_replies_and_not_the_drivers_own(widget):
    from playwright.sync_api import expect

    widget.open(token_of("D-1003"))
    page = widget.page
    assert page.locator("[aria-live]:not(#announcer):not([role=status]) #log").count() == 0, "the whole log must not be live"
    announcer = page.locator("#announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    widget.say("대전도 되나요?")
    expect(announcer).to_contain_text("대전")
    assert "대전도 되나요?" not in announcer.inner_text()
    bot_said = widget.texts("bot")[-1].strip()
    assert bot_said.split("\n")[0][:20] in announcer.inner_text()


def test_every_widget_control_has_a_name_and_the_input_a_label(widget):
    from playwright.sync_api import expect

    widget.open(token_of("D-1003"))
    page = widget.page
    for name in ("보내기", "새 대화", "상담원 연결", "위탁콜이 뭐예요?", "위탁콜 운영 지역", "콜마너에서 콜 수락이 안 돼요"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(1)
    expect(page.get_by_role("textbox", name="메시지")).to_be_visible()
    widget.say(Q3)
    expect(page.get_by_role("button", name=KAKAO)).to_be_visible()


def focused(page) -> dict:
    return page.evaluate("""() => {
        const node = document.activeElement, style = getComputedStyle(node);
        return {id: node.id, text: (node.textContent || '').trim(), tag: node.tagName,
                outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
                ring: style.boxShadow !== 'none'};
    }""")


def test_the_whole_q3_flow_by_keyboard_with_the_focus_visible_and_kept(widget):
    widget.open(token_of("D-1001"))
    page = widget.page
    for _ in range(12):  # Tab from the top of the page to the message box
        page.keyboard.press("Tab")
        if focused(page)["id"] == "input":
            break
    now = focused(page)
    assert now["id"] == "input" and (now["outline"] or now["ring"]), now

    page.keyboard.type(Q3)
    page.keyboard.press("Enter")
    widget.wait_idle()
    assert focused(page)["id"] == "input", "after the reply the focus stays in the message box"
    for _ in range(6):  # back to the quick replies, just above the box
        page.keyboard.press("Shift+Tab")
        if focused(page)["text"] == KAKAO:
            break
    now = focused(page)
    assert now["text"] == KAKAO and (now["outline"] or now["ring"]), now
    page.keyboard.press("Enter")
    widget.wait_idle()
    assert focused(page)["id"] == "input", "a quick reply gone after its use leaves the focus in the message box"

    for text in ("김민수", "010-1234-5678"):
        page.keyboard.type(text)
        page.keyboard.press("Enter")
        widget.wait_idle()
    assert REASON in widget.log_text()
    assert focused(page)["id"] == "input"


def test_text_at_200_percent_on_a_375px_phone_needs_no_horizontal_scroll(browser, assistant):  # noqa: F811
    tab = Widget(browser, assistant.url)
    try:
        tab.context.close()
        tab.context = browser.new_context(viewport=ZOOMED_PHONE, device_scale_factor=2, is_mobile=True,
                                          has_touch=True, locale="ko-KR", timezone_id="Asia/Seoul")
        tab.context.set_default_timeout(60_000)
        tab.page = tab.context.new_page()
        tab.page.on("pageerror", lambda error: tab.errors.append(str(error)))
        tab.open(token_of("D-1001"))
        tab.say(Q3)
        overflow = tab.page.evaluate("""() => [document.documentElement.scrollWidth, window.innerWidth,
            [...document.querySelectorAll('body *')].filter(n => n.getBoundingClientRect().right > window.innerWidth + 1
              && getComputedStyle(n).position !== 'absolute').map(n => n.id || n.className).slice(0, 5)]""")
        assert overflow[0] <= overflow[1] and not overflow[2], overflow
    finally:
        tab.close()


MOVING = """() => [...document.querySelectorAll('*')].filter(n => {
    const s = getComputedStyle(n);
    return (s.animationName !== 'none' && parseFloat(s.animationDuration) > 0)
        || s.transitionDuration.split(',').some(d => parseFloat(d) > 0);
}).map(n => n.id || n.className || n.tagName)"""


@pytest.mark.parametrize("path", ["/webhooks/widget/", CONSOLE, DASHBOARD])
def test_no_motion_when_the_user_asks_for_reduced_motion(browser, assistant, path):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce", locale="ko-KR")
    try:
        page = context.new_page()
        page.goto(f"{assistant.url}{path}")
        # the widget's typing dots are its one animation: shown as while the bot prepares a reply
        page.evaluate("document.getElementById('typing') && (document.getElementById('typing').hidden = false)")
        assert page.evaluate(MOVING) == []
    finally:
        context.close()


# ── the agent console ────────────────────────────────────────────────────────
def test_the_console_has_no_serious_axe_violation_in_any_state(page, assistant):  # noqa: F811
    from playwright.sync_api import expect

    token = mint_agent_token(AGENT, AGENT_SECRET)
    sender = f"test-{uuid.uuid4().hex}"
    metadata = {"driver_token": token_of("D-1003")}
    assistant.say(sender, Q3, metadata)
    assistant.say(sender, "상담원 연결해 주세요", metadata)
    handoff_id = queued_handoff(assistant, sender)["handoff_id"]
    found = []
    try:
        page.goto(f"{assistant.url}{CONSOLE}")
        found += axe_violations(page, "console, no token")
        page.get_by_label("상담사 토큰").fill(token)
        box = page.get_by_test_id("message-input")
        box.fill(Q3)
        box.press("Enter")
        expect(page.get_by_test_id("intent-summary")).to_be_visible()
        found += axe_violations(page, "console, a suggestion card")
        page.locator(f'[data-testid="handoff-item"][data-conversation-id="{sender}"]').click()
        found += axe_violations(page, "console, a handoff not taken")
        page.get_by_test_id("take-button").click()
        expect(page.locator('[data-testid="whisper-card"][data-latest="true"] [data-testid="whisper-summary"]')).to_be_visible()
        found += axe_violations(page, "console, a taken handoff with its live suggestion")
        page.route("**/webhooks/assist/lookup", lambda route: route.fulfill(
            status=503, json={"error": "어드민 데이터베이스에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요."}))
        page.get_by_test_id("lookup-input").fill("D-1001")
        page.get_by_test_id("lookup-button").click()
        expect(page.get_by_test_id("lookup-error")).to_be_visible()
        found += axe_violations(page, "console, an error")
    finally:
        headers = {"Authorization": f"Bearer {token}"}
        requests.post(f"{assistant.url}/webhooks/assist/handoffs/{handoff_id}/take", headers=headers, json={}, timeout=30)
        requests.post(f"{assistant.url}/webhooks/assist/handoffs/{handoff_id}/resolve", headers=headers, json={}, timeout=30)
    no_violations(found)


# ── the lead dashboard ───────────────────────────────────────────────────────
def test_the_dashboard_has_no_serious_axe_violation_with_numbers_or_an_error(page, assistant):  # noqa: F811
    from playwright.sync_api import expect

    found = []
    page.goto(f"{assistant.url}{DASHBOARD}")
    found += axe_violations(page, "dashboard, no token")
    page.get_by_label("리드 토큰").fill(mint_agent_token("A-LEAD", AGENT_SECRET, role="lead"))
    expect(page.get_by_test_id("dashboard-body")).to_be_visible()
    found += axe_violations(page, "dashboard, the numbers")
    page.get_by_label("리드 토큰").fill(mint_agent_token(AGENT, AGENT_SECRET))
    expect(page.get_by_test_id("dashboard-error")).to_be_visible()
    found += axe_violations(page, "dashboard, an agent token (error)")
    no_violations(found)


# ── contrast with the OS in light and in dark mode ───────────────────────────
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_holds_with_the_os_in_light_and_dark_mode(browser, assistant, scheme):  # noqa: F811
    from playwright.sync_api import expect

    found = []
    with strict_page(browser, f"pages in {scheme} mode", viewport={"width": 1280, "height": 900}, color_scheme=scheme) as tab:
        tab.set_default_timeout(TIMEOUT_MS)
        tab.goto(f"{assistant.url}/webhooks/widget/")
        expect(tab.locator("#chat")).to_have_attribute("data-connection", "online")
        found += axe_violations(tab, f"widget ({scheme})", rules=["color-contrast"])
        tab.goto(f"{assistant.url}{CONSOLE}")
        found += axe_violations(tab, f"console ({scheme})", rules=["color-contrast"])
        tab.goto(f"{assistant.url}{DASHBOARD}")
        found += axe_violations(tab, f"dashboard ({scheme})", rules=["color-contrast"])
    no_violations(found)
