"""What is past its time goes: `make purge`, the Kubernetes CronJob `consignment-purge`.

Each kind of data has its retention (consignment/settings.py `retention()`, docs/privacy.md):

| kind | where | after its time |
|---|---|---|
| conversations (messages, agents' replies, slots) | tracker store `events` | deleted, by event time |
| ratings | tracker store `events` | anonymised with their conversation, deleted after RETENTION_RATINGS_DAYS |
| resolved handoffs (context packets) | assist store | deleted, by resolution time |
| failed 본인확인 | assist store | deleted |
| audit lines (ids only) | assist store | deleted |
| suggestions and their feedback | assist store | deleted |
| revoked agent token ids | assist store | deleted |
| conversation holders | assist store | deleted once their conversation has no event left |

An unresolved handoff's conversation (open or taken: an agent is on it, or about to be) is kept
whole, whatever its age, and so is its handoff; both go by the rules above once it is resolved.
Safe to run while serving: every step deletes at most PURGE_BATCH_SIZE rows a transaction, and
a conversation in use keeps its current session (a session ends after an hour without a
message). Run twice, the second run finds nothing.

    python scripts/purge.py [--endpoints FILE | --tracker-db-url URL]
"""
from __future__ import annotations

import datetime as dt
from typing import Dict, Optional

from consignment import conversation_events, settings
from consignment.assist_store import AssistStore
from consignment.conversation_holders import ConversationHolders


def purge(events_engine, store: AssistStore, holders: ConversationHolders,
          policy: Optional[settings.Retention] = None, now: Optional[dt.datetime] = None) -> Dict[str, int]:
    """Deletes (or anonymises) everything past its retention; how many rows of each kind.

    `now` is the real clock: stored times are (ASSISTANT_NOW moves only what the assistant
    tells drivers)."""
    policy = policy or settings.retention()
    now = now or dt.datetime.now(dt.timezone.utc)
    batch = policy.batch_size

    def before(days: int) -> dt.datetime:
        return now - dt.timedelta(days=days)

    kept = store.unresolved_handoff_conversations()
    conversations_cutoff = before(policy.conversations_days).timestamp()
    counts = {
        "ratings_anonymised": conversation_events.anonymise_ratings_before(
            events_engine, conversations_cutoff, kept, batch),
        "conversation_events": conversation_events.delete_before(events_engine, conversations_cutoff, kept, batch),
        "anonymised_ratings": conversation_events.delete_anonymised_ratings_before(
            events_engine, before(policy.ratings_days).timestamp(), batch),
    }
    counts.update(store.purge({
        "handoffs": before(policy.handoffs_days),
        "identity_failures": before(policy.identity_failures_days),
        "audit": before(policy.audit_days),
        "suggestions": before(policy.suggestions_days),
        "revoked_tokens": before(policy.revoked_tokens_days),
    }, batch))
    counts["conversation_holders"] = holders.purge(
        before(policy.conversation_holders_days),
        lambda ids: conversation_events.with_events(events_engine, ids), batch)
    return counts
