"""Q1 (위탁콜이란) and Q2 (지역), and what to ask when a message answers no question."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, latest_intent, latest_text, offer_rating
from actions.handoff import hand_over_another_call_type
from actions.restriction_followup import answer_followup, asks_about_the_answer, reads_as_a_followup
from consignment.regions import ASKING_BACK, region_answer_lines, region_mentions
from consignment.vocabulary import vocabulary


class ActionExplainConsignmentCall(Action):
    """The definition, plus the policy lines the driver asked about (structure, 제휴 기사, 보험) —
    for 위탁콜; a question about another call type only goes to an agent."""

    def name(self) -> Text:
        return "action_explain_consignment_call"

    def answers(self, tracker: Tracker) -> List[str]:
        return ["utter_consignment_definition", *vocabulary().consignment_topic_responses(latest_text(tracker))]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        handed_over = await hand_over_another_call_type(dispatcher, tracker)
        if handed_over is not None:
            return handed_over
        for response in self.answers(tracker):
            dispatcher.utter_message(response=response)
        offer_rating(dispatcher, tracker)
        return []


class ActionAnswerConsignmentInsurance(ActionExplainConsignmentCall):
    """Which insurance covers a 위탁콜 drive: the article's line."""

    def name(self) -> Text:
        return "action_answer_consignment_insurance"

    def answers(self, tracker: Tracker) -> List[str]:
        return ["utter_consignment_insurance"]


class ActionAnswerServiceRegions(Action):
    """For the places a call starts from whether it is covered (출발지 기준: a destination is
    set aside, or the start asked for); the region list when a driver asks about regions
    without naming one. A bare answer outside any question (a name, a company, a number) gets
    a question back — never the list, never a lookup."""

    def name(self) -> Text:
        return "action_answer_service_regions"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        handed_over = await hand_over_another_call_type(dispatcher, tracker)
        if handed_over is not None:
            return handed_over
        places = region_mentions(latest_text(tracker), tracker.latest_message.get("entities") or [])
        if not places and asks_about_the_answer(tracker):  # "언제부터 콜 받을 수 있나요?" after Q3
            await answer_followup(dispatcher, tracker)
            return []
        if not places and latest_intent(tracker) != "ask_service_regions":
            dispatcher.utter_message(response="utter_ask_what_to_know")
            return []
        lines = region_answer_lines(places)
        for response, values in lines:
            dispatcher.utter_message(response=response, **values)
        if not any(response in ASKING_BACK for response, _ in lines):  # a question back is no answer to rate
            offer_rating(dispatcher, tracker)
        return []


class ActionAnswerOutOfScope(Action):
    """What the article does not cover: an agent; for a question about 콜마너 itself, also
    콜마너 운영센터 (1688-6618), where the partner's own notice sends its drivers."""

    def name(self) -> Text:
        return "action_answer_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if reads_as_a_followup(tracker):  # "그건 언제까지예요?" right after the Q3 answer
            await answer_followup(dispatcher, tracker)
            return []
        about_partner_app = bool(entity_values(tracker, "partner_app")) or vocabulary().mentions_partner_app(
            latest_text(tracker))
        dispatcher.utter_message(response="utter_out_of_scope_partner_app" if about_partner_app else "utter_out_of_scope")
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
