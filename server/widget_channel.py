"""The drivers' web chat widget: a socket.io channel inside the Rasa server (credentials.yml).

    GET  /webhooks/widget/              the widget page (Korean, phone width first)
    GET  /webhooks/widget/static/…      its CSS/JS and the vendored socket.io client
    GET  /webhooks/widget/health        {"status": "ok"}
    GET  /webhooks/widget/demo          demo page: pick a demo driver, chat as that driver
    GET  /webhooks/widget/demo-drivers  the demo drivers (from fixtures/admin/drivers.csv)
    GET  /webhooks/widget/demo-token?driver=D-1001   a driver token for a demo driver
    socket.io at /socket.io (Engine.IO v4): session_request → session_confirm,
        user_uttered {message, session_id, customData: {driver_token}} → bot_uttered …, bot_turn_end

The demo endpoints answer 404 unless ASSISTANT_DEMO_MODE=1 and DRIVER_TOKEN_SECRET is set, and
only to a client on this machine (loopback, not through a proxy).

A widget session belongs to the driver whose token opened it: its id carries a keyed signature
of the token's driver (or of "anonymous"), so a session id alone is no key — a socket joins the
conversation, and receives its replies and the agent's pushes, only with a token of the same
driver. That driver is recorded as the conversation's holder (consignment/conversation_holders.py),
so that their export and erasure find it. Which web origins may open the socket: WIDGET_ALLOWED_ORIGINS (default: this server's).

CORS on the socket.io path has one owner, python-socketio (which applies WIDGET_ALLOWED_ORIGINS):
Rasa always installs Sanic-CORS for `--cors`, and both adding `Access-Control-Allow-Origin` gave
"o, o", which browsers refuse (issue 13). `WidgetSocketBlueprint` marks socket.io requests as
answered for Sanic-CORS and sends their preflights to socket.io; every other route keeps `--cors`.

Why not the stock `socketio` channel: Rasa 3.6 calls `sio.enter_room()` without awaiting it,
and python-socketio 5.x made it a coroutine, so with `session_persistence` no reply ever
reached the browser; and its `send_custom_json` passes a custom payload (our handoff packet) as
keyword arguments to `emit`, which fails. This subclass keeps the wire format of the stock
channel (`text`, `quick_replies`, `custom`) and fixes both; it also keeps only the driver token
from the widget's custom data (CONTRACT §4) and tells the widget when a turn is over.

`send_to_driver(session_id, text)` lets the server push an agent's reply into a widget session
(handoff).
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import html
import json
import logging
import re
import asyncio
import secrets
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic_cors.core import SANIC_CORS_EVALUATED as SANIC_CORS_ANSWERED
from socketio import AsyncServer

from consignment import settings
from consignment.content import load_yaml, message
from consignment.conversation_holders import default_holders
from consignment.identity import TOKEN_METADATA_KEY, mint_driver_token, token_holder
from server.shared_state import redis_client
from server.inbound import (
    DriverGuards,
    InboundGuard,
    chat_holder,
    client_address,
    driver_metadata,
    holder_key,
    is_loopback,
)
from server import self_check

logger = logging.getLogger(__name__)

# WidgetSocketBlueprint (one CORS owner on /socket.io) overrides the blueprint's hook and
# re-points the Engine.IO handler that `attach` routes to (checked at start: server/self_check.py)
self_check.requires(__name__, "rasa.core.channels.socketio.SocketBlueprint.register", signature=("self", "app", "options"))
self_check.requires(__name__, "socketio.AsyncServer", "attach")
self_check.requires_on_instance(__name__, "socketio.AsyncServer (its Engine.IO server)",
                                lambda: AsyncServer(async_mode="sanic"), "eio.handle_request", "eio.attach")

# Rasa's socket.io channel internals this subclass uses (checked at start: server/self_check.py)
self_check.requires_on_instance(
    __name__, "SocketIOInput (the settings its __init__ keeps)", lambda: SocketIOInput(),
    "sio", "socketio_path", "namespace", "session_persistence", "metadata_key", "bot_message_evt", "user_message_evt")
self_check.requires(__name__, "rasa.core.channels.socketio.SocketIOOutput._send_message",
                    signature=("self", "socket_id", "response"))
self_check.requires(__name__, "rasa.core.channels.socketio.SocketIOOutput.__init__",
                    signature=("self", "sio", "bot_message_evt"))
self_check.requires(__name__, "rasa.core.channels.socketio.SocketBlueprint.__init__",
                    signature=("self", "sio", "socketio_path", "args", "kwargs"))

WIDGET_DIR = Path(__file__).resolve().parent / "widget"
STATIC_TYPES = {
    ".js": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
# session ids are minted here: 16 hex of nonce + 16 hex of the owner's signature
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
# responses that disclose personal data: the widget shows them but never stores them on the device
SENSITIVE_RESPONSES = frozenset({"utter_restriction_suspended"})
DEMO_DRIVER = re.compile(r"^D-10\d\d$")
TURN_END_EVT = "bot_turn_end"
# a request through a proxy may come from anywhere: the demo page is for this machine only
FORWARDING_HEADERS = ("X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP", "Forwarded", "Via")
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'"
    ),
}

_active_channel: Optional["DriverWidgetInput"] = None


class WidgetSocketBlueprint(SocketBlueprint):
    """Rasa's socket blueprint, with socket.io the only source of its CORS headers."""

    def register(self, app: Any, options: Dict[Text, Any]) -> None:
        socketio = self.ctx.sio.eio
        answer = socketio.handle_request
        path = "/" + (self.ctx.socketio_path or "socket.io").strip("/")

        async def socketio_request(request: Request, *args: Any, **kwargs: Any) -> Any:
            # socket.io adds the header for an allowed origin (and refuses any other):
            # Sanic-CORS's response middleware skips a request marked as already answered
            setattr(request.ctx, SANIC_CORS_ANSWERED, "1")
            return await answer(request, *args, **kwargs)

        async def socketio_preflight(request: Request) -> Optional[HTTPResponse]:
            # Sanic-CORS answers every OPTIONS itself, by --cors, before any route: not this path's
            if request.method == "OPTIONS" and request.path.rstrip("/") == path:
                return await socketio_request(request)
            return None

        def preflights_first(app: Any, _loop: Any = None) -> None:
            # Sanic-CORS puts its own request middleware first when the server starts; this
            # listener runs after its one (registered later), so the preflight goes first
            app.request_middleware.appendleft(socketio_preflight)

        socketio.handle_request = socketio_request  # what `attach` routes /socket.io/ to
        app.register_listener(preflights_first, "before_server_start")
        super().register(app, options)


def _valid_session_id(value: Any) -> bool:
    return isinstance(value, str) and bool(SESSION_ID.match(value))


def _signature(nonce: str, owner: str) -> str:
    return hmac.new(holder_key(), f"widget-session:{nonce}:{owner}".encode(), hashlib.sha256).hexdigest()[:16]


def new_session_id(owner: str) -> str:
    nonce = secrets.token_hex(8)
    return nonce + _signature(nonce, owner)


def session_belongs_to(session_id: Any, owner: str) -> bool:
    if not _valid_session_id(session_id):
        return False
    return hmac.compare_digest(session_id[16:], _signature(session_id[:16], owner))


owner_of = chat_holder


def _public_custom(custom: Any) -> Optional[Dict[str, Any]]:
    """What of a custom payload goes to the browser. The handoff packet is for the agent
    (consultation path, slots, summary): the widget only needs to know a handoff happened."""
    if not isinstance(custom, dict) or not custom:
        return None
    public = dict(custom)
    if "handoff" in public:
        packet = public["handoff"] if isinstance(public["handoff"], dict) else {}
        public["handoff"] = {"handoff_id": packet.get("handoff_id")} if packet.get("handoff_id") else True
    return public


class DriverWidgetOutput(SocketIOOutput):
    """One `bot_uttered` event per chat bubble: {"text", "quick_replies"?, "custom"?}."""

    @classmethod
    def name(cls) -> Text:
        return DriverWidgetInput.name()

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        text = message.get("text") or ""
        bubbles: List[Dict[str, Any]] = [{"text": part.strip()} for part in text.strip().split("\n\n") if part.strip()]
        buttons = message.get("buttons") or message.get("quick_replies") or []
        if buttons:
            if not bubbles:
                bubbles.append({"text": ""})
            bubbles[-1]["quick_replies"] = [
                {"content_type": "text", "title": str(button.get("title", "")), "payload": str(button.get("payload", ""))}
                for button in buttons
                if isinstance(button, dict) and button.get("payload")
            ]
        custom = _public_custom(message.get("custom"))
        if message.get("utter_action") in SENSITIVE_RESPONSES:
            custom = {**(custom or {}), "sensitive": True}
        if custom:
            if not bubbles:
                bubbles.append({"text": ""})
            bubbles[-1]["custom"] = custom
        if message.get("image"):
            bubbles.append({"attachment": {"type": "image", "payload": {"src": message["image"]}}})
        if message.get("attachment"):
            bubbles.append({"attachment": message["attachment"]})
        for bubble in bubbles:
            await self._send_message(recipient_id, bubble)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        custom = _public_custom(json_message)
        if custom:
            await self._send_message(recipient_id, {"text": "", "custom": custom})


class DriverWidgetInput(SocketIOInput):
    """socket.io for the drivers' web chat widget, plus the widget's pages."""

    @classmethod
    def name(cls) -> Text:
        return "widget"

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            return super().get_output_channel()
        return DriverWidgetOutput(self.sio, self.bot_message_evt)

    def _metadata(self, data: Dict[str, Any]) -> Dict[str, Any]:
        """Only the driver token (CONTRACT §4) of the widget's custom data reaches the tracker."""
        custom = data.get(self.metadata_key) or {}
        if isinstance(custom, str):
            try:
                custom = json.loads(custom)
            except ValueError:
                custom = {}
        return driver_metadata(custom)

    def _owner(self, data: Any) -> str:
        return owner_of(self._metadata(data).get(TOKEN_METADATA_KEY) if isinstance(data, dict) else None)

    async def _record_holder(self, session_id: str, data: Dict[str, Any]) -> bool:
        """The driver whose token opened the session holds its conversation in the holders'
        table, as on REST: so their export and erasure find it (CONTRACT §4), across session
        restarts and replicas. The session id already carries its owner's signature, so this
        only records; an anonymous session has no driver to record. False when the table cannot
        be reached: the turn does not run (it would leave a conversation its driver cannot find)."""
        driver_id = token_holder(self._metadata(data).get(TOKEN_METADATA_KEY))
        if driver_id is None:
            return True
        try:
            held = await asyncio.get_running_loop().run_in_executor(
                None, default_holders().claim, session_id, driver_id, self.name())
        except Exception as error:
            logger.error("widget: the conversation's holder could not be recorded (%s)", type(error).__name__)
            return False
        if not held:  # the session id is signed for its owner: another holder means a wrong record
            logger.error("widget: the session's conversation is recorded under another holder; the turn is refused")
        return held

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        global _active_channel
        sio = AsyncServer(
            async_mode="sanic",
            # None: the server's own origin only; a list or "*" from WIDGET_ALLOWED_ORIGINS
            cors_allowed_origins=_allowed_origins(),
            client_manager=_client_manager(),
            max_http_buffer_size=64 * 1024,
        )
        widget_bp = WidgetSocketBlueprint(sio, self.socketio_path, "driver_widget", __name__)
        self.sio = sio
        _active_channel = self
        namespace = self.namespace

        # ── pages ────────────────────────────────────────────────────────────
        @widget_bp.route("/", methods=["GET"])
        async def widget_page(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):  # relative asset URLs need the slash
                query = f"?{request.query_string}" if request.query_string else ""
                return response.redirect(request.path + "/" + query)
            return _page("index.html", self.socketio_path)

        @widget_bp.route("/health", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @widget_bp.route("/static/<name:path>", methods=["GET"])
        async def static(_: Request, name: str) -> HTTPResponse:
            path = (WIDGET_DIR / name).resolve()
            if WIDGET_DIR not in path.parents or not path.is_file() or path.suffix not in STATIC_TYPES:
                return response.json({"error": "not found"}, status=404)
            cache = "public, max-age=86400" if "vendor" in path.relative_to(WIDGET_DIR).parts else "no-cache"
            return await response.file(
                path, mime_type=STATIC_TYPES[path.suffix],
                headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
            )

        @widget_bp.route("/demo", methods=["GET"])
        async def demo_page(request: Request) -> HTTPResponse:
            if not _demo_enabled(request):
                return response.json({"error": "not found"}, status=404)
            return _page("demo.html", self.socketio_path)

        @widget_bp.route("/demo-drivers", methods=["GET"])
        async def demo_drivers(request: Request) -> HTTPResponse:
            if not _demo_enabled(request):
                return response.json({"error": "not found"}, status=404)
            return response.json({"drivers": _demo_driver_list()}, headers={"Cache-Control": "no-store"})

        @widget_bp.route("/demo-token", methods=["GET"])
        async def demo_token(request: Request) -> HTTPResponse:
            if not _demo_enabled(request):
                return response.json({"error": "not found"}, status=404)
            driver_id = request.args.get("driver", "")
            if not DEMO_DRIVER.match(driver_id) or driver_id not in {d["driver_id"] for d in _demo_driver_list()}:
                return response.json({"error": message("widget", "demo_driver_required")}, status=400)
            token = mint_driver_token(driver_id, settings.driver_token_secret())
            logger.info("demo driver token minted for %s", driver_id)
            return response.json({"driver_id": driver_id, "token": token}, headers={"Cache-Control": "no-store"})

        # ── socket.io ────────────────────────────────────────────────────────
        guards = DriverGuards()
        app_holder: Dict[str, Any] = {}

        def guard() -> InboundGuard:
            agent = getattr(getattr(app_holder.get("app"), "ctx", None), "agent", None)
            return guards.for_domain(agent.domain if agent is not None else None)

        async def join(sid: str, session_id: str) -> None:
            """Puts the socket in its conversation's room (and out of a previous one)."""
            async with sio.session(sid, namespace=namespace) as state:
                previous = state.get("session_id")
                if previous == session_id:
                    return
                if previous:
                    await sio.leave_room(sid, previous, namespace=namespace)
                    await presence.leave(previous, sid)
                await sio.enter_room(sid, session_id, namespace=namespace)
                await presence.join(session_id, sid)
                state["session_id"] = session_id

        async def say(sid: str, key: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": message("driver_channel", key)}, room=sid, namespace=namespace)

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            request = environ.get("sanic.request")
            if request is not None:
                app_holder["app"] = request.app  # the running model's domain: the offered buttons
            peer = getattr(request, "ip", None)
            address = client_address(peer, environ.get("HTTP_X_FORWARDED_FOR"))
            await sio.save_session(sid, {"address": address}, namespace=namespace)
            logger.debug("widget socket %s connected", sid)
            return True

        @sio.on("disconnect", namespace=namespace)
        async def disconnect(sid: Text, *args: Any) -> None:
            logger.debug("widget socket %s disconnected", sid)
            try:
                session_id = (await sio.get_session(sid, namespace=namespace)).get("session_id")
            except KeyError:
                session_id = None
            if session_id:
                await presence.leave(session_id, sid)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Optional[Dict] = None) -> None:
            owner = self._owner(data)
            requested = data.get("session_id") if isinstance(data, dict) else None
            # a stored session continues only for the driver it belongs to
            session_id = requested if session_belongs_to(requested, owner) else new_session_id(owner)
            if self.session_persistence:
                await join(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:
            if not isinstance(data, dict):
                return
            text = data.get("message")
            if not isinstance(text, str) or not text.strip():
                return
            if self.session_persistence:
                sender_id = data.get("session_id")
                if not session_belongs_to(sender_id, self._owner(data)):
                    logger.warning("widget message for a session of another driver (or none) refused")
                    await sio.emit("session_expired", {}, room=sid, namespace=namespace)
                    return
                # a message sent right after a reconnect may come before session_request
                await join(sid, sender_id)
            else:
                sender_id = sid
            state = await sio.get_session(sid, namespace=namespace)
            refusal = await guard().refusal(self.name(), sender_id, state.get("address"), text)
            turn_room = sender_id if self.session_persistence else sid
            if refusal:
                await say(sid, refusal.key)
                await sio.emit(TURN_END_EVT, {"session_id": sender_id}, room=sid, namespace=namespace)
                return
            if not await self._record_holder(sender_id, data):
                await say(turn_room, "unavailable")
                await sio.emit(TURN_END_EVT, {"session_id": sender_id}, room=turn_room, namespace=namespace)
                return
            user_message = UserMessage(
                guard().driver_text(text),
                DriverWidgetOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                metadata=self._metadata(data),
            )
            try:
                await on_new_message(user_message)
            except Exception as error:  # never a trace in the driver's chat
                logger.error("widget: the message could not be handled (%s)", type(error).__name__)
                await say(turn_room, "unavailable")
            finally:
                await sio.emit(TURN_END_EVT, {"session_id": sender_id}, room=turn_room, namespace=namespace)

        return widget_bp


async def send_to_driver(session_id: str, text: str) -> bool:
    """Shows `text` as an agent's message in the widget session `session_id` (the conversation
    id, i.e. the Rasa sender id). True if at least one widget of that session is connected to
    this server and got it; False if none is (the driver left, or the widget channel is not
    configured) — the caller then keeps the reply for later. Nothing is written to the tracker."""
    channel = _active_channel
    if channel is None or channel.sio is None or not _valid_session_id(session_id):
        return False
    if not isinstance(text, str) or not text.strip():
        return False
    namespace = channel.namespace or "/"
    if not await presence.anyone_in(session_id, channel.sio, namespace):
        return False
    # with the Redis manager the emit reaches the widget on whichever process holds its socket
    await channel.sio.emit(
        channel.bot_message_evt, {"text": text.strip(), "from": "agent"}, room=session_id, namespace=namespace
    )
    return True


class Presence:
    """Which widget sessions have a socket open, on any process: a Redis set a session (its
    sockets) when REDIS_URL is set; else this process's own rooms."""

    TTL_S = 24 * 3600

    def __init__(self, client) -> None:
        self.client = client

    @staticmethod
    def _key(session_id: str) -> str:
        return f"widget-present:{session_id}"

    async def join(self, session_id: str, sid: str) -> None:
        if self.client is not None:
            try:
                await self.client.sadd(self._key(session_id), sid)
                await self.client.expire(self._key(session_id), self.TTL_S)
            except Exception as error:  # presence is a hint for "delivered": never fail a turn for it
                logger.warning("widget presence not recorded (%s)", type(error).__name__)

    async def leave(self, session_id: str, sid: str) -> None:
        if self.client is not None:
            try:
                await self.client.srem(self._key(session_id), sid)
            except Exception:
                pass

    async def anyone_in(self, session_id: str, sio, namespace: str) -> bool:
        if any(True for _ in sio.manager.get_participants(namespace, session_id)):
            return True
        if self.client is None:
            return False
        try:
            return bool(await self.client.scard(self._key(session_id)))
        except Exception:
            return False


presence = Presence(redis_client())


def _demo_enabled(request: Request) -> bool:
    """Demo pages and minted tokens: demo mode only, and only for a client on this machine
    (never through a proxy, which could be forwarding anyone)."""
    forwarded = any(header in request.headers for header in FORWARDING_HEADERS)
    return settings.demo_mode() and bool(settings.driver_token_secret()) and is_loopback(request.ip) and not forwarded


def _allowed_origins():
    """None: the server's own origin only; "*": any; a list: those origins and — so that the
    widget page this server itself serves keeps working — the server's own origin too."""
    origins = settings.widget_allowed_origins()
    if origins is None:
        return None
    if origins == ["*"]:
        return "*"
    listed = frozenset(origins)

    def allowed(origin, environ=None) -> bool:
        if origin in listed:
            return True
        environ = environ or {}
        host = environ.get("HTTP_HOST")
        return bool(host) and origin == f"{environ.get('wsgi.url_scheme', 'http')}://{host}"

    return allowed


def _client_manager():
    """Across processes, an emit to a room reaches sockets connected to any replica (Redis)."""
    if not settings.redis_url():
        return None
    from socketio import AsyncRedisManager

    return AsyncRedisManager(settings.redis_url(), channel="consignment-widget")


def _demo_driver_list() -> List[Dict[str, str]]:
    """The demo drivers, from the demo fixtures (never from the admin database)."""
    situations = load_yaml("messages.yml")["demo_situations"]
    with open(settings.DEMO_FIXTURES_DIR / "drivers.csv", encoding="utf-8") as handle:
        return [
            {"driver_id": row["driver_id"], "name": row["name"], "phone": row["phone"],
             "situation": situations.get(row["driver_id"], "")}
            for row in csv.DictReader(handle)
            if DEMO_DRIVER.match(row.get("driver_id") or "")
        ]


def _page(name: str, socketio_path: Optional[str]) -> HTTPResponse:
    body = (WIDGET_DIR / name).read_text(encoding="utf-8")
    body = body.replace("{{SOCKETIO_PATH}}", html.escape(socketio_path or "/socket.io", quote=True))
    return response.html(body, headers=PAGE_HEADERS)
