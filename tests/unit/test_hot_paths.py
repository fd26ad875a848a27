"""server/hot_paths.py: Rasa's per-turn lookups done once, with Rasa's answers."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from server import hot_paths


def test_every_event_type_resolves_to_the_class_rasa_finds():
    hot_paths.install()
    for cls in all_subclasses(Event):
        if getattr(cls, "type_name", None):
            assert Event.resolve_by_type(cls.type_name) is hot_paths._original_resolve(cls.type_name)


def test_an_unknown_event_type_still_gets_rasas_default_and_error():
    hot_paths.install()
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no-such-event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no-such-event")


def test_calls_to_an_endpoint_reuse_one_connection_until_it_has_been_idle():
    hot_paths.install()

    async def calls() -> list:
        async def peer_port(request):  # which client connection the call came on
            return web.json_response({"port": request.transport.get_extra_info("peername")[1]})

        app = web.Application()
        app.router.add_post("/webhook", peer_port)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        try:
            ports = [(await endpoint.request(json={}))["port"] for _ in range(3)]
            await asyncio.sleep(hot_paths.KEEP_ALIVE_S + 0.5)
            ports.append((await endpoint.request(json={}))["port"])
            return ports
        finally:
            async with endpoint.session() as session:
                await session.close()
            await runner.cleanup()

    first, second, third, after_idle = asyncio.run(calls())
    assert first == second == third
    assert after_idle != first


@pytest.mark.parametrize("value", [
    {"tracker": {"events": [{"event": "user", "text": "콜마너에서 콜 수락이 안 돼요 / 왜죠?", "parse_data": {
        "intent": {"name": "report_acceptance_blocked", "confidence": 0.9876543210123}}}]}, "next_action": "x"},
    {"slots": {"n": 1, "f": 0.1 + 0.2, "none": None, "flag": True, "list": [1, "둘", 3.5]}},
    {"odd": float("nan")},  # said as NaN, as json.dumps says it
])
def test_the_action_calls_json_reads_back_as_the_standard_librarys(value):
    import json
    import math

    said = json.loads(hot_paths.json_dumps(value))
    expected = json.loads(json.dumps(value))
    if "odd" in value:
        assert math.isnan(said["odd"])
    else:
        assert said == expected

