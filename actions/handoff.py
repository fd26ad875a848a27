"""Handing a conversation to an agent, and asking again when a message was not understood."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    MAX_FORM_RETRIES,
    driver_intents,
    driver_messages,
    entity_values,
    in_staff_channel,
    latest_intent,
    run_blocking,
)
from actions.restriction_followup import answer_followup, reads_as_a_followup
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
from consignment.restriction import HANDOFF, other_call_types

logger = logging.getLogger(__name__)

HANDOFF_MESSAGES = {
    DRIVER_REQUEST: "utter_handoff",
    MISUNDERSTANDING: "utter_handoff_after_misunderstanding",
    OTHER_CALL_TYPE: "utter_handoff",
    NOT_CONSIGNMENT: "utter_handoff",
}


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str,
                    call_type: Optional[str] = None) -> List[Dict]:
    """Says an agent takes over, records the handoff with its context packet for the agent
    console, and pauses the conversation: the bot stays silent until the agent resolves it.
    `call_type`: the one this message named, when the slot does not hold it yet."""
    if in_staff_channel(tracker):  # staff are the agents: nothing to queue, nothing to pause
        dispatcher.utter_message(response="utter_no_handoff_in_staff_channel")
        return _reset_events()
    slots = tracker.current_slot_values()
    if call_type:
        slots = {**slots, "call_type": call_type}
    packet = handoff_packet(reason, driver_messages(tracker), slots, latest_intent(tracker), driver_intents(tracker))
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


async def hand_over_another_call_type(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[Dict]]:
    """A question (위탁콜이란, 보험, 지역, or one the NLU is unsure of) about another call type only —
    "예약콜은 어떻게 받아요?":
    guidance differs by call type and this assistant holds the 위탁콜 article only (CONTRACT
    §3.2), so an agent takes it, tagged with the call type; never the 위탁콜 answer to a question
    about another call. None — the article's answer follows — when the message names no call type
    or comes in the middle of the Q3 form (the form goes on; the agent is one request away), or
    names 위탁콜 (or 제휴콜) too: then a line first says the other type is an agent's to answer."""
    named = entity_values(tracker, "call_type")
    other = other_call_types(named)
    if not other or (tracker.active_loop or {}).get("name"):
        return None
    if len(other) < len(named):  # 위탁콜 named too: its answer follows, the other type is pointed to an agent
        dispatcher.utter_message(response="utter_other_call_type_named_too", call_type=other[0])
        return None
    dispatcher.utter_message(response="utter_guidance_differs_by_call_type", call_type=other[0])
    return [SlotSet("call_type", other[0])] + await hand_over(dispatcher, tracker, OTHER_CALL_TYPE, call_type=other[0])


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
        # unsure what is asked, sure of the call type: another call type's guidance is an agent's
        handed_over = await hand_over_another_call_type(dispatcher, tracker)
        if handed_over is not None:
            return handed_over
        if reads_as_a_followup(tracker):  # an unsure reading right after the Q3 answer, about it
            await answer_followup(dispatcher, tracker)
            return []
        dispatcher.utter_message(response="utter_default")
        return [SlotSet("misunderstood", True)]
