"""Work Rasa 3.6 repeats on every turn although its answer never changes (py-spy of the Rasa
process under the benchmark's concurrent load; the event loop's thread is the bottleneck).

- `Event.resolve_by_type` walks every subclass of Event (`all_subclasses`) for each event it
  reads back — every stored event of a tracker, every event an action returns: ~3 % of the
  loop's time. Here a found class is remembered by its type name; an unknown name still goes
  to Rasa's own lookup (its fall-backs and its error are unchanged).
- `EndpointConfig.request` opens a new aiohttp session — a new TCP connection to the action
  server — for every custom-action call, and closes it after: ~4 % of the loop's time in
  connection set-up. Here each endpoint keeps one session per event loop, its connections kept
  alive for a shorter time than the action server keeps them (so a reused connection is never
  one the server is closing).
- Each custom-action call sends the whole conversation as JSON, serialised by aiohttp with the
  standard library's `json.dumps`: ~4 % of the loop's time. That session serialises with ujson
  (already installed for Sanic), as UTF-8 rather than \\u escapes (a third of the bytes for Korean
  text); anything ujson refuses (an odd type, a huge integer) goes to `json.dumps` as before.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, Optional, Text, Type

import aiohttp
import ujson
from rasa.shared.core.events import Event
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.utils.endpoints import EndpointConfig

from server import self_check

self_check.requires(__name__, "rasa.shared.core.events.Event.resolve_by_type", signature=("type_name", "default"))
self_check.requires(__name__, "rasa.utils.endpoints.EndpointConfig.session", signature=("self",))
self_check.requires_on_instance(__name__, "EndpointConfig (what its session is built from)",
                                lambda: EndpointConfig("http://localhost"), "headers", "basic_auth")

# rasa-sdk's action server (Sanic) closes an idle connection after 5 s: reuse one for less
KEEP_ALIVE_S = 2.0

_original_resolve = Event.resolve_by_type
_resolved: Dict[Text, Type[Event]] = {}


def _resolve_by_type_remembered(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    found = _resolved.get(type_name)
    if found is not None:
        return found
    found = _original_resolve(type_name, default)
    if found is not None and found is not default:
        _resolved[type_name] = found
    return found


_original_session = EndpointConfig.session


def json_dumps(value: Any) -> str:
    """The action call's body: what `json.dumps` would say, faster."""
    try:
        return ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False)
    except (TypeError, OverflowError, ValueError):
        return json.dumps(value)


class _KeptSession:
    """What `async with endpoint.session() as session:` gets: the endpoint's open session,
    left open at the end of the block."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *_: Any) -> bool:
        return False


def _kept_session(self: EndpointConfig) -> Any:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not in a loop: Rasa's own session, closed by its caller
        return _original_session(self)
    kept = self.__dict__.get("_kept_session")
    if kept is None or kept[0] is not loop or kept[1].closed:
        # what Rasa's session() builds (headers, basic auth, timeout), on a connector that keeps
        # its connections
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        kept = (loop, aiohttp.ClientSession(
            headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEP_ALIVE_S), json_serialize=json_dumps,
        ))
        self.__dict__["_kept_session"] = kept
    return _KeptSession(kept[1])


_kept_session.__wrapped__ = _original_session  # type: ignore[attr-defined]
_resolve_by_type_remembered.__wrapped__ = _original_resolve  # type: ignore[attr-defined]


def install() -> None:
    if Event.resolve_by_type is not _resolve_by_type_remembered:
        Event.resolve_by_type = staticmethod(_resolve_by_type_remembered)
    if EndpointConfig.session is not _kept_session:
        EndpointConfig.session = _kept_session
