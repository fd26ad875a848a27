"""Conversations stored in SQL with phone numbers masked and driver tokens removed.

CONTRACT §4: stored conversations never hold a full phone number or a token. The driver's
messages reach the NLU and the actions unchanged during the turn (the lookup needs them); only
what is written to the store is redacted, so every later read — the next turn, the REST API's
tracker endpoint, an agent's transcript — sees the redacted copy. A configured event broker
(endpoints.yml `event_broker`) receives the same redacted events, as they are stored.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from consignment.identity import TOKEN_METADATA_KEY
from consignment.phone import mask_phone_numbers_in

REDACTED = "[redacted]"


def redact(value: Any) -> Any:
    """A copy of an event's dict with tokens dropped and phone numbers masked, at any depth."""
    if isinstance(value, dict):
        return {
            key: REDACTED if key == TOKEN_METADATA_KEY else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return mask_phone_numbers_in(value)
    return value


class RedactingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("dialect", "sqlite") == "sqlite" and kwargs.get("db"):
            Path(kwargs["db"]).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(*args, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
            for event in new_events:
                data = redact(event.as_dict())
                if self.event_broker is not None:  # the broker gets what the store keeps
                    self.event_broker.publish({"sender_id": tracker.sender_id, **data})
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
