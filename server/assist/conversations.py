"""Reading and writing a driver's conversation (Rasa's tracker store) for the assist API.

Reads are the caller's to audit (server/assist/handoffs.py, server/assist/suggestions.py); what
is read is the stored copy, redacted by server/tracker_store.py, and masked again here so that
a text stored before a redaction rule existed never reaches an agent with a phone or a token.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import EventVerbosity

from consignment.identity import mask_tokens_in
from consignment.phone import mask_phone_numbers_in


def _masked(text: str) -> str:
    return mask_tokens_in(mask_phone_numbers_in(text))


async def state(agent, conversation_id: str) -> Optional[Dict[str, Any]]:
    """The conversation's state (slots, active form, latest intent); never written."""
    tracker = await agent.tracker_store.retrieve(conversation_id)
    if tracker is None:
        return None
    return tracker.current_state(EventVerbosity.NONE)


async def transcript(agent, conversation_id: str) -> List[Dict[str, Any]]:
    """The conversation's messages as stored: [{"from": driver|bot|agent, "text", "timestamp"}]."""
    tracker = await agent.tracker_store.retrieve(conversation_id)
    if tracker is None:
        return []
    lines = []
    for event in tracker.events:
        if isinstance(event, UserUttered) and event.text:
            lines.append({"from": "driver", "text": _masked(event.text), "timestamp": event.timestamp})
        elif isinstance(event, BotUttered) and event.text:
            who = "agent" if (event.metadata or {}).get("agent_id") else "bot"
            lines.append({"from": who, "text": _masked(event.text), "timestamp": event.timestamp})
    return lines


def fingerprint(lines: List[Dict[str, Any]]) -> str:
    """What an audit row says was read: how many messages, up to when (no text)."""
    last = lines[-1]["timestamp"] if lines else 0
    return f"{len(lines)} messages to {last:.3f}"


async def append(agent, conversation_id: str, events: list) -> None:
    async with agent.lock_store.lock(conversation_id):
        tracker = await agent.tracker_store.retrieve(conversation_id)
        if tracker is None:
            return
        for event in events:
            tracker.update(event)
        await agent.tracker_store.save(tracker)


async def deliver_agent_reply(agent, conversation_id: str, agent_id: str, text: str) -> bool:
    """Puts the agent's reply in the driver's conversation and pushes it to the widget."""
    await append(agent, conversation_id, [BotUttered(text, metadata={"agent_id": agent_id})])
    try:
        from server.widget_channel import send_to_driver
    except ImportError:  # no widget channel: the reply is in the transcript only
        return False
    return await send_to_driver(conversation_id, text)
