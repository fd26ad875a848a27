"""The drivers' web chat widget (server/widget_channel.py, server/widget/) in a real headless
Chromium (Debian's /usr/bin/chromium), over socket.io against the live servers.

Also, without a server: the channel's output format and `send_to_driver`.
"""
from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
import requests

from consignment.identity import mint_driver_token
from tests.browser.conftest import SCREENSHOT_DIR
from tests.conftest import TEST_SECRET
from tests.live_servers import API_TOKEN

SCREENSHOT = SCREENSHOT_DIR / "widget.png"
PHONE = {"width": 390, "height": 844}
REPLY_TIMEOUT_MS = 60_000
Q3 = "콜마너에서 콜 수락이 안 돼요"
KAKAO = "네, 카카오모빌리티예요"
REASON = "운행 중 사고 발생 후 미신고"
NOT_VERIFIED = "본인확인이 완료되지 않아"
HANDOFF_NOTE = "상담원이 곧 연결됩니다"



# ── no server (first: before the browser starts its event loop) ──────────────
class FakeManager:
    def __init__(self, rooms):
        self.rooms = rooms

    def get_participants(self, namespace, room):
        yield from ((sid, sid) for sid in self.rooms.get(room, []))


class FakeSio:
    def __init__(self, rooms=None):
        self.manager = FakeManager(rooms or {})
        self.emitted = []

    async def emit(self, event, data=None, room=None, namespace=None, **kwargs):
        self.emitted.append((event, data, room))


def test_output_sends_one_bubble_per_paragraph_and_no_handoff_packet():
    from server.widget_channel import DriverWidgetOutput

    sio = FakeSio()
    output = DriverWidgetOutput(sio, "bot_uttered")
    asyncio.run(output.send_response("s1", {
        "text": "첫 문단\n\n둘째 문단", "buttons": [{"title": "상담원 연결", "payload": "/request_human"}],
        "custom": {"handoff": {"handoff_id": "h-1", "consultation_path": "대리_기사 ▶ …", "slots": {"driver_name": "김민수"}}},
    }))
    assert [e[1] for e in sio.emitted] == [
        {"text": "첫 문단"},
        {"text": "둘째 문단", "quick_replies": [{"content_type": "text", "title": "상담원 연결", "payload": "/request_human"}],
         "custom": {"handoff": {"handoff_id": "h-1"}}},
    ]
    assert all(e[0] == "bot_uttered" and e[2] == "s1" for e in sio.emitted)


def test_send_to_driver_reaches_a_connected_widget_only():
    import server.widget_channel as channel_module

    channel = channel_module.DriverWidgetInput.from_credentials(
        {"session_persistence": True, "metadata_key": "customData"}
    )
    channel.blueprint(lambda message: None)
    assert channel_module._active_channel is channel and channel.sio is not None
    fake = FakeSio({"a" * 32: ["sid-1"]})
    channel.sio = fake
    assert asyncio.run(channel_module.send_to_driver("a" * 32, "상담원 김OO입니다. 확인해 드릴게요.")) is True
    assert fake.emitted == [("bot_uttered", {"text": "상담원 김OO입니다. 확인해 드릴게요.", "from": "agent"}, "a" * 32)]
    assert asyncio.run(channel_module.send_to_driver("b" * 32, "안녕하세요")) is False  # nobody connected
    assert asyncio.run(channel_module.send_to_driver("../x", "안녕하세요")) is False
    assert asyncio.run(channel_module.send_to_driver("a" * 32, "  ")) is False
    assert len(fake.emitted) == 1


def test_only_the_driver_token_goes_into_the_metadata():
    from server.widget_channel import DriverWidgetInput

    channel = DriverWidgetInput.from_credentials({"metadata_key": "customData"})
    assert channel._metadata({"customData": {"driver_token": "t", "other": "x"}}) == {"driver_token": "t"}
    assert channel._metadata({"customData": '{"driver_token": "t"}'}) == {"driver_token": "t"}
    assert channel._metadata({"customData": "not json"}) == {}
    assert channel._metadata({"customData": {"driver_token": 5}}) == {}
    assert channel._metadata({}) == {}


# ── browser ──────────────────────────────────────────────────────────────────


class Widget:
    """One browser tab with the widget, and what it did that it should not have."""

    def __init__(self, browser, base_url: str) -> None:
        self.base_url = base_url
        self.context = browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
            locale="ko-KR", timezone_id="Asia/Seoul",
        )
        self.context.set_default_timeout(REPLY_TIMEOUT_MS)
        self.page = self.context.new_page()
        self.errors: list = []
        self.foreign: list = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("request", self._check_origin)
        self.page.on("websocket", lambda ws: self._check_origin(ws))

    def _check_origin(self, request) -> None:
        origin = urlsplit(self.base_url)
        url = urlsplit(request.url)
        if url.scheme not in ("data", "about") and url.netloc != origin.netloc:
            self.foreign.append(request.url)

    def open(self, token: str | None = None) -> "Widget":
        self.page.goto(f"{self.base_url}/webhooks/widget/" + (f"#token={token}" if token else ""))
        self.wait_online()
        return self

    def wait_online(self) -> None:
        from playwright.sync_api import expect

        expect(self.page.locator("#chat")).to_have_attribute("data-connection", "online")

    def wait_idle(self) -> None:
        from playwright.sync_api import expect

        expect(self.page.locator("#chat")).to_have_attribute("data-busy", "false", timeout=REPLY_TIMEOUT_MS)

    def say(self, text: str) -> None:
        box = self.page.locator("#input")
        box.fill(text)
        box.press("Enter")
        self.wait_idle()

    def click(self, title: str) -> None:
        self.page.locator("#log .quick-reply", has_text=title).click()
        self.wait_idle()

    def texts(self, role: str) -> list:
        return self.page.locator(f"#log .row.{role}:not(.replies-row)").all_inner_texts()

    def log_text(self) -> str:
        return self.page.locator("#log").inner_text()

    def close(self) -> None:
        self.context.close()
        assert not self.errors, f"errors in the widget page: {self.errors}"
        assert not self.foreign, f"the widget loaded something from elsewhere: {self.foreign}"


@pytest.fixture
def widget(browser, assistant):  # noqa: F811
    tab = Widget(browser, assistant.url)
    yield tab
    tab.close()


def q3_conversation(widget: Widget, name: str, phone: str) -> None:
    from playwright.sync_api import expect

    widget.say(Q3)
    expect(widget.page.locator("#log .quick-reply", has_text=KAKAO)).to_be_visible()
    widget.click(KAKAO)
    assert widget.texts("user")[-1].startswith(KAKAO), "a quick reply shows its title as the driver's message"
    assert "/affirm" not in widget.log_text()
    widget.say(name)
    widget.say(phone)


@pytest.fixture(scope="module")
def d1001(browser, assistant):  # noqa: F811
    """The full Q3 conversation as D-1001, in one tab the next tests look at."""
    tab = Widget(browser, assistant.url)
    tab.open(mint_driver_token("D-1001", TEST_SECRET))
    q3_conversation(tab, "김민수", "010-1234-5678")
    yield tab
    tab.close()


# ── live ─────────────────────────────────────────────────────────────────────
@pytest.mark.live
def test_verified_driver_gets_the_suspension_reason(d1001):
    page = d1001.page
    assert REASON in d1001.texts("bot")[-2]  # the answer, then the offer to rate it
    assert "잠시만 기다려주시겠습니까?" in d1001.log_text()
    assert "token=" not in page.url, "the token is taken out of the address bar"
    assert page.locator("#chat").get_attribute("data-busy") == "false"
    assert page.locator("#typing").is_hidden()

    # docs/widget.png: the whole conversation at phone width
    height = page.evaluate(
        "() => document.querySelector('.chat-header').offsetHeight + document.getElementById('messages').scrollHeight"
        " + document.querySelector('.composer').offsetHeight + 4"
    )
    page.set_viewport_size({"width": PHONE["width"], "height": max(PHONE["height"], min(height, 2400))})
    page.locator("#input").blur()
    page.wait_for_timeout(300)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    page.set_viewport_size(PHONE)


@pytest.mark.live
def test_a_reload_keeps_the_conversation(d1001):
    from playwright.sync_api import expect

    page = d1001.page
    before_user, before_bot = d1001.texts("user"), d1001.texts("bot")
    stored_session = page.evaluate("() => JSON.parse(localStorage.getItem('wtc-widget:v2:driver:D-1001')).session_id")

    page.reload()
    d1001.wait_online()
    assert d1001.texts("user")[:-1] == before_user[:-1]  # the phone comes back masked
    # the disclosure was shown, never stored: after a reload it is a placeholder
    disclosure = next(i for i, text in enumerate(before_bot) if REASON in text)
    after_bot = d1001.texts("bot")
    assert after_bot[:disclosure] + after_bot[disclosure + 1:] == before_bot[:disclosure] + before_bot[disclosure + 1:]
    assert REASON not in d1001.log_text() and "저장하지 않은 안내" in after_bot[disclosure]
    assert page.locator("#intro").is_hidden()

    # the same conversation goes on: the server put the reloaded page back in its session
    d1001.say("감사합니다")
    assert len(d1001.texts("bot")) > len(before_bot)
    session = page.evaluate("() => JSON.parse(localStorage.getItem('wtc-widget:v2:driver:D-1001')).session_id")
    assert session == stored_session
    tracker = d1001_tracker(d1001, session)
    assert [e.get("text") for e in tracker["events"] if e["event"] == "user"][-1] == "감사합니다"
    expect(page.locator("#log .row.user").last).to_contain_text("감사합니다")


@pytest.mark.live
def test_the_device_keeps_neither_the_suspension_reason_nor_the_phone_number(d1001):
    stored = d1001.page.evaluate(
        "() => Object.keys(localStorage).map(k => k + '=' + localStorage.getItem(k)).join('\\n')")
    assert "wtc-widget:v2:driver:D-1001" in stored
    assert REASON not in stored
    kept = d1001.page.evaluate("() => JSON.parse(localStorage.getItem('wtc-widget:v2:driver:D-1001')).messages")
    driver_said = [m["text"] for m in kept if m["role"] == "user"]
    assert "010-****-5678" in driver_said and not any("1234-5678" in text for text in driver_said)


@pytest.mark.live
def test_a_session_id_without_its_drivers_token_is_no_key(d1001, browser, assistant):  # noqa: F811
    """Another driver's widget (or a forged session id) cannot join D-1001's conversation."""
    stolen = d1001.page.evaluate("() => JSON.parse(localStorage.getItem('wtc-widget:v2:driver:D-1001')).session_id")
    intruder = Widget(browser, assistant.url)
    try:
        intruder.page.add_init_script(
            "localStorage.setItem('wtc-widget:v2:driver:D-1002', JSON.stringify({session_id: '%s', messages: []}))" % stolen)
        intruder.open(mint_driver_token("D-1002", TEST_SECRET))
        intruder.say("안녕하세요")
        own = intruder.page.evaluate("() => JSON.parse(localStorage.getItem('wtc-widget:v2:driver:D-1002')).session_id")
        assert own != stolen
        assert REASON not in intruder.log_text()
    finally:
        intruder.close()


def d1001_tracker(widget: Widget, session: str) -> dict:
    response = requests.get(f"{widget.base_url}/conversations/{session}/tracker", params={"token": API_TOKEN}, timeout=30)
    response.raise_for_status()
    tracker = response.json()
    assert tracker["latest_input_channel"] == "widget"
    # CONTRACT §4: the stored conversation holds neither the token nor the full phone number
    stored = str(tracker["events"])
    assert "010-1234-5678" not in stored and "eyJ" not in stored
    return tracker


@pytest.mark.live
def test_without_a_token_nothing_from_the_record_is_shown(widget):
    widget.open()
    q3_conversation(widget, "김민수", "010-1234-5678")
    assert NOT_VERIFIED in widget.texts("bot")[-1]
    assert REASON not in widget.log_text()
    assert "정지" not in widget.texts("bot")[-1]


@pytest.mark.live
def test_agent_button_hands_over_with_a_note(widget):
    from playwright.sync_api import expect

    widget.open()
    widget.page.locator("#human").click()
    widget.wait_idle()
    expect(widget.page.locator("#log .row.user .bubble").last).to_have_text("상담원 연결")
    expect(widget.page.locator("#log .system-note")).to_have_text(HANDOFF_NOTE)
    assert "상담원에게 연결해 드리겠습니다" in widget.log_text()
    assert "consultation_path" not in widget.page.content()


@pytest.mark.live
def test_text_is_escaped_and_a_lost_connection_comes_back(widget):
    from playwright.sync_api import expect

    widget.open()
    hostile = '<img src=x onerror="window.__pwned=1"><b>굵게</b>'
    widget.say(hostile)
    expect(widget.page.locator("#log .row.user .bubble").last).to_have_text(hostile)
    assert widget.page.locator("#log img, #log b").count() == 0
    assert widget.page.evaluate("() => window.__pwned") is None

    widget.page.evaluate("() => window.DriverWidget.socket.io.engine.close()")
    expect(widget.page.locator("#notice")).to_contain_text("연결이 끊겼어요")
    widget.wait_online()
    expect(widget.page.locator("#notice")).to_contain_text("다시 연결되었어요")
    before = len(widget.texts("bot"))
    widget.say("위탁콜이 뭐예요?")
    assert len(widget.texts("bot")) > before
    assert "위탁콜은" in widget.texts("bot")[-2]  # the answer, then the offer to rate it


@pytest.mark.live
def test_pages_endpoints_and_demo_mode_off(assistant):  # noqa: F811
    base = f"{assistant.url}/webhooks/widget"
    page = requests.get(f"{base}/", timeout=10)
    assert page.ok and "위탁콜 상담" in page.text and "cdn" not in page.text.lower()
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert requests.get(base, timeout=10, allow_redirects=False).status_code in (301, 302, 307, 308)
    client = requests.get(f"{base}/static/vendor/socket.io.min.js", timeout=10)
    assert client.ok and client.text.startswith("/*!\n * Socket.IO v4.")
    assert requests.get(f"{base}/static/../widget_channel.py", timeout=10).status_code == 404
    assert requests.get(f"{base}/static/index.html", timeout=10).status_code == 404
    # ASSISTANT_DEMO_MODE is not set for the test servers: no demo page, no tokens
    assert requests.get(f"{base}/demo", timeout=10).status_code == 404
    assert requests.get(f"{base}/demo-token", params={"driver": "D-1001"}, timeout=10).status_code == 404
    assert requests.get(f"{base}/demo-drivers", timeout=10).status_code == 404
    handshake = requests.get(f"{assistant.url}/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=10)
    assert handshake.ok and handshake.text.startswith("0{")  # Engine.IO v4 open packet
