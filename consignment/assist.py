"""Agent assist: what the agent should say and do next for one driver message.

Pure: given the NLU's parse of the message, the responses (the article's scripts), and —
optionally — the state of the driver's conversation, it builds the suggestion card. It reads
the conversation and never changes it.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from consignment.admin_db import AdminRepository, Restriction
from consignment.content import load_yaml
from consignment.handoff import consultation_path
from consignment.regions import answer_lines
from consignment.restriction import ASK_AGAIN, HANDOFF, other_call_types, triage_inquiry
from consignment.vocabulary import CONSIGNMENT_CALL, vocabulary
from korean_nlu.text import mask_phone, normalize_phone

Responses = Dict[str, List[Dict[str, Any]]]


def render(responses: Responses, name: str, values: Optional[Dict[str, Any]] = None) -> Dict[str, str]:
    """The response's first variant, filled in: a line the agent can say as it is."""
    text = responses[name][0]["text"]
    for key, value in (values or {}).items():
        text = text.replace("{" + key + "}", str(value))
    return {"response": name, "text": text}


def suggest(parse: Dict[str, Any], responses: Responses, conversation: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    config = load_yaml("agent_assist.yml")
    intent = parse.get("intent") or {}
    name = intent.get("name") or "nlu_fallback"
    entities = [
        {"entity": e["entity"], "value": mask_phone(e["value"]) if e["entity"] == "phone_number" else e["value"]}
        for e in parse.get("entities") or []
    ]
    named = {e["entity"]: [x["value"] for x in entities if x["entity"] == e["entity"]] for e in entities}
    spec = config["intents"].get(name, config["intents"]["nlu_fallback"])
    call_type = (named.get("call_type") or [spec.get("call_type")])[0]
    script = [render(responses, r) for r in spec["script"]]
    next_step = spec["next_step"]
    step = spec.get("response_step", "문의 재확인")
    references = [config["references"][key] for key in spec["references"]]
    state = _conversation_state(conversation)

    if name == "report_acceptance_blocked":
        decision = triage_inquiry(name, parse.get("text") or "", named.get("call_type", []),
                                  bool(named.get("partner_app")), asked_again=False)
        if decision == ASK_AGAIN:
            script = [render(responses, "utter_ask_inquiry_again")]
            next_step = "문의 재확인: 콜마너 앱에서 발주사 정책 메시지가 보이는지 확인"
        elif decision == HANDOFF:
            other = other_call_types(named.get("call_type", []))
            call_type = other[0] if other else None
            script = [render(responses, "utter_guidance_differs_by_call_type", {"call_type": call_type or "위탁콜 외"})]
            next_step = "콜타입에 따라 안내 상이: 해당 콜타입 가이드로 안내"
            step = "콜타입별 상황에 따라 안내"
        else:
            call_type = CONSIGNMENT_CALL
    elif name == "ask_service_regions" and named.get("region"):
        script = [render(responses, r, v) for r, v in answer_lines(named["region"])]
    elif name == "ask_consignment_call":
        for topic in vocabulary().consignment_topics_in(parse.get("text") or ""):
            line = {"structure": "utter_consignment_structure", "partner_driver": "utter_partner_driver",
                    "insurance": "utter_consignment_insurance"}[topic]
            script.append(render(responses, line))

    if state and state.get("q3_step"):  # the driver is inside the Q3 flow: its next step leads
        q3 = config["q3_steps"][state["q3_step"]]
        next_step = q3["next_step"]
        script = script + [render(responses, r) for r in q3["script"] if r not in {s["response"] for s in script}]
        call_type = call_type or CONSIGNMENT_CALL
        step = "콜타입별 상황에 따라 안내"
        references = references or [config["references"]["q3"]]

    return {
        "intent": {"name": name, "confidence": round(float(intent.get("confidence") or 0.0), 4)},
        "ranking": [
            {"name": r.get("name"), "confidence": round(float(r.get("confidence") or 0.0), 4)}
            for r in (parse.get("intent_ranking") or [])[:3]
        ],
        "entities": entities,
        "summary": spec["summary"],
        "call_type": call_type,
        "consultation_path": consultation_path(call_type),
        "response_order": {"steps": config["response_order"], "current": step},
        "script": script,
        "next_step": next_step,
        "references": references,
        "conversation": state,
    }


def _conversation_state(conversation: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """Where a driver's conversation stands, from its (redacted) tracker state."""
    if not conversation:
        return None
    slots = conversation.get("slots") or {}
    active = (conversation.get("active_loop") or {}).get("name")
    shown = {k: slots.get(k) for k in ("call_type", "partner_app", "ordering_company", "driver_name", "phone_number", "triage") if slots.get(k)}
    q3_step = None
    if active == "restriction_form":
        requested = slots.get("requested_slot")
        q3_step = requested if requested in ("ordering_company", "driver_name", "phone_number") else "lookup"
    elif slots.get("triage") == ASK_AGAIN:
        q3_step = None
    return {
        "conversation_id": conversation.get("sender_id"),
        "active_form": active,
        "requested_slot": slots.get("requested_slot"),
        "slots": shown,
        "q3_step": q3_step,
        "latest_intent": ((conversation.get("latest_message") or {}).get("intent") or {}).get("name"),
    }


def lookup(repository: AdminRepository, responses: Responses, driver_id: Optional[str] = None,
           phone: Optional[str] = None) -> Tuple[Optional[str], Dict[str, Any]]:
    """(driver id or None if unknown, result card). Raises AdminDataUnavailable on outage."""
    driver = repository.driver(driver_id) if driver_id else repository.driver_by_phone(normalize_phone(phone or "") or "")
    if driver is None:
        return None, {}
    restriction = repository.restriction(driver.driver_id)
    wait = render(responses, "utter_please_wait")
    if restriction.status == Restriction.SUSPENDED:
        script = [wait, render(responses, "utter_restriction_suspended", {"reason": restriction.reason})]
    elif restriction.status == Restriction.CUSTOMER_BLOCKED:
        script = [wait, render(responses, "utter_restriction_customer_block")]
    else:
        script = [wait, render(responses, "utter_restriction_none_on_record")]
    return driver.driver_id, {
        "driver_id": driver.driver_id,
        "name": driver.name,
        "phone": mask_phone(driver.phone),
        "status": restriction.status,
        "reason": restriction.reason,
        "blocked_customers": restriction.blocked_customers,
        "script": script,
    }
