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
    driver_digest,
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
    # the driver who passed 본인확인 (an answer of OUTCOMES only): never shown, never logged
    driver_id: Optional[str] = None

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
    return RestrictionAnswer(
        outcome,
        reason=restriction.reason if outcome == RestrictionAnswer.SUSPENDED else None,
        driver_id=verified.driver_id,
    )


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


# ── Q3 follow-ups: what a driver asks about the answer just given (issue 14 item 5) ──────────
# "언제 풀려요?" gets what the record shows (an end date, or that it shows none), never a guess;
# "그 고객이 누구예요?" never anything about the customer; "왜 안 되는 건데요?" and
# "다른 콜은 돼요?" the article's own lines for the answer the driver got.
WHO, ENDS, OTHER_CALLS, WHY = "who", "ends", "other_calls", "why"
BEFORE_LOOKUP = "utter_restriction_followup_before_lookup"

FOLLOWUP_RESPONSES = {
    (WHO, RestrictionAnswer.SUSPENDED): ["utter_restriction_customer_private"],
    (WHO, RestrictionAnswer.CUSTOMER_BLOCKED): ["utter_restriction_customer_private", "utter_restriction_other_calls_ok"],
    (WHO, RestrictionAnswer.NONE_ON_RECORD): ["utter_restriction_customer_private"],
    (OTHER_CALLS, RestrictionAnswer.SUSPENDED): ["utter_restriction_other_calls_suspended"],
    (OTHER_CALLS, RestrictionAnswer.CUSTOMER_BLOCKED): ["utter_restriction_other_calls_ok"],
    (OTHER_CALLS, RestrictionAnswer.NONE_ON_RECORD): ["utter_restriction_followup_none"],
    (ENDS, RestrictionAnswer.CUSTOMER_BLOCKED): ["utter_restriction_block_has_no_end"],
    (ENDS, RestrictionAnswer.NONE_ON_RECORD): ["utter_restriction_followup_none"],
    (WHY, RestrictionAnswer.SUSPENDED): ["utter_restriction_why_suspended"],
    (WHY, RestrictionAnswer.CUSTOMER_BLOCKED): ["utter_restriction_why_customer_block"],
    (WHY, RestrictionAnswer.NONE_ON_RECORD): ["utter_restriction_followup_none"],
}


def followup_responses(topic: str, outcome: Optional[str]) -> List[str]:
    """The responses for a follow-up about the Q3 answer the driver got (q3_outcome); before
    any answer, an offer to look it up. (ENDS, SUSPENDED) needs the record: suspension_end()."""
    if outcome not in RestrictionAnswer.OUTCOMES:
        return [BEFORE_LOOKUP]
    return FOLLOWUP_RESPONSES[(topic, outcome)]


@dataclass(frozen=True)
class SuspensionEnd:
    kind: str
    ends_at: Optional[dt.datetime] = None

    ENDS_ON = "ends_on"  # the record has an end date
    NO_END_ON_RECORD = "no_end_on_record"  # open-ended: the record shows no end date
    NOT_IN_FORCE = "not_in_force"  # no longer suspended when asked
    NOT_VERIFIED = RestrictionAnswer.NOT_VERIFIED
    UNAVAILABLE = RestrictionAnswer.UNAVAILABLE


def still_the_verified_driver(token: Optional[str], verified_driver: Optional[str]) -> Optional[str]:
    """The driver id when the token on this message is valid now and names the driver who passed
    본인확인 in this conversation (`verified_driver`: their digest); else None. Whatever follows
    from a Q3 answer — an end date, why, whether other calls work — says something of the record,
    so it is said only to them (CONTRACT §4), not to an expired token or another client."""
    try:
        driver_id = verify_driver_token(token)
    except IdentityNotVerified as refusal:
        logger.info("follow-up: identity not verified (%s)", refusal.code)
        return None
    if not verified_driver or driver_digest(driver_id) != verified_driver:
        logger.info("follow-up: the token is not the verified driver's")
        return None
    return driver_id


def suspension_end(
    token: Optional[str], verified_driver: Optional[str], repository: AdminRepository
) -> SuspensionEnd:
    """When the suspension of the driver who passed 본인확인 in this conversation ends, as the
    record says. The token on the asking message must still be valid and be that driver's: the
    end date is personal data like the reason (CONTRACT §4)."""
    driver_id = still_the_verified_driver(token, verified_driver)
    if driver_id is None:
        return SuspensionEnd(SuspensionEnd.NOT_VERIFIED)
    try:
        restriction = repository.restriction(driver_id)
    except AdminDataUnavailable as outage:
        logger.warning("suspension end: admin data unavailable (%s)", outage)
        return SuspensionEnd(SuspensionEnd.UNAVAILABLE)
    if restriction.status != Restriction.SUSPENDED:
        return SuspensionEnd(SuspensionEnd.NOT_IN_FORCE)
    if restriction.ends_at is None:
        return SuspensionEnd(SuspensionEnd.NO_END_ON_RECORD)
    return SuspensionEnd(SuspensionEnd.ENDS_ON, ends_at=restriction.ends_at)


SUSPENSION_END_RESPONSES = {
    SuspensionEnd.ENDS_ON: "utter_restriction_ends_on",
    SuspensionEnd.NO_END_ON_RECORD: "utter_restriction_end_not_on_record",
    SuspensionEnd.NOT_IN_FORCE: "utter_restriction_followup_none",
    SuspensionEnd.NOT_VERIFIED: "utter_identity_not_verified",
    SuspensionEnd.UNAVAILABLE: "utter_lookup_unavailable",
}

# what the bot says when it gives the Q3 answer or answers a follow-up about it: a message right
# after one of these may be a follow-up that reads like something else ("그건 언제까지예요?")
ANSWER_AND_FOLLOWUP_RESPONSES = frozenset(
    [RESPONSES[kind] for kind in RestrictionAnswer.OUTCOMES]
    + [name for names in FOLLOWUP_RESPONSES.values() for name in names]
    + [name for kind, name in SUSPENSION_END_RESPONSES.items() if kind != SuspensionEnd.UNAVAILABLE]
)
