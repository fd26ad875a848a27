#!/usr/bin/env bash
# `make cluster`: the production topology on one machine, in the foreground (Ctrl-C/TERM stops
# everything). HAProxy on 127.0.0.1:5080 in front of two Rasa processes and two action servers,
# on this machine's PostgreSQL (tracker store, agent assist's store) and Redis (lock store,
# socket.io across processes, rate limits, Slack de-duplication). A process that dies is started
# again (as Kubernetes would), its pid rewritten to var/run/rasa-N.pid.
#
#   TRACKER_DB_URL   PostgreSQL for conversations   postgresql://postgres@127.0.0.1:5432/consignment
#                    (created if missing; ASSIST_DB_URL defaults to the same database)
#   REDIS_URL        redis://127.0.0.1:6379/0
#   ASSISTANT_DEMO_MODE, DRIVER_TOKEN_SECRET, AGENT_TOKEN_SECRET: as for `make run`
#   CLUSTER_PORT     5080 (the load balancer); Rasa 5101-5102, actions 5151-5152, actions LB 5081;
#                    metrics, /live, /ready: Rasa 9101-9102, actions 9151-9152 (HAProxy checks /ready)
# Ready when GET http://127.0.0.1:5080/webhooks/rest/ answers 200.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/bootstrap.sh
scripts/train_if_changed.sh
scripts/install_packages.sh haproxy
scripts/ensure_postgres.sh || { echo "error: PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }

var=var/cluster
mkdir -p "$var/log" var/run
export TRACKER_DB_URL="${TRACKER_DB_URL:-postgresql://postgres@127.0.0.1:5432/consignment}"
export ASSIST_DB_URL="${ASSIST_DB_URL:-$TRACKER_DB_URL}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export TRUSTED_PROXIES="${TRUSTED_PROXIES:-127.0.0.1/32}"  # HAProxy, which adds X-Forwarded-For
export ASSISTANT_DEMO_MODE="${ASSISTANT_DEMO_MODE:-1}"
CLUSTER_PORT="${CLUSTER_PORT:-5080}"
RASA_PORTS=(5101 5102)
ACTION_PORTS=(5151 5152)
ACTIONS_LB_PORT=5081
RASA_METRICS_PORTS=(9101 9102)
ACTION_METRICS_PORTS=(9151 9152)

if [ "$ASSISTANT_DEMO_MODE" = "1" ]; then
  case "${ADMIN_DB_URL:-}" in ""|sqlite*) ;; *) echo "error: demo mode refuses a real admin database (ADMIN_DB_URL)" >&2; exit 1 ;; esac
  for name in driver agent; do
    file="var/demo_${name}_token_secret"
    [ -s "$file" ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' > "$file"
  done
  export DRIVER_TOKEN_SECRET="${DRIVER_TOKEN_SECRET:-$(cat var/demo_driver_token_secret)}"
  export AGENT_TOKEN_SECRET="${AGENT_TOKEN_SECRET:-$(cat var/demo_agent_token_secret)}"
  echo "mode: DEMO (cluster) — demo data and demo tokens, listening on 127.0.0.1 only"
else
  for secret in DRIVER_TOKEN_SECRET AGENT_TOKEN_SECRET; do
    [ -n "${!secret:-}" ] || { echo "error: production mode needs $secret" >&2; exit 1; }
  done
  echo "mode: PRODUCTION (cluster) — on 127.0.0.1:$CLUSTER_PORT"
fi
[ -n "${ADMIN_DB_URL:-}" ] || .venv/bin/python -m consignment.admin_db load-fixtures >/dev/null

# the tracker database, created if missing; the endpoints of every Rasa process
.venv/bin/python scripts/cluster_config.py "$var" "$ACTIONS_LB_PORT" "$CLUSTER_PORT" \
  "${RASA_PORTS[*]}" "${ACTION_PORTS[*]}" "${RASA_METRICS_PORTS[*]}" "${ACTION_METRICS_PORTS[*]}"

declare -A pid_of
start() {  # start <name> <command…>: in the background, logging to var/cluster/log/<name>.log
  local name=$1; shift
  "$@" >>"$var/log/$name.log" 2>&1 &
  pid_of[$name]=$!
  case "$name" in rasa-*) echo "${pid_of[$name]}" > "var/run/$name.pid" ;; esac
}
start_rasa() {
  local n=$1 port=${RASA_PORTS[$(( $1 - 1 ))]}
  start "rasa-$n" env METRICS_PORT="${RASA_METRICS_PORTS[$(( n - 1 ))]}" .venv/bin/rasa run -i 127.0.0.1 --port "$port" --endpoints "$var/endpoints.yml" \
    ${RASA_API_TOKEN:+--enable-api --auth-token "$RASA_API_TOKEN"}
}
start_actions() {
  local n=$1 port=${ACTION_PORTS[$(( $1 - 1 ))]}
  start "actions-$n" env SANIC_HOST=127.0.0.1 ACTIONS_METRICS_PORT="${ACTION_METRICS_PORTS[$(( n - 1 ))]}" scripts/actions.sh --port "$port"  # .venv-actions (docs/platform.md)
}
stopping=0
stop() {
  stopping=1
  for pid in "${pid_of[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f var/run/rasa-*.pid
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

start_actions 1; start_actions 2
start_rasa 1; start_rasa 2
start haproxy haproxy -db -f "$var/haproxy.cfg"

echo "starting 2 action servers, 2 Rasa processes (~60 s) and HAProxy on 127.0.0.1:$CLUSTER_PORT…"
for _ in $(seq 1 240); do
  curl -fsS "http://127.0.0.1:$CLUSTER_PORT/webhooks/rest/" >/dev/null 2>&1 && { ready=1; break; }
  sleep 1
done
[ "${ready:-}" = 1 ] || { echo "the cluster did not get ready; see $var/log/" >&2; exit 1; }
echo "ready: http://127.0.0.1:$CLUSTER_PORT (REST /webhooks/rest/webhook, widget /webhooks/widget/, console /webhooks/assist/console) · logs in $var/log/"

# supervise: a process that dies is started again
while [ "$stopping" = 0 ]; do
  sleep 2
  for name in "${!pid_of[@]}"; do
    if ! kill -0 "${pid_of[$name]}" 2>/dev/null; then
      [ "$stopping" = 1 ] && break
      echo "$(date +%T) $name stopped; starting it again"
      case "$name" in
        rasa-*) start_rasa "${name#rasa-}" ;;
        actions-*) start_actions "${name#actions-}" ;;
        haproxy) start haproxy haproxy -db -f "$var/haproxy.cfg" ;;
      esac
    fi
  done
done
