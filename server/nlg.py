"""The response generator of the Rasa server (endpoints.yml `nlg`): Rasa's templated one, with
Korean particles resolved after the slots are filled in (korean_nlu.josa).

Every sentence a driver or an agent reads comes from domain.yml through this generator: the
dialogue's responses, the action-server outage apology, and the agent-assist script lines.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from korean_nlu.josa import attach_particles


class KoreanResponseGenerator(TemplatedNaturalLanguageGenerator):
    def __init__(
        self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None,
        responses: Optional[Dict[Text, Any]] = None,
    ) -> None:
        super().__init__(responses if responses is not None else (domain.responses if domain else {}))

    def generate_from_slots(
        self, utter_action: Text, filled_slots: Dict[Text, Any], output_channel: Text, **kwargs: Any
    ) -> Optional[Dict[Text, Any]]:
        message = super().generate_from_slots(utter_action, filled_slots, output_channel, **kwargs)
        if message and message.get("text"):
            message["text"] = attach_particles(message["text"])
        return message
