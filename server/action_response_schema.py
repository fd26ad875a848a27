"""Rasa's check of every action-server response, with the schema compiled once.

Rasa 3.6's RemoteAction._validate_action_result calls `jsonschema.validate()` for every custom
action call, and `validate()` first checks the (large) events schema against its meta-schema,
every time: ~25 ms a call here, half of the Rasa process's CPU under load (py-spy). The schema
never changes, so it is checked once and its validator kept; each response is then validated
exactly as before (same schema, same validator class, same error with the same message).

Even compiled, a valid response cost ~7 % of the event loop under load (py-spy, `--gil`): each
event is tried against all 23 alternatives of the events schema's `oneOf`. Every alternative
fixes `event` to its own constant, so an event can only ever match the one named by its `event`:
a response is valid exactly when it passes the schema without that `oneOf` and each event passes
its own alternative. That is checked first; only a response it refuses goes through the whole
schema, which raises the error jsonschema would.
"""
from __future__ import annotations

import copy
import functools
from typing import Any, Dict, Text, Tuple

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from server import self_check

self_check.requires(__name__, "rasa.core.actions.action.RemoteAction._validate_action_result", signature=("self", "result"))
self_check.requires(__name__, "rasa.core.actions.action.RemoteAction.action_response_format_spec", signature=())

_original = RemoteAction._validate_action_result


@functools.lru_cache(maxsize=1)
def _validator():
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # what jsonschema.validate() does on every call, done once
    return cls(schema)


@functools.lru_cache(maxsize=1)
def _by_event_type() -> Tuple[Any, Dict[str, Any]]:
    """(the schema without the events' `oneOf`, each alternative's validator by its `event`)."""
    schema = copy.deepcopy(RemoteAction.action_response_format_spec())
    items = schema["properties"]["events"]["items"]
    alternatives = items.pop("oneOf")
    cls = validator_for(schema)
    by_type = {}
    for alternative in alternatives:
        name = alternative["properties"]["event"]["const"]  # KeyError: the schema changed shape → no fast path
        by_type[name] = cls(alternative)
    return cls(schema), by_type


def _valid_by_event_type(result: Any) -> bool:
    try:
        outer, by_type = _by_event_type()
    except (KeyError, TypeError):
        return False
    if not outer.is_valid(result):
        return False
    for event in result.get("events") or []:
        alternative = by_type.get(event["event"])  # the outer schema made it an object with a string `event`
        if alternative is None or not alternative.is_valid(event):
            return False
    return True


def _validate_once_compiled(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    if _valid_by_event_type(result):
        return True
    error = best_match(_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    if RemoteAction._validate_action_result is not _validate_once_compiled:
        RemoteAction._validate_action_result = _validate_once_compiled


__all__ = ["install", "ValidationError"]
