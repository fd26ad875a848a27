"""Rasa's check of every action-server response, with the schema compiled once.

Rasa 3.6's RemoteAction._validate_action_result calls `jsonschema.validate()` for every custom
action call, and `validate()` first checks the (large) events schema against its meta-schema,
every time: ~25 ms a call here, half of the Rasa process's CPU under load (py-spy). The schema
never changes, so it is checked once and its validator kept; each response is then validated
exactly as before (same schema, same validator class, same error with the same message).
"""
from __future__ import annotations

import functools
from typing import Any, Dict, Text

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


def _validate_once_compiled(self: RemoteAction, result: Dict[Text, Any]) -> bool:
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
