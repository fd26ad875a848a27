"""The compiled action-response check accepts and refuses exactly what Rasa's own does."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

from server.action_response_schema import _validate_once_compiled

RESPONSES = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "triage", "value": "consignment"}], "responses": [{"response": "utter_empathy"}]},
    {"events": [{"event": "slot", "name": 5}], "responses": []},
    {"events": [{"event": "nonsense"}]},
    {"events": "not a list"},
    {"responses": [{"text": 5}]},
    {},
]


@pytest.mark.parametrize("result", RESPONSES)
def test_the_compiled_check_agrees_with_jsonschema_validate(result):
    schema = RemoteAction.action_response_format_spec()
    try:
        validate(result, schema)
        expected = None
    except ValidationError as error:
        expected = error.message
    if expected is None:
        assert _validate_once_compiled(None, result) is True
    else:
        with pytest.raises(ValidationError) as raised:
            _validate_once_compiled(None, result)
        assert raised.value.message.startswith(expected)
