"""The Zendesk sidebar app (integrations/zendesk/) in a real headless Chromium, against a fake Zendesk.

As tests/integration/test_slack.py does with a fake Slack Web API, this module fakes Zendesk on
loopback, over real HTTP, and talks to the REAL assistant of the test session:

- the app's files are served as Zendesk serves them, from another origin than the agent's page
  (`http://localhost:<port>/assets/iframe.html?origin=<parent origin>&app_guid=<guid>`);
- the agent's ticket page (`http://127.0.0.1:<port>/`) embeds it and answers the ZAF SDK's
  postMessage protocol as the vendored SDK (assets/vendor/zaf_sdk.min.js, lib/client.js of
  zendesk_app_framework_sdk) expects it: the `iframe.handshake` → `zaf.app.registered`
  handshake, `{id, request: "get"|"invoke", params}` → `{id, result}`, `iframe.on:<event>`
  subscriptions and `zaf.<event>` events, and `request:<n>` → `zaf.request:<n>.done|fail` with
  `responseArgs`. The page only relays: the protocol is answered here, in Python (FakeZendesk);
- a `request` goes through a proxy (here: Python, like Zendesk's servers) that replaces
  `{{setting.agent_token}}` with the secure setting when the request says `secure: true`; the
  secure setting is never given to the browser;
- `invoke('ticket.editor.insert', text)` and `invoke('resize', …)` are recorded.

The postMessage mode (another tool's sidebar) gets its own fake parent and a CORS gateway in
front of the assistant (the assistant itself sends no CORS headers), as docs/zendesk.md asks of a
deployment.
"""
from __future__ import annotations

import importlib.util
import json
import threading
import time
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Dict, List, Optional
from urllib.parse import quote, urlsplit

import pytest
import requests

from consignment.agent_auth import mint_agent_token
from tests.conftest import PROJECT_ROOT
from tests.live_servers import AGENT_SECRET

pytestmark = pytest.mark.live

APP_DIR = PROJECT_ROOT / "integrations" / "zendesk"
SCREENSHOT = PROJECT_ROOT / "results" / "zendesk-sidebar.png"
TIMEOUT_MS = 30_000
PLACEHOLDER = "{{setting.agent_token}}"

Q3 = "콜마너에서 콜 수락이 안 돼요 발주사 정책 때문이래요"
Q3_SUMMARY = "콜마너 배차 제한 (발주사 정책) 문의"
COMPANY_QUESTION = "콜마너에서 발주사가 카카오 모빌리티라고 안내받으신 걸까요?"
DAEJEON = "대전도 위탁콜 되나요?"
REGIONS_SUMMARY = "위탁콜 운영 지역 문의"
DAEJEON_LINE = "대전에서 출발하는 콜은 위탁콜 운영 지역(대전)에 포함됩니다"

REQUESTER = {"id": 9001, "name": "김민수", "role": "end-user"}
AGENT = {"id": 7001, "name": "상담사 김하나", "role": "agent"}


# ── a tiny HTTP server on loopback ────────────────────────────────────────────
class Loopback:
    """ThreadingHTTPServer on 127.0.0.1 with a handler function: (method, path, headers, body) → (status, headers, body)."""

    def __init__(self, handle: Callable) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = handle(self.command, self.path, self.headers, body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_OPTIONS = do_HEAD = _serve  # noqa: N815

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _json(status: int, data) -> tuple:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(data, ensure_ascii=False).encode("utf-8")


def _text(content_type: str, text: str) -> tuple:
    return 200, {"Content-Type": content_type}, text.encode("utf-8")


CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".json": "application/json", "": "text/plain; charset=utf-8"}


def built_app(out: Path) -> Dict[str, bytes]:
    """The files of the upload zip that integrations/zendesk/build.py writes: what Zendesk serves."""
    spec = importlib.util.spec_from_file_location("zendesk_build", APP_DIR / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    build.build(out, "127.0.0.1")  # the host is required: the fake Zendesk serves the assistant from here
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


class AppAssets:
    """The app's assets/ as Zendesk's asset host serves them, from the built zip (with the bundled
    common.js): another origin than the agent's page."""

    def __init__(self, files: Dict[str, bytes]) -> None:
        def handle(method, path, headers, body):
            relative = urlsplit(path).path.lstrip("/")
            if not relative.startswith("assets/") or relative not in files:
                return 404, {}, b"not found"
            return 200, {"Content-Type": CONTENT_TYPES.get(Path(relative).suffix, "application/octet-stream")}, files[relative]

        self.http = Loopback(handle)
        # "localhost" and "127.0.0.1" are two origins: the app is cross-origin to the agent's page, as in Zendesk
        self.origin = f"http://localhost:{self.http.port}"

    def close(self) -> None:
        self.http.close()


# ── fake Zendesk: the agent's ticket page and the framework behind it ────────
TICKET_PAGE = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>티켓 #{ticket_id} — fake Zendesk</title>
<link rel="stylesheet" href="/fake.css"></head>
<body>
<main class="ticket">
  <h1>티켓 #{ticket_id}: 콜 수락 문의</h1>
  <p class="who">요청자: {requester}</p>
  <label for="editor">답변</label>
  <textarea id="editor" data-testid="editor" rows="6"></textarea>
</main>
<aside class="sidebar"><iframe id="app" title="위탁콜 상담 도우미" src="{src}"></iframe></aside>
<script src="/relay.js"></script>
</body></html>
"""

FAKE_CSS = """
body { margin: 0; display: flex; gap: 16px; font-family: "Noto Sans CJK KR", sans-serif; background: #f8f9f9; }
.ticket { flex: 1; padding: 20px; }
.ticket textarea { width: 100%; font: inherit; }
.sidebar { flex: 0 0 340px; padding: 12px 10px; background: #fff; border-left: 1px solid #d8dcde; min-height: 100vh; }
#app { width: 320px; height: 120px; border: 0; display: block; }
"""

# Relays the SDK's messages to the fake framework (Python) and its answers back to the frame.
RELAY_JS = """(function () {
  "use strict";
  var frame = document.getElementById("app");
  var appOrigin = new URL(frame.src).origin;
  var editor = document.getElementById("editor");
  function deliver(messages) {
    (messages || []).forEach(function (message) { frame.contentWindow.postMessage(JSON.stringify(message), appOrigin); });
  }
  window.addEventListener("message", function (event) {
    if (event.source !== frame.contentWindow || event.origin !== appOrigin) return;
    var body = typeof event.data === "string" ? event.data : JSON.stringify(event.data);
    fetch("/zaf", { method: "POST", headers: { "Content-Type": "application/json" }, body: body })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (answer.frame_height) frame.style.height = answer.frame_height;
        if (typeof answer.editor_insert === "string") editor.value += answer.editor_insert;
        deliver(answer.replies);
      });
  });
  window.fakeZendesk = { emit: function (name, data) { deliver([{ key: "zaf." + name, message: data }]); } };
})();
"""


class FakeZendesk:
    """Zendesk Support for one ticket and one installation of the app, with what the app asked of it."""

    def __init__(self, assets: AppAssets, assistant_url: str, agent_token: str) -> None:
        self.assets = assets
        self.app_guid = str(uuid.uuid4())
        self.settings = {"assistant_url": assistant_url}  # what the app may read (metadata)
        self.secure_settings = {"agent_token": agent_token}  # never sent to the browser
        self.ticket: Dict = {"id": 4321, "requester": dict(REQUESTER), "comments": [], "conversation": None}
        self.received: List[dict] = []  # every message the app posted
        self.sent: List[dict] = []  # every message posted to the app
        self.subscriptions: Dict[str, int] = {}
        self.invokes: List[tuple] = []
        self.requests: List[dict] = []  # what the app asked the proxy for, as it asked (placeholders in)
        self.proxied: List[dict] = []  # what the proxy sent and got back
        self._lock = threading.Lock()
        self._next_comment = 100
        self.http = Loopback(self._handle)
        self.origin = f"http://127.0.0.1:{self.http.port}"

    # the ticket
    def add_comment(self, author: dict, html: str) -> None:
        with self._lock:
            self._next_comment += 1
            # Zendesk ids grow; the list comes newest first here, so the app must not take "the last one"
            self.ticket["comments"].insert(0, {
                "id": self._next_comment, "value": html, "author": dict(author),
                "via": {"channel": "email"}, "imageAttachments": [], "nonImageAttachments": [],
            })

    def page_url(self) -> str:
        return f"{self.origin}/"

    def app_src(self) -> str:
        return f"{self.assets.origin}/assets/iframe.html?origin={quote(self.origin, safe='')}&app_guid={self.app_guid}"

    def emit(self, page, name: str, data=None) -> None:
        """A framework event, delivered as Zendesk does: only when the app subscribed to it."""
        assert self.subscriptions.get(name, 0) > 0, f"the app did not subscribe to {name}: {self.subscriptions}"
        page.evaluate("([name, data]) => window.fakeZendesk.emit(name, data)", [name, data])

    def wait_for(self, what: Callable[[], list], timeout: float = 15) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = list(what())
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"nothing within {timeout}s; invokes={self.invokes}, requests={self.requests}")

    def inserts(self) -> list:
        return [args[0] for name, args in self.invokes if name == "ticket.editor.insert"]

    def close(self) -> None:
        self.http.close()

    # HTTP: the agent's page and the framework
    def _handle(self, method, path, headers, body):
        route = urlsplit(path).path
        if method == "GET" and route == "/":
            requester = self.ticket["requester"]["name"]
            return _text("text/html; charset=utf-8", TICKET_PAGE.format(ticket_id=self.ticket["id"], requester=requester, src=self.app_src()))
        if method == "GET" and route == "/relay.js":
            return _text("text/javascript; charset=utf-8", RELAY_JS)
        if method == "GET" and route == "/fake.css":
            return _text("text/css; charset=utf-8", FAKE_CSS)
        if method == "POST" and route == "/zaf":
            return _json(200, self._framework(json.loads(body.decode("utf-8"))))
        return 404, {}, b"not found"

    def _framework(self, message: dict) -> dict:
        with self._lock:
            self.received.append(message)
        answer = {"replies": []}
        key = message.get("key") or ""
        if message.get("appGuid") != self.app_guid:
            return answer  # not our app's frame
        if key == "iframe.handshake":
            answer["replies"].append({"key": "zaf.app.registered", "message": self._registration()})
        elif key.startswith("iframe.on:"):
            with self._lock:
                self.subscriptions[key[len("iframe.on:"):]] = int((message.get("message") or {}).get("subscriberCount") or 1)
        elif key.startswith("iframe.off:"):
            with self._lock:
                self.subscriptions[key[len("iframe.off:"):]] = int((message.get("message") or {}).get("subscriberCount") or 0)
        elif key.startswith("request:"):
            answer["replies"].append(self._proxy(key, message.get("message") or {}))
        elif message.get("request") == "get":
            answer["replies"].append({"id": message["id"], "result": self._get(message.get("params") or [])})
        elif message.get("request") == "invoke":
            result, effects = self._invoke(message.get("params") or {})
            answer.update(effects)
            answer["replies"].append({"id": message["id"], "result": result})
        elif message.get("request") == "set":
            answer["replies"].append({"id": message["id"], "result": {"errors": {
                name: {"message": "is read-only here", "name": "APIUnavailable", "path": name} for name in message.get("params") or {}}}})
        with self._lock:
            self.sent.extend(answer["replies"])
        return answer

    def _registration(self) -> dict:
        return {
            "context": {"product": "support", "location": "ticket_sidebar", "ticketId": self.ticket["id"],
                        "instanceGuid": self.app_guid, "account": {"subdomain": "fake"}},
            # Zendesk leaves secure settings out of the metadata
            "metadata": {"appId": 0, "installationId": 1, "name": "위탁콜 상담 도우미", "version": "1.0.0",
                         "settings": {**self.settings, "title": "위탁콜 상담 도우미"}},
        }

    def _get(self, paths: list) -> dict:
        result: dict = {}
        errors: dict = {}
        with self._lock:
            for path in paths:
                value: object = {"ticket": self.ticket}
                for part in path.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                if value is None:
                    errors[path] = {"message": "No such path", "name": "InvalidPath", "path": path}
                else:
                    result[path] = json.loads(json.dumps(value))
        if errors:
            result["errors"] = errors
        return result

    def _invoke(self, params: dict) -> tuple:
        effects: dict = {}
        with self._lock:
            for name, args in params.items():
                self.invokes.append((name, list(args)))
                if name == "ticket.editor.insert":
                    effects["editor_insert"] = str(args[0])
                elif name == "resize" and args and isinstance(args[0], dict) and args[0].get("height"):
                    effects["frame_height"] = str(args[0]["height"])
        return {}, effects

    def _proxy(self, key: str, options: dict) -> dict:
        """Zendesk's request proxy: the secure setting goes in on the server, never in the browser."""
        with self._lock:
            self.requests.append(json.loads(json.dumps(options)))
        headers = {str(k): str(v) for k, v in (options.get("headers") or {}).items()}
        if options.get("secure") is True:
            for name, value in headers.items():
                for setting, secret in self.secure_settings.items():
                    value = value.replace("{{setting.%s}}" % setting, secret)
                headers[name] = value
        if options.get("contentType"):
            headers["Content-Type"] = options["contentType"]
        data = options.get("data")
        try:
            response = requests.request(
                str(options.get("type") or "GET").upper(), options["url"], headers=headers, timeout=60,
                data=data.encode("utf-8") if isinstance(data, str) else data,
            )
        except requests.RequestException:
            xhr = {"status": 0, "statusText": "error", "responseText": ""}
            return {"key": f"zaf.{key}.fail", "message": {"responseArgs": [xhr, "error", "error"]}}
        with self._lock:
            self.proxied.append({"url": options["url"], "status": response.status_code, "body": response.text})
        is_json = "json" in response.headers.get("Content-Type", "")
        parsed = response.json() if is_json and response.text else response.text
        xhr = {"status": response.status_code, "statusText": response.reason, "responseText": response.text}
        if response.ok:
            return {"key": f"zaf.{key}.done", "message": {"responseArgs": [parsed, "success", xhr]}}
        if is_json:
            xhr["responseJSON"] = parsed
        return {"key": f"zaf.{key}.fail", "message": {"responseArgs": [xhr, "error", response.reason]}}


# ── fake parent for the postMessage mode, and a CORS gateway to the assistant ─
PM_PAGE = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>fake live-chat tool</title><link rel="stylesheet" href="/fake.css"></head>
<body><main class="ticket"><h1>대화 #{conversation}</h1></main>
<aside class="sidebar"><iframe id="app" title="위탁콜 상담 도우미" src="{src}"></iframe></aside>
<script src="/pm.js"></script></body></html>
"""

PM_JS = """(function () {
  "use strict";
  var frame = document.getElementById("app");
  var appOrigin = new URL(frame.src).origin;
  window.addEventListener("message", function (event) {
    if (event.source !== frame.contentWindow || event.origin !== appOrigin) return;
    var data = event.data || {};
    if (data.type === "resize" && data.height) frame.style.height = data.height + "px";
    fetch("/record", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) })
      .then(function (response) { return response.json(); })
      .then(function (answer) { if (answer.conversation) frame.contentWindow.postMessage(answer.conversation, appOrigin); });
  });
})();
"""


class FakeChatTool:
    """Another live-chat tool's agent page: on the app's `ready` it posts the conversation; it records what the app posts."""

    def __init__(self, assets: AppAssets, assistant_url: str, conversation: dict) -> None:
        self.assets = assets
        self.conversation = conversation
        self.assistant_url = assistant_url
        self.posted: List[dict] = []
        self._lock = threading.Lock()
        self.http = Loopback(self._handle)
        self.origin = f"http://127.0.0.1:{self.http.port}"

    def app_src(self) -> str:
        return (f"{self.assets.origin}/assets/iframe.html?mode=postmessage&assistant={quote(self.assistant_url, safe='')}"
                f"&parent_origin={quote(self.origin, safe='')}")

    def page_url(self) -> str:
        return f"{self.origin}/"

    def of_type(self, kind: str) -> list:
        with self._lock:
            return [message for message in self.posted if message.get("type") == kind]

    def wait_for(self, kind: str, timeout: float = 15) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of_type(kind)
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no {kind!r} message within {timeout}s: {self.posted}")

    def close(self) -> None:
        self.http.close()

    def _handle(self, method, path, headers, body):
        route = urlsplit(path).path
        if method == "GET" and route == "/":
            return _text("text/html; charset=utf-8", PM_PAGE.format(conversation="cw-77", src=self.app_src()))
        if method == "GET" and route == "/pm.js":
            return _text("text/javascript; charset=utf-8", PM_JS)
        if method == "GET" and route == "/fake.css":
            return _text("text/css; charset=utf-8", FAKE_CSS)
        if method == "POST" and route == "/record":
            message = json.loads(body.decode("utf-8"))
            with self._lock:
                self.posted.append(message)
            return _json(200, {"conversation": self.conversation if message.get("type") == "ready" else None})
        return 404, {}, b"not found"


class CorsGateway:
    """What a deployment puts in front of the assistant for a browser tool: CORS for one origin, then the assistant."""

    def __init__(self, upstream: str, allowed_origin: str) -> None:
        self.upstream = upstream
        self.allowed_origin = allowed_origin
        self.preflights = 0

        def handle(method, path, headers, body):
            cors = {}
            if headers.get("Origin") == self.allowed_origin:
                cors = {"Access-Control-Allow-Origin": self.allowed_origin, "Vary": "Origin",
                        "Access-Control-Allow-Methods": "POST, OPTIONS",
                        "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept",
                        "Access-Control-Max-Age": "600"}
            if not urlsplit(path).path.startswith("/webhooks/assist/"):
                return 404, cors, b"not found"
            if method == "OPTIONS":
                self.preflights += 1
                return 204, cors, b""
            forwarded = {name: headers[name] for name in ("Authorization", "Content-Type", "Accept") if headers.get(name)}
            response = requests.request(method, self.upstream + path, headers=forwarded, data=body, timeout=60)
            return response.status_code, {**cors, "Content-Type": response.headers.get("Content-Type", "application/json")}, response.content

        self.http = Loopback(handle)
        self.url = f"http://127.0.0.1:{self.http.port}"

    def close(self) -> None:
        self.http.close()


# ── fixtures ──────────────────────────────────────────────────────────────────
@pytest.fixture(scope="module")
def agent_token() -> str:
    return mint_agent_token("A-ZD-TEAM1", AGENT_SECRET)


@pytest.fixture(scope="module")
def app_files(tmp_path_factory) -> Dict[str, bytes]:
    return built_app(tmp_path_factory.mktemp("zendesk") / "zendesk-app.zip")


@pytest.fixture
def assets(app_files):
    served = AppAssets(app_files)
    yield served
    served.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="ko-KR",
                                  timezone_id="Asia/Seoul", reduced_motion="reduce")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: List[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    # the app's frame too (pageerror is the top page's): uncaught errors and CSP refusals
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error"
           and "Failed to load resource" not in message.text else None)
    yield tab
    context.close()
    assert not errors, f"JavaScript errors or CSP refusals: {errors}"


def open_ticket(page, assistant, token: str, assets: AppAssets, comments: Optional[list] = None,
                conversation: Optional[list] = None) -> FakeZendesk:
    zendesk = FakeZendesk(assets, assistant.url, token)
    for author, html in comments or []:
        zendesk.add_comment(author, html)
    zendesk.ticket["conversation"] = conversation
    page.goto(zendesk.page_url())
    return zendesk


@pytest.fixture
def zendesk_pages():
    opened: List[FakeZendesk] = []
    yield opened
    for fake in opened:
        fake.close()


def sidebar(page):
    return page.frame_locator("#app")


def q3_ticket(page, assistant, token, assets, zendesk_pages) -> FakeZendesk:
    zendesk = open_ticket(page, assistant, token, assets, comments=[
        (REQUESTER, "<p>안녕하세요</p>"),
        (AGENT, "<p>안녕하세요, 기사님. 무엇을 도와드릴까요?</p>"),
        (REQUESTER, f"<p>{Q3}</p>"),
    ])
    zendesk_pages.append(zendesk)
    return zendesk


# ── the Zendesk sidebar ──────────────────────────────────────────────────────
def test_the_latest_requester_comment_shows_the_q3_suggestion(page, assistant, agent_token, assets, zendesk_pages):
    from playwright.sync_api import expect

    q3_ticket(page, assistant, agent_token, assets, zendesk_pages)
    app = sidebar(page)
    expect(app.get_by_test_id("intent-summary")).to_have_text(Q3_SUMMARY)
    expect(app.get_by_test_id("driver-message")).to_have_text(Q3)
    expect(app.get_by_test_id("call-type")).to_have_text("위탁콜")
    expect(app.get_by_test_id("consultation-path")).to_have_text("대리_기사 ▶ 배정/운행 ▶ 배정정책 ▶ 위탁콜")
    expect(app.get_by_test_id("next-step")).to_contain_text("카카오 모빌리티인지 확인")
    expect(app.get_by_test_id("script-line").filter(has_text=COMPANY_QUESTION)).to_have_count(1)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_답변란에_넣기_inserts_exactly_that_line_into_the_reply(page, assistant, agent_token, assets, zendesk_pages):
    from playwright.sync_api import expect

    zendesk = q3_ticket(page, assistant, agent_token, assets, zendesk_pages)
    line = sidebar(page).get_by_test_id("script-line").filter(has_text=COMPANY_QUESTION)
    line.get_by_test_id("insert-button").click()
    assert zendesk.wait_for(zendesk.inserts) == [COMPANY_QUESTION]
    expect(page.get_by_test_id("editor")).to_have_value(COMPANY_QUESTION)


def test_inserting_a_line_records_the_suggestion_as_used_once(page, assistant, agent_token, assets, zendesk_pages):
    from playwright.sync_api import expect

    zendesk = q3_ticket(page, assistant, agent_token, assets, zendesk_pages)
    app = sidebar(page)
    buttons = app.get_by_test_id("insert-button")
    expect(buttons).to_have_count(2)
    buttons.nth(0).click()
    expect(app.get_by_test_id("insert-state")).to_have_text("1번째 줄을 답변란에 넣었습니다.")
    buttons.nth(1).click()
    expect(app.get_by_test_id("insert-state")).to_have_text("2번째 줄을 답변란에 넣었습니다.")
    feedback = zendesk.wait_for(lambda: [p for p in zendesk.proxied if p["url"].endswith("/feedback")])
    suggestion_id = app.get_by_test_id("suggestion-id").inner_text()
    time.sleep(0.5)  # a second `used` would be on its way by now
    sent = [json.loads(r["data"]) for r in zendesk.requests if r["url"].endswith("/feedback")]
    assert sent == [{"suggestion_id": suggestion_id, "verdict": "used"}]
    assert feedback[0]["status"] == 200 and json.loads(feedback[0]["body"]) == {"stored": True}


def test_the_token_is_filled_in_by_the_proxy_and_never_reaches_the_app(page, assistant, agent_token, assets, zendesk_pages):
    from playwright.sync_api import expect

    zendesk = q3_ticket(page, assistant, agent_token, assets, zendesk_pages)
    expect(sidebar(page).get_by_test_id("intent-summary")).to_have_text(Q3_SUMMARY)
    suggest = [r for r in zendesk.requests if r["url"].endswith("/webhooks/assist/suggest")]
    assert suggest and suggest[0]["url"] == f"{assistant.url}/webhooks/assist/suggest"
    assert suggest[0]["headers"]["Authorization"] == f"Bearer {PLACEHOLDER}"
    assert suggest[0]["secure"] is True and suggest[0]["type"] == "POST"
    assert json.loads(suggest[0]["data"]) == {"text": Q3}
    assert agent_token not in json.dumps(zendesk.sent, ensure_ascii=False)
    assert agent_token not in json.dumps(zendesk.received, ensure_ascii=False)


def test_a_wrong_token_shows_the_korean_401_message(page, assistant, assets, zendesk_pages):
    from playwright.sync_api import expect

    q3_ticket(page, assistant, "not-a-token", assets, zendesk_pages)
    app = sidebar(page)
    error = app.get_by_test_id("error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("토큰 확인")
    expect(error).to_contain_text("유효하지 않은 상담사 토큰입니다")
    expect(error).to_contain_text("상담사 토큰을 확인해 주세요")
    expect(app.get_by_test_id("suggestion")).to_be_hidden()


def test_a_new_comment_event_refreshes_the_suggestion(page, assistant, agent_token, assets, zendesk_pages):
    from playwright.sync_api import expect

    zendesk = q3_ticket(page, assistant, agent_token, assets, zendesk_pages)
    app = sidebar(page)
    expect(app.get_by_test_id("intent-summary")).to_have_text(Q3_SUMMARY)
    zendesk.add_comment(REQUESTER, f"<p>{DAEJEON}</p>")
    zendesk.emit(page, "ticket.comments.changed", zendesk.ticket["comments"])
    expect(app.get_by_test_id("intent-summary")).to_have_text(REGIONS_SUMMARY)
    expect(app.get_by_test_id("driver-message")).to_have_text(DAEJEON)
    expect(app.get_by_test_id("script-line").filter(has_text=DAEJEON_LINE)).to_have_count(1)


def test_an_agent_comment_event_does_not_ask_again(page, assistant, agent_token, assets, zendesk_pages):
    from playwright.sync_api import expect

    zendesk = q3_ticket(page, assistant, agent_token, assets, zendesk_pages)
    expect(sidebar(page).get_by_test_id("intent-summary")).to_have_text(Q3_SUMMARY)
    zendesk.add_comment(AGENT, "<p>확인해 드리겠습니다.</p>")
    zendesk.emit(page, "ticket.comments.changed", zendesk.ticket["comments"])
    zendesk.emit(page, "ticket.conversation.changed", [])
    time.sleep(1.0)  # past the app's event delay and a round trip
    assert len([r for r in zendesk.requests if r["url"].endswith("/suggest")]) == 1


def test_다시_추천_asks_again_for_the_same_message(page, assistant, agent_token, assets, zendesk_pages):
    from playwright.sync_api import expect

    zendesk = q3_ticket(page, assistant, agent_token, assets, zendesk_pages)
    app = sidebar(page)
    first = app.get_by_test_id("suggestion-id")
    expect(first).not_to_have_text("")
    before = first.inner_text()
    app.get_by_test_id("refresh-button").click()
    expect(first).not_to_have_text(before)
    assert len([r for r in zendesk.requests if r["url"].endswith("/suggest")]) == 2


def test_a_chat_ticket_uses_the_last_end_user_message_of_the_conversation(page, assistant, agent_token, assets, zendesk_pages):
    from playwright.sync_api import expect

    conversation = [
        {"author": dict(REQUESTER, avatar=None), "channel": {"name": "chat"},
         "message": {"content": Q3, "contentType": "text/plain"}, "timestamp": "2026-11-29T02:59:00Z"},
        {"author": dict(AGENT, avatar=None), "channel": {"name": "chat"},
         "message": {"content": "확인해 드릴게요", "contentType": "text/plain"}, "timestamp": "2026-11-29T03:00:00Z"},
        {"author": dict(REQUESTER, avatar=None), "channel": {"name": "chat"},
         "message": {"content": DAEJEON, "contentType": "text/plain"}, "timestamp": "2026-11-29T03:01:00Z"},
    ]
    zendesk = open_ticket(page, assistant, agent_token, assets, comments=[], conversation=conversation)
    zendesk_pages.append(zendesk)
    app = sidebar(page)
    expect(app.get_by_test_id("intent-summary")).to_have_text(REGIONS_SUMMARY)
    expect(app.get_by_test_id("driver-message")).to_have_text(DAEJEON)


def test_a_ticket_without_a_requester_message_says_so(page, assistant, agent_token, assets, zendesk_pages):
    from playwright.sync_api import expect

    zendesk = open_ticket(page, assistant, agent_token, assets, comments=[(AGENT, "<p>기사님, 문의 주셔서 감사합니다.</p>")])
    zendesk_pages.append(zendesk)
    app = sidebar(page)
    expect(app.get_by_test_id("empty")).to_contain_text("추천할 메시지가 없습니다")
    assert not [r for r in zendesk.requests if r["url"].endswith("/suggest")]


def app_frame(page):
    """The sidebar's frame itself (axe runs inside it, as the agent's screen reader would)."""
    return page.locator("#app").element_handle().content_frame()


def test_the_sidebar_has_no_serious_axe_violation_with_a_suggestion_empty_or_an_error(page, assistant, agent_token, assets, zendesk_pages):
    from playwright.sync_api import expect

    from tests.browser.accessibility import axe_violations

    found = []
    q3_ticket(page, assistant, agent_token, assets, zendesk_pages)
    expect(sidebar(page).get_by_test_id("intent-summary")).to_have_text(Q3_SUMMARY)
    found += axe_violations(app_frame(page), "sidebar, a suggestion")
    zendesk_pages.append(open_ticket(page, assistant, agent_token, assets, comments=[(AGENT, "<p>안녕하세요</p>")]))
    expect(sidebar(page).get_by_test_id("empty")).to_be_visible()
    found += axe_violations(app_frame(page), "sidebar, no requester message")
    q3_ticket(page, assistant, "not-a-token", assets, zendesk_pages)
    expect(sidebar(page).get_by_test_id("error")).to_be_visible()
    found += axe_violations(app_frame(page), "sidebar, an error")
    assert not found, "\n".join(found)


def test_the_sidebar_shows_no_api_keys_under_its_lines(page, assistant, agent_token, assets, zendesk_pages):
    from playwright.sync_api import expect

    q3_ticket(page, assistant, agent_token, assets, zendesk_pages)
    app = sidebar(page)
    expect(app.get_by_test_id("script-line").filter(has_text=COMPANY_QUESTION)).to_have_count(1)
    expect(app.get_by_test_id("intent-name")).to_be_hidden()  # only in 세부 정보
    shown = app.get_by_test_id("suggestion").inner_text()
    for key in ("report_acceptance_blocked", "utter_empathy", "utter_ask_ordering_company", "→", "(카모)", "탐색:"):
        assert key not in shown, key
    expect(app.get_by_test_id("insert-button").first).to_have_text("답변란에 넣기")


def test_the_frame_is_resized_to_its_content(page, assistant, agent_token, assets, zendesk_pages):
    from playwright.sync_api import expect

    zendesk = q3_ticket(page, assistant, agent_token, assets, zendesk_pages)
    app = sidebar(page)
    expect(app.get_by_test_id("script-line")).to_have_count(2)
    page.wait_for_timeout(300)
    resizes = [args[0] for name, args in zendesk.invokes if name == "resize"]
    assert resizes and resizes[-1]["width"] == "100%"
    height = int(resizes[-1]["height"].rstrip("px"))
    content = app.locator("#app").evaluate("node => Math.ceil(node.getBoundingClientRect().height)")
    assert height == content and height > 400
    assert page.locator("#app").evaluate("frame => frame.getBoundingClientRect().height") == height


# ── the same page in another tool's sidebar (postMessage mode) ───────────────
@pytest.fixture
def chat_tool(assistant, assets, agent_token):
    conversation = {
        "type": "conversation",
        "token": agent_token,
        "messages": [
            {"from": "bot", "text": "안녕하세요. 무엇을 도와드릴까요?"},
            {"from": "driver", "text": Q3},
            {"from": "agent", "text": "확인해 드릴게요."},
        ],
    }
    gateway = CorsGateway(assistant.url, assets.origin)
    tool = FakeChatTool(assets, gateway.url, conversation)
    yield tool, gateway
    tool.close()
    gateway.close()


def test_postmessage_mode_suggests_for_the_posted_conversation(page, chat_tool):
    from playwright.sync_api import expect

    tool, gateway = chat_tool
    page.goto(tool.page_url())
    app = sidebar(page)
    expect(app.get_by_test_id("intent-summary")).to_have_text(Q3_SUMMARY)
    expect(app.get_by_test_id("driver-message")).to_have_text(Q3)
    expect(app.get_by_test_id("script-line").filter(has_text=COMPANY_QUESTION)).to_have_count(1)
    assert gateway.preflights >= 1  # a real cross-origin call, allowed by CORS


def test_postmessage_mode_posts_the_line_back_instead_of_inserting(page, chat_tool):
    from playwright.sync_api import expect

    tool, _ = chat_tool
    page.goto(tool.page_url())
    line = sidebar(page).get_by_test_id("script-line").filter(has_text=COMPANY_QUESTION)
    expect(line).to_have_count(1)
    line.get_by_test_id("insert-button").click()
    assert tool.wait_for("insert") == [{"type": "insert", "text": COMPANY_QUESTION}]
