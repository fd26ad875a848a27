"""A stock socket.io chat client on the driver app's own web origin (issue 13 item 7).

The assistant is started the way Rasa documents for a web chat on another origin,
`rasa run --cors "*"`, with that origin in WIDGET_ALLOWED_ORIGINS. The page is not the
project's widget: socket.io-client's own dist JS (the vendored copy) and a few inline lines that
speak the socket.io channel's wire format (`session_request` → `session_confirm`,
`user_uttered` → `bot_uttered`), served by a second HTTP server on another port, i.e. another
origin. Before the fix socket.io's polling answers carried `Access-Control-Allow-Origin` twice
(Sanic-CORS and python-socketio), Chromium refused them and the client never connected.
Every combination of `--cors` and WIDGET_ALLOWED_ORIGINS is in tests/integration/test_widget_origins.py.
"""
from __future__ import annotations

import contextlib
import http.server
import socket
import threading
from functools import partial
from pathlib import Path
from typing import Iterator

import pytest
import requests

from tests.browser.conftest import strict_page
from tests.conftest import PROJECT_ROOT
from tests.live_servers import ACTIONS_PORT, RASA_PORT, running_assistant

pytestmark = pytest.mark.live

# this module's own assistant, next to the session's one (TEST_RASA_PORT / TEST_ACTIONS_PORT)
CORS_PORTS = (RASA_PORT + 2, ACTIONS_PORT + 2)
SOCKETIO_CLIENT = PROJECT_ROOT / "server" / "widget" / "vendor" / "socket.io.min.js"
REPLY_TIMEOUT_MS = 60_000
QUESTION = "위탁콜이 뭐예요"

STOCK_CLIENT_PAGE = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>driver app</title>
<script src="socket.io.min.js"></script></head>
<body><ol id="answers"></ol><p id="status">connecting</p>
<script>
  const socket = io("{assistant}", {{ path: "/socket.io" }});
  socket.on("connect", () => {{
    document.getElementById("status").textContent = "connected";
    socket.emit("session_request", {{ session_id: null }});
  }});
  socket.on("connect_error", (error) => {{ document.getElementById("status").textContent = "error: " + error.message; }});
  socket.on("session_confirm", (sessionId) => {{
    socket.emit("user_uttered", {{ message: "{question}", session_id: sessionId }});
  }});
  socket.on("bot_uttered", (bubble) => {{
    const item = document.createElement("li");
    item.textContent = bubble.text || "";
    document.getElementById("answers").appendChild(item);
  }});
</script></body></html>
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def driver_app_origin(folder: Path, assistant_url: str) -> Iterator[str]:
    """Another origin: the stock client page and socket.io-client's JS from a plain HTTP server."""
    (folder / "index.html").write_text(STOCK_CLIENT_PAGE.format(assistant=assistant_url, question=QUESTION), encoding="utf-8")
    (folder / "socket.io.min.js").write_bytes(SOCKETIO_CLIENT.read_bytes())
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def cross_origin(tmp_path_factory):
    """`rasa run --cors "*"`, WIDGET_ALLOWED_ORIGINS = the driver app's origin, and that origin's page."""
    rasa_port, actions_port = CORS_PORTS
    assistant_url = f"http://127.0.0.1:{rasa_port}"
    with driver_app_origin(tmp_path_factory.mktemp("driver-app"), assistant_url) as page_origin:
        with running_assistant(
            tmp_path_factory.mktemp("cors-assistant"), rasa_port, actions_port,
            extra_env={"WIDGET_ALLOWED_ORIGINS": page_origin}, extra_rasa_args=["--cors", "*"],
        ) as assistant:
            yield assistant, page_origin


def test_a_stock_socketio_client_on_another_origin_gets_the_bots_answer(browser, cross_origin):
    _, page_origin = cross_origin
    with strict_page(browser, "a stock socket.io client page") as tab:
        tab.goto(f"{page_origin}/index.html")
        answer = tab.locator("#answers li", has_text="CNMP")
        answer.first.wait_for(timeout=REPLY_TIMEOUT_MS)
        assert tab.locator("#status").inner_text() == "connected"
        assert "위탁콜" in answer.first.inner_text()


def _allow_origin_headers(response: requests.Response) -> list:
    return response.raw.headers.getlist("Access-Control-Allow-Origin")  # each header, not folded


def test_with_cors_star_the_polling_answer_carries_one_allow_origin_header(cross_origin):
    assistant, page_origin = cross_origin
    answer = requests.get(f"{assistant.url}/socket.io/?EIO=4&transport=polling", headers={"Origin": page_origin}, timeout=10)
    assert answer.status_code == 200 and _allow_origin_headers(answer) == [page_origin]


def test_with_cors_star_an_origin_not_in_the_widget_origins_is_still_refused(cross_origin):
    assistant, _ = cross_origin
    answer = requests.get(f"{assistant.url}/socket.io/?EIO=4&transport=polling",
                          headers={"Origin": "http://stranger.example"}, timeout=10)
    assert answer.status_code == 400 and _allow_origin_headers(answer) == []


def test_with_cors_star_rasas_other_routes_keep_their_cors_header(cross_origin):
    assistant, page_origin = cross_origin
    answer = requests.get(f"{assistant.url}/webhooks/widget/health", headers={"Origin": page_origin}, timeout=10)
    assert answer.ok and _allow_origin_headers(answer) == [page_origin]
