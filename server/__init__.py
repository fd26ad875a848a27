"""Plug-ins that run inside the Rasa server: the tracker store, the response generator, the
channels (REST, widget, agent assist, Slack), and guards on Rasa's own code.

Rasa imports this package when it loads the first channel named in credentials.yml, before the
tracker store and the model. Here unsafe settings stop the server (consignment.settings); then
every module that patches or leans on Rasa internals is imported, each declaring what it
assumes (server/self_check.py), and the start stops, naming what is missing, when this Rasa
lacks any of it; only then are the guards installed: the action-server outage guard
(server/action_server_outage.py), the pause that follows the agents' queue
(server/handoff_pause.py), the action-response check with its schema compiled once
(server/action_response_schema.py), the tracker store that never serves from memory — not
when its database fails mid-turn, not when it cannot be built at start (server/tracker_store.py),
the per-turn work of Rasa's that is done once (server/hot_paths.py) and the metrics with their
probe port (server/metrics.py). In production every log line is JSON from here on
(consignment/json_logs.py).
"""
import logging

from consignment import json_logs, settings
from server import (
    action_response_schema,
    action_server_outage,
    handoff_pause,
    hot_paths,
    metrics,
    self_check,
    tracker_store,
)
# the channels rely on Rasa internals too: imported here so that their declarations are checked
from server import assist_channel, lock_store, rest_channel, slack_channel, widget_channel  # noqa: F401,E402

json_logs.install()
logging.getLogger(__name__).warning(settings.check_deployment())
self_check.verify()
action_server_outage.install()
handoff_pause.install()
action_response_schema.install()
tracker_store.install()
metrics.install()
hot_paths.install()
