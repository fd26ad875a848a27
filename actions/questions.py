"""Q1 (위탁콜이란) and Q2 (지역), and what to ask when a message answers no question."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, latest_intent, latest_text, offer_rating
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
        offer_rating(dispatcher, tracker)
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
        lines = answer_lines(places)
        for response, values in lines:
            dispatcher.utter_message(response=response, **values)
        if not any(response == "utter_region_unknown" for response, _ in lines):
            offer_rating(dispatcher, tracker)
        return []


class ActionOfferRating(Action):
    """The rating buttons after an answer given by a response alone (Q1 보험)."""

    def name(self) -> Text:
        return "action_offer_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        offer_rating(dispatcher, tracker)
        return []
