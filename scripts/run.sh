#!/usr/bin/env bash
# The run command: set up (idempotent), train if needed, load the demo data, start the action
# server and Rasa, then chat in the terminal. `scripts/run.sh --serve` starts the servers only.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/bootstrap.sh
scripts/train_if_changed.sh

mkdir -p var/log
# Demo mode (default for a local run): demo drivers get tokens minted here. Production sets
# ASSISTANT_DEMO_MODE=0 and its own DRIVER_TOKEN_SECRET.
export ASSISTANT_DEMO_MODE="${ASSISTANT_DEMO_MODE:-1}"
if [ -z "${DRIVER_TOKEN_SECRET:-}" ] && [ "$ASSISTANT_DEMO_MODE" = "1" ]; then
  [ -s var/demo_driver_token_secret ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' > var/demo_driver_token_secret
  DRIVER_TOKEN_SECRET=$(cat var/demo_driver_token_secret)
  export DRIVER_TOKEN_SECRET
fi
if [ -z "${AGENT_TOKEN_SECRET:-}" ] && [ "$ASSISTANT_DEMO_MODE" = "1" ]; then
  [ -s var/demo_agent_token_secret ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' > var/demo_agent_token_secret
  AGENT_TOKEN_SECRET=$(cat var/demo_agent_token_secret)
  export AGENT_TOKEN_SECRET
fi
[ -n "${ADMIN_DB_URL:-}" ] || .venv/bin/python -m consignment.admin_db load-fixtures

ACTIONS_PORT="${ACTIONS_PORT:-5055}"
RASA_PORT="${RASA_PORT:-5005}"
for port in "$ACTIONS_PORT" "$RASA_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "error: port $port is already in use (another assistant running?). Stop it or set ACTIONS_PORT/RASA_PORT." >&2
    exit 1
  fi
done

pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

.venv/bin/rasa run actions --port "$ACTIONS_PORT" >var/log/actions.log 2>&1 &
pids+=($!)
.venv/bin/rasa run --enable-api --port "$RASA_PORT" >var/log/rasa.log 2>&1 &
pids+=($!)

echo "starting the action server (:$ACTIONS_PORT) and Rasa (:$RASA_PORT); Rasa takes ~40 s…"
for _ in $(seq 1 180); do
  if curl -fsS "http://127.0.0.1:$ACTIONS_PORT/health" >/dev/null 2>&1 \
     && curl -fsS "http://127.0.0.1:$RASA_PORT/status" 2>/dev/null | grep -q '"model_file"'; then
    ready=1; break
  fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a server stopped; see var/log/" >&2; tail -20 var/log/*.log >&2; exit 1; }
  done
  sleep 1
done
[ "${ready:-}" = 1 ] || { echo "the servers did not start in 180 s; see var/log/" >&2; exit 1; }
echo "ready: REST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook · logs in var/log/"
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
