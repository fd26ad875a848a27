"""Rasa SDK actions: thin adapters between the tracker and the `consignment` package.

Imported first when the action server starts: unsafe settings stop it here (consignment.settings).
"""
import logging

from actions import sdk_compat  # noqa: F401  (Rasa 3.6's calls on a current rasa_sdk)
from consignment import settings

logging.getLogger(__name__).info(settings.check_deployment())
