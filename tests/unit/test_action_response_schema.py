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
    {"events": [{"event": "bot", "text": "안녕하세요", "data": {}, "metadata": {}}, {"event": "action", "name": "action_listen"},
                {"event": "active_loop", "name": None}, {"event": "followup", "name": "utter_x"}, {"event": "reset_slots"}]},
    {"events": [{"event": "slot", "name": "q3_phone_mask", "value": "010-****-5678", "timestamp": None}]},
    {"events": [{"event": "slot", "value": "no name"}]},
    {"events": [{"event": "bot", "text": 5}]},
    {"events": [{"event": "user", "text": "hi", "parse_data": {"intent": {"name": 3}}}]},
    {"events": [{"event": 7}]},
    {"events": [{"name": "no event key"}]},
    {"events": ["not an object"]},
    {"events": [{"event": "entities", "entities": [{"entity": "region"}]}]},
    {"events": [{"event": "slot", "name": "a", "value": 1}, {"event": "slot", "name": "b"}]},
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


@pytest.mark.parametrize("result", RESPONSES)
def test_the_check_by_event_type_accepts_exactly_what_the_whole_schema_accepts(result):
    from jsonschema import Draft202012Validator, validators

    from server.action_response_schema import _valid_by_event_type

    schema = RemoteAction.action_response_format_spec()
    whole = validators.validator_for(schema, default=Draft202012Validator)(schema)
    assert _valid_by_event_type(result) is whole.is_valid(result)
