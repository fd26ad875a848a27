"""Agent assist: what the agent should say and do next for one driver message.

Pure: given the NLU's parse of the message and — optionally — the state of the driver's
conversation, it builds the suggestion card. Script lines are named responses of domain.yml
with their values (`{"response", "values"}`); the server fills them in with the same response
generator the driver's chat uses. It reads the conversation and never changes it.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from consignment.admin_db import AdminRepository, Restriction
from consignment.content import load_yaml
from consignment.handoff import consultation_path
from consignment.phone import mask_phone, normalize_phone
from consignment.regions import answer_lines
from consignment.restriction import (
    ASK_AGAIN,
    HANDOFF,
    OUTCOME_OF_RESTRICTION,
    RESPONSES,
    other_call_types,
    triage_inquiry,
)
from consignment.vocabulary import CONSIGNMENT_CALL, vocabulary

ScriptLine = Dict[str, Any]


def line(response: str, **values: Any) -> ScriptLine:
    return {"response": response, "values": values}


def suggest(parse: Dict[str, Any], conversation: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    config = load_yaml("agent_assist.yml")
    intent = parse.get("intent") or {}
    name = intent.get("name") or "nlu_fallback"
    entity_labels = config["entity_labels"]
    # `label`: what an agent reads; the entity's key stays for tools (and a details toggle)
    entities = [
        {"entity": e["entity"], "label": entity_labels.get(e["entity"], e["entity"]),
         "value": mask_phone(e["value"]) if e["entity"] == "phone_number" else e["value"]}
        for e in parse.get("entities") or []
    ]
    named = {e["entity"]: [x["value"] for x in entities if x["entity"] == e["entity"]] for e in entities}
    spec = config["intents"].get(name, config["intents"]["nlu_fallback"])
    call_type = (named.get("call_type") or [spec.get("call_type")])[0]
    script = [line(r) for r in spec["script"]]
    next_step = spec["next_step"]
    asking_again, guiding = config["response_order"]  # 문의 재확인 ▶ 콜타입별 상황에 따라 안내
    step = spec.get("response_step", asking_again)
    references = [config["references"][key] for key in spec["references"]]
    state = _conversation_state(conversation)

    if name == "report_acceptance_blocked":
        decision = triage_inquiry(name, parse.get("text") or "", named.get("call_type", []),
                                  bool(named.get("partner_app")), asked_again=False)
        if decision == ASK_AGAIN:
            triage = config["triage"]["ask_again"]
            script = [line(r) for r in triage["script"]]
            next_step = triage["next_step"]
        elif decision == HANDOFF:
            other = other_call_types(named.get("call_type", []))
            call_type = other[0] if other else None
            triage = config["triage"]["handoff" if other else "handoff_situation"]
            script = [line(r, call_type=call_type) for r in triage["script"]]
            next_step = triage["next_step"]
            step = guiding
        else:
            call_type = CONSIGNMENT_CALL
    elif name == "ask_service_regions" and named.get("region"):
        script = [line(r, **v) for r, v in answer_lines(named["region"])]
    elif name == "ask_consignment_call":
        script += [line(r) for r in vocabulary().consignment_topic_responses(parse.get("text") or "")]

    if state and state.get("q3_step"):  # the driver is inside the Q3 flow: its next step leads
        q3 = config["q3_steps"][state["q3_step"]]
        next_step = q3["next_step"]
        shown = {s["response"] for s in script}
        script = script + [line(r) for r in q3["script"] if r not in shown]
        call_type = call_type or CONSIGNMENT_CALL
        step = guiding
        references = references or [config["references"]["q3"]]

    return {
        "intent": {"name": name, "confidence": round(float(intent.get("confidence") or 0.0), 4)},
        "ranking": [
            {"name": r.get("name"), "confidence": round(float(r.get("confidence") or 0.0), 4),
             "summary": config["intents"].get(r.get("name"), config["intents"]["nlu_fallback"])["summary"]}
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


def intent_labels(names: List[str]) -> Dict[str, str]:
    """The Korean summary an agent reads for each intent name (the name itself when it has none)."""
    intents = load_yaml("agent_assist.yml")["intents"]
    return {name: (intents.get(name) or {}).get("summary") or name for name in names}


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
    return {
        "conversation_id": conversation.get("sender_id"),
        "active_form": active,
        "requested_slot": slots.get("requested_slot"),
        "slots": shown,
        "q3_step": q3_step,
        "latest_intent": ((conversation.get("latest_message") or {}).get("intent") or {}).get("name"),
    }


def lookup(repository: AdminRepository, driver_id: Optional[str] = None,
           phone: Optional[str] = None) -> Tuple[Optional[str], Dict[str, Any]]:
    """(driver id or None if unknown, result card). Raises AdminDataUnavailable on outage."""
    driver = repository.driver(driver_id) if driver_id else repository.driver_by_phone(normalize_phone(phone or "") or "")
    if driver is None:
        return None, {}
    restriction = repository.restriction(driver.driver_id)
    outcome = RESPONSES[OUTCOME_OF_RESTRICTION[restriction.status]]
    values = {"reason": restriction.reason} if restriction.status == Restriction.SUSPENDED else {}
    return driver.driver_id, {
        "driver_id": driver.driver_id,
        "name": driver.name,
        "phone": mask_phone(driver.phone),
        "status": restriction.status,
        "reason": restriction.reason,
        "blocked_customers": restriction.blocked_customers,
        "script": [line("utter_please_wait"), line(outcome, **values)],
    }
