"""Who holds each conversation (CONTRACT §4): its first holder, for good.

A REST client names its conversation itself (`sender`); without a holder, anyone who knows or
guesses the name could pause that driver's chat ("상담원 연결"), rate it or add turns to it. The
first holder to write to a conversation — the driver a correctly signed token names, or an
anonymous client (driver None) — holds it, and every other holder is refused. The first writer
wins in the database (the primary key), never in one process, so the holder is the same for
every replica, after a restart and after a session expiry. The driver id stays with the
conversation: a driver's conversations can be found (export, erasure).

Kept in the assist database (ASSIST_DB_URL, by default SQLite var/assist.db).
"""
from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Iterable, List, Optional

import sqlalchemy as sa

from consignment import settings
from consignment.sql import create_engine

metadata = sa.MetaData()

conversation_holders = sa.Table(
    "conversation_holders",
    metadata,
    sa.Column("conversation_id", sa.String(128), primary_key=True),
    # NULL: an anonymous client (no correctly signed token) holds it
    sa.Column("driver_id", sa.String(64), index=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Holder:
    driver_id: Optional[str]  # None: an anonymous client


ANONYMOUS = Holder(None)
# a holder never changes while the conversation lives, so a process may remember the ones it has
# seen (bounded) — for a minute: an erasure or the purge deletes the row, and a conversation that
# goes on after that must record its holder again on every replica, to stay findable by its driver
CACHE_SIZE = 10_000
CACHE_SECONDS = 60.0


class ConversationHolders:
    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url or settings.assist_db_url()
        if self.url.startswith("sqlite:///"):
            os.makedirs(os.path.dirname(self.url[len("sqlite:///"):]) or ".", exist_ok=True)
        self.engine = create_engine(self.url)  # WAL when SQLite: per-turn reads never wait (consignment/sql.py)
        try:
            metadata.create_all(self.engine)
        except sa.exc.SQLAlchemyError:  # another process created the table at the same moment
            metadata.create_all(self.engine)
        self._known: "OrderedDict[str, tuple]" = OrderedDict()  # conversation → (holder, seen at)
        self._lock = threading.Lock()

    def holder(self, conversation_id: str) -> Optional[Holder]:
        """Who holds the conversation; None when nobody does yet."""
        with self._lock:
            known = self._known.get(conversation_id)
            if known is not None and time.monotonic() - known[1] < CACHE_SECONDS:
                self._known.move_to_end(conversation_id)
                return known[0]
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(conversation_holders.c.driver_id).where(
                conversation_holders.c.conversation_id == conversation_id)).first()
        if row is None:
            return None
        held = Holder(row[0])
        with self._lock:
            self._known[conversation_id] = (held, time.monotonic())
            self._known.move_to_end(conversation_id)
            if len(self._known) > CACHE_SIZE:
                self._known.popitem(last=False)
        return held

    def claim(self, conversation_id: str, driver_id: Optional[str], channel: str) -> bool:
        """True when the conversation is this holder's: it already was, or nobody held it and now
        this holder does (when two claim a new one at once, the database keeps the first)."""
        held = self.holder(conversation_id)
        if held is None:
            try:
                with self.engine.begin() as conn:
                    conn.execute(conversation_holders.insert().values(
                        conversation_id=conversation_id, driver_id=driver_id, channel=channel,
                        # the real time, as the purge reads it (ASSISTANT_NOW fixes the assistant's answers, not records)
                        bound_at=dt.datetime.now(dt.timezone.utc)))
            except sa.exc.IntegrityError:  # someone held it first (another request, another process)
                pass
            held = self.holder(conversation_id)
        return held == Holder(driver_id)

    def conversations_of(self, driver_id: str) -> List[str]:
        """The conversations a driver holds (export, erasure)."""
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(conversation_holders.c.conversation_id).where(
                conversation_holders.c.driver_id == driver_id).order_by(conversation_holders.c.bound_at)).scalars())

    def held_by(self, driver_id: str) -> List[dict]:
        """The driver's conversations with their channel and since when (a driver's export)."""
        with self.engine.connect() as conn:
            return [
                {"conversation_id": cid, "channel": channel, "held_since": bound_at}
                for cid, channel, bound_at in conn.execute(
                    sa.select(conversation_holders.c.conversation_id, conversation_holders.c.channel,
                              conversation_holders.c.bound_at)
                    .where(conversation_holders.c.driver_id == driver_id).order_by(conversation_holders.c.bound_at))
            ]

    def forget(self, conversation_ids: Iterable[str]) -> int:
        """The conversations' holders, deleted (an erasure: their conversations are gone)."""
        ids = list(conversation_ids)
        with self._lock:
            for cid in ids:
                self._known.pop(cid, None)
        if not ids:
            return 0
        with self.engine.begin() as conn:
            return conn.execute(conversation_holders.delete().where(
                conversation_holders.c.conversation_id.in_(ids))).rowcount or 0

    def purge(self, cutoff: dt.datetime, still_stored: Callable[[List[str]], set], batch: int) -> int:
        """Holders recorded before `cutoff` whose conversation has no event left (`still_stored`
        says which of a batch still do), a batch a transaction. A conversation still stored keeps
        its holder: it stays its driver's, and findable."""
        deleted, after = 0, ""
        cutoff = cutoff.astimezone(dt.timezone.utc)
        while True:
            with self.engine.connect() as conn:
                ids = list(conn.execute(
                    sa.select(conversation_holders.c.conversation_id)
                    .where((conversation_holders.c.bound_at < cutoff) & (conversation_holders.c.conversation_id > after))
                    .order_by(conversation_holders.c.conversation_id).limit(batch)).scalars())
            if not ids:
                return deleted
            after = ids[-1]
            stored = still_stored(ids)
            gone = [cid for cid in ids if cid not in stored]
            if gone:
                with self.engine.begin() as conn:
                    deleted += conn.execute(conversation_holders.delete().where(
                        conversation_holders.c.conversation_id.in_(gone)
                        & (conversation_holders.c.bound_at < cutoff))).rowcount or 0
            if len(ids) < batch:
                return deleted


_default: Optional[ConversationHolders] = None
_default_lock = threading.Lock()


def default_holders() -> ConversationHolders:
    global _default
    with _default_lock:
        if _default is None:
            _default = ConversationHolders()
    return _default
