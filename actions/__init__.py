"""Rasa SDK actions: thin adapters between the tracker and the `consignment` package.

Imported first when the action server starts: unsafe settings stop it here (consignment.settings).
"""
import logging

from consignment import settings

logging.getLogger(__name__).info(settings.check_deployment())
