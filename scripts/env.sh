# Sourced by the scripts: quiet, offline-friendly settings for Rasa and TensorFlow.
export RASA_TELEMETRY_ENABLED=false
export TF_CPP_MIN_LOG_LEVEL=3
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export PYTHONWARNINGS="ignore"
export PYTHONDONTWRITEBYTECODE=1
export HF_HUB_OFFLINE=1
