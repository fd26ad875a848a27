#!/usr/bin/env bash
# Trains into models/ when the training inputs changed since the last training; else does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

# The model depends on the training data and config, the content files, the Korean NLU code and
# the domain modules it reads (places, vocabularies, phone numbers): any change retrains.
nlu_domain_modules="consignment/content.py consignment/phone.py consignment/regions.py consignment/vocabulary.py"
fingerprint=$(find config.yml domain.yml data content korean_nlu $nlu_domain_modules -type f \( -name '*.yml' -o -name '*.yaml' -o -name '*.py' -o -name '*.tsv' \) -print0 \
  | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
stamp=models/.fingerprint
if [ -f models/current.tar.gz ] && [ "$(cat "$stamp" 2>/dev/null)" = "$fingerprint" ]; then
  exit 0
fi
echo "training the assistant (data or config changed)…"
mkdir -p models
start=$(date +%s)
# --force: Rasa's training cache knows the data and the config, not our components' code; a
# change to the Korean tokenizer must not reuse a DIET trained on the old tokens
.venv/bin/rasa train --force --fixed-model-name current --out models --quiet
echo "$fingerprint" > "$stamp"
echo "trained in $(( $(date +%s) - start )) s → models/current.tar.gz"
