#!/usr/bin/env bash
# Makes sure the local Redis answers on 127.0.0.1:6379 (the tests of what several processes share
# need it): installs redis-server with apt if it is missing, starts it if it is stopped — without
# persistence, on loopback only — and fails, saying why, if it still does not answer.
set -uo pipefail
ready() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
ready && exit 0
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "ensure_redis.sh: redis-server is missing; installing it needs root (apt-get install redis-server)" >&2
    exit 1
  fi
  echo "installing redis-server (apt-get)…"
  log=$(mktemp)
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server; } >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"
    echo "ensure_redis.sh: apt-get install redis-server failed (see above)" >&2
    exit 1
  fi
  rm -f "$log"
  ready && exit 0  # the package may start its own service
fi
mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
logfile=/var/log/redis/ci.log
[ -w /var/log/redis ] || logfile=$(mktemp -t redis-ci.XXXXXX.log)
dir=/var/lib/redis
[ -w "$dir" ] || dir=$(mktemp -d -t redis-ci.XXXXXX)
redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
  --dir "$dir" --logfile "$logfile" >/dev/null 2>&1 || true
for _ in $(seq 1 40); do ready && exit 0; sleep 0.25; done
echo "ensure_redis.sh: Redis does not answer on 127.0.0.1:6379 (log: $logfile)" >&2
tail -5 "$logfile" >&2 2>/dev/null
exit 1
