"""Conversations stored in SQL with phone numbers masked and driver tokens removed.

CONTRACT §4: stored conversations never hold a full phone number or a token. The driver's
messages reach the NLU and the actions unchanged during the turn (the lookup needs them); only
what is written to the store is redacted, so every later read — the next turn, the REST API's
tracker endpoint, an agent's transcript — sees the redacted copy. A configured event broker
(endpoints.yml `event_broker`) receives the same redacted events, as they are stored.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import json
import logging
import queue
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Text, Tuple

import sqlalchemy as sa
import sqlalchemy.orm

import rasa.core.tracker_store as rasa_tracker_store
import rasa.shared.utils.common
from rasa.core.tracker_store import (
    AwaitableTrackerStore,
    FailSafeTrackerStore,
    InMemoryTrackerStore,
    SQLTrackerStore,
)
from rasa.shared.core.domain import Domain
from rasa.shared.exceptions import RasaException
from rasa.shared.core.trackers import DialogueStateTracker

from consignment import metrics
from consignment.identity import TOKEN_METADATA_KEY, mask_tokens_in
from consignment.phone import mask_phone_numbers_in
from server import self_check

logger = logging.getLogger(__name__)

# What this module relies on in Rasa 3.6 beyond its public API (checked at start: server/self_check.py)
_RASA = "rasa.core.tracker_store"
self_check.requires(__name__, f"{_RASA}.SQLTrackerStore", "_retrieve", "_event_query", "_additional_events",
                    "session_scope", "retrieve", "save", "keys",
                    *(f"SQLEvent.__table__.c.{column}" for column in
                      ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")))
self_check.requires(__name__, f"{_RASA}.SQLTrackerStore._retrieve",
                    signature=("self", "sender_id", "fetch_events_from_all_sessions"))
self_check.requires(__name__, f"{_RASA}.SQLTrackerStore._event_query",
                    signature=("self", "session", "sender_id", "fetch_events_from_all_sessions"))
self_check.requires(__name__, f"{_RASA}.SQLTrackerStore._additional_events", signature=("self", "session", "tracker"))
self_check.requires(__name__, f"{_RASA}.FailSafeTrackerStore", "retrieve", "retrieve_full_tracker", "save")
self_check.requires_on_instance(
    __name__, "FailSafeTrackerStore (the wrapped store)",
    lambda: FailSafeTrackerStore(InMemoryTrackerStore(Domain.empty())), "_tracker_store")
self_check.requires_on_instance(
    __name__, "AwaitableTrackerStore (the wrapped store)",
    lambda: AwaitableTrackerStore(InMemoryTrackerStore(Domain.empty())), "_tracker_store")
self_check.requires_on_instance(
    __name__, "SQLTrackerStore (its engine and sessions)",
    lambda: SQLTrackerStore(Domain.empty(), dialect="sqlite", db=""), "engine", "sessionmaker", "domain", "event_broker")
self_check.requires(__name__, f"{_RASA}.create_tracker_store", signature=("endpoint_config", "domain", "event_broker"))
self_check.requires(__name__, f"{_RASA}._load_from_module_name_in_endpoint_config",
                    signature=("domain", "store", "event_broker"))

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


# On a tracker this store handed out or saved: (how many of its events are stored, the last of
# them). Its next save writes what follows them — no count query per save — and falls back to
# Rasa's count when the tracker is not the one it knows (a copy with other events, a new one).
_STORED_PREFIX = "_consignment_stored_prefix"


def _remember_stored(tracker: DialogueStateTracker) -> None:
    events = tracker.events
    setattr(tracker, _STORED_PREFIX, (len(events), events[-1] if events else None))


def _known_stored_count(tracker: DialogueStateTracker) -> Optional[int]:
    known: Optional[Tuple[int, Any]] = getattr(tracker, _STORED_PREFIX, None)
    if known is None:
        return None
    count, last = known
    events = tracker.events
    if count > len(events) or (count and events[count - 1] is not last):
        return None
    return count


class RedactingSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store, redacting what it writes, and off the event loop.

    Rasa 3.6's SQL store runs synchronous SQLAlchemy on the event loop: while one tracker is read
    or written, every other driver waits. Here each read runs in a worker thread (each with its
    own session), so the loop keeps answering; the events table gets the index its
    per-conversation queries need. A save writes the events after those the store handed out,
    without Rasa's count of the stored ones. The embedded SQLite store has one writer thread
    (`_SQLiteWriter`): turns of different conversations never queue for SQLite's write lock.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        try:
            self._build(*args, **kwargs)
        except Exception as error:
            # SystemExit, not an exception: Rasa's loader catches every Exception of a store it
            # builds and serves from memory instead — also when this module was imported by that
            # very loader (no channel of ours imported `server` first, e.g. `rasa shell`)
            if not isinstance(error, ConversationStoreMissing):
                error = ConversationStoreMissing(
                    f"the conversation store cannot be built ({type(error).__name__}: "
                    f"{str(error).strip().splitlines()[0] if str(error).strip() else ''}); the server does not start")
            raise SystemExit(f"{type(error).__name__}: {error}") from error

    def _build(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("dialect", "sqlite") == "sqlite" and kwargs.get("db"):
            Path(kwargs["db"]).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(*args, **kwargs)
        self._writer: Optional[_SQLiteWriter] = None
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 opens a new SQLite connection per session (NullPool): keep a few —
            # the readers' (WAL readers never wait for the writer) and the writer's own
            self.engine = sa.create_engine(
                self.engine.url, poolclass=sa.pool.QueuePool, pool_size=4, max_overflow=4,
                connect_args={"check_same_thread": False},
            )
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
            _write_ahead_log(self.engine)
            self._writer = _SQLiteWriter(self.session_scope)
        # Rasa's own __init__ logs a database it cannot reach ("Could not create tables") and
        # carries on: the first turn would then fail, or a replica serve alone. Refuse instead.
        _require_events_table(self.engine, self.SQLEvent.__table__.name)
        _ensure_index(self.engine, self.SQLEvent.__table__)

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        events = await asyncio.to_thread(self._stored_events, sender_id, fetch_events_from_all_sessions)
        if self.domain and events:
            tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
            _remember_stored(tracker)
            return tracker
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
        """Returns once the turn's events are committed (the reply is sent after this)."""
        known = _known_stored_count(tracker)
        new_events = None if known is None else list(itertools.islice(tracker.events, known, None))
        if known is not None and not new_events:
            return
        if self._writer is not None:
            stored = await asyncio.wrap_future(
                self._writer.submit(lambda session: self._add_new_events(session, tracker, new_events)))
        else:
            stored = await asyncio.to_thread(self._store_new_events, tracker, new_events)
        _remember_stored(tracker)
        if self.event_broker is not None:  # the broker gets what the store keeps, in order
            for data in stored:
                self.event_broker.publish({"sender_id": tracker.sender_id, **data})

    def _store_new_events(self, tracker: DialogueStateTracker, new_events: Optional[list]) -> List[Dict[str, Any]]:
        with self.session_scope() as session:
            stored = self._add_new_events(session, tracker, new_events)
            session.commit()
        return stored

    def _add_new_events(self, session, tracker: DialogueStateTracker, new_events: Optional[list]) -> List[Dict[str, Any]]:
        """Adds the tracker's unstored events to the session's transaction (`new_events` None:
        counted as Rasa does); what was added, redacted."""
        if new_events is None:
            new_events = list(self._additional_events(session, tracker))
        stored: List[Dict[str, Any]] = []
        rows = []
        for event in new_events:
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
        return stored


class _SQLiteWriter:
    """The one thread that writes the embedded SQLite store.

    SQLite has one write lock per file: with a writer per worker thread, concurrent turns queue
    for it in SQLite's busy handler, which sleeps between tries (up to 100 ms a try), so a turn
    waits far longer than the write takes. Here every save joins one queue; the thread takes all
    that are waiting and commits them in one transaction (one WAL sync for the lot), then tells
    each its events are stored. A save whose batch fails is tried again alone, so one bad turn
    fails only itself.
    """

    MAX_BATCH = 64

    def __init__(self, session_scope: Callable) -> None:
        self._session_scope = session_scope
        self._jobs: "queue.SimpleQueue[Tuple[Callable, concurrent.futures.Future]]" = queue.SimpleQueue()
        self._thread: Optional[threading.Thread] = None
        self._start_lock = threading.Lock()

    def submit(self, job: Callable) -> concurrent.futures.Future:
        """Runs `job(session)` in the writer's next transaction; the future resolves after commit."""
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="conversation-store-writer", daemon=True)
                self._thread.start()
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._jobs.put((job, future))
        return future

    def _run(self) -> None:
        while True:
            batch = [self._jobs.get()]
            while len(batch) < self.MAX_BATCH:
                try:
                    batch.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            batch = [(job, future) for job, future in batch if future.set_running_or_notify_cancel()]
            if not batch:
                continue
            try:
                results = self._commit(batch)
            except Exception:  # noqa: BLE001 (each job again alone: the failure is its own)
                for job, future in batch:
                    try:
                        future.set_result(self._commit([(job, future)])[0])
                    except Exception as error:  # noqa: BLE001 (the save that failed raises it)
                        future.set_exception(error)
            else:
                for (_, future), result in zip(batch, results):
                    future.set_result(result)

    def _commit(self, batch) -> list:
        with self._session_scope() as session:
            results = [job(session) for job, _ in batch]
            session.commit()
        return results


class ConversationStoreMissing(RasaException):
    """The configured conversation store cannot be built at start: the server does not start
    (RasaException: `rasa run` prints the message and exits 1), never serving from memory."""


def _require_events_table(engine, table: str) -> None:
    try:
        with engine.connect() as connection:
            present = sa.inspect(connection).has_table(table)
    except sa.exc.SQLAlchemyError as error:
        raise ConversationStoreMissing(
            f"the conversation store {engine.url!r} cannot be reached at start "
            f"({type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}); "
            f"the server does not start without it"
        ) from error
    if not present:
        raise ConversationStoreMissing(
            f"the conversation store {engine.url!r} has no `{table}` table and it could not be created "
            f"(see the error above); the server does not start without it"
        )


def _write_ahead_log(engine) -> None:
    """The embedded SQLite store's pragmas, and what they cost.

    - `journal_mode=WAL`: readers read the last committed state while the writer writes —
      retrieving a tracker never waits for another conversation's save.
    - `synchronous=FULL`: each commit syncs the log before it returns, so a turn whose save
      returned survives a crash of the process *and* of the machine (power loss). NORMAL would
      skip that sync (a machine crash could lose the last turns, a process kill still loses
      nothing); the single writer batches concurrent turns into one commit, so FULL costs one
      sync per batch, not one per turn.
    - `busy_timeout` (pysqlite's 5 s default) stays: only another process (a script, a test)
      can hold the write lock now.
    """
    def configure(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    sa.event.listen(engine, "connect", configure)


def _ensure_index(engine, events) -> None:
    """(sender_id, type_name, timestamp): a conversation's events, its latest session start,
    and — for the CS lead's numbers — events of one type in a time range; (timestamp): what the
    retention purge deletes (consignment/retention.py). Several processes
    may start together: an index another one just created is fine."""
    indexes = (
        sa.Index("ix_events_sender_type_time", events.c.sender_id, events.c.type_name, events.c.timestamp),
        sa.Index("ix_events_type_time", events.c.type_name, events.c.timestamp),
        sa.Index("ix_events_action_time", events.c.action_name, events.c.timestamp),  # e.g. the Q3 outcomes
        sa.Index("ix_events_time", events.c.timestamp),  # the retention purge: events past their time
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
            metrics.count_dependency_error("tracker_store")
            logger.error("conversation store unavailable (%s): the turn fails, nothing is made up",
                         type(error).__name__)
            raise ConversationsUnavailable(type(error).__name__) from error

    without_fallback.__wrapped__ = original  # type: ignore[attr-defined]
    return without_fallback


def _load_or_refuse(domain: Domain, store, event_broker=None):
    """Rasa's loader of a tracker store named by its class path — which, when the class cannot
    be imported (a typo, a missing database driver), warns and serves from memory. Here the
    start stops instead, saying why."""
    try:
        store_class = rasa.shared.utils.common.class_from_module_path(store.type)
    except (AttributeError, ImportError) as error:
        raise ConversationStoreMissing(
            f"the tracker store `{store.type}` (endpoints.yml) cannot be imported ({type(error).__name__}: "
            f"{error}); Rasa would keep every conversation in memory instead, so the server does not start"
        ) from error
    try:
        return store_class(host=store.url, domain=domain, event_broker=event_broker, **store.kwargs)
    except RasaException:
        raise
    except Exception as error:  # a missing driver (ImportError) too: never the in-memory default
        raise ConversationStoreMissing(
            f"the tracker store `{store.type}` (endpoints.yml) cannot be built ({type(error).__name__}: "
            f"{str(error).strip().splitlines()[0] if str(error).strip() else ''}); the server does not start"
        ) from error


# (the original even if this module is imported again after install())
_original_create = getattr(rasa_tracker_store.create_tracker_store, "__wrapped__", rasa_tracker_store.create_tracker_store)


def _create_or_refuse(endpoint_config, domain=None, event_broker=None):
    """Rasa's factory, refusing an in-memory store when endpoints.yml configures one: whatever
    path Rasa takes to its fall-back, replicas never stop sharing conversations unnoticed."""
    store = _original_create(endpoint_config, domain, event_broker)
    built = store._tracker_store if isinstance(store, AwaitableTrackerStore) else store
    if endpoint_config is not None and endpoint_config.type is not None and isinstance(built, InMemoryTrackerStore):
        raise ConversationStoreMissing(
            f"the tracker store `{endpoint_config.type}` (endpoints.yml) became Rasa's in-memory store; "
            f"the server does not start"
        )
    return store


_create_or_refuse.__wrapped__ = _original_create  # type: ignore[attr-defined]


def install() -> None:
    """Rasa wraps the configured tracker store in FailSafeTrackerStore, which — when the database
    is down — hands out an empty in-memory conversation and keeps the turn there: the driver
    mid-Q3 would be answered as a stranger and their answers lost. With PostgreSQL down a turn
    must fail (the channel says sorry, the client may retry), never continue from nothing.
    And a configured store that cannot be built at start stops the start (ConversationStoreMissing)."""
    for name in ("retrieve", "retrieve_full_tracker", "save"):
        if not hasattr(getattr(FailSafeTrackerStore, name), "__wrapped__"):
            setattr(FailSafeTrackerStore, name, _never_from_memory(name))
    rasa_tracker_store._load_from_module_name_in_endpoint_config = _load_or_refuse
    if rasa_tracker_store.create_tracker_store is not _create_or_refuse:
        rasa_tracker_store.create_tracker_store = _create_or_refuse


def sql_engine_of(tracker_store) -> Optional[sa.engine.Engine]:
    """The SQLAlchemy engine under Rasa's wrappers (FailSafeTrackerStore, AwaitableTrackerStore:
    `_tracker_store`, declared above), or None when the store is not SQL."""
    while not hasattr(tracker_store, "engine") and hasattr(tracker_store, "_tracker_store"):
        tracker_store = tracker_store._tracker_store
    return getattr(tracker_store, "engine", None)
