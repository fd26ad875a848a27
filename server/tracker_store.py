"""Conversations stored in SQL with phone numbers masked and driver tokens removed.

CONTRACT §4: stored conversations never hold a full phone number or a token. The driver's
messages reach the NLU and the actions unchanged during the turn (the lookup needs them); only
what is written to the store is redacted, so every later read — the next turn, the REST API's
tracker endpoint, an agent's transcript — sees the redacted copy. A configured event broker
(endpoints.yml `event_broker`) receives the same redacted events, as they are stored.
"""
from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Text

import sqlalchemy as sa
import sqlalchemy.orm

from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.exceptions import RasaException
from rasa.shared.core.trackers import DialogueStateTracker

from consignment.identity import TOKEN_METADATA_KEY, mask_tokens_in
from consignment.phone import mask_phone_numbers_in

logger = logging.getLogger(__name__)

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
        return mask_tokens_in(mask_phone_numbers_in(value))
    return value


class RedactingSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store, redacting what it writes, and off the event loop.

    Rasa 3.6's SQL store runs synchronous SQLAlchemy on the event loop: while one tracker is read
    or written, every other driver waits. Here each read and write runs in a worker thread (each
    with its own session), so the loop keeps answering; the events table gets the index its
    per-conversation queries need.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("dialect", "sqlite") == "sqlite" and kwargs.get("db"):
            Path(kwargs["db"]).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 opens a new SQLite connection per session (NullPool): keep a few
            self.engine = sa.create_engine(
                self.engine.url, poolclass=sa.pool.QueuePool, pool_size=4, max_overflow=4,
                connect_args={"check_same_thread": False},
            )
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
            _write_ahead_log(self.engine)
        _ensure_index(self.engine, self.SQLEvent.__table__)

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        events = await asyncio.to_thread(self._stored_events, sender_id, fetch_events_from_all_sessions)
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _stored_events(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> List[Dict[str, Any]]:
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).all()
            return [json.loads(row.data) for row in rows]

    async def keys(self) -> Iterable[Text]:
        return await asyncio.to_thread(self._sender_ids)

    def _sender_ids(self) -> List[Text]:
        with self.session_scope() as session:
            return [sender_id for (sender_id,) in session.query(self.SQLEvent.sender_id).distinct().all()]

    async def save(self, tracker: DialogueStateTracker) -> None:
        stored = await asyncio.to_thread(self._store_new_events, tracker)
        if self.event_broker is not None:  # the broker gets what the store keeps, in order
            for data in stored:
                self.event_broker.publish({"sender_id": tracker.sender_id, **data})

    def _store_new_events(self, tracker: DialogueStateTracker) -> List[Dict[str, Any]]:
        stored: List[Dict[str, Any]] = []
        with self.session_scope() as session:
            rows = []
            for event in self._additional_events(session, tracker):
                data = redact(event.as_dict())
                stored.append(data)
                rows.append({
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                })
            if rows:  # one INSERT for the turn's events, not one statement an event
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
        return stored


def _write_ahead_log(engine) -> None:
    """The embedded SQLite store: a write-ahead log, synced at checkpoints rather than at every
    commit (a turn's commit was a third of the Rasa process's time under load, py-spy); readers
    no longer wait for a writer. A crash loses at most the last turns, never the file."""
    def configure(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    sa.event.listen(engine, "connect", configure)


def _ensure_index(engine, events) -> None:
    """(sender_id, type_name, timestamp): a conversation's events, its latest session start,
    and — for the CS lead's numbers — events of one type in a time range. Several processes
    may start together: an index another one just created is fine."""
    indexes = (
        sa.Index("ix_events_sender_type_time", events.c.sender_id, events.c.type_name, events.c.timestamp),
        sa.Index("ix_events_type_time", events.c.type_name, events.c.timestamp),
        sa.Index("ix_events_action_time", events.c.action_name, events.c.timestamp),  # e.g. the Q3 outcomes
    )
    for each in indexes:
        try:
            each.create(engine, checkfirst=True)
        except sa.exc.SQLAlchemyError:
            pass


class ConversationsUnavailable(RasaException):
    """The conversation database cannot be reached: the turn fails, and the channel apologises."""


def _never_from_memory(method_name: str):
    """FailSafeTrackerStore's method, without its fall-back to an empty in-memory tracker."""
    original = getattr(FailSafeTrackerStore, method_name)

    async def without_fallback(self, *args: Any, **kwargs: Any):
        try:
            return await getattr(self._tracker_store, method_name)(*args, **kwargs)
        except Exception as error:
            logger.error("conversation store unavailable (%s): the turn fails, nothing is made up",
                         type(error).__name__)
            raise ConversationsUnavailable(type(error).__name__) from error

    without_fallback.__wrapped__ = original  # type: ignore[attr-defined]
    return without_fallback


def install() -> None:
    """Rasa wraps the configured tracker store in FailSafeTrackerStore, which — when the database
    is down — hands out an empty in-memory conversation and keeps the turn there: the driver
    mid-Q3 would be answered as a stranger and their answers lost. With PostgreSQL down a turn
    must fail (the channel says sorry, the client may retry), never continue from nothing."""
    for name in ("retrieve", "retrieve_full_tracker", "save"):
        if not hasattr(getattr(FailSafeTrackerStore, name), "__wrapped__"):
            setattr(FailSafeTrackerStore, name, _never_from_memory(name))
