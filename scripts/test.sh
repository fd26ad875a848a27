#!/usr/bin/env bash
# The test command: set up (idempotent), train if needed, validate the data, run the test
# stories (whole conversations, NLU included), then pytest (unit, PostgreSQL, live servers).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

scripts/bootstrap.sh
scripts/install_packages.sh browser
scripts/ensure_postgres.sh || echo "warning: PostgreSQL is not reachable; its tests will say so" >&2
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
