"""What agent assist remembers: suggestions, agents' feedback on them, and the lookup audit.

Kept apart from the admin database (which is the admin's, read-only to us): ASSIST_DB_URL, by
default SQLite var/assist.db. Texts are stored with phone numbers and pasted tokens masked.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
import uuid
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa

from consignment import settings
from consignment.clock import ASSIST_STORE_ZONE, aware
from consignment.identity import mask_tokens_in
from consignment.phone import mask_phone_numbers_in
from consignment.sql import create_engine

metadata = sa.MetaData()

suggestions = sa.Table(
    "assist_suggestions",
    metadata,
    sa.Column("suggestion_id", sa.String(36), primary_key=True),
    sa.Column("agent_id", sa.String(64), nullable=False),
    sa.Column("conversation_id", sa.String(128)),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("intent", sa.String(64)),
    sa.Column("confidence", sa.Float),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

feedback = sa.Table(
    "assist_feedback",
    metadata,
    sa.Column("feedback_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("suggestion_id", sa.String(36), sa.ForeignKey("assist_suggestions.suggestion_id"), nullable=False),
    sa.Column("agent_id", sa.String(64), nullable=False),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("corrected_intent", sa.String(64)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

lookup_audit = sa.Table(
    "assist_lookup_audit",
    metadata,
    sa.Column("audit_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("agent_id", sa.String(64), nullable=False),
    sa.Column("driver_id", sa.String(16)),
    sa.Column("query", sa.String(64), nullable=False),  # "driver_id" or masked phone
    sa.Column("result", sa.String(32), nullable=False),
    sa.Column("looked_up_at", sa.DateTime(timezone=True), nullable=False),
)

handoffs = sa.Table(
    "assist_handoffs",
    metadata,
    sa.Column("handoff_id", sa.String(36), primary_key=True),
    sa.Column("conversation_id", sa.String(128), nullable=False, index=True),
    sa.Column("input_channel", sa.String(32)),
    sa.Column("packet", sa.Text, nullable=False),  # JSON, phone numbers masked, no token
    sa.Column("status", sa.String(16), nullable=False),  # open | taken | resolved
    sa.Column("agent_id", sa.String(64)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("taken_at", sa.DateTime(timezone=True)),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    # one unresolved handoff per conversation, even when two processes hand it over at once
    sa.Index("ux_assist_handoffs_one_open", "conversation_id", unique=True,
             postgresql_where=sa.text("status <> 'resolved'"), sqlite_where=sa.text("status <> 'resolved'")),
)

identity_failures = sa.Table(
    "identity_failures",
    metadata,
    # a failed 본인확인 (valid token, name or phone not the record's): counted per driver so that
    # the limit holds across processes and restarts (CONTRACT §4, ASVS V2.2.1)
    sa.Column("failure_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("driver_id", sa.String(64), nullable=False),
    sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_identity_failures_driver_time", "driver_id", "failed_at"),
)

identity_check_turns = sa.Table(
    "identity_check_turns",
    metadata,
    # one row per driver, locked while a 본인확인 of that driver reserves its attempt: counting the
    # failures and writing the next one is then one step, in every process (see reserve_identity_check)
    sa.Column("driver_id", sa.String(64), primary_key=True),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
)

revoked_agent_tokens = sa.Table(
    "revoked_agent_tokens",
    metadata,
    # agent tokens that no longer open anything (a lost laptop, an agent who left): by token id
    sa.Column("token_id", sa.String(64), primary_key=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note", sa.String(200)),
)

agent_audit = sa.Table(
    "assist_agent_audit",
    metadata,
    # what agents did to drivers' conversations: take, reply, transfer, resolve, and every read
    # of one (action "read", detail: how and what was read, never a text) — who, whom, when
    sa.Column("audit_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("agent_id", sa.String(64), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("handoff_id", sa.String(36), nullable=False),
    sa.Column("conversation_id", sa.String(128), nullable=False),
    sa.Column("detail", sa.String(200)),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

privacy_requests = sa.Table(
    "privacy_requests",
    metadata,
    # a lead's export or erasure of a driver's data (CONTRACT §4): who, whom, when, and what was
    # counted — numbers only. An erasure's row is all that stays of the driver here.
    sa.Column("request_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("lead_id", sa.String(64), nullable=False),
    sa.Column("driver_id", sa.String(64), nullable=False, index=True),
    sa.Column("action", sa.String(16), nullable=False),  # export | erase
    sa.Column("detail", sa.String(200)),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
)

VERDICTS = ("used", "edited", "rejected")
OPEN, TAKEN, RESOLVED = "open", "taken", "resolved"


class AssistStore:
    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url or settings.assist_db_url()
        if self.url.startswith("sqlite:///"):
            os.makedirs(os.path.dirname(self.url[len("sqlite:///"):]) or ".", exist_ok=True)
        self.engine = create_engine(self.url)  # WAL when SQLite: per-turn reads never wait (consignment/sql.py)
        metadata.create_all(self.engine)
        for table in metadata.sorted_tables:  # indexes added since a table was first created
            for index in table.indexes:
                try:
                    index.create(self.engine, checkfirst=True)
                except sa.exc.SQLAlchemyError:  # another process created it meanwhile
                    pass

    def record_suggestion(self, agent_id: str, conversation_id: Optional[str], text: str, intent: Optional[str], confidence: Optional[float]) -> str:
        suggestion_id = str(uuid.uuid4())
        with self.engine.begin() as conn:
            conn.execute(suggestions.insert().values(
                suggestion_id=suggestion_id, agent_id=agent_id, conversation_id=conversation_id,
                text=_masked(text), intent=intent, confidence=confidence, created_at=_now()))
        return suggestion_id

    def record_feedback(self, suggestion_id: str, agent_id: str, verdict: str, corrected_intent: Optional[str]) -> bool:
        """False when the suggestion does not exist."""
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(suggestions.c.suggestion_id).where(suggestions.c.suggestion_id == suggestion_id)).first()
            if not exists:
                return False
            conn.execute(feedback.insert().values(
                suggestion_id=suggestion_id, agent_id=agent_id, verdict=verdict,
                corrected_intent=corrected_intent, created_at=_now()))
        return True

    def audit_lookup(self, agent_id: str, driver_id: Optional[str], query: str, result: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(lookup_audit.insert().values(
                agent_id=agent_id, driver_id=driver_id, query=query, result=result, looked_up_at=_now()))

    def audit_rows(self) -> List[Dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(lookup_audit).order_by(lookup_audit.c.audit_id)).mappings()]

    # ── 본인확인 failures ───────────────────────────────────────────────────────
    def identity_failures_since(self, driver_id: str, since: dt.datetime) -> int:
        with self.engine.connect() as conn:
            return self._failures_since(conn, driver_id, _utc(since))

    def record_identity_failure(self, driver_id: str, at: dt.datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(identity_failures.insert().values(driver_id=driver_id, failed_at=_utc(at)))

    def reserve_identity_check(self, driver_id: str, at: dt.datetime, window: dt.timedelta, limit: int) -> Optional[int]:
        """One of the driver's `limit` checks in the `window` before `at`, taken in one atomic step:
        a failure written before the check is evaluated (its id is returned), or None when `limit`
        failures are already in the window. Reading the count and then writing a failure would let
        parallel conversations with one token guess more than `limit` times; here the driver's row
        of identity_check_turns is locked first (PostgreSQL: a row lock; SQLite: the database's
        write lock), so one driver's checks pass this step one at a time, in every process. A check
        that succeeds, or is never evaluated, gives its failure back (release_identity_check)."""
        at = _utc(at)
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    locked = conn.execute(identity_check_turns.update().where(
                        identity_check_turns.c.driver_id == driver_id).values(checked_at=at)).rowcount
                    if not locked:  # the driver's first check: the row (a racing insert fails below)
                        conn.execute(identity_check_turns.insert().values(driver_id=driver_id, checked_at=at))
                    if self._failures_since(conn, driver_id, at - window) >= limit:
                        return None
                    return conn.execute(identity_failures.insert().values(
                        driver_id=driver_id, failed_at=at)).inserted_primary_key[0]
            except sa.exc.IntegrityError:  # another process created the driver's row first: lock that
                if attempt == 2:
                    raise
        return None  # not reached

    def release_identity_check(self, reservation: int) -> None:
        """The reserved attempt was not a failure (the check passed, or never ran)."""
        with self.engine.begin() as conn:
            conn.execute(identity_failures.delete().where(identity_failures.c.failure_id == reservation))

    @staticmethod
    def _failures_since(conn, driver_id: str, since: dt.datetime) -> int:
        return conn.execute(
            sa.select(sa.func.count()).select_from(identity_failures).where(
                (identity_failures.c.driver_id == driver_id) & (identity_failures.c.failed_at > since)
            )
        ).scalar_one()

    # ── handoffs ──────────────────────────────────────────────────────────────
    def open_handoff(self, conversation_id: str, input_channel: Optional[str], packet: Dict[str, Any]) -> str:
        """Records a handoff; a conversation already waiting keeps its one open record (the
        unique index decides when two processes hand the same conversation over at once)."""
        stored = _masked(json.dumps(packet, ensure_ascii=False))
        handoff_id = str(uuid.uuid4())
        try:
            with self.engine.begin() as conn:
                conn.execute(handoffs.insert().values(
                    handoff_id=handoff_id, conversation_id=conversation_id, input_channel=input_channel,
                    packet=stored, status=OPEN, created_at=_now()))
            return handoff_id
        except sa.exc.IntegrityError:
            with self.engine.begin() as conn:
                existing = conn.execute(sa.select(handoffs.c.handoff_id).where(
                    (handoffs.c.conversation_id == conversation_id) & (handoffs.c.status != RESOLVED))).first()
                if existing is None:  # resolved in the meantime: a new one
                    return self.open_handoff(conversation_id, input_channel, packet)
                conn.execute(handoffs.update().where(handoffs.c.handoff_id == existing[0]).values(packet=stored))
                return existing[0]

    def has_open_handoff(self, conversation_id: str) -> bool:
        """An agent owns (or is about to own) the conversation: open or taken, not resolved."""
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(handoffs.c.handoff_id).where(
                    (handoffs.c.conversation_id == conversation_id) & (handoffs.c.status != RESOLVED)
                )
            ).first() is not None

    def waiting_handoffs(self) -> Tuple[int, Optional[dt.datetime]]:
        """How many handoffs are open or taken, and when the oldest of them was opened (the
        queue's depth and age, for the metrics)."""
        with self.engine.connect() as conn:
            count, oldest = conn.execute(
                sa.select(sa.func.count(), sa.func.min(handoffs.c.created_at)).where(handoffs.c.status != RESOLVED)
            ).one()
        return int(count), (_utc(oldest) if oldest is not None else None)

    def handoffs(self, include_resolved: bool = False) -> List[Dict[str, Any]]:
        query = sa.select(handoffs).order_by(handoffs.c.created_at)
        if not include_resolved:
            query = query.where(handoffs.c.status != RESOLVED)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        for row in rows:
            row["packet"] = json.loads(row["packet"])
        return rows

    def handoff(self, handoff_id: str) -> Optional[Dict[str, Any]]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(handoffs).where(handoffs.c.handoff_id == handoff_id)).mappings().first()
        if row is None:
            return None
        row = dict(row)
        row["packet"] = json.loads(row["packet"])
        return row

    def take_handoff(self, handoff_id: str, agent_id: str) -> bool:
        """An open handoff becomes the agent's; False if it is not open (taken or resolved)."""
        return self._change_handoff(
            handoff_id, agent_id, "take", handoffs.c.status == OPEN,
            status=TAKEN, agent_id=agent_id, taken_at=_now(),
        )

    def transfer_handoff(self, handoff_id: str, agent_id: str, to_agent: str) -> bool:
        """The owner hands a taken conversation to another agent (the only way it changes hands)."""
        return self._change_handoff(
            handoff_id, agent_id, "transfer", (handoffs.c.status == TAKEN) & (handoffs.c.agent_id == agent_id),
            detail=f"to {to_agent}", agent_id=to_agent,
        )

    def resolve_handoff(self, handoff_id: str, agent_id: str) -> bool:
        """The owner ends a taken conversation; False unless it is theirs and not yet resolved."""
        return self._change_handoff(
            handoff_id, agent_id, "resolve", (handoffs.c.status == TAKEN) & (handoffs.c.agent_id == agent_id),
            status=RESOLVED, resolved_at=_now(),
        )

    def taken_handoff(self, conversation_id: str, agent_id: str) -> Optional[Dict[str, Any]]:
        """The conversation's handoff if this agent holds it (taken, not resolved), else None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(handoffs).where(
                (handoffs.c.conversation_id == conversation_id) & (handoffs.c.status == TAKEN)
                & (handoffs.c.agent_id == agent_id))).mappings().first()
        if row is None:
            return None
        row = dict(row)
        row["packet"] = json.loads(row["packet"])
        return row

    def audit_read(self, handoff_id: str, agent_id: str, conversation_id: str, detail: str) -> None:
        """A read of a driver's conversation by staff. A read identical to this agent's previous
        read of the same handoff (same way, same content) is already accounted for by that row:
        a console refreshing an unchanged conversation every few seconds adds no rows."""
        with self.engine.begin() as conn:
            previous = conn.execute(
                sa.select(agent_audit.c.action, agent_audit.c.detail)
                .where((agent_audit.c.handoff_id == handoff_id) & (agent_audit.c.agent_id == agent_id))
                .order_by(agent_audit.c.audit_id.desc()).limit(1)
            ).first()
            if previous is not None and tuple(previous) == ("read", detail[:200]):
                return
            conn.execute(agent_audit.insert().values(
                agent_id=agent_id, action="read", handoff_id=handoff_id, conversation_id=conversation_id,
                detail=detail[:200], at=_now()))

    def release_handoff(self, handoff_id: str, lead_id: str) -> bool:
        """A lead puts a taken handoff back in the queue; False unless it is taken."""
        return self._change_handoff(
            handoff_id, lead_id, "release", handoffs.c.status == TAKEN,
            detail="back to the queue", status=OPEN, agent_id=None, taken_at=None,
        )

    def audit_reply(self, handoff_id: str, agent_id: str, conversation_id: str, delivered: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(agent_audit.insert().values(
                agent_id=agent_id, action="reply", handoff_id=handoff_id, conversation_id=conversation_id,
                detail="delivered" if delivered else "stored", at=_now()))

    def _change_handoff(self, handoff_id: str, actor: str, action: str, condition, detail: Optional[str] = None,
                        **values: Any) -> bool:
        """One guarded update and its audit row, in one transaction: both or neither."""
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(handoffs.c.conversation_id).where(handoffs.c.handoff_id == handoff_id)).first()
            if row is None:
                return False
            result = conn.execute(handoffs.update().where((handoffs.c.handoff_id == handoff_id) & condition).values(**values))
            if result.rowcount != 1:
                return False
            conn.execute(agent_audit.insert().values(
                agent_id=actor, action=action, handoff_id=handoff_id, conversation_id=row[0],
                detail=detail, at=_now()))
        return True

    def agent_audit_rows(self) -> List[Dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(agent_audit).order_by(agent_audit.c.audit_id)).mappings()]

    # ── agent tokens ──────────────────────────────────────────────────────────
    def revoke_agent_token(self, token_id: str, note: Optional[str] = None) -> None:
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(revoked_agent_tokens.c.token_id).where(
                revoked_agent_tokens.c.token_id == token_id)).first()
            if not exists:
                conn.execute(revoked_agent_tokens.insert().values(token_id=token_id, revoked_at=_now(), note=note))

    def is_agent_token_revoked(self, token_id: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(revoked_agent_tokens.c.token_id).where(
                revoked_agent_tokens.c.token_id == token_id)).first() is not None

    # ── a driver's data: export and erasure (consignment/driver_data.py) ──────
    def driver_records(self, driver_id: str, conversation_ids: List[str]) -> Dict[str, Any]:
        """What this store holds about the driver: by driver id (failed 본인확인, lookups, privacy
        requests) and by their conversations (handoffs, staff actions on them, suggestions)."""
        ids = list(conversation_ids)
        with self.engine.connect() as conn:
            def rows(query) -> List[Dict[str, Any]]:
                return [_plain(dict(r)) for r in conn.execute(query).mappings()]

            in_conversations = lambda column: column.in_(ids) if ids else sa.false()  # noqa: E731
            handoff_rows = rows(sa.select(handoffs).where(in_conversations(handoffs.c.conversation_id))
                                .order_by(handoffs.c.created_at))
            for row in handoff_rows:
                row["packet"] = json.loads(row["packet"])
            suggestion_rows = rows(sa.select(suggestions).where(in_conversations(suggestions.c.conversation_id))
                                   .order_by(suggestions.c.created_at))
            verdicts = rows(sa.select(feedback).where(feedback.c.suggestion_id.in_(
                [r["suggestion_id"] for r in suggestion_rows])).order_by(feedback.c.feedback_id))
            for row in suggestion_rows:
                row["feedback"] = [v for v in verdicts if v["suggestion_id"] == row["suggestion_id"]]
            return {
                "handoffs": handoff_rows,
                "failed_identity_checks": rows(
                    sa.select(identity_failures.c.failed_at).where(identity_failures.c.driver_id == driver_id)
                    .order_by(identity_failures.c.failed_at)),
                "agent_suggestions": suggestion_rows,
                "audit": {
                    "lookups": rows(sa.select(lookup_audit).where(lookup_audit.c.driver_id == driver_id)
                                    .order_by(lookup_audit.c.audit_id)),
                    "agent_actions": rows(sa.select(agent_audit).where(in_conversations(agent_audit.c.conversation_id))
                                          .order_by(agent_audit.c.audit_id)),
                    "privacy_requests": rows(sa.select(privacy_requests).where(privacy_requests.c.driver_id == driver_id)
                                             .order_by(privacy_requests.c.request_id)),
                },
            }

    def erase_driver(self, driver_id: str, conversation_ids: List[str], lead_id: str, detail: str) -> Dict[str, int]:
        """Everything driver_records finds, deleted in one transaction with the one row that
        stays: this erasure (who, whom, when, the counts). The counts of what was deleted."""
        ids = list(conversation_ids)
        removed: Dict[str, int] = {}
        with self.engine.begin() as conn:
            def delete(name: str, table, condition) -> None:
                removed[name] = removed.get(name, 0) + (conn.execute(table.delete().where(condition)).rowcount or 0)

            if ids:
                picked = sa.select(suggestions.c.suggestion_id).where(suggestions.c.conversation_id.in_(ids))
                delete("suggestions", feedback, feedback.c.suggestion_id.in_(picked))
                delete("suggestions", suggestions, suggestions.c.conversation_id.in_(ids))
                delete("audit", agent_audit, agent_audit.c.conversation_id.in_(ids))
                delete("handoffs", handoffs, handoffs.c.conversation_id.in_(ids))
            delete("failed_identity_checks", identity_failures, identity_failures.c.driver_id == driver_id)
            delete("failed_identity_checks", identity_check_turns, identity_check_turns.c.driver_id == driver_id)
            delete("audit", lookup_audit, lookup_audit.c.driver_id == driver_id)
            delete("audit", privacy_requests, privacy_requests.c.driver_id == driver_id)
            conn.execute(privacy_requests.insert().values(
                lead_id=lead_id, driver_id=driver_id, action="erase",
                detail=(detail + " " + " ".join(f"{k} {v}" for k, v in sorted(removed.items()))).strip()[:200],
                at=_now()))
        return removed

    def record_privacy_request(self, lead_id: str, driver_id: str, action: str, detail: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(privacy_requests.insert().values(
                lead_id=lead_id, driver_id=driver_id, action=action, detail=detail[:200], at=_now()))

    # ── retention (consignment/retention.py): a batch a transaction ───────────
    def unresolved_handoff_conversations(self) -> List[str]:
        """Conversations an agent is on (open or taken): the purge keeps them whole."""
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(handoffs.c.conversation_id).where(
                handoffs.c.status != RESOLVED).distinct()).scalars())

    def purge(self, cutoffs: Dict[str, dt.datetime], batch: int) -> Dict[str, int]:
        """Deletes what is past its time: resolved handoffs (by resolution), failed 본인확인,
        audit lines, suggestions with their feedback, revoked token ids. The counts."""
        at = {name: _utc(value) for name, value in cutoffs.items()}
        counts = {
            "handoffs": self._delete_batches(
                handoffs, handoffs.c.handoff_id,
                (handoffs.c.status == RESOLVED) & (handoffs.c.resolved_at < at["handoffs"]), batch),
            "failed_identity_checks": self._delete_batches(
                identity_failures, identity_failures.c.failure_id,
                identity_failures.c.failed_at < at["identity_failures"], batch)
            + self._delete_batches(
                identity_check_turns, identity_check_turns.c.driver_id,
                identity_check_turns.c.checked_at < at["identity_failures"], batch),
            "audit": sum(self._delete_batches(table, key, column < at["audit"], batch) for table, key, column in (
                (lookup_audit, lookup_audit.c.audit_id, lookup_audit.c.looked_up_at),
                (agent_audit, agent_audit.c.audit_id, agent_audit.c.at),
                (privacy_requests, privacy_requests.c.request_id, privacy_requests.c.at))),
            "revoked_tokens": self._delete_batches(
                revoked_agent_tokens, revoked_agent_tokens.c.token_id,
                revoked_agent_tokens.c.revoked_at < at["revoked_tokens"], batch),
        }
        old = sa.select(suggestions.c.suggestion_id).where(suggestions.c.created_at < at["suggestions"])
        counts["suggestions"] = self._delete_batches(
            feedback, feedback.c.feedback_id, feedback.c.suggestion_id.in_(old), batch) + self._delete_batches(
            suggestions, suggestions.c.suggestion_id, suggestions.c.created_at < at["suggestions"], batch)
        return counts

    def _delete_batches(self, table, key, condition, batch: int) -> int:
        deleted = 0
        while True:
            with self.engine.begin() as conn:
                keys = list(conn.execute(sa.select(key).where(condition).limit(batch)).scalars())
                if keys:
                    conn.execute(table.delete().where(key.in_(keys)))
            deleted += len(keys)
            if len(keys) < batch:
                return deleted

    # ── the CS lead's numbers (consignment.analytics) ─────────────────────────
    def handoffs_between(self, begin: float, end: float) -> List[Dict[str, Any]]:
        """Handoffs created in [begin, end) (unix seconds): conversation, time, reason."""
        query = sa.select(handoffs.c.conversation_id, handoffs.c.created_at, handoffs.c.packet).where(
            handoffs.c.created_at >= _at(begin), handoffs.c.created_at < _at(end))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            {"conversation_id": conversation_id, "created_at": aware(created_at, ASSIST_STORE_ZONE),
             "reason": (json.loads(packet) or {}).get("reason") or "unknown"}
            for conversation_id, created_at, packet in rows
        ]

    def verdicts_between(self, begin: float, end: float) -> Dict[str, int]:
        query = sa.select(feedback.c.verdict, sa.func.count()).where(
            feedback.c.created_at >= _at(begin), feedback.c.created_at < _at(end)).group_by(feedback.c.verdict)
        with self.engine.connect() as conn:
            return {verdict: count for verdict, count in conn.execute(query)}

    def corrections(self) -> List[Dict[str, Any]]:
        """Suggestions an agent corrected: (text, corrected intent), newest correction per text."""
        query = (
            sa.select(suggestions.c.text, feedback.c.corrected_intent)
            .join(feedback, feedback.c.suggestion_id == suggestions.c.suggestion_id)
            .where(feedback.c.corrected_intent.isnot(None))
            .order_by(feedback.c.feedback_id)
        )
        latest: Dict[str, str] = {}
        with self.engine.connect() as conn:
            for text, intent in conn.execute(query):
                latest[text] = intent
        return [{"text": text, "intent": intent} for text, intent in latest.items()]


def corrections_as_nlu_yaml(rows: List[Dict[str, Any]]) -> str:
    """Rasa NLU YAML for review: a person checks it before it joins data/nlu/."""
    by_intent: Dict[str, List[str]] = {}
    for row in rows:
        by_intent.setdefault(row["intent"], []).append(row["text"])
    lines = ['version: "3.1"', "# Agents' intent corrections from agent assist. Review before adding to data/nlu/.", "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"  - intent: {intent}", "    examples: |"]
        lines += [f"      - {' '.join(text.split())}" for text in by_intent[intent]]
    return "\n".join(lines) + "\n"


def _masked(text: str) -> str:
    return mask_tokens_in(mask_phone_numbers_in(text))


def _plain(row: Dict[str, Any]) -> Dict[str, Any]:
    """A row as JSON can carry it: times in ISO 8601 (UTC: SQLite keeps no offset)."""
    return {key: aware(value, ASSIST_STORE_ZONE).isoformat() if isinstance(value, dt.datetime) else value
            for key, value in row.items()}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _utc(value: dt.datetime) -> dt.datetime:
    """Times of 본인확인 failures are stored in UTC: SQLite keeps no offset, so a KST time (the
    configured clock's) and a UTC one must not sit side by side. A naive time is taken as UTC."""
    return value.astimezone(dt.timezone.utc) if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _at(unix_seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(unix_seconds, dt.timezone.utc)


_default: Optional[AssistStore] = None
_default_lock = threading.Lock()


def default_store() -> AssistStore:
    global _default
    with _default_lock:
        if _default is None:
            _default = AssistStore()
    return _default


def _token_id(token_or_id: str) -> str:
    """A token's id from the token itself (its `jti`, read without trusting it) or the id."""
    if token_or_id.count(".") == 2:
        import jwt

        claims = jwt.decode(token_or_id, options={"verify_signature": False})
        if not claims.get("jti"):
            sys.exit("this token has no id (jti): it cannot be revoked; change AGENT_TOKEN_SECRET instead")
        return str(claims["jti"])
    return token_or_id


if __name__ == "__main__":
    # python -m consignment.assist_store export-corrections > corrections.yml
    # python -m consignment.assist_store revoke-agent-token <token or token id> [note]
    if sys.argv[1:2] == ["export-corrections"]:
        sys.stdout.write(corrections_as_nlu_yaml(AssistStore().corrections()))
    elif sys.argv[1:2] == ["revoke-agent-token"] and len(sys.argv) >= 3:
        token_id = _token_id(sys.argv[2].strip())
        AssistStore().revoke_agent_token(token_id, " ".join(sys.argv[3:]) or None)
        print(f"revoked agent token {token_id}: it opens nothing from now on")
    else:
        sys.exit("usage: python -m consignment.assist_store export-corrections | revoke-agent-token <token or id> [note]")
