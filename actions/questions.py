"""Q1 (위탁콜이란) and Q2 (지역)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, latest_text
from consignment.regions import answer_lines
from consignment.vocabulary import vocabulary

TOPIC_RESPONSES = {
    "structure": "utter_consignment_structure",
    "partner_driver": "utter_partner_driver",
    "insurance": "utter_consignment_insurance",
}


class ActionExplainConsignmentCall(Action):
    """The definition, plus the policy lines the driver asked about (structure, 제휴 기사, 보험)."""

    def name(self) -> Text:
        return "action_explain_consignment_call"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_consignment_definition")
        for topic in vocabulary().consignment_topics_in(latest_text(tracker)):
            dispatcher.utter_message(response=TOPIC_RESPONSES[topic])
        return []


class ActionAnswerServiceRegions(Action):
    """The region list, or for each named place whether a call starting there is covered."""

    def name(self) -> Text:
        return "action_answer_service_regions"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        for response, values in answer_lines(entity_values(tracker, "region")):
            dispatcher.utter_message(response=response, **values)
        return []
