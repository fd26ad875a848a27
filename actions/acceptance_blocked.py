"""Q3: 콜마너 "발주사의 정책에 따라 현재 해당 콜은 배차 진행이 어렵습니다".

문의 재확인 (triage) → ① 공감 → ② 발주사 확인 → ③ 본인확인 → 조회 → ⓐ / ⓑ / 내역 없음.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    MAX_FORM_RETRIES,
    driver_token,
    entity_values,
    in_staff_channel,
    in_tokenless_channel,
    latest_intent,
    offer_rating,
    latest_text,
    run_blocking,
)
from actions.handoff import hand_over
from actions.restriction_followup import answer_followup, asks_about_the_answer
from consignment import metrics
from consignment.handoff import MISUNDERSTANDING
from consignment.admin_db import default_repository
from consignment.assist_store import default_store
from consignment.identity import driver_digest, phone_digest
from consignment.phone import mask_phone, normalize_phone
from consignment.restriction import (
    ASK_AGAIN,
    CONSIGNMENT,
    HANDOFF,
    RESPONSES,
    RestrictionAnswer,
    answer_restriction_inquiry,
    other_call_types,
    triage_inquiry,
)
from consignment.vocabulary import CONSIGNMENT_CALL, KAKAO_MOBILITY, vocabulary
from korean_nlu.text import extract_driver_name

logger = logging.getLogger(__name__)

OTHER_COMPANY = "다른 업체"
EXPLAINED_ELSEWHERE = "explained_elsewhere"
FOLLOWED_UP = "followed_up"  # the message asked about the answer already given

# Slots of one inquiry, cleared when it starts and when it is answered.
INQUIRY_SLOTS = ("ordering_company", "driver_name", "phone_number", "phone_digest")


def triage(tracker: Tracker) -> str:
    return triage_inquiry(
        latest_intent(tracker),
        latest_text(tracker),
        entity_values(tracker, "call_type"),
        bool(entity_values(tracker, "partner_app")),
        tracker.get_slot("triage") == ASK_AGAIN,
    )


class ActionTriageAcceptanceBlocked(Action):
    def name(self) -> Text:
        return "action_triage_acceptance_blocked"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if asks_about_the_answer(tracker):  # "그러면 왜 수락이 안 되는 거예요?" after the answer
            await answer_followup(dispatcher, tracker)
            return [SlotSet("triage", FOLLOWED_UP)]
        decision = triage(tracker)
        if decision == CONSIGNMENT and in_staff_channel(tracker):
            # no driver token in a staff channel: the two cases, and where they are looked up
            dispatcher.utter_message(response="utter_restriction_lookup_elsewhere")
            return [SlotSet("triage", EXPLAINED_ELSEWHERE)]
        events: List[Dict[Text, Any]] = [SlotSet("triage", decision)]
        if decision == CONSIGNMENT:
            dispatcher.utter_message(response="utter_empathy")
            companies = entity_values(tracker, "ordering_company")
            events += [SlotSet(slot, None) for slot in INQUIRY_SLOTS]
            events += [
                SlotSet("call_type", CONSIGNMENT_CALL),
                SlotSet("ordering_company", companies[0] if companies else None),
                SlotSet("form_retries", 0),
                SlotSet("unsure_answers", 0),
            ]
        elif decision == HANDOFF:
            other = other_call_types(entity_values(tracker, "call_type"))
            if other:
                events.append(SlotSet("call_type", other[0]))
                dispatcher.utter_message(response="utter_guidance_differs_by_call_type", call_type=other[0])
            else:  # the driver says it is not the 콜마너 message
                dispatcher.utter_message(response="utter_guidance_differs_by_situation")
        else:
            dispatcher.utter_message(response="utter_ask_inquiry_again")
        return events


class ValidateRestrictionForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_restriction_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        if (tracker.get_slot("form_retries") or 0) >= MAX_FORM_RETRIES:
            return []  # ends the form; the answer action hands over
        company = tracker.get_slot("ordering_company")
        if company and not vocabulary().is_kakao(company):
            return ["ordering_company"]  # another company: no 본인확인 needed
        if in_tokenless_channel(tracker):
            return ["ordering_company"]  # 본인확인 cannot succeed without a driver token: not asked
        return domain_slots

    def validate_ordering_company(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        vocab = vocabulary()
        text = latest_text(tracker)
        if _unsure(tracker):  # before anything else: "카카오인지 아닌지 모르겠어요" is no answer
            answers = (tracker.get_slot("unsure_answers") or 0) + 1
            dispatcher.utter_message(
                response="utter_ordering_company_where" if answers < 2 else "utter_unsure_offer_agent"
            )
            return {"ordering_company": None, "unsure_answers": answers}
        named = entity_values(tracker, "ordering_company") + vocab.companies_in(text)
        others = [c for c in named if c and not vocab.is_kakao(c) and c != OTHER_COMPANY]
        if others:  # "아니요 티맵이에요", "카카오 아니고 로지요"
            company = others[0]
        elif value == OTHER_COMPANY or vocab.says_other_company(text):
            company = OTHER_COMPANY
        elif value == KAKAO_MOBILITY or any(vocab.is_kakao(c) for c in named):
            company = KAKAO_MOBILITY
        else:
            company = None
        if company is None:
            dispatcher.utter_message(response="utter_ordering_company_unclear")
            return _retry(tracker, "ordering_company")
        if vocab.is_kakao(company):
            if in_tokenless_channel(tracker):
                return {"ordering_company": KAKAO_MOBILITY, "form_retries": 0}
            if not tracker.get_slot("driver_name") or not tracker.get_slot("phone_number"):
                dispatcher.utter_message(response="utter_start_identity_check")
            return {"ordering_company": KAKAO_MOBILITY, "form_retries": 0}
        return {"ordering_company": company, "form_retries": 0}

    async def extract_driver_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """A name-shaped answer to the name question is taken whatever intent the NLU gave it
        ("오세영" can look like a greeting); anything else is left to the mappings."""
        if tracker.get_slot("requested_slot") != "driver_name":
            return {}
        name = extract_driver_name(latest_text(tracker))
        return {"driver_name": name} if name else {}

    def validate_driver_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") == "driver_name" and _unsure(tracker):
            dispatcher.utter_message(response="utter_unsure_identity")
            return {"driver_name": None}
        name = extract_driver_name(str(value or ""))
        if name is None:
            dispatcher.utter_message(response="utter_invalid_driver_name")
            return _retry(tracker, "driver_name")
        return {"driver_name": name, "form_retries": 0}

    def validate_phone_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") == "phone_number" and _unsure(tracker):
            dispatcher.utter_message(response="utter_unsure_identity")
            return {"phone_number": None}
        phone = normalize_phone(str(value or ""))
        if phone is None:
            dispatcher.utter_message(response="utter_invalid_phone_number")
            return _retry(tracker, "phone_number")
        # the slot keeps only the masked number; the lookup compares the digest (CONTRACT §4)
        return {
            "phone_number": mask_phone(phone),
            "phone_digest": phone_digest(phone),
            "form_retries": 0,
        }


def _unsure(tracker: Tracker) -> bool:
    """The driver says they do not know ("잘 모르겠어요"), whatever else the message names."""
    return latest_intent(tracker) == "unsure" or vocabulary().says_unsure(latest_text(tracker))


def _retry(tracker: Tracker, slot: str) -> Dict[Text, Any]:
    return {slot: None, "form_retries": (tracker.get_slot("form_retries") or 0) + 1}


class ActionAnswerAcceptanceRestriction(Action):
    def name(self) -> Text:
        return "action_answer_acceptance_restriction"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        company: Optional[str] = tracker.get_slot("ordering_company")
        reset = [SlotSet(slot, None) for slot in INQUIRY_SLOTS] + [
            SlotSet("triage", None),
            SlotSet("form_retries", 0),
            SlotSet("unsure_answers", 0),
        ]
        if not company or (tracker.get_slot("form_retries") or 0) >= MAX_FORM_RETRIES:
            return await hand_over(dispatcher, tracker, MISUNDERSTANDING) + reset
        if not vocabulary().is_kakao(company):
            if company == OTHER_COMPANY:
                dispatcher.utter_message(response="utter_ask_other_company")
            else:
                dispatcher.utter_message(response="utter_ask_other_company_named", ordering_company=company)
            return reset
        if not in_tokenless_channel(tracker):  # there, no lookup runs: nothing to wait for
            dispatcher.utter_message(response="utter_please_wait")
        answer = await run_blocking(
            answer_restriction_inquiry,
            driver_token(tracker),
            tracker.get_slot("driver_name"),
            tracker.get_slot("phone_digest"),
            default_repository(),
            default_store(),
        )
        metrics.count_restriction_answer(answer.kind)
        if answer.kind == RestrictionAnswer.SUSPENDED:
            dispatcher.utter_message(response=RESPONSES[answer.kind], reason=answer.reason)
        else:
            dispatcher.utter_message(response=RESPONSES[answer.kind])
        if answer.kind in RestrictionAnswer.OUTCOMES:  # the article's answer was given: a topic ends
            offer_rating(dispatcher, tracker)
            reset.append(SlotSet("q3_outcome", answer.kind))
            # who passed 본인확인, as a keyed digest: a follow-up ("언제 풀려요?") looks up again
            # only for that driver's token
            reset.append(SlotSet("q3_verified_driver", driver_digest(answer.driver_id)))
        return reset
