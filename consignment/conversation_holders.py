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
from collections import OrderedDict
from dataclasses import dataclass
from typing import List, Optional

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
# a holder never changes, so a process may remember the ones it has seen (bounded)
CACHE_SIZE = 10_000


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
        self._known: "OrderedDict[str, Holder]" = OrderedDict()
        self._lock = threading.Lock()

    def holder(self, conversation_id: str) -> Optional[Holder]:
        """Who holds the conversation; None when nobody does yet."""
        with self._lock:
            held = self._known.get(conversation_id)
            if held is not None:
                self._known.move_to_end(conversation_id)
                return held
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(conversation_holders.c.driver_id).where(
                conversation_holders.c.conversation_id == conversation_id)).first()
        if row is None:
            return None
        held = Holder(row[0])
        with self._lock:
            self._known[conversation_id] = held
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
                        bound_at=settings.system_clock().astimezone(dt.timezone.utc)))
            except sa.exc.IntegrityError:  # someone held it first (another request, another process)
                pass
            held = self.holder(conversation_id)
        return held == Holder(driver_id)

    def conversations_of(self, driver_id: str) -> List[str]:
        """The conversations a driver holds (export, erasure)."""
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(conversation_holders.c.conversation_id).where(
                conversation_holders.c.driver_id == driver_id)).scalars())


_default: Optional[ConversationHolders] = None
_default_lock = threading.Lock()


def default_holders() -> ConversationHolders:
    global _default
    with _default_lock:
        if _default is None:
            _default = ConversationHolders()
    return _default
