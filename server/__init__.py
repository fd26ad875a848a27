"""Plug-ins that run inside the Rasa server: the tracker store (and, later, custom channels).

Rasa imports this package when it loads the tracker store named in endpoints.yml, so the
action-server outage guard is installed here, before the first message is handled.
"""
from server import action_server_outage

action_server_outage.install()
