"""Q3 ③: 본인확인 → 어드민 조회 → which of the article's answers applies.

Pure decision code: the action passes the token, what the driver gave, and the repository,
and gets back one of five outcomes. Logs name the outcome and the reason code, never the
phone number, the token or the suspension reason.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import List, Optional

from consignment.admin_db import AdminDataUnavailable, AdminRepository, Restriction
from consignment.identity import IdentityNotVerified, verify_driver
from consignment.vocabulary import CONSIGNMENT_CALL, PARTNER_CALL, vocabulary

logger = logging.getLogger(__name__)


# 문의 재확인 outcomes for a "콜 수락이 안 돼요" inquiry
CONSIGNMENT = "consignment"  # this article's 위탁콜 restriction: run the Q3 flow
ASK_AGAIN = "ask_again"  # no sign of 콜마너: ask back what the driver sees
HANDOFF = "handoff"  # another call type, or not the 콜마너 message: an agent takes over


def other_call_types(call_types: List[str]) -> List[str]:
    """The call types named that are not this article's (위탁콜, or 제휴콜 as 콜마너 calls it)."""
    return [t for t in call_types if t not in (CONSIGNMENT_CALL, PARTNER_CALL)]


def triage_inquiry(
    intent: Optional[str],
    text: str,
    call_types: List[str],
    partner_app_named: bool,
    asked_again: bool,
) -> str:
    """문의 재확인 (CONTRACT §3.1–3.2) for one message of a "콜 수락이 안 돼요" inquiry."""
    vocab = vocabulary()
    if asked_again and intent in ("affirm", "deny"):
        return CONSIGNMENT if intent == "affirm" else HANDOFF
    partner_context = (
        partner_app_named or vocab.mentions_partner_app(text) or vocab.quotes_restriction_message(text)
    )
    # 제휴콜 in a 콜마너 context is this article's 위탁콜
    if CONSIGNMENT_CALL in call_types or (partner_context and PARTNER_CALL in call_types):
        return CONSIGNMENT
    if other_call_types(call_types):
        return HANDOFF
    return CONSIGNMENT if partner_context else ASK_AGAIN


@dataclass(frozen=True)
class RestrictionAnswer:
    kind: str
    reason: Optional[str] = None

    SUSPENDED = "suspended"  # ⓐ
    CUSTOMER_BLOCKED = "customer_blocked"  # ⓑ
    NONE_ON_RECORD = "none_on_record"  # our addition: 1688-6618 / agent
    NOT_VERIFIED = "not_verified"  # nothing disclosed
    UNAVAILABLE = "unavailable"  # database down: apologise, offer an agent


def answer_restriction_inquiry(
    token: Optional[str],
    given_name: Optional[str],
    given_phone_digest: Optional[str],
    repository: AdminRepository,
) -> RestrictionAnswer:
    try:
        verified = verify_driver(token, given_name, given_phone_digest, repository.driver)
        restriction = repository.restriction(verified.driver_id)
    except IdentityNotVerified as refusal:
        logger.info("restriction inquiry: identity not verified (%s)", refusal.code)
        return RestrictionAnswer(RestrictionAnswer.NOT_VERIFIED)
    except AdminDataUnavailable as outage:
        logger.warning("restriction inquiry: admin data unavailable (%s)", outage)
        return RestrictionAnswer(RestrictionAnswer.UNAVAILABLE)
    logger.info("restriction inquiry: %s for %s", restriction.status, verified.driver_id)
    if restriction.status == Restriction.SUSPENDED:
        return RestrictionAnswer(RestrictionAnswer.SUSPENDED, reason=restriction.reason)
    if restriction.status == Restriction.CUSTOMER_BLOCKED:
        return RestrictionAnswer(RestrictionAnswer.CUSTOMER_BLOCKED)
    return RestrictionAnswer(RestrictionAnswer.NONE_ON_RECORD)


RESPONSES = {
    RestrictionAnswer.SUSPENDED: "utter_restriction_suspended",
    RestrictionAnswer.CUSTOMER_BLOCKED: "utter_restriction_customer_block",
    RestrictionAnswer.NONE_ON_RECORD: "utter_restriction_none_on_record",
    RestrictionAnswer.NOT_VERIFIED: "utter_identity_not_verified",
    RestrictionAnswer.UNAVAILABLE: "utter_lookup_unavailable",
}
