"""When the action server cannot be reached, the driver hears an apology, not silence or a guess.

Rasa 3.6 logs a failed custom action and carries on predicting with the action's events lost,
which can leave the driver without a reply or walk a rule on to an unrelated answer. Wrapping
RemoteAction.run turns "could not run the action" into one apology (utter_action_server_unavailable,
with the agent button), and waits for the driver. ActionExecutionRejection (a form rejecting a
message) passes unchanged.

The apology's 상담원 연결 button sends /request_human, whose action is remote too: a handoff that
cannot reach the action server is done here, in the Rasa server (it reaches the agents' queue
directly), so the button never loops back to the same apology. If the queue cannot be reached
either, the driver is told so honestly (utter_handoff_unavailable).
"""
from __future__ import annotations

import asyncio
import logging
from typing import List, Optional

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActiveLoop,
    ConversationPaused,
    Event,
    FollowupAction,
    SlotSet,
    UserUttered,
)
from rasa.shared.exceptions import RasaException

from consignment import metrics
from consignment.assist_store import default_store
from consignment.handoff import ACTION_SERVER_UNAVAILABLE, RESET_AFTER_HANDOFF, STAFF_CHANNELS, handoff_packet
from server import self_check

logger = logging.getLogger(__name__)

self_check.requires(__name__, "rasa.core.actions.action.RemoteAction.run",
                    signature=("self", "output_channel", "nlg", "tracker", "domain"))

HANDOFF_ACTION = "action_handoff"
HANDOFF_INTENT = "request_human"

_original_run = RemoteAction.run


async def _run_or_apologise(self: RemoteAction, output_channel, nlg, tracker, domain) -> List[Event]:
    try:
        return await _original_run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except RasaException as error:
        metrics.count_dependency_error("action_server")
        logger.error("action server unavailable for '%s': %s", self.name(), str(error).splitlines()[0])
        if self.name() == HANDOFF_ACTION or tracker.latest_message.intent.get("name") == HANDOFF_INTENT:
            return await hand_over_without_action_server(output_channel, nlg, tracker)
        metrics.TURN_FAILURES.labels(metrics.bounded(tracker.get_latest_input_channel(), metrics.CHANNELS)).inc()
        return [
            await utterance(nlg, tracker, output_channel, "utter_action_server_unavailable"),
            ActiveLoop(None),
            FollowupAction(ACTION_LISTEN_NAME),
        ]


async def utterance(nlg, tracker, output_channel, response: str, custom: Optional[dict] = None):
    """A BotUttered for a domain response, filled in by the server's response generator."""
    message = await nlg.generate(response, tracker, output_channel.name()) or {"text": ""}
    message["utter_action"] = response
    if custom:
        message["custom"] = custom
    return create_bot_utterance(message)


async def hand_over_without_action_server(output_channel, nlg, tracker) -> List[Event]:
    """The handoff the action would do, from the Rasa server: queue, pause, tell the driver."""
    reset = [ActiveLoop(None)] + [SlotSet(slot, value) for slot, value in RESET_AFTER_HANDOFF.items()]
    if tracker.get_latest_input_channel() in STAFF_CHANNELS:
        return [await utterance(nlg, tracker, output_channel, "utter_no_handoff_in_staff_channel"), *reset]
    driver_messages = [
        event.text or "" for event in tracker.events
        if isinstance(event, UserUttered) and not (event.text or "").startswith("/")
    ]
    packet = handoff_packet(
        ACTION_SERVER_UNAVAILABLE, driver_messages, tracker.current_slot_values(),
        tracker.latest_message.intent.get("name"),
        [event.intent.get("name") for event in tracker.events if isinstance(event, UserUttered)],
    )
    try:
        packet["handoff_id"] = await asyncio.get_running_loop().run_in_executor(
            None, default_store().open_handoff, tracker.sender_id, tracker.get_latest_input_channel(), packet
        )
    except Exception as error:  # the queue is unreachable too: say so, never the same apology
        metrics.count_dependency_error("assist_db")
        logger.error("handoff could not be recorded either: %s", type(error).__name__)
        return [await utterance(nlg, tracker, output_channel, "utter_handoff_unavailable"), *reset,
                FollowupAction(ACTION_LISTEN_NAME)]
    metrics.count_handoff_opened(ACTION_SERVER_UNAVAILABLE)
    logger.info("handoff recorded by the Rasa server (action server down)", extra={"outcome": ACTION_SERVER_UNAVAILABLE})  # never the driver's words
    said = await utterance(nlg, tracker, output_channel, "utter_handoff", custom={"handoff": packet})
    return [said, *reset, ConversationPaused()]


def install() -> None:
    if RemoteAction.run is not _run_or_apologise:
        RemoteAction.run = _run_or_apologise
