"""Q1 (위탁콜이란) and Q2 (지역), and what to ask when a message answers no question."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, latest_intent, latest_text
from consignment.regions import answer_lines
from consignment.vocabulary import vocabulary


class ActionExplainConsignmentCall(Action):
    """The definition, plus the policy lines the driver asked about (structure, 제휴 기사, 보험)."""

    def name(self) -> Text:
        return "action_explain_consignment_call"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_consignment_definition")
        for response in vocabulary().consignment_topic_responses(latest_text(tracker)):
            dispatcher.utter_message(response=response)
        return []


class ActionAnswerServiceRegions(Action):
    """For each named place whether a call starting there is covered; the region list when a
    driver asks about regions without naming one. A bare answer outside any question (a name,
    a company, a number) gets a question back — never the list, never a lookup."""

    def name(self) -> Text:
        return "action_answer_service_regions"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        places = entity_values(tracker, "region")
        if not places and latest_intent(tracker) != "ask_service_regions":
            dispatcher.utter_message(response="utter_ask_what_to_know")
            return []
        for response, values in answer_lines(places):
            dispatcher.utter_message(response=response, **values)
        return []
