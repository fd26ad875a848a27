"""Small readers of the tracker shared by the actions."""
from __future__ import annotations

import asyncio
import contextvars
import functools
from typing import Any, Callable, List, Optional, TypeVar

from rasa_sdk import Tracker

from consignment.handoff import STAFF_CHANNELS
from consignment.identity import TOKEN_METADATA_KEY, TOKENLESS_CHANNELS

T = TypeVar("T")

# Unusable answers to a form question in a row before the form hands over.
MAX_FORM_RETRIES = 2


def in_staff_channel(tracker: Tracker) -> bool:
    return tracker.get_latest_input_channel() in STAFF_CHANNELS


def in_tokenless_channel(tracker: Tracker) -> bool:
    """A driver channel that never carries a driver token (KakaoTalk): no 본인확인 there."""
    return tracker.get_latest_input_channel() in TOKENLESS_CHANNELS


def entity_values(tracker: Tracker, entity: str) -> List[str]:
    """Values of one entity type in the latest message, in order, without repeats."""
    values: List[str] = []
    for found in tracker.latest_message.get("entities", []) or []:
        if found.get("entity") == entity and found.get("value") not in values:
            values.append(found.get("value"))
    return values


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def driver_token(tracker: Tracker) -> Optional[str]:
    """The driver token the channel passed with the *current* message (CONTRACT §4)."""
    metadata = tracker.latest_message.get("metadata") or {}
    token = metadata.get(TOKEN_METADATA_KEY)
    return token if isinstance(token, str) else None


def driver_messages(tracker: Tracker) -> List[str]:
    return [
        event.get("text") or ""
        for event in tracker.events
        if event.get("event") == "user" and not (event.get("text") or "").startswith("/")
    ]


def driver_intents(tracker: Tracker) -> List[Optional[str]]:
    """The intent of each of the driver's messages, in order (buttons' payloads included)."""
    return [
        ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        for event in tracker.events
        if event.get("event") == "user"
    ]


async def run_blocking(function: Callable[..., T], *args: Any) -> T:
    """Database calls run in a thread: a blocking call would stall the whole action server. The
    thread sees this call's context (the conversation its log lines name: consignment/json_logs.py)."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(
        None, functools.partial(context.run, function, *args)
    )


def offer_rating(dispatcher, tracker: Tracker) -> None:
    """도움이 됐어요 / 아쉬워요 under an answer that ends a topic: to drivers, outside a form."""
    if in_staff_channel(tracker) or (tracker.active_loop or {}).get("name"):
        return
    dispatcher.utter_message(response="utter_rate_answer")
