"""Handing a conversation to an agent, and asking again when a message was not understood."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import driver_messages, latest_intent
from consignment.handoff import handoff_packet

logger = logging.getLogger(__name__)

HANDOFF_MESSAGES = {
    "driver_request": "utter_handoff",
    "misunderstanding": "utter_handoff_after_misunderstanding",
    "other_call_type": "utter_handoff",
    "not_consignment": "utter_handoff",
}


def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> List[Dict]:
    """Says an agent takes over and attaches the context packet for the channel to route."""
    packet = handoff_packet(reason, driver_messages(tracker), tracker.current_slot_values(), latest_intent(tracker))
    dispatcher.utter_message(response=HANDOFF_MESSAGES[reason], json_message={"handoff": packet})
    logger.info("handoff (%s): %s", reason, packet["summary"])
    return [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("triage", None),
        SlotSet("form_retries", 0),
        SlotSet("misunderstood", False),
        SlotSet("phone_digest", None),
    ]


def handoff_reason(tracker: Tracker) -> str:
    intent = latest_intent(tracker)
    if intent == "request_human":
        return "driver_request"
    if intent == "nlu_fallback" or (tracker.get_slot("form_retries") or 0) >= 2:
        return "misunderstanding"
    if tracker.get_slot("triage") == "handoff":
        known_type = tracker.get_slot("call_type")
        return "other_call_type" if known_type else "not_consignment"
    return "driver_request"


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return hand_over(dispatcher, tracker, handoff_reason(tracker))


class ActionAskRephrase(Action):
    """First misunderstanding: ask again with the topics offered; the second hands over."""

    def name(self) -> Text:
        return "action_ask_rephrase"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_default")
        return [SlotSet("misunderstood", True)]
