"""`make seed-analytics`: a realistic month of demo conversations, so that the CS lead's dashboard
shows something on a fresh machine. Demo mode only, embedded databases only.

Writes valid Rasa tracker events (session start, the driver's message with its intent, the
assistant's actions and replies, the Q3 outcome, ratings) through the project's own tracker store
(endpoints.yml: the redacting SQL store), and handoffs and agents' verdicts into agent assist's
store — timestamped over the last 30 days, with weekday peaks at night.

    python scripts/seed_analytics.py [--days 30] [--per-day 60] [--seed 7]
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from consignment import assist_store, settings  # noqa: E402

# (intent, what the driver wrote, what the assistant answered with, share)
TOPICS = [
    ("ask_consignment_call", "위탁콜이 뭐예요?", "utter_consignment_definition", 0.24),
    ("ask_service_regions", "대전도 위탁콜 되나요?", "utter_region_covered_since", 0.18),
    ("ask_service_regions", "창원에서도 받을 수 있나요", "utter_region_not_covered", 0.06),
    ("ask_consignment_insurance", "위탁콜 보험은 어떻게 돼요", "utter_consignment_insurance", 0.07),
    ("report_acceptance_blocked", "콜마너에서 콜 수락이 안 돼요", "q3", 0.30),
    ("out_of_scope", "수수료 정산 언제 돼요", "utter_out_of_scope", 0.07),
    ("nlu_fallback", "ㅁㄴㅇㄹ 이거 왜이럼", "utter_default", 0.04),
    ("request_human", "상담원 연결해 주세요", "utter_handoff", 0.04),
]
Q3_OUTCOMES = [("suspended", 0.25), ("customer_block", 0.45), ("none_on_record", 0.30)]
UNRECOGNISED = ["ㅁㄴㅇㄹ 이거 왜이럼", "콜 튕김 현상 언제 고쳐요", "앱 업데이트 했는데 이상해요", "010-2345-6789 연락 좀",
                "기사님 프로필 사진 변경", "야간 할증 기준"]


def pick(rng: random.Random, weighted):
    return rng.choices([item for item in weighted], weights=[item[-1] for item in weighted])[0]


def conversation_events(rng: random.Random, at: float, responses: dict):
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

    intent, text, answer, _ = pick(rng, TOPICS)
    if intent == "nlu_fallback":
        text = rng.choice(UNRECOGNISED)
    clock = [at]

    def later(low: float, high: float) -> float:
        clock[0] += rng.uniform(low, high)
        return clock[0]

    def said(name: str) -> BotUttered:
        text = (responses.get(name) or [{"text": name}])[0].get("text", name)
        return BotUttered(text, metadata={"utter_action": name}, timestamp=later(0.15, 1.2))

    def driver(words: str, name: str) -> UserUttered:
        return UserUttered(words, {"name": name, "confidence": round(rng.uniform(0.6, 1.0), 3)}, timestamp=later(5, 40))

    events = [ActionExecuted("action_session_start", timestamp=at), SessionStarted(timestamp=at),
              ActionExecuted("action_listen", timestamp=at), driver(text, intent)]
    handoff = None
    if answer == "q3":
        events += [said("utter_empathy"), said("utter_ask_ordering_company"), ActionExecuted("action_listen", timestamp=clock[0])]
        if rng.random() < 0.1:
            events += [driver("다른 업체예요", "deny"), said("utter_ask_other_company")]
        else:
            outcome = pick(rng, Q3_OUTCOMES)[0]
            events += [driver("네 카카오요", "affirm"), said("utter_ask_driver_name"), driver("김기사", "inform"),
                       said("utter_ask_phone_number"), driver("010-0000-0000", "inform"), said("utter_please_wait"),
                       said({"suspended": "utter_restriction_suspended", "customer_block": "utter_restriction_customer_block",
                             "none_on_record": "utter_restriction_none_on_record"}[outcome]),
                       SlotSet("q3_outcome", outcome, timestamp=clock[0])]
            if outcome == "none_on_record" and rng.random() < 0.3:
                handoff = "driver_request"
    else:
        events.append(said(answer))
        if intent == "request_human":
            handoff = "driver_request"
        if intent == "nlu_fallback" and rng.random() < 0.5:
            events += [driver("ㅋㅋ 뭐래", "nlu_fallback"), said("utter_handoff_after_misunderstanding")]
            handoff = "misunderstanding"
    if handoff is None and intent not in ("out_of_scope", "nlu_fallback") and rng.random() < 0.45:
        rating = "rate_helpful" if rng.random() < 0.78 else "rate_unhelpful"
        events += [said("utter_rate_answer"), driver({"rate_helpful": "/rate_helpful"}.get(rating, "/rate_unhelpful"), rating),
                   said("utter_thanks_for_rating")]
    events.append(ActionExecuted("action_listen", timestamp=clock[0]))
    return events, handoff


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not settings.demo_mode():
        sys.exit("seed-analytics writes demo conversations: demo mode only (ASSISTANT_DEMO_MODE=1)")
    if not settings.assist_db_url().startswith("sqlite"):
        sys.exit("seed-analytics writes only into the embedded SQLite databases (unset ASSIST_DB_URL)")

    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import read_endpoint_config

    config = read_endpoint_config(str(ROOT / "endpoints.yml"), "tracker_store")
    if (config.kwargs.get("dialect") or "sqlite") != "sqlite":
        sys.exit("seed-analytics writes only into the embedded SQLite tracker store")
    # the run's folder (ASSISTANT_VAR_DIR), as `make run` uses it
    config.kwargs["db"] = str(settings.VAR_DIR / Path(config.kwargs.get("db", "conversations.db")).name)
    domain = Domain.load(str(ROOT / "domain.yml"))
    tracker_store = TrackerStore.create(config, domain)
    store = assist_store.AssistStore()
    rng = random.Random(args.seed)
    today = dt.datetime.now(settings.KST).replace(hour=0, minute=0, second=0, microsecond=0)
    conversations = handoffs = 0

    async def seed() -> None:
        nonlocal conversations, handoffs
        for back in range(args.days, 0, -1):
            day = today - dt.timedelta(days=back)
            busy = 1.3 if day.weekday() in (4, 5) else 1.0  # Friday and Saturday nights
            for _ in range(int(rng.gauss(args.per_day * busy, args.per_day * 0.15))):
                # most drivers write between 20:00 and 04:00
                hour = rng.choice([20, 21, 22, 23, 0, 1, 2, 3] * 3 + list(range(9, 20)))
                at = (day + dt.timedelta(hours=hour if hour >= 9 else hour + 24, minutes=rng.uniform(0, 59))).timestamp()
                sender = f"seed-{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}"
                events, handoff = conversation_events(rng, at, domain.responses)
                await tracker_store.save(DialogueStateTracker.from_events(sender, events, domain.slots))
                conversations += 1
                if handoff:
                    _handoff(store, sender, handoff, events[-1].timestamp, rng)
                    handoffs += 1
                if rng.random() < 0.25:
                    _verdict(store, sender, events[3].text, at, rng)

    asyncio.run(seed())
    print(f"seeded {conversations} conversations ({handoffs} handed over) over {args.days} days")
    return 0


def _handoff(store: assist_store.AssistStore, sender: str, reason: str, at: float, rng: random.Random) -> None:
    created = dt.datetime.fromtimestamp(at, dt.timezone.utc)
    with store.engine.begin() as conn:
        conn.execute(assist_store.handoffs.insert().values(
            handoff_id=str(uuid.UUID(int=rng.getrandbits(128))), conversation_id=sender, input_channel="widget",
            packet=json.dumps({"reason": reason, "summary": "(seed)"}, ensure_ascii=False), status=assist_store.RESOLVED,
            agent_id="A-SEED", created_at=created, taken_at=created + dt.timedelta(minutes=2),
            resolved_at=created + dt.timedelta(minutes=9)))


def _verdict(store: assist_store.AssistStore, sender: str, text: str, at: float, rng: random.Random) -> None:
    created = dt.datetime.fromtimestamp(at + 60, dt.timezone.utc)
    suggestion_id = str(uuid.UUID(int=rng.getrandbits(128)))
    with store.engine.begin() as conn:
        conn.execute(assist_store.suggestions.insert().values(
            suggestion_id=suggestion_id, agent_id="A-SEED", conversation_id=sender, text=text, intent=None,
            confidence=None, created_at=created))
        conn.execute(assist_store.feedback.insert().values(
            suggestion_id=suggestion_id, agent_id="A-SEED", verdict=rng.choices(assist_store.VERDICTS, [0.7, 0.2, 0.1])[0],
            corrected_intent=None, created_at=created))


if __name__ == "__main__":
    sys.exit(main())
