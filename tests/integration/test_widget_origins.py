"""Which web origins may open the widget's socket, and how many `Access-Control-Allow-Origin`
headers socket.io's answers carry (issue 13 item 7), for every combination of Rasa's `--cors`
(unset, "*", one origin) and WIDGET_ALLOWED_ORIGINS (unset, "*", a list).

Each combination is a Sanic app put together the way `rasa run` does it (Rasa's own
`configure_cors`, then the channels from credentials.yml registered by Rasa's
`channels.register`), served on a real port in this process, so the real Sanic-CORS and the real
python-socketio answer. No model is needed: the socket.io handshake happens before any turn.
A browser refuses a polling answer with the header twice ("o, o"): exactly one for an allowed
origin, none (and a refusal) for any other. The full server started with `--cors "*"`, and a
stock socket.io client in Chromium, are in tests/browser/test_cross_origin_chat.py.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import threading
from typing import Iterator, Optional

import pytest
import requests

DRIVER_APP = "http://driver-app.example"  # the origin the driver app's web page is served from
STRANGER = "http://stranger.example"
POLLING = "/socket.io/?EIO=4&transport=polling"

CORS_FLAGS = {"--cors unset": None, '--cors "*"': "*", "--cors <driver app>": DRIVER_APP}
WIDGET_ORIGINS = {"WIDGET_ALLOWED_ORIGINS unset": None, "WIDGET_ALLOWED_ORIGINS=*": "*",
                  "WIDGET_ALLOWED_ORIGINS=<list>": f"{DRIVER_APP},http://other-app.example"}
COMBINATIONS = list(itertools.product(CORS_FLAGS, WIDGET_ORIGINS))
_names = itertools.count()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def served_like_rasa_run(cors: Optional[str], widget_origins: Optional[str], monkeypatch) -> Iterator[str]:
    """The widget channel and Rasa's CORS in one Sanic app on a real port, as `rasa run` builds them."""
    from rasa import server as rasa_server
    from rasa.core import channels
    from sanic import Sanic

    from server.widget_channel import DriverWidgetInput

    if widget_origins is None:
        monkeypatch.delenv("WIDGET_ALLOWED_ORIGINS", raising=False)
    else:
        monkeypatch.setenv("WIDGET_ALLOWED_ORIGINS", widget_origins)
    monkeypatch.delenv("REDIS_URL", raising=False)
    # several apps in one process: Sanic's start-up rewrites shared methods unless in test mode
    monkeypatch.setattr(Sanic, "test_mode", True)
    app = Sanic(f"widget_origins_{next(_names)}", configure_logging=False)
    rasa_server.configure_cors(app, cors)  # what rasa.core.run does with --cors
    channel = DriverWidgetInput.from_credentials({
        "user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered",
        "session_persistence": True, "metadata_key": "customData", "socketio_path": "/socket.io",
    })
    channels.channel.register([channel], app, route="/webhooks/")

    port = _free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder = {}

    async def serve() -> None:
        try:
            server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
            await server.startup()
            await server.before_start()
            await server.after_start()
            holder["server"] = server
        except Exception as error:  # shown by the assertion below
            holder["error"] = error
        started.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(serve()), loop.run_forever()), daemon=True)
    thread.start()
    assert started.wait(30) and "server" in holder, f"the test server did not start: {holder.get('error')!r}"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        async def stop() -> None:
            server = holder["server"]
            await server.before_stop()
            server.close()
            await server.wait_closed()
            await server.after_stop()
            # socket.io's ping loops of the handshakes made: ended here, not left to the loop's end
            others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def allow_origin_headers(response: requests.Response) -> list:
    # requests folds repeated headers into one "a, b" value: read the raw header list instead
    return response.raw.headers.getlist("Access-Control-Allow-Origin")


def handshake(url: str, origin: str) -> requests.Response:
    return requests.get(f"{url}{POLLING}", headers={"Origin": origin}, timeout=10)


def preflight(url: str, origin: str) -> requests.Response:
    return requests.options(f"{url}{POLLING}", timeout=10, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
    })


def _origin_allowed(widget_origins: Optional[str]) -> bool:
    return widget_origins is not None  # unset: the server's own origin only


@pytest.fixture(params=COMBINATIONS, ids=[f"{c} + {w}" for c, w in COMBINATIONS])
def server(request, monkeypatch):
    cors_name, widget_name = request.param
    widget_origins = WIDGET_ORIGINS[widget_name]
    with served_like_rasa_run(CORS_FLAGS[cors_name], widget_origins, monkeypatch) as url:
        yield url, _origin_allowed(widget_origins), widget_origins == "*"


def test_socketio_polling_answers_an_allowed_origin_with_exactly_one_allow_origin_header(server):
    url, allowed, _ = server
    answer = handshake(url, DRIVER_APP)
    if allowed:
        assert answer.status_code == 200 and answer.text.startswith("0{")  # Engine.IO's open packet
        assert allow_origin_headers(answer) == [DRIVER_APP]
    else:
        assert answer.status_code == 400 and allow_origin_headers(answer) == []


def test_socketio_refuses_an_origin_that_is_not_allowed_without_an_allow_origin_header(server):
    url, _, any_origin = server
    answer = handshake(url, STRANGER)
    if any_origin:
        assert answer.status_code == 200 and allow_origin_headers(answer) == [STRANGER]
    else:
        assert answer.status_code == 400 and allow_origin_headers(answer) == []


def test_socketio_preflight_follows_the_widget_origins_with_at_most_one_allow_origin_header(server):
    url, allowed, any_origin = server
    assert allow_origin_headers(preflight(url, DRIVER_APP)) == ([DRIVER_APP] if allowed else [])
    assert allow_origin_headers(preflight(url, STRANGER)) == ([STRANGER] if any_origin else [])


def test_the_server_s_own_origin_opens_the_socket_with_one_allow_origin_header(server):
    url, _, _ = server
    # a list adds origins: the widget page this server serves itself keeps working
    answer = handshake(url, url)
    assert answer.status_code == 200 and allow_origin_headers(answer) == [url]
