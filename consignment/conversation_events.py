"""Drivers' conversations as Rasa's SQL tracker store keeps them (table `events`), for the lead's
numbers (consignment/analytics.py), a driver's export and erasure, and the retention purge.

Plain SQL on SQLite and PostgreSQL, no Rasa: the purge runs in its own process (a CronJob, `make
purge`) beside the serving ones. The rows are what server/tracker_store.py wrote: phone numbers
masked, tokens removed; what leaves here is masked once more (a row older than a masking rule).
"""
from __future__ import annotations

import json
import uuid
from typing import Any, Dict, Iterable, List, Optional, Sequence

import sqlalchemy as sa

from consignment.identity import mask_tokens_in
from consignment.phone import mask_phone_numbers_in

# Rasa's events table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent)
events = sa.Table(
    "events", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

RATINGS = {"rate_helpful": "up", "rate_unhelpful": "down"}
# Ratings outlive their conversation, anonymised: each under a new random sender id (so the lead's
# numbers still count one a conversation), with no text, message id or metadata, and the hour only.
# No channel continues such an id: a widget id is 32 hex, and REST refuses a conversation whose
# messages are not its holder's.
ANONYMISED_PREFIX = "~rating-"
HOUR_S = 3600
# SQL's IN list, kept well under SQLite's 999 parameters
CHUNK = 400


def _masked(text: str) -> str:
    return mask_tokens_in(mask_phone_numbers_in(text))


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


# ── a driver's conversations ─────────────────────────────────────────────────

def conversation_of(engine: sa.engine.Engine, conversation_id: str) -> Dict[str, Any]:
    """A conversation's messages (every session) and ratings, as a driver's export shows them:
    [{"from": driver|bot|agent, "text", "timestamp"}], [{"rating": up|down, "timestamp"}]. An agent's
    reply says "agent" (which agent is the platform's record, in the audit)."""
    messages: List[Dict[str, Any]] = []
    ratings: List[Dict[str, Any]] = []
    query = (sa.select(events.c.type_name, events.c.intent_name, events.c.data)
             .where((events.c.sender_id == conversation_id) & events.c.type_name.in_(("user", "bot")))
             .order_by(events.c.id))
    with engine.connect() as conn:
        for type_name, intent, data in conn.execute(query):
            event = json.loads(data)
            stamp = event.get("timestamp")
            if type_name == "user" and intent in RATINGS:
                ratings.append({"rating": RATINGS[intent], "timestamp": stamp})
            elif event.get("text"):
                who = "driver" if type_name == "user" else (
                    "agent" if (event.get("metadata") or {}).get("agent_id") else "bot")
                messages.append({"from": who, "text": _masked(event["text"]), "timestamp": stamp})
    return {"messages": messages, "ratings": ratings}


def erase_conversation(engine: sa.engine.Engine, conversation_id: str) -> int:
    """Every event of the conversation, of every session: its state is gone (the next message
    starts afresh). The number of events deleted."""
    with engine.begin() as conn:
        return conn.execute(events.delete().where(events.c.sender_id == conversation_id)).rowcount or 0


def with_events(engine: sa.engine.Engine, conversation_ids: Sequence[str]) -> set:
    """Which of these conversations still have an event."""
    found: set = set()
    with engine.connect() as conn:
        for chunk in _chunks(list(conversation_ids)):
            found.update(conn.execute(sa.select(events.c.sender_id).where(
                events.c.sender_id.in_(chunk)).distinct()).scalars())
    return found


# ── retention (consignment/retention.py) ─────────────────────────────────────

def _kept(keep: Sequence[str]):
    """Conversations the purge leaves alone: an unresolved handoff's (an agent is on it)."""
    condition = events.c.sender_id.notlike(ANONYMISED_PREFIX + "%")
    if keep:
        condition = condition & events.c.sender_id.notin_(list(keep))
    return condition


def anonymise_ratings_before(engine: sa.engine.Engine, cutoff: float, keep: Sequence[str], batch: int) -> int:
    """Ratings older than `cutoff` leave their conversation before it is deleted: the rating and
    its hour stay for the lead's numbers, nothing else (not the conversation, not the minute)."""
    changed = 0
    while True:
        with engine.begin() as conn:
            rows = conn.execute(
                sa.select(events.c.id, events.c.sender_id, events.c.intent_name, events.c.timestamp)
                .where((events.c.type_name == "user") & events.c.intent_name.in_(list(RATINGS))
                       & (events.c.timestamp < cutoff) & _kept(keep))
                .limit(batch)).all()
            anonymous: Dict[str, str] = {}  # one new id a conversation
            for row_id, sender, intent, stamp in rows:
                hour = float(int(stamp // HOUR_S) * HOUR_S)
                data = {"event": "user", "timestamp": hour, "text": f"/{intent}",
                        "parse_data": {"intent": {"name": intent}, "entities": []}}
                conn.execute(events.update().where(events.c.id == row_id).values(
                    sender_id=anonymous.setdefault(sender, ANONYMISED_PREFIX + uuid.uuid4().hex),
                    timestamp=hour, action_name=None, data=json.dumps(data)))
        changed += len(rows)
        if len(rows) < batch:
            return changed


def delete_before(engine: sa.engine.Engine, cutoff: float, keep: Sequence[str], batch: int) -> int:
    """Events older than `cutoff`, a batch a transaction. A conversation in use keeps its current
    session: a session ends after an hour without a message, long before any retention."""
    return _delete_batches(engine, (events.c.timestamp < cutoff) & _kept(keep), batch)


def delete_anonymised_ratings_before(engine: sa.engine.Engine, cutoff: float, batch: int) -> int:
    return _delete_batches(
        engine, events.c.sender_id.like(ANONYMISED_PREFIX + "%") & (events.c.timestamp < cutoff), batch)


def _delete_batches(engine: sa.engine.Engine, condition, batch: int) -> int:
    deleted = 0
    while True:
        with engine.begin() as conn:
            ids = list(conn.execute(sa.select(events.c.id).where(condition).limit(batch)).scalars())
            if ids:
                conn.execute(events.delete().where(events.c.id.in_(ids)))
        deleted += len(ids)
        if len(ids) < batch:
            return deleted


def oldest_event(engine: sa.engine.Engine) -> Optional[float]:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.min(events.c.timestamp)).where(
            events.c.sender_id.notlike(ANONYMISED_PREFIX + "%"))).scalar()
