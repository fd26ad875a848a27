"""Handing a conversation to an agent, and asking again when a message was not understood."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    MAX_FORM_RETRIES,
    driver_intents,
    driver_messages,
    in_staff_channel,
    latest_intent,
    run_blocking,
)
from consignment import metrics
from consignment.assist_store import default_store
from consignment.handoff import (
    DRIVER_REQUEST,
    MISUNDERSTANDING,
    NOT_CONSIGNMENT,
    OTHER_CALL_TYPE,
    RESET_AFTER_HANDOFF,
    handoff_packet,
)
from consignment.restriction import HANDOFF

logger = logging.getLogger(__name__)

HANDOFF_MESSAGES = {
    DRIVER_REQUEST: "utter_handoff",
    MISUNDERSTANDING: "utter_handoff_after_misunderstanding",
    OTHER_CALL_TYPE: "utter_handoff",
    NOT_CONSIGNMENT: "utter_handoff",
}


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> List[Dict]:
    """Says an agent takes over, records the handoff with its context packet for the agent
    console, and pauses the conversation: the bot stays silent until the agent resolves it."""
    if in_staff_channel(tracker):  # staff are the agents: nothing to queue, nothing to pause
        dispatcher.utter_message(response="utter_no_handoff_in_staff_channel")
        return _reset_events()
    packet = handoff_packet(reason, driver_messages(tracker), tracker.current_slot_values(), latest_intent(tracker),
                            driver_intents(tracker))
    events: List[Dict] = []
    try:
        packet["handoff_id"] = await run_blocking(
            default_store().open_handoff, tracker.sender_id, tracker.get_latest_input_channel(), packet
        )
        events.append(ConversationPaused())
    except Exception as error:  # the queue is down: say so, and keep the bot answering
        metrics.count_dependency_error("assist_db")
        logger.error("handoff could not be recorded: %s", type(error).__name__)
        dispatcher.utter_message(response="utter_handoff_unavailable")
        return _reset_events()
    dispatcher.utter_message(response=HANDOFF_MESSAGES[reason], json_message={"handoff": packet})
    metrics.count_handoff_opened(reason)
    logger.info("handoff recorded (%s)", reason, extra={"outcome": reason})  # the summary holds the driver's words: not for logs
    return _reset_events() + events


def _reset_events() -> List[Dict]:
    return [ActiveLoop(None)] + [SlotSet(slot, value) for slot, value in RESET_AFTER_HANDOFF.items()]


def handoff_reason(tracker: Tracker) -> str:
    intent = latest_intent(tracker)
    if intent == "request_human":
        return DRIVER_REQUEST
    if intent == "nlu_fallback" or (tracker.get_slot("form_retries") or 0) >= MAX_FORM_RETRIES:
        return MISUNDERSTANDING
    if tracker.get_slot("triage") == HANDOFF:
        known_type = tracker.get_slot("call_type")
        return OTHER_CALL_TYPE if known_type else NOT_CONSIGNMENT
    return DRIVER_REQUEST


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return await hand_over(dispatcher, tracker, handoff_reason(tracker))


class ActionAskRephrase(Action):
    """First misunderstanding: ask again with the topics offered; the second hands over."""

    def name(self) -> Text:
        return "action_ask_rephrase"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_default")
        return [SlotSet("misunderstood", True)]
