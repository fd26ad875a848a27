"""The context packet an agent receives when the assistant hands over (CONTRACT §3.6).

What was asked, the call type, the consultation-type path, the slots filled and a one-line
summary — with phone numbers and pasted tokens masked, so the packet can be stored and shown.

Staff see it in two cuts: every agent's queue shows only the queue view (why, which call type,
the one-line summary); the driver's messages and slots come with the full packet, to the agent
who takes the conversation (server/assist/handoffs.py).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from consignment.content import load_yaml
from consignment.identity import mask_tokens_in
from consignment.phone import mask_phone, mask_phone_numbers_in
from consignment.vocabulary import vocabulary

# Why a conversation is handed over (labels in content/agent_assist.yml `handoff_reasons`)
DRIVER_REQUEST = "driver_request"
MISUNDERSTANDING = "misunderstanding"
OTHER_CALL_TYPE = "other_call_type"
NOT_CONSIGNMENT = "not_consignment"
ACTION_SERVER_UNAVAILABLE = "action_server_unavailable"

# Channels where staff, not drivers, talk to the assistant: no driver token, so never a
# suspension lookup there, and no handoff queue either (staff are the agents).
STAFF_CHANNELS = ("slack",)

# What a handoff leaves behind, whoever does it (the action, or the Rasa server when the action
# server is down): no form, no half-done inquiry, no digest of a phone number
RESET_AFTER_HANDOFF = {
    "requested_slot": None, "triage": None, "form_retries": 0, "misunderstood": False, "phone_digest": None,
}

SHARED_SLOTS = ("call_type", "partner_app", "ordering_company", "driver_name", "phone_number")

# The packet's fields every agent's queue shows; the rest (the driver's messages, the slots)
# only the agent who takes the conversation sees.
QUEUE_FIELDS = ("reason", "intent", "call_type", "consultation_type", "consultation_path", "summary", "handoff_id",
                "topic", "identity_check")
UNKNOWN_REASON = "unknown"
UNKNOWN = "unknown"

# How far 본인확인 went before the handoff (content/agent_assist.yml `identity_check`)
IDENTITY_DONE, IDENTITY_STARTED, IDENTITY_NOT_STARTED = "done", "started", "not_started"
# The slot that holds which of the article's Q3 answers the driver got: only a verified driver gets one
Q3_OUTCOME_SLOT = "q3_outcome"


def reason_label(reason: Optional[str]) -> str:
    """The Korean label staff read for a handoff reason (content/agent_assist.yml)."""
    labels = load_yaml("agent_assist.yml")["handoff_reasons"]
    return labels.get(reason or UNKNOWN_REASON) or labels[UNKNOWN_REASON]


def reason_labels() -> Dict[str, str]:
    return dict(load_yaml("agent_assist.yml")["handoff_reasons"])


def topic_of(driver_intents: List[Optional[str]]) -> Optional[str]:
    """Which of the article's questions (q1, q2, q3) the driver asked last, or None."""
    topics = load_yaml("agent_assist.yml")["topics"]
    topic_by_intent = {intent: key for key, spec in topics.items() for intent in spec["intents"]}
    for intent in reversed(driver_intents):
        if intent in topic_by_intent:
            return topic_by_intent[intent]
    return None


def identity_check_of(slots: Dict[str, Any]) -> str:
    """done once the driver got one of the Q3 answers (only a verified driver does); started
    while the name or phone is given but not yet checked; else not_started."""
    if slots.get(Q3_OUTCOME_SLOT):
        return IDENTITY_DONE
    if slots.get("driver_name") or slots.get("phone_number") or slots.get("phone_digest"):
        return IDENTITY_STARTED
    return IDENTITY_NOT_STARTED


def queue_labels(input_channel: Optional[str], packet: Dict[str, Any]) -> Dict[str, str]:
    """The Korean labels the agents' queue shows for a handoff's bounded fields (a packet stored
    before these fields existed gets the "unknown" labels)."""
    content = load_yaml("agent_assist.yml")
    topics, checks, channels = content["topics"], content["identity_check"], content["channels"]
    return {
        "topic_label": (topics.get(packet.get("topic") or UNKNOWN) or topics[UNKNOWN])["label"],
        "identity_check_label": checks.get(packet.get("identity_check") or "", ""),
        "channel_label": channels.get(input_channel or UNKNOWN) or channels[UNKNOWN],
    }


def masked(text: str) -> str:
    """A driver's text as staff may read it: phone numbers and pasted tokens masked."""
    return mask_tokens_in(mask_phone_numbers_in(text))


def queue_view(packet: Dict[str, Any]) -> Dict[str, Any]:
    return {name: packet[name] for name in QUEUE_FIELDS if name in packet}


def consultation_path(call_type: Optional[str]) -> str:
    """대리_기사 ▶ 배정/운행 ▶ 배정정책 ▶ <상담 유형> (the article's 상담 유형)."""
    return load_yaml("agent_assist.yml")["consultation_path_prefix"] + vocabulary().consultation_type(call_type)


def handoff_packet(
    reason: str,
    driver_messages: List[str],
    slots: Dict[str, Any],
    intent: Optional[str],
    driver_intents: Optional[List[Optional[str]]] = None,
) -> Dict[str, Any]:
    """`driver_intents`: the intents of the driver's messages in order (the topic they were in)."""
    call_type = slots.get("call_type")
    filled = {name: slots[name] for name in SHARED_SLOTS if slots.get(name)}
    for name, value in filled.items():
        if isinstance(value, str):
            filled[name] = mask_phone(value) if name == "phone_number" else masked(value)
    asked = [masked(text) for text in driver_messages if text][-5:]
    content = load_yaml("agent_assist.yml")
    labels = content["summary_labels"]
    summary_parts = [reason_label(reason)]
    if call_type:
        summary_parts.append(f"{labels['call_type']} {call_type}")
    if filled.get("ordering_company"):
        summary_parts.append(f"{labels['ordering_company']} {filled['ordering_company']}")
    # the summary is what every agent's queue shows: queue data only, never the driver's words
    # (those are the taker's: `what_was_asked` and the transcript)
    return {
        "reason": reason,
        "intent": intent,
        "what_was_asked": asked,
        "call_type": call_type,
        "consultation_type": vocabulary().consultation_type(call_type),
        "consultation_path": consultation_path(call_type),
        "slots": filled,
        "summary": " · ".join(summary_parts),
        "topic": topic_of(driver_intents or [intent]),
        "identity_check": identity_check_of(slots),
    }
