"""A conversation is paused exactly while the agents' queue has an open or taken handoff for it.

The queue (consignment/assist_store.py, `assist_handoffs`) is the one source of truth; the
tracker's ConversationPaused / ConversationResumed events follow it. Before each turn Rasa's
processor fetches the conversation (and starts a new session when the old one expired); right
after that, and before the driver's message is logged or anything predicted, the tracker is
reconciled with the queue:

- no unresolved handoff, tracker paused → ConversationResumed (and the bot listens again): a
  resolve whose tracker write failed cannot silence the driver;
- an unresolved handoff, tracker not paused → ConversationPaused: a new session (SessionStarted
  resets the pause) or a /restart cannot hand the conversation back to the bot while an agent
  owns it.

If the queue cannot be read, the turn fails closed: it keeps the state of the latest
ConversationPaused/Resumed event in the tracker's events — including the previous session's,
which are still in memory during the turn that starts a new session.
"""
from __future__ import annotations

import asyncio
import logging
from typing import List, Optional, Tuple

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from consignment import metrics
from consignment.assist_store import default_store
from server import self_check

logger = logging.getLogger(__name__)

# What this module relies on in Rasa 3.6 beyond its public API (checked at start: server/self_check.py):
# every turn (log_message, execute_action, reminders, external events) fetches its tracker here
self_check.requires(__name__, "rasa.core.processor.MessageProcessor.fetch_tracker_and_update_session",
                    signature=("self", "sender_id", "output_channel", "metadata"))
self_check.requires(__name__, "rasa.core.processor.MessageProcessor", "log_message",
                    "_should_handle_message")

# set on a collecting output channel (REST) for its turn: True while an agent owns the conversation
HANDED_OVER = "handed_over"

# a queue that does not answer within this is treated as down (the turn must not hang on it)
QUEUE_TIMEOUT_S = 5.0

_original_fetch = MessageProcessor.fetch_tracker_and_update_session


async def handed_over(conversation_id: str) -> Optional[bool]:
    """Whether the queue holds an open or taken handoff for the conversation; None when the
    queue cannot be read."""
    try:
        return await asyncio.wait_for(
            asyncio.get_running_loop().run_in_executor(None, default_store().has_open_handoff, conversation_id),
            QUEUE_TIMEOUT_S,
        )
    except Exception as error:
        metrics.count_dependency_error("assist_db")
        logger.warning("handoff queue unreadable, the pause stays as recorded: %s", type(error).__name__)
        return None


def last_recorded_pause(tracker: DialogueStateTracker) -> bool:
    """The pause as the latest ConversationPaused/Resumed event left it, whatever reset the
    tracker since (a session start, a restart)."""
    for event in reversed(tracker.events):
        if isinstance(event, ConversationPaused):
            return True
        if isinstance(event, ConversationResumed):
            return False
    return False


def reconciling_events(tracker: DialogueStateTracker, in_queue: Optional[bool]) -> List[Event]:
    """What makes the tracker's pause match the queue (`in_queue` None: the queue is down)."""
    should_pause = last_recorded_pause(tracker) if in_queue is None else in_queue
    if should_pause and not tracker.is_paused():
        return [ConversationPaused()]
    if not should_pause and tracker.is_paused():
        events: List[Event] = [ConversationResumed()]
        if not _listening(tracker):  # the paused turns never reached action_listen
            events.append(ActionExecuted(ACTION_LISTEN_NAME))
        return events
    return []


def _listening(tracker: DialogueStateTracker) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted):
            return event.action_name == ACTION_LISTEN_NAME
    return True


async def reconcile(tracker: DialogueStateTracker, domain=None) -> List[Event]:
    """Brings the tracker's pause in line with the queue; the events it appended."""
    events = reconciling_events(tracker, await handed_over(tracker.sender_id))
    for event in events:
        tracker.update(event, domain)
    if events:
        logger.info("conversation %s to match the handoff queue",
                    "paused" if isinstance(events[0], ConversationPaused) else "resumed")
    return events


# marks an agent's reply among a REST turn's messages (the channel decides whether it may go out)
AGENT_REPLY = "_agent_reply"


async def _fetch_reconciled(self: MessageProcessor, sender_id, output_channel=None, metadata=None) -> DialogueStateTracker:
    tracker = await _original_fetch(self, sender_id, output_channel, metadata)
    await reconcile(tracker, self.domain)
    if isinstance(output_channel, CollectingOutputChannel):
        # a client without push (REST) hears what the agent wrote since its last message — during
        # the handoff, or before the resolve — ahead of anything the bot says; a widget had it
        # pushed already. The channel is told whether the turn is handed over (the bot stays silent)
        for text in agent_replies_since_the_drivers_last_message(tracker):
            output_channel.messages.append({"recipient_id": sender_id, "text": text, AGENT_REPLY: True})
        setattr(output_channel, HANDED_OVER, tracker.is_paused())
    return tracker


def _agent_reply(event) -> bool:
    """What an agent wrote to the driver (the assist API stores it as a bot message with its agent)."""
    return isinstance(event, BotUttered) and bool(event.text) and bool((event.metadata or {}).get("agent_id"))


def agent_replies_since_the_drivers_last_message(tracker: DialogueStateTracker) -> List[str]:
    replies: List[str] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if _agent_reply(event):
            replies.append(event.text)
    return replies[::-1]


def agent_replies_after(tracker: DialogueStateTracker, after: float) -> List[Tuple[str, float]]:
    """(text, time) of what agents wrote to the conversation after `after` (a REST client's poll)."""
    return [(event.text, event.timestamp) for event in tracker.events if _agent_reply(event) and event.timestamp > after]


async def sync_tracker(agent, conversation_id: str) -> bool:
    """Writes the queue's verdict into the stored conversation now (after a resolve), under the
    conversation's lock. Best effort: False when the conversation store or lock fails — the
    driver's next turn reconciles anyway."""
    try:
        async with agent.lock_store.lock(conversation_id):
            tracker = await agent.tracker_store.retrieve(conversation_id)
            if tracker is None:
                return True
            if await reconcile(tracker, agent.domain):
                await agent.tracker_store.save(tracker)
        return True
    except Exception as error:
        logger.warning("conversation not updated after the handoff changed (%s): its next turn catches up",
                       type(error).__name__)
        return False


def install() -> None:
    if MessageProcessor.fetch_tracker_and_update_session is not _fetch_reconciled:
        MessageProcessor.fetch_tracker_and_update_session = _fetch_reconciled
