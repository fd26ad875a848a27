"""A conversation an agent owns stays paused across session starts.

Rasa resets a conversation's pause when a new session starts (SessionStarted resets the
tracker): a driver writing more than `session_expiration_time` after a handoff would get the
bot's answers while an agent owns the conversation. The session start therefore pauses the
conversation again while its handoff is open (not resolved) in the agents' queue.
"""
from __future__ import annotations

import asyncio
import logging
from typing import List

from rasa.core.actions.action import ActionSessionStart
from rasa.shared.core.events import ConversationPaused, Event

from consignment.assist_store import default_store

logger = logging.getLogger(__name__)

_original_run = ActionSessionStart.run


async def _start_session_keeping_handoff(self: ActionSessionStart, output_channel, nlg, tracker, domain) -> List[Event]:
    was_paused = tracker.is_paused()  # the old session's state, before SessionStarted resets it
    events = await _original_run(self, output_channel, nlg, tracker, domain)
    if was_paused:  # an agent owned it a moment ago: only their resolve resumes it
        logger.info("new session of a handed-over conversation: stays paused")
        events.append(ConversationPaused())
        return events
    try:
        open_handoff = await asyncio.get_running_loop().run_in_executor(
            None, default_store().has_open_handoff, tracker.sender_id
        )
    except Exception as error:  # the queue is down: it was not paused, so nobody owned it
        logger.warning("could not check for an open handoff at session start: %s", type(error).__name__)
        return events
    if open_handoff:
        logger.info("new session of a handed-over conversation: stays paused")
        events.append(ConversationPaused())
    return events


def install() -> None:
    if ActionSessionStart.run is not _start_session_keeping_handoff:
        ActionSessionStart.run = _start_session_keeping_handoff
