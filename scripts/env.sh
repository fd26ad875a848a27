# Sourced by the scripts: quiet, offline-friendly settings for Rasa and TensorFlow.
export RASA_TELEMETRY_ENABLED=false
export TF_CPP_MIN_LOG_LEVEL=3
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export PYTHONWARNINGS="ignore"
export PYTHONDONTWRITEBYTECODE=1
export HF_HUB_OFFLINE=1
# Sanic refuses request bodies over 256 KiB (413) before anything parses them: a driver's message
# is at most 2,000 characters, and parsing a 100 MB body would hold the event loop
export SANIC_REQUEST_MAX_SIZE=262144
