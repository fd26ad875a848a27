"""What is past its retention goes (consignment/retention.py, docs/privacy.md), on SQLite and
PostgreSQL, with what is newer kept; twice in a row is a no-op; and the purge runs beside a
serving assistant without breaking a conversation in progress."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import threading
import uuid

import pytest
import sqlalchemy as sa

from consignment import assist_store, conversation_events
from consignment.assist_store import AssistStore
from consignment.conversation_events import ANONYMISED_PREFIX, events
from consignment.conversation_holders import ConversationHolders, conversation_holders
from consignment.identity import mint_driver_token
from consignment.retention import purge
from consignment.settings import Retention
from tests.conftest import DEMO_DRIVERS, PROJECT_ROOT, TEST_SECRET, throwaway_postgres_database
from tests.live_servers import VENV_BIN, age_conversation

NOW = dt.datetime.now(dt.timezone.utc)
POLICY = Retention(conversations_days=90, ratings_days=400, handoffs_days=90, identity_failures_days=7,
                   audit_days=730, suggestions_days=180, conversation_holders_days=90, revoked_tokens_days=30,
                   batch_size=3)  # small batches: several transactions a kind


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request, tmp_path):
    """The events table, the assist store and the holders, on one database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'retention.db'}"
        yield from _stores(url)
    else:
        with throwaway_postgres_database("retention") as url:
            yield from _stores(url)


def _stores(url: str):
    engine = sa.create_engine(url, future=True)
    events.metadata.create_all(engine)  # Rasa's SQLTrackerStore table, as server/tracker_store.py reads it
    store, holders = AssistStore(url), ConversationHolders(url)
    yield engine, store, holders
    for each in (engine, store.engine, holders.engine):
        each.dispose()


def conversation(engine, sender: str, at: dt.datetime, rated: bool = False, messages: int = 4) -> None:
    start = at.timestamp()
    rows = [{"sender_id": sender, "type_name": "session_started", "timestamp": start, "intent_name": None,
             "action_name": None, "data": json.dumps({"event": "session_started", "timestamp": start})}]
    for n in range(messages):
        stamp = start + 10 * (n + 1)
        kind = "user" if n % 2 == 0 else "bot"
        rows.append({"sender_id": sender, "type_name": kind, "timestamp": stamp, "action_name": None,
                     "intent_name": "ask_consignment_call" if kind == "user" else None,
                     "data": json.dumps({"event": kind, "timestamp": stamp, "text": f"{kind} {n} 010-1234-5678"})})
    if rated:
        stamp = start + 100
        rows.append({"sender_id": sender, "type_name": "user", "timestamp": stamp, "intent_name": "rate_helpful",
                     "action_name": None, "data": json.dumps({"event": "user", "timestamp": stamp, "text": "/rate_helpful",
                                                              "metadata": {"holder": "x"}})})
    with engine.begin() as conn:
        conn.execute(events.insert(), rows)


def handoff(store: AssistStore, sender: str, created: dt.datetime, resolved: dt.datetime | None) -> str:
    handoff_id = str(uuid.uuid4())
    with store.engine.begin() as conn:
        conn.execute(assist_store.handoffs.insert().values(
            handoff_id=handoff_id, conversation_id=sender, input_channel="rest", packet=json.dumps({"reason": "x"}),
            status=assist_store.RESOLVED if resolved else assist_store.OPEN, agent_id="A-1",
            created_at=created, resolved_at=resolved))
    return handoff_id


def seed(engine, store: AssistStore, holders: ConversationHolders) -> dict:
    ids = {name: f"{name}-{uuid.uuid4().hex}" for name in ("old", "new", "waiting", "lapsed")}
    conversation(engine, ids["old"], days_ago(100), rated=True)
    conversation(engine, ids["new"], days_ago(1), rated=True)
    conversation(engine, ids["waiting"], days_ago(100))  # handed over 100 days ago, still in the queue
    conversation(engine, ids["lapsed"], days_ago(500), rated=True)  # its rating is past ratings' time too
    handoffs = {
        "waiting": handoff(store, ids["waiting"], days_ago(100), None),
        "old": handoff(store, ids["old"], days_ago(100), days_ago(99)),
        "new": handoff(store, ids["new"], days_ago(1), days_ago(1)),
    }
    with store.engine.begin() as conn:
        for days in (8, 1):
            conn.execute(assist_store.identity_failures.insert().values(driver_id=f"D-{days}", failed_at=days_ago(days)))
            conn.execute(assist_store.identity_check_turns.insert().values(driver_id=f"D-{days}", checked_at=days_ago(days)))
            conn.execute(assist_store.revoked_agent_tokens.insert().values(
                token_id=f"t-{days}", revoked_at=days_ago(days * 5)))
        for days in (800, 10):
            conn.execute(assist_store.lookup_audit.insert().values(
                agent_id="A-1", driver_id="D-1", query="driver_id", result="found", looked_up_at=days_ago(days)))
            conn.execute(assist_store.agent_audit.insert().values(
                agent_id="A-1", action="take", handoff_id="h", conversation_id=ids["old"], at=days_ago(days)))
            conn.execute(assist_store.privacy_requests.insert().values(
                lead_id="L-1", driver_id="D-1", action="erase", detail="", at=days_ago(days)))
        for days in (200, 10):
            conn.execute(assist_store.suggestions.insert().values(
                suggestion_id=f"s-{days}", agent_id="A-1", conversation_id=ids["old"], text="?", created_at=days_ago(days)))
            conn.execute(assist_store.feedback.insert().values(
                suggestion_id=f"s-{days}", agent_id="A-1", verdict="used", created_at=days_ago(days)))
    with holders.engine.begin() as conn:
        for name in ("old", "new", "waiting"):
            conn.execute(conversation_holders.insert().values(
                conversation_id=ids[name], driver_id="D-1", channel="rest", bound_at=days_ago(100 if name != "new" else 1)))
    return {"conversations": ids, "handoffs": handoffs}


def senders(engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(events.c.sender_id, sa.func.count()).group_by(events.c.sender_id)).all())


def keys(store: AssistStore, column) -> set:
    with store.engine.connect() as conn:
        return set(conn.execute(sa.select(column)).scalars())


@pytest.fixture
def purged(stores):
    engine, store, holders = stores
    seeded = seed(engine, store, holders)
    seeded["counts"] = purge(engine, store, holders, POLICY, NOW)
    return (engine, store, holders, seeded)


def test_conversations_past_retention_go_and_newer_ones_stay(purged):
    engine, _, _, seeded = purged
    stored = senders(engine)
    ids = seeded["conversations"]
    assert ids["old"] not in stored and ids["lapsed"] not in stored
    assert stored[ids["new"]] == 6  # session start, four messages, the rating: untouched


def test_an_unresolved_handoffs_conversation_and_handoff_stay_whatever_their_age(purged):
    engine, store, _, seeded = purged
    assert senders(engine)[seeded["conversations"]["waiting"]] == 5
    assert seeded["handoffs"]["waiting"] in keys(store, assist_store.handoffs.c.handoff_id)


def test_a_rating_outlives_its_conversation_anonymised_until_its_own_time(purged):
    engine, _, _, _ = purged
    with engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.sender_id, events.c.timestamp, events.c.data).where(
            events.c.sender_id.like(ANONYMISED_PREFIX + "%"))).all()
    (sender, stamp, data), = rows  # the 100-day-old one; the 500-day-old one is gone
    assert stamp % 3600 == 0 and json.loads(data) == {
        "event": "user", "timestamp": stamp, "text": "/rate_helpful",
        "parse_data": {"intent": {"name": "rate_helpful"}, "entities": []}}


def test_assist_rows_past_their_time_go_and_newer_ones_stay(purged):
    _, store, _, seeded = purged
    assert keys(store, assist_store.handoffs.c.handoff_id) == {seeded["handoffs"]["waiting"], seeded["handoffs"]["new"]}
    assert keys(store, assist_store.identity_failures.c.driver_id) == {"D-1"}
    assert keys(store, assist_store.identity_check_turns.c.driver_id) == {"D-1"}
    assert keys(store, assist_store.revoked_agent_tokens.c.token_id) == {"t-1"}
    assert len(keys(store, assist_store.lookup_audit.c.audit_id)) == 1
    assert len(keys(store, assist_store.agent_audit.c.audit_id)) == 1
    assert len(keys(store, assist_store.privacy_requests.c.request_id)) == 1
    assert keys(store, assist_store.suggestions.c.suggestion_id) == {"s-10"}
    assert keys(store, assist_store.feedback.c.suggestion_id) == {"s-10"}


def test_a_holder_goes_only_once_its_conversation_has_no_event_left(purged):
    _, _, holders, seeded = purged
    ids = seeded["conversations"]
    with holders.engine.connect() as conn:
        left = set(conn.execute(sa.select(conversation_holders.c.conversation_id)).scalars())
    assert left == {ids["new"], ids["waiting"]}


def test_a_second_purge_finds_nothing(purged):
    engine, store, holders, seeded = purged
    assert sum(seeded["counts"].values()) > 0
    assert set(purge(engine, store, holders, POLICY, NOW).values()) == {0}


# ── beside the real servers ──────────────────────────────────────────────────

@pytest.mark.live
def test_make_purge_beside_the_serving_assistant_keeps_a_conversation_in_progress(assistant):
    token = {"driver_token": mint_driver_token("D-1002", TEST_SECRET)}
    lapsed, running = f"lapsed-{uuid.uuid4().hex}", f"running-{uuid.uuid4().hex}"
    assistant.say(lapsed, "위탁콜이 뭐예요?", token)
    age_conversation(assistant, lapsed, hours=100 * 24)
    for text in ("콜마너에서 콜 수락이 안 돼요", "네 카카오요"):
        assistant.say(running, text, token)

    results: dict = {}

    def run_purge() -> None:
        results["purge"] = subprocess.run(
            [str(VENV_BIN / "python"), "scripts/purge.py",
             "--tracker-db-url", f"sqlite:///{assistant.workdir / 'conversations.db'}"],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
            env={**os.environ, "ASSIST_DB_URL": f"sqlite:///{assistant.workdir / 'assist.db'}", "PURGE_BATCH_SIZE": "2"})

    purging = threading.Thread(target=run_purge)
    purging.start()
    name_turn = assistant.say(running, DEMO_DRIVERS["D-1002"][0], token)  # while the purge runs
    purging.join()
    phone_turn = assistant.say(running, DEMO_DRIVERS["D-1002"][1], token)

    assert results["purge"].returncode == 0, results["purge"].stderr[-2000:]
    deleted = json.loads(results["purge"].stdout.strip().splitlines()[-1])["deleted"]
    assert deleted["conversation_events"] >= 4
    assert conversation_events.with_events(
        sa.create_engine(f"sqlite:///{assistant.workdir / 'conversations.db'}"), [lapsed, running]) == {running}
    assert "휴대폰 번호를 알려주시겠어요" in " ".join(r.get("text") or "" for r in name_turn)
    assert "특정 고객님의 요청으로" in " ".join(r.get("text") or "" for r in phone_turn)


def test_the_leads_numbers_count_an_anonymised_rating_but_not_as_a_conversation(purged):
    from consignment import analytics

    engine, store, _, _ = purged
    day = days_ago(100).astimezone(analytics.KST).date()
    report = analytics.report(engine, store, day - dt.timedelta(days=1), day + dt.timedelta(days=1))
    assert report["csat"]["up"] == 1  # the 100-day-old conversation's rating, anonymised
    assert report["conversations"] == 1  # only the one an unresolved handoff keeps
    assert report["intents"] == {"ask_consignment_call": 2}
