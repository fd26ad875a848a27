"""The context packet an agent receives when the assistant hands over (CONTRACT §3.6).

What was asked, the call type, the consultation-type path, the slots filled and a one-line
summary — with phone numbers masked and no token, so the packet can be stored and shown.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from consignment.vocabulary import vocabulary
from korean_nlu.text import mask_phone, mask_phone_numbers_in

CONSULTATION_PATH_PREFIX = "대리_기사 ▶ 배정/운행 ▶ 배정정책 ▶ "

REASONS = {
    "driver_request": "기사님 요청",
    "misunderstanding": "연속 미이해",
    "other_call_type": "위탁콜 외 콜타입",
    "not_consignment": "위탁콜(콜마너) 외 상황",
}

SHARED_SLOTS = ("call_type", "partner_app", "ordering_company", "driver_name", "phone_number")


def consultation_path(call_type: Optional[str]) -> str:
    return CONSULTATION_PATH_PREFIX + vocabulary().consultation_type(call_type)


def handoff_packet(
    reason: str,
    driver_messages: List[str],
    slots: Dict[str, Any],
    intent: Optional[str],
) -> Dict[str, Any]:
    call_type = slots.get("call_type")
    filled = {name: slots[name] for name in SHARED_SLOTS if slots.get(name)}
    if "phone_number" in filled:
        filled["phone_number"] = mask_phone(filled["phone_number"]) if "*" not in filled["phone_number"] else filled["phone_number"]
    asked = [mask_phone_numbers_in(text) for text in driver_messages if text][-5:]
    summary_parts = [REASONS.get(reason, reason)]
    if call_type:
        summary_parts.append(f"콜타입 {call_type}")
    if filled.get("ordering_company"):
        summary_parts.append(f"발주사 {filled['ordering_company']}")
    if asked:
        summary_parts.append(f"마지막 문의: {asked[-1][:60]}")
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
