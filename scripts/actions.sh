#!/usr/bin/env bash
# The action server, as every run command of the project starts it: rasa_sdk's own server from
# .venv-actions (a supported Python, docs/platform.md), the actions package of this project.
# Arguments go to rasa_sdk (e.g. --port 5055); it listens on SANIC_HOST (default 0.0.0.0).
# `.venv/bin/rasa run actions` (CONTRACT §1) starts the same actions on Rasa's Python 3.10.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv-actions/bin/python -m rasa_sdk --actions actions "$@"
