"""The agent console in a real headless Chromium (Debian's /usr/bin/chromium), against the live servers.

Playwright never downloads a browser here: scripts/install_packages.sh browser installs the system one.
"""
from __future__ import annotations


import pytest

from consignment.agent_auth import mint_agent_token
from tests.browser.conftest import SCREENSHOT_DIR
from tests.live_servers import AGENT_SECRET

pytestmark = pytest.mark.live

SCREENSHOT = SCREENSHOT_DIR / "console.png"
Q3 = "콜마너에서 [발주사의 정책에 따라 현재 해당 콜은 배차 진행이 어렵습니다] 라고 뜨고 콜 수락이 안돼요"
COMPANY_QUESTION = "콜마너에서 발주사가 카카오 모빌리티라고 안내받으신 걸까요?"
TIMEOUT_MS = 30_000





@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR", reduced_motion="reduce")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the console page: {errors}"


@pytest.fixture(scope="module")
def agent_token() -> str:
    return mint_agent_token("A-07", AGENT_SECRET)


def open_console(page, assistant, token: str):  # noqa: F811
    page.goto(f"{assistant.url}/webhooks/assist/console")
    page.get_by_label("상담사 토큰").fill(token)
    return page


def ask(page, text: str) -> None:
    box = page.get_by_test_id("message-input")
    box.fill(text)
    box.press("Enter")


def test_console_walkthrough_q3_suggestion_lookup_and_feedback(page, assistant, agent_token):  # noqa: F811
    from playwright.sync_api import expect

    open_console(page, assistant, agent_token)
    ask(page, Q3)

    card = page.get_by_test_id("suggestion-card")
    expect(card.get_by_test_id("intent-name")).to_have_text("report_acceptance_blocked")
    expect(card.get_by_test_id("script-line").filter(has_text=COMPANY_QUESTION)).to_have_count(1)
    expect(card.get_by_test_id("next-step")).to_contain_text("카카오 모빌리티인지 확인")
    expect(card.get_by_test_id("consultation-path")).to_have_text("대리_기사 ▶ 배정/운행 ▶ 배정정책 ▶ 위탁콜")
    expect(card.get_by_test_id("current-step")).to_contain_text("문의 재확인")
    expect(card.get_by_test_id("reference").filter(has_text="2025. 2.19")).to_have_count(1)

    page.get_by_label("기사 ID 또는 휴대폰 번호").fill("D-1001")
    page.get_by_test_id("lookup-button").click()
    result = page.get_by_test_id("lookup-result")
    expect(result.get_by_test_id("lookup-status")).to_have_text("정지")
    expect(result.get_by_test_id("lookup-reason")).to_have_text("운행 중 사고 발생 후 미신고")
    expect(result.get_by_test_id("script-line").filter(has_text="운행 중 사고 발생 후 미신고")).to_have_count(1)

    card.get_by_test_id("feedback-used").click()
    expect(card.get_by_test_id("feedback-state")).to_have_text("저장되었습니다")
    expect(card.get_by_test_id("feedback-used")).to_have_attribute("aria-pressed", "true")

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_a_wrong_token_shows_the_korean_401_message(page, assistant):  # noqa: F811
    from playwright.sync_api import expect

    open_console(page, assistant, "not-a-token")
    ask(page, Q3)
    error = page.get_by_test_id("suggest-error")
    expect(error).to_contain_text("토큰 확인")
    expect(error).to_contain_text("유효하지 않은 상담사 토큰입니다")
    expect(page.get_by_test_id("card-empty")).to_be_visible()


def test_the_token_is_remembered_after_a_reload(page, assistant, agent_token):  # noqa: F811
    from playwright.sync_api import expect

    open_console(page, assistant, agent_token)
    page.reload()
    expect(page.get_by_test_id("token-input")).to_have_value(agent_token)


def test_shift_enter_is_a_newline_and_does_not_suggest(page, assistant, agent_token):  # noqa: F811
    from playwright.sync_api import expect

    open_console(page, assistant, agent_token)
    box = page.get_by_test_id("message-input")
    box.fill("첫 줄")
    box.press("Shift+Enter")
    box.type("둘째 줄")
    expect(box).to_have_value("첫 줄\n둘째 줄")
    expect(page.get_by_test_id("card-empty")).to_be_visible()


def test_alt_2_copies_the_second_script_line(page, assistant, agent_token):  # noqa: F811
    from playwright.sync_api import expect

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=assistant.url)
    open_console(page, assistant, agent_token)
    ask(page, Q3)
    expect(page.get_by_test_id("script-line").nth(1)).to_contain_text(COMPANY_QUESTION)
    page.keyboard.press("Alt+2")
    expect(page.get_by_test_id("toast")).to_contain_text("복사했습니다")
    assert page.evaluate("navigator.clipboard.readText()") == COMPANY_QUESTION


def test_an_unknown_driver_shows_the_korean_404_message(page, assistant, agent_token):  # noqa: F811
    from playwright.sync_api import expect

    open_console(page, assistant, agent_token)
    page.get_by_test_id("lookup-input").fill("D-9999")
    page.get_by_test_id("lookup-input").press("Enter")
    expect(page.get_by_test_id("lookup-error")).to_contain_text("해당 기사를 찾을 수 없습니다")
    expect(page.get_by_test_id("lookup-result")).to_be_hidden()


def test_a_customer_block_found_by_phone_shows_the_badge_and_count(page, assistant, agent_token):  # noqa: F811
    from playwright.sync_api import expect

    open_console(page, assistant, agent_token)
    page.get_by_test_id("lookup-input").fill("010-2345-6789")
    page.get_by_test_id("lookup-button").click()
    expect(page.get_by_test_id("lookup-status")).to_have_text("특정 고객 차단")
    expect(page.get_by_test_id("lookup-blocked")).to_have_text("1명")


def test_inserted_text_is_escaped_not_markup(page, assistant, agent_token):  # noqa: F811
    from playwright.sync_api import expect

    open_console(page, assistant, agent_token)
    page.get_by_test_id("conversation-input").fill("<b id=injected>x</b>")
    ask(page, "위탁콜이 뭐예요?")
    expect(page.get_by_test_id("conversation-state")).to_contain_text("<b id=injected>x</b>")
    assert page.locator("#injected").count() == 0


def test_the_console_fits_a_narrow_window(page, assistant, agent_token):  # noqa: F811
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 800})
    open_console(page, assistant, agent_token)
    ask(page, Q3)
    expect(page.get_by_test_id("intent-name")).to_have_text("report_acceptance_blocked")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_database_outage_shows_the_korean_503_message(page, assistant, agent_token):  # noqa: F811
    from playwright.sync_api import expect

    # The API's own 503 answer (server/assist_channel.py), without taking a database down.
    page.route("**/webhooks/assist/lookup", lambda route: route.fulfill(
        status=503, json={"error": "어드민 데이터베이스에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요."}))
    open_console(page, assistant, agent_token)
    page.get_by_test_id("lookup-input").fill("D-1001")
    page.get_by_test_id("lookup-button").click()
    error = page.get_by_test_id("lookup-error")
    expect(error).to_contain_text("DB 연결 불가")
    expect(error).to_contain_text("어드민 데이터베이스에 연결할 수 없습니다")
