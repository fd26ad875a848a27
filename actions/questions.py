"""Q1 (위탁콜이란) and Q2 (지역)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, latest_text
from consignment.regions import service_regions
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
        places = entity_values(tracker, "region")
        if not places:
            dispatcher.utter_message(response="utter_service_regions")
            return []
        regions = service_regions()
        answered = set()
        for place in places:
            coverages = [c for c in regions.resolve(place) if c.place not in answered]
            answered.update(c.place for c in coverages)
            if not coverages and not regions.resolve(place):
                dispatcher.utter_message(response="utter_region_unknown", place=place)
            elif coverages:
                self._answer(dispatcher, place, coverages)
        return []

    @staticmethod
    def _answer(dispatcher: CollectingDispatcher, place: str, coverages: list) -> None:
        covered = {c.covered for c in coverages}
        if len(covered) == 1 and len(coverages) > 1:
            # 중구 (서울·부산·…): the same answer wherever it is
            coverages = [coverages[0]] if covered == {False} else coverages
            if covered == {True}:
                listed = "·".join(dict.fromkeys(c.listed_region for c in coverages))
                dispatcher.utter_message(response="utter_region_covered", place=place, listed_region=listed)
                return
        for coverage in coverages:
            # a shared name (고성: 강원/경남) is answered for each place it can be
            shown = coverage.place.official if len(coverages) > 1 else place
            if not coverage.covered:
                dispatcher.utter_message(response="utter_region_not_covered", place=shown)
            elif coverage.since:
                dispatcher.utter_message(
                    response="utter_region_covered_since",
                    place=shown,
                    listed_region=coverage.listed_region,
                    since=f"{coverage.since.year}년 {coverage.since.month}월 {coverage.since.day}일",
                )
            else:
                dispatcher.utter_message(
                    response="utter_region_covered", place=shown, listed_region=coverage.listed_region
                )
