"""A configured event broker gets every event the redacting tracker store keeps, redacted the
same way (issue 8): Rasa's own SQL event broker on SQLite, and on this machine's PostgreSQL."""
from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from rasa.core.brokers.sql import SQLEventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from server.tracker_store import RedactingSQLTrackerStore
from tests.conftest import PROJECT_ROOT

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJELTEwMDEifQ.signature"  # also pasted into the text


def conversation(sender: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, slots=[])
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(f"김민수 010-1234-5678 이에요 {TOKEN}", {"name": "inform", "confidence": 1.0},
                               metadata={"driver_token": TOKEN}))
    tracker.update(BotUttered("확인 감사합니다."))
    return tracker


async def streamed(broker: SQLEventBroker, tmp_path) -> list:
    store = RedactingSQLTrackerStore(Domain.load(str(PROJECT_ROOT / "domain.yml")), dialect="sqlite",
                                     db=str(tmp_path / "conversations.db"), event_broker=broker)
    sender = f"broker-{uuid.uuid4().hex[:8]}"
    await store.save(conversation(sender))
    with broker.session_scope() as session:
        rows = session.query(broker.SQLBrokerEvent).filter_by(sender_id=sender).all()
        return [json.loads(row.data) for row in rows]


async def test_the_sql_event_broker_receives_the_stored_events_redacted(tmp_path):
    events = await streamed(SQLEventBroker(dialect="sqlite", db=str(tmp_path / "events.db")), tmp_path)
    assert [e["event"] for e in events] == ["action", "user", "bot"]
    published = json.dumps(events, ensure_ascii=False)
    assert "010-****-5678" in published
    assert "1234-5678" not in published and TOKEN not in published and "[token]" in published


@pytest.mark.postgres
async def test_the_event_broker_on_postgresql_receives_redacted_events(tmp_path):
    url = "postgresql://postgres@127.0.0.1:5432/postgres"
    try:
        sa.create_engine(url).connect().close()
    except Exception as error:  # noqa: BLE001 - `make test` starts it (scripts/ensure_postgres.sh): fail, never skip
        pytest.fail(f"PostgreSQL is not reachable on 127.0.0.1:5432 ({type(error).__name__}): run scripts/ensure_postgres.sh")
    broker = SQLEventBroker(dialect="postgresql", host="127.0.0.1", port=5432, db="postgres", username="postgres")
    events = await streamed(broker, tmp_path)
    assert len(events) == 3 and TOKEN not in json.dumps(events)
