#!/usr/bin/env bash
# Makes sure the local PostgreSQL answers (it runs on this kind of machine; start it if stopped).
set -uo pipefail
ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
ready && exit 0
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >/dev/null 2>&1 || true
  for _ in $(seq 1 20); do ready && exit 0; sleep 0.5; done
fi
exit 1
