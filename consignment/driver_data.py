"""A driver's rights over what the assistant keeps about them (CONTRACT §4): export and erasure.

What is the driver's: the conversations they hold (consignment/conversation_holders.py — the
driver a correctly signed token named when the conversation started, on REST and the widget)
with their messages and ratings; those conversations' handoffs, the staff actions on them and the
agents' suggestions made from them; the driver's failed 본인확인; the lookups of that driver;
earlier export and erasure requests. A conversation where someone only typed a driver's name and
phone, without that driver's token, is not theirs: nothing ties it to them but what was typed.

Not here: the admin's records (suspensions, customer blocks) — the platform's own, read-only to
the assistant, with their own process (docs/privacy.md) — and other drivers' data.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List

from consignment import conversation_events
from consignment.assist_store import AssistStore
from consignment.clock import ASSIST_STORE_ZONE, aware
from consignment.conversation_holders import ConversationHolders


def export(driver_id: str, events_engine, store: AssistStore, holders: ConversationHolders) -> Dict[str, Any]:
    """Everything held about the driver, as JSON-ready data."""
    conversations: List[Dict[str, Any]] = []
    ratings: List[Dict[str, Any]] = []
    held = holders.held_by(driver_id)
    for conversation in held:
        stored = conversation_events.conversation_of(events_engine, conversation["conversation_id"])
        conversations.append({
            "conversation_id": conversation["conversation_id"],
            "channel": conversation["channel"],
            "held_since": aware(conversation["held_since"], ASSIST_STORE_ZONE).isoformat(),
            "messages": stored["messages"],
        })
        ratings += [{"conversation_id": conversation["conversation_id"], **rating} for rating in stored["ratings"]]
    return {
        "driver_id": driver_id,
        "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "conversations": conversations,
        "ratings": ratings,
        **store.driver_records(driver_id, [c["conversation_id"] for c in held]),
    }


def counts(export_data: Dict[str, Any]) -> str:
    """What an export held, in numbers (its audit line: never a text)."""
    audit = export_data["audit"]
    return (f"conversations {len(export_data['conversations'])} handoffs {len(export_data['handoffs'])} "
            f"failed_identity_checks {len(export_data['failed_identity_checks'])} "
            f"audit {sum(len(rows) for rows in audit.values())}")


def erase_records(driver_id: str, conversation_ids: List[str], events_erased: int, lead_id: str,
                  store: AssistStore, holders: ConversationHolders) -> Dict[str, int]:
    """After the conversations' events are gone (the caller holds each one's lock while it
    deletes them): the assist store's rows about the driver, then the holders. Run again after a
    failure, it finds what is left and finishes."""
    removed = store.erase_driver(driver_id, conversation_ids, lead_id,
                                 f"conversations {len(conversation_ids)} events {events_erased}")
    holders.forget(conversation_ids)
    return {"conversations": len(conversation_ids), "events": events_erased, **removed}
