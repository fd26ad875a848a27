"""Rasa SDK actions: thin adapters between the tracker and the `consignment` package.

Imported first when the action server starts: unsafe settings stop it here (consignment.settings),
and in production every log line is JSON from here on (consignment/json_logs.py). The metrics
and probe port are attached by rasa-sdk's plugin hook (rasa_sdk_plugins/, actions/metrics.py).
"""
import logging

from actions import sdk_compat  # noqa: F401  (Rasa 3.6's calls on a current rasa_sdk)
from consignment import json_logs, settings

json_logs.install()
logging.getLogger(__name__).info(settings.check_deployment())
