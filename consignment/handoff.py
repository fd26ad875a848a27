"""The context packet an agent receives when the assistant hands over (CONTRACT §3.6).

What was asked, the call type, the consultation-type path, the slots filled and a one-line
summary — with phone numbers masked and no token, so the packet can be stored and shown.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from consignment.content import load_yaml
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


def consultation_path(call_type: Optional[str]) -> str:
    """대리_기사 ▶ 배정/운행 ▶ 배정정책 ▶ <상담 유형> (the article's 상담 유형)."""
    return load_yaml("agent_assist.yml")["consultation_path_prefix"] + vocabulary().consultation_type(call_type)


def handoff_packet(
    reason: str,
    driver_messages: List[str],
    slots: Dict[str, Any],
    intent: Optional[str],
) -> Dict[str, Any]:
    call_type = slots.get("call_type")
    filled = {name: slots[name] for name in SHARED_SLOTS if slots.get(name)}
    if "phone_number" in filled:
        filled["phone_number"] = mask_phone(filled["phone_number"])
    asked = [mask_phone_numbers_in(text) for text in driver_messages if text][-5:]
    content = load_yaml("agent_assist.yml")
    labels = content["summary_labels"]
    summary_parts = [content["handoff_reasons"].get(reason, reason)]
    if call_type:
        summary_parts.append(f"{labels['call_type']} {call_type}")
    if filled.get("ordering_company"):
        summary_parts.append(f"{labels['ordering_company']} {filled['ordering_company']}")
    if asked:
        summary_parts.append(f"{labels['last_message']}: {asked[-1][:60]}")
    return {
        "reason": reason,
        "intent": intent,
        "what_was_asked": asked,
        "call_type": call_type,
        "consultation_type": vocabulary().consultation_type(call_type),
        "consultation_path": consultation_path(call_type),
        "slots": filled,
        "summary": " · ".join(summary_parts),
    }
