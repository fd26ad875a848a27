#!/usr/bin/env bash
# The run command: set up (idempotent), train if needed, load the demo data, start the action
# server and Rasa, then chat in the terminal. `scripts/run.sh --serve` starts the servers only.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/bootstrap.sh
scripts/train_if_changed.sh

# State of this run: logs, demo secrets, embedded databases (ASSISTANT_VAR_DIR, default var/).
var="${ASSISTANT_VAR_DIR:-var}"
mkdir -p "$var/log"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
RASA_PORT="${RASA_PORT:-5005}"
endpoints="${RASA_ENDPOINTS:-endpoints.yml}"
if [ -z "${RASA_ENDPOINTS:-}" ] && { [ -n "${ASSISTANT_VAR_DIR:-}" ] || [ "$ACTIONS_PORT" != 5055 ]; }; then
  # this run's action server port, and its conversations in its own folder
  sed -e "s#db: var/conversations.db#db: $var/conversations.db#" \
      -e "s#http://localhost:5055/webhook#http://127.0.0.1:$ACTIONS_PORT/webhook#" endpoints.yml > "$var/endpoints.yml"
  endpoints="$var/endpoints.yml"
fi
log_flags=()
actions_log_flags=()
# Two modes (docs/security.md). Demo, the default of `make run`: demo data, tokens minted for the
# demo drivers, everything on 127.0.0.1 only. Production (ASSISTANT_DEMO_MODE=0): the operator's
# secrets, no demo page; Rasa's HTTP API only with RASA_API_TOKEN.
export ASSISTANT_DEMO_MODE="${ASSISTANT_DEMO_MODE:-1}"
if [ "$ASSISTANT_DEMO_MODE" = "1" ]; then
  case "${ADMIN_DB_URL:-}" in
    ""|sqlite*) ;;
    *) echo "error: demo mode mints driver tokens and refuses a real admin database (ADMIN_DB_URL). Unset it, or set ASSISTANT_DEMO_MODE=0." >&2; exit 1 ;;
  esac
  bind=127.0.0.1
  if [ -z "${DRIVER_TOKEN_SECRET:-}" ]; then
    [ -s "$var/demo_driver_token_secret" ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' > "$var/demo_driver_token_secret"
    DRIVER_TOKEN_SECRET=$(cat "$var/demo_driver_token_secret")
    export DRIVER_TOKEN_SECRET
  fi
  if [ -z "${AGENT_TOKEN_SECRET:-}" ]; then
    [ -s "$var/demo_agent_token_secret" ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' > "$var/demo_agent_token_secret"
    AGENT_TOKEN_SECRET=$(cat "$var/demo_agent_token_secret")
    export AGENT_TOKEN_SECRET
  fi
  echo "mode: DEMO — demo data and demo tokens, listening on 127.0.0.1 only"
else
  bind="${RASA_INTERFACE:-0.0.0.0}"
  for secret in DRIVER_TOKEN_SECRET AGENT_TOKEN_SECRET; do
    if [ -z "${!secret:-}" ]; then
      echo "error: production mode needs $secret (a long random secret shared with the driver app / the agents' token issuer)." >&2
      exit 1
    fi
  done
  echo "mode: PRODUCTION — listening on $bind; Rasa's HTTP API $([ -n "${RASA_API_TOKEN:-}" ] && echo "on, with RASA_API_TOKEN" || echo "off")"
  # one JSON object a line on stdout, from the first line on (consignment/json_logs.py); what the
  # interpreter itself writes to stderr before logging is set up (libraries' import-time warnings,
  # a crash's last words) goes to its own file, so that the log file is JSON only
  log_flags=(--logging-config-file deploy/logging.yml)
  # rasa_sdk's own server spells the flag with an underscore
  actions_log_flags=(--logging-config_file deploy/logging.yml)
  # Rasa reads that file before it puts the project on the path: its formatter must import
  export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi
api_flags=()
if [ -n "${RASA_API_TOKEN:-}" ]; then
  api_flags=(--enable-api --auth-token "$RASA_API_TOKEN")
fi
[ -n "${ADMIN_DB_URL:-}" ] || .venv/bin/python -m consignment.admin_db load-fixtures

for port in "$ACTIONS_PORT" "$RASA_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "error: port $port is already in use (another assistant running?). Stop it or set ACTIONS_PORT/RASA_PORT." >&2
    exit 1
  fi
done

pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

# run_logged <name> <command…>: the process's log in $var/log/<name>.log; in production stderr apart
# (<name>.stderr.log), so that the log itself is JSON lines only. `exec`: the pid is the server's
run_logged() {
  local name=$1; shift
  if [ ${#log_flags[@]} -gt 0 ]; then
    exec "$@" >"$var/log/$name.log" 2>"$var/log/$name.stderr.log"
  else
    exec "$@" >"$var/log/$name.log" 2>&1
  fi
}
# the action server is Rasa's only client: it listens on loopback unless told otherwise
# (scripts/actions.sh: .venv-actions, a supported Python; docs/platform.md)
run_logged actions env SANIC_HOST="${ACTIONS_INTERFACE:-127.0.0.1}" scripts/actions.sh --port "$ACTIONS_PORT" "${actions_log_flags[@]}" &
pids+=($!)
run_logged rasa .venv/bin/rasa run -i "$bind" --port "$RASA_PORT" --endpoints "$endpoints" "${api_flags[@]}" "${log_flags[@]}" &
pids+=($!)

echo "starting the action server (:$ACTIONS_PORT) and Rasa (:$RASA_PORT); Rasa takes ~40 s…"
for _ in $(seq 1 180); do
  if curl -fsS "http://127.0.0.1:$ACTIONS_PORT/health" >/dev/null 2>&1 \
     && curl -fsS "http://$([ "$bind" = 0.0.0.0 ] && echo 127.0.0.1 || echo "$bind"):$RASA_PORT/webhooks/rest/" >/dev/null 2>&1; then
    ready=1; break
  fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a server stopped; see $var/log/" >&2; tail -n 20 "$var"/log/*.log >&2; exit 1; }
  done
  sleep 1
done
[ "${ready:-}" = 1 ] || { echo "the servers did not start in 180 s; see $var/log/" >&2; exit 1; }
echo "ready: REST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook · logs in $var/log/"
echo "driver chat widget: http://127.0.0.1:$RASA_PORT/webhooks/widget/"
echo "agent console: http://127.0.0.1:$RASA_PORT/webhooks/assist/console"
if [ "$ASSISTANT_DEMO_MODE" = "1" ]; then
  echo "[데모] 기사 앱 대신 데모 기사로 위젯 열기: http://127.0.0.1:$RASA_PORT/webhooks/widget/demo"
  echo "[데모] 상담사 토큰 (콘솔에 붙여넣기): $(.venv/bin/python -m consignment.agent_auth A-DEMO 2>/dev/null)"
fi

if [ "${1:-}" = "--serve" ] || [ ! -t 0 ]; then
  wait
else
  driver=""
  if [ "$ASSISTANT_DEMO_MODE" = "1" ]; then
    echo "[데모 모드] 기사 앱에서 연 것처럼 대화할 데모 기사를 고르세요: D-1001 … D-1007 (엔터 = 토큰 없이 익명)"
    read -r -p "기사 ID > " driver || true
  fi
  .venv/bin/python scripts/chat.py --url "http://127.0.0.1:$RASA_PORT" ${driver:+--driver "$driver"}
fi
