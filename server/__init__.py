"""Plug-ins that run inside the Rasa server: the tracker store, the response generator, the
channels (REST, widget, agent assist, Slack), and two guards on Rasa's own actions.

Rasa imports this package when it loads the tracker store named in endpoints.yml, before the
first message is handled. Here unsafe settings stop the server (consignment.settings), and the
guards are installed: the action-server outage guard (server/action_server_outage.py), the
handoff pause that outlives a session start (server/handoff_pause.py), the action-response
check with its schema compiled once (server/action_response_schema.py), and a conversation
database outage that fails the turn instead of continuing from an empty conversation
(server/tracker_store.py).
"""
import logging

from consignment import settings
from server import action_response_schema, action_server_outage, handoff_pause, tracker_store

logging.getLogger(__name__).warning(settings.check_deployment())
action_server_outage.install()
handoff_pause.install()
action_response_schema.install()
tracker_store.install()
