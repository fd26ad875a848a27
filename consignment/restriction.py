"""Q3 ③: 본인확인 → 어드민 조회 → which of the article's answers applies.

Pure decision code: the action passes the token, what the driver gave, and the repository,
and gets back one of five outcomes. Logs name the outcome and the reason code, never the
phone number, the token or the suspension reason.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import List, Optional, Protocol

from sqlalchemy.exc import SQLAlchemyError

from consignment import metrics, settings
from consignment.admin_db import AdminDataUnavailable, AdminRepository, Restriction
from consignment.identity import (
    FAILED_CHECKS_WINDOW,
    MAX_FAILED_CHECKS,
    IdentityNotVerified,
    match_record,
    verify_driver_token,
)
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
    CUSTOMER_BLOCKED = "customer_block"  # ⓑ
    NONE_ON_RECORD = "none_on_record"  # our addition: 1688-6618 / agent
    NOT_VERIFIED = "not_verified"  # nothing disclosed
    TOO_MANY_FAILED_CHECKS = "too_many_failed_checks"  # 5 failures this hour: no lookup, an agent
    UNAVAILABLE = "unavailable"  # database down: apologise, offer an agent

    # the article's answers (the CS lead counts them; a reason is never counted)
    OUTCOMES = (SUSPENDED, CUSTOMER_BLOCKED, NONE_ON_RECORD)


class FailedChecks(Protocol):
    """Where failed 본인확인 are counted (consignment.assist_store.AssistStore)."""

    def reserve_identity_check(self, driver_id: str, at: dt.datetime, window: dt.timedelta, limit: int) -> Optional[int]: ...

    def release_identity_check(self, reservation: int) -> None: ...


def answer_restriction_inquiry(
    token: Optional[str],
    given_name: Optional[str],
    given_phone_digest: Optional[str],
    repository: AdminRepository,
    failed_checks: FailedChecks,
    now: Optional[dt.datetime] = None,
) -> RestrictionAnswer:
    # the assistant's one clock (ASSISTANT_NOW, else the real time), as the admin lookup's
    now = now or settings.system_clock()
    try:
        driver_id = verify_driver_token(token)
    except IdentityNotVerified as refusal:
        logger.info("restriction inquiry: identity not verified (%s)", refusal.code)
        return RestrictionAnswer(RestrictionAnswer.NOT_VERIFIED)
    try:
        # the attempt is taken before the check runs (one atomic step): parallel conversations
        # with one token get no more than MAX_FAILED_CHECKS guesses in
        reservation = failed_checks.reserve_identity_check(driver_id, now, FAILED_CHECKS_WINDOW, MAX_FAILED_CHECKS)
    except SQLAlchemyError as outage:  # the failed-check count cannot be kept: no lookup
        metrics.count_dependency_error("assist_db")
        logger.warning("restriction inquiry: failed-check store unavailable (%s)", type(outage).__name__)
        return RestrictionAnswer(RestrictionAnswer.UNAVAILABLE)
    if reservation is None:
        logger.warning("restriction inquiry: too many failed identity checks for %s, no lookup", driver_id)
        return RestrictionAnswer(RestrictionAnswer.TOO_MANY_FAILED_CHECKS)
    try:
        try:
            verified = match_record(driver_id, given_name, given_phone_digest, repository.driver)
        except IdentityNotVerified as refusal:  # the reserved attempt stays: it is this failure
            logger.info("restriction inquiry: identity not verified (%s) for %s", refusal.code, driver_id)
            return RestrictionAnswer(RestrictionAnswer.NOT_VERIFIED)
        _give_back(failed_checks, reservation)
        reservation = None
        restriction = repository.restriction(verified.driver_id)
    except AdminDataUnavailable as outage:  # no check was evaluated: the attempt is given back
        metrics.count_dependency_error("admin_db")
        _give_back(failed_checks, reservation)
        logger.warning("restriction inquiry: admin data unavailable (%s)", outage)
        return RestrictionAnswer(RestrictionAnswer.UNAVAILABLE)
    # the outcome only: a driver's suspension status by id is personal data (issue 13 item 5)
    outcome = OUTCOME_OF_RESTRICTION[restriction.status]
    logger.info("restriction inquiry: answered (%s)", restriction.status, extra={"outcome": outcome})
    return RestrictionAnswer(outcome, reason=restriction.reason if outcome == RestrictionAnswer.SUSPENDED else None)


def _give_back(failed_checks: FailedChecks, reservation: Optional[int]) -> None:
    """A reserved attempt that was not a failure (None: already given back). If the store cannot
    take it back now, it stays counted (the safe side: one attempt fewer this hour), and the
    driver still gets the answer."""
    if reservation is None:
        return
    try:
        failed_checks.release_identity_check(reservation)
    except SQLAlchemyError as outage:
        logger.warning("restriction inquiry: an attempt could not be given back (%s)", type(outage).__name__)


# what the admin's record says → the article's answer (the driver's chat and the agent's lookup)
OUTCOME_OF_RESTRICTION = {
    Restriction.SUSPENDED: RestrictionAnswer.SUSPENDED,
    Restriction.CUSTOMER_BLOCKED: RestrictionAnswer.CUSTOMER_BLOCKED,
    Restriction.NONE: RestrictionAnswer.NONE_ON_RECORD,
}

RESPONSES = {
    RestrictionAnswer.SUSPENDED: "utter_restriction_suspended",
    RestrictionAnswer.CUSTOMER_BLOCKED: "utter_restriction_customer_block",
    RestrictionAnswer.NONE_ON_RECORD: "utter_restriction_none_on_record",
    RestrictionAnswer.NOT_VERIFIED: "utter_identity_not_verified",
    RestrictionAnswer.TOO_MANY_FAILED_CHECKS: "utter_identity_checks_exhausted",
    RestrictionAnswer.UNAVAILABLE: "utter_lookup_unavailable",
}
