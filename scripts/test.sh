#!/usr/bin/env bash
# The test command: set up (idempotent), train if needed, validate the data, run the test
# stories (whole conversations, NLU included), then pytest (unit, PostgreSQL, Redis, live servers);
# a skipped test fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/bootstrap.sh
scripts/install_packages.sh browser prometheus
# the tests of the PostgreSQL stores and of the state shared in Redis run in every `make test`:
# both services are started here, and the run stops if either cannot be (a skipped test fails
# the run too: tests/skip_guard.py)
scripts/ensure_postgres.sh || { echo "error: PostgreSQL is needed by the tests and could not be started" >&2; exit 1; }
scripts/ensure_redis.sh || { echo "error: Redis is needed by the tests and could not be started" >&2; exit 1; }
scripts/train_if_changed.sh

echo "== rasa data validate"
mkdir -p results
.venv/bin/rasa data validate >results/validate.log 2>&1 || { cat results/validate.log; exit 1; }
echo "training data and domain are consistent"

echo "== test stories (tests/stories/test_*.yml)"
rm -rf results/stories
.venv/bin/rasa test core --model models/current.tar.gz --stories tests/stories \
  --fail-on-prediction-errors --out results/stories --quiet >results/stories.log 2>&1 || {
  cat results/stories.log | tail -30
  echo "failed stories: results/stories/failed_test_stories.yml" >&2
  cat results/stories/failed_test_stories.yml >&2 2>/dev/null || true
  exit 1
}
echo "all test stories passed"

echo "== pytest"
.venv/bin/python -m pytest "$@"
