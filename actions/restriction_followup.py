"""Q3 follow-ups: "언제 풀려요?", "그 고객이 누구예요?", "왜 안 되는 건데요?", "다른 콜은 돼요?"
after the article's answer (issue 14 item 5). What each asks is content (content/vocabulary.yml
restriction_followup_cues); what each gets is consignment.restriction's table."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import driver_token, latest_text, run_blocking
from consignment.admin_db import default_repository
from consignment.restriction import (
    ANSWER_AND_FOLLOWUP_RESPONSES,
    ENDS,
    SUSPENSION_END_RESPONSES,
    RestrictionAnswer,
    SuspensionEnd,
    followup_responses,
    still_the_verified_driver,
    suspension_end,
)
from consignment.vocabulary import vocabulary


def asks_about_the_answer(tracker: Tracker) -> bool:
    """After the Q3 answer, "그러면 왜 수락이 안 되는 거예요?" or "언제부터 콜 받을 수 있나요?"
    asks about that answer, though it reads like a new report or a region question: nothing new
    in it (no 콜마너, no quoted message, no call type, no place) and a follow-up's word."""
    if tracker.get_slot("q3_outcome") not in RestrictionAnswer.OUTCOMES:
        return False
    vocab, text = vocabulary(), latest_text(tracker)
    entities = {found.get("entity") for found in tracker.latest_message.get("entities", []) or []}
    return (
        not entities & {"partner_app", "call_type", "region", "ordering_company"}
        and not vocab.mentions_partner_app(text)
        and not vocab.quotes_restriction_message(text)
        and vocab.has_restriction_followup_cue(text)
    )


def right_after_the_answer(tracker: Tracker) -> bool:
    """Whether the bot's last turn, before this message, gave the Q3 answer or answered a
    follow-up about it: only then does a message the NLU reads as small talk or cannot place
    count as a follow-up — "오늘 점심 언제 먹을까요?" three topics later is not one."""
    users_seen = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            users_seen += 1
            if users_seen == 2:  # the turn before this message is over
                return False
        elif kind == "bot" and users_seen == 1:
            if (event.get("metadata") or {}).get("utter_action") in ANSWER_AND_FOLLOWUP_RESPONSES:
                return True
    return False


def reads_as_a_followup(tracker: Tracker) -> bool:
    """A message the NLU read as out of scope or could not place that is a follow-up all the
    same: right after the Q3 answer, with a follow-up's word, about no topic the article leaves out
    ("수수료 언제 정산돼요?" is not one)."""
    return (right_after_the_answer(tracker) and asks_about_the_answer(tracker)
            and not vocabulary().uncovered_topic(latest_text(tracker)))


async def answer_followup(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The article's line for the answer the driver got (q3_outcome); an end date only from the
    record, for the driver who passed 본인확인 and still holds a valid token."""
    topic = vocabulary().restriction_followup_topic(latest_text(tracker))
    outcome = tracker.get_slot("q3_outcome")
    if outcome in RestrictionAnswer.OUTCOMES and still_the_verified_driver(
            driver_token(tracker), tracker.get_slot("q3_verified_driver")) is None:
        # the token expired since the answer, or another client asks: nothing of the record again
        dispatcher.utter_message(response=SUSPENSION_END_RESPONSES[SuspensionEnd.NOT_VERIFIED])
        return
    if topic == ENDS and outcome == RestrictionAnswer.SUSPENDED:
        end = await run_blocking(
            suspension_end, driver_token(tracker), tracker.get_slot("q3_verified_driver"), default_repository()
        )
        if end.kind == SuspensionEnd.ENDS_ON:
            dispatcher.utter_message(
                response=SUSPENSION_END_RESPONSES[end.kind],
                year=end.ends_at.year,
                month=end.ends_at.month,
                day=end.ends_at.day,
            )
        else:
            dispatcher.utter_message(response=SUSPENSION_END_RESPONSES[end.kind])
        return
    for response in followup_responses(topic, outcome):
        dispatcher.utter_message(response=response)


class ActionAnswerRestrictionFollowup(Action):
    """"언제 풀려요?", "그 고객이 누구예요?", "왜 안 되는 건데요?", "다른 콜은 돼요?" after the Q3
    answer."""

    def name(self) -> Text:
        return "action_answer_restriction_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        await answer_followup(dispatcher, tracker)
        return []
