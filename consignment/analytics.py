"""The CS lead's numbers: conversations, containment, handoffs, fallbacks, intents, Q3 outcomes,
driver ratings, agents' verdicts on suggestions, reply latency — for a date range, by day.

Computed from the tracker store's `events` table (Rasa's SQL tracker store, redacted) and agent
assist's store, with SQL that runs on SQLite and PostgreSQL. Every query selects by event type
or action name and a time range through an index (server/tracker_store.py creates them), so a
year of conversations is never scanned event by event. Nothing personal comes out: no
suspension reason is ever counted or shown, and a driver's own words appear only as the top
unrecognised messages — a message only once at least MIN_CONVERSATIONS different conversations
sent it, and then with numbers, tokens and names masked (`masked_for_lead`).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict
from typing import Any, Dict, Iterable, List, Optional, Tuple

import sqlalchemy as sa

from consignment import assist_store as store
from consignment.conversation_events import ANONYMISED_PREFIX, RATINGS, events
from consignment.handoff import reason_labels
from consignment.identity import mask_tokens_in
from consignment.settings import KST

FALLBACK = "nlu_fallback"
Q3_OUTCOME_SLOT = "q3_outcome"
Q3_OUTCOMES = ("suspended", "customer_block", "none_on_record")
STAFF_SENDERS = "slack-%"  # Slack conversations are staff, not drivers
TOP_UNRECOGNISED = 10
# a text one or two conversations sent may be one driver's own words: the lead sees it only
# once this many different conversations sent it
MIN_CONVERSATIONS = 3
NAME_SLOT = "driver_name"
NUMBER_MASK = "#"
NAME_MASK = "○○○"
# a name is a common family name and one or two syllables, where the driver introduces
# themselves: "김민수입니다", "김민수예요", "김민수 기사", "제 이름은 김민수"
_SURNAMES = "김이박최정강조윤장임한오서신권황안송류유홍전고문양손배백허남심노하곽성차주우구민진나지엄채원천방공현"
_NAME_BEFORE = re.compile(
    rf"(?<![가-힣])[{_SURNAMES}][가-힣]{{1,2}}(?=\s*(?:입니다|이에요|예요|이고요|이구요|씨|님|기사))")
_NAME_AFTER = re.compile(r"((?:이름은|성함은|이름이|성함이|저는)\s*)[가-힣]{2,4}")
DAY_S = 86400
KST_OFFSET_S = 9 * 3600


def day_range(start: dt.date, end: dt.date) -> Tuple[float, float]:
    """[start 00:00 KST, end+1 00:00 KST) as unix seconds."""
    begin = dt.datetime.combine(start, dt.time(), KST)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), KST)
    return begin.timestamp(), finish.timestamp()


def _day(engine: sa.engine.Engine, column):
    """The KST day number of a unix timestamp column (floor on both databases)."""
    shifted = (column + KST_OFFSET_S) / DAY_S
    if engine.dialect.name == "postgresql":
        return sa.cast(sa.func.floor(shifted), sa.Integer)
    return sa.cast(shifted, sa.Integer)  # SQLite's CAST truncates: floor for positive values


def _date(day_number: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(day_number))).isoformat()


def _percentile(values: List[float], q: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(events_engine: sa.engine.Engine, assist: "store.AssistStore", start: dt.date, end: dt.date) -> Dict[str, Any]:
    begin, finish = day_range(start, end)
    in_time = sa.and_(events.c.timestamp >= begin, events.c.timestamp < finish,
                      events.c.sender_id.notlike(STAFF_SENDERS))
    # a rating whose conversation is past retention stays, anonymised (consignment/retention.py):
    # counted with the ratings, never as a conversation or a message
    in_range = sa.and_(in_time, events.c.sender_id.notlike(ANONYMISED_PREFIX + "%"))
    user = sa.and_(events.c.type_name == "user", in_range)
    day = _day(events_engine, events.c.timestamp)
    by_day: Dict[str, Dict[str, Any]] = defaultdict(lambda: {
        "conversations": 0, "messages": 0, "fallbacks": 0, "handoffs": 0, "csat_up": 0, "csat_down": 0})

    senders_by_day: Dict[str, set] = defaultdict(set)
    with events_engine.connect() as conn:
        conversations = set()
        for day_number, sender in conn.execute(sa.select(day, events.c.sender_id).where(user).distinct()):
            by_day[_date(day_number)]["conversations"] += 1
            senders_by_day[_date(day_number)].add(sender)
            conversations.add(sender)
        intents: Counter = Counter()
        for day_number, intent, count in conn.execute(
            sa.select(day, events.c.intent_name, sa.func.count()).where(user).group_by(day, events.c.intent_name)
        ):
            name = intent or "unknown"
            intents[name] += count
            entry = by_day[_date(day_number)]
            entry["messages"] += count
            if name == FALLBACK:
                entry["fallbacks"] += count
        # a rating counts once a conversation and day, however often its button is sent
        ratings: Counter = Counter()
        for day_number, intent, count in conn.execute(
            sa.select(day, events.c.intent_name, sa.func.count(sa.distinct(events.c.sender_id)))
            .where(events.c.type_name == "user", in_time, events.c.intent_name.in_(list(RATINGS)))
            .group_by(day, events.c.intent_name)
        ):
            by_day[_date(day_number)][f"csat_{RATINGS[intent]}"] += count
            ratings[RATINGS[intent]] += count
        names = {
            value.strip() for value in (
                json.loads(data).get("value")
                for (data,) in conn.execute(sa.select(events.c.data).where(
                    events.c.action_name == NAME_SLOT, events.c.type_name == "slot", in_range)))
            if isinstance(value, str) and len(value.strip()) >= 2
        }
        unrecognised: Dict[str, set] = defaultdict(set)
        for sender, data in conn.execute(
            sa.select(events.c.sender_id, events.c.data).where(user, events.c.intent_name == FALLBACK)
        ):
            text = masked_for_lead((json.loads(data).get("text") or "").strip()[:200], names)
            if text:
                unrecognised[text].add(sender)
        outcomes = Counter(
            json.loads(data).get("value")
            for (data,) in conn.execute(sa.select(events.c.data).where(
                events.c.action_name == Q3_OUTCOME_SLOT, events.c.type_name == "slot", in_range))
        )
        latencies = _reply_latencies(conn, in_range)

    handoffs = assist.handoffs_between(begin, finish)
    handed_over = {h["conversation_id"] for h in handoffs}
    handed_over_by_day: Dict[str, set] = defaultdict(set)
    for handoff in handoffs:
        date = handoff["created_at"].astimezone(KST).date().isoformat()
        by_day[date]["handoffs"] += 1
        handed_over_by_day[date].add(handoff["conversation_id"])
    for date, entry in by_day.items():
        entry["containment_rate"] = _ratio(len(senders_by_day[date] - handed_over_by_day[date]), len(senders_by_day[date]))
    messages = sum(intents.values())
    verdicts = assist.verdicts_between(begin, finish)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "conversations": len(conversations),
        "handoffs": {"total": len(handoffs), "by_reason": dict(Counter(h["reason"] for h in handoffs)),
                     "reason_labels": reason_labels()},
        "containment_rate": _ratio(len(conversations - handed_over), len(conversations)),
        "fallback_rate": _ratio(intents.get(FALLBACK, 0), messages),
        "top_unrecognised": _top_unrecognised(unrecognised),
        "intents": dict(intents.most_common()),
        "q3_outcomes": {name: outcomes.get(name, 0) for name in Q3_OUTCOMES},
        "csat": {"up": ratings.get("up", 0), "down": ratings.get("down", 0)},
        "suggestion_verdicts": {verdict: verdicts.get(verdict, 0) for verdict in store.VERDICTS},
        "reply_latency_ms": {"p50": _ms(_percentile(latencies, 0.5)), "p95": _ms(_percentile(latencies, 0.95)),
                             "replies": len(latencies)},
        "by_day": [{"date": date, **values} for date, values in sorted(by_day.items())],
    }


def masked_for_lead(text: str, names: Iterable[str] = ()) -> str:
    """A driver's message as the lead may read it: tokens, every digit and names masked — the
    names the conversations gave (`driver_name` slots) and name-like self-introductions."""
    text = mask_tokens_in(text)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, NAME_MASK)
    text = _NAME_AFTER.sub(lambda found: found.group(1) + NAME_MASK, text)
    text = _NAME_BEFORE.sub(NAME_MASK, text)
    return re.sub(r"\d", NUMBER_MASK, text)


def _top_unrecognised(senders_by_text: Dict[str, set]) -> List[Dict[str, Any]]:
    """The most frequent unrecognised messages that MIN_CONVERSATIONS or more conversations sent;
    `count`: how many conversations."""
    shared = [(text, len(senders)) for text, senders in senders_by_text.items() if len(senders) >= MIN_CONVERSATIONS]
    shared.sort(key=lambda item: (-item[1], item[0]))
    return [{"text": text, "count": count} for text, count in shared[:TOP_UNRECOGNISED]]


def _reply_latencies(conn, in_range) -> List[float]:
    """Seconds from each driver message to the assistant's first reply after it."""
    ordered = sa.select(
        events.c.type_name,
        events.c.timestamp,
        sa.func.lead(events.c.type_name).over(partition_by=events.c.sender_id, order_by=events.c.id).label("next_type"),
        sa.func.lead(events.c.timestamp).over(partition_by=events.c.sender_id, order_by=events.c.id).label("next_ts"),
    ).where(events.c.type_name.in_(("user", "bot")), in_range).subquery()
    rows = conn.execute(sa.select(ordered.c.timestamp, ordered.c.next_ts).where(
        ordered.c.type_name == "user", ordered.c.next_type == "bot"))
    return [next_ts - ts for ts, next_ts in rows if next_ts is not None and next_ts >= ts]


def _ratio(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def _ms(seconds: Optional[float]) -> Optional[int]:
    return None if seconds is None else int(round(seconds * 1000))


def csv_rows(result: Dict[str, Any]) -> Iterable[List[Any]]:
    """The daily numbers as CSV rows (the dashboard's export)."""
    columns = ["date", "conversations", "messages", "handoffs", "containment_rate", "fallbacks", "csat_up", "csat_down"]
    yield columns
    for day in result["by_day"]:
        yield [day.get(column) for column in columns]
