# Everything a developer runs. The README's two commands are `make run` and `make test`.
.PHONY: run serve test setup train validate evaluate benchmark chat agent-token lead-token revoke-agent-token export-corrections screenshots fuzz zendesk-app cluster load-fault seed-analytics purge image validate-k8s benchmark-metrics alert-rules

run:            ## set up, train if needed, start both servers, chat in the terminal (demo mode)
	scripts/run.sh

serve:          ## the same, servers only (no terminal chat)
	scripts/run.sh --serve

cluster:        ## HAProxy on 127.0.0.1:5080 in front of 2 Rasa + 2 action servers, on PostgreSQL and Redis (foreground)
	scripts/cluster.sh

load-fault:     ## hundreds of conversations through the cluster while a Rasa process, Redis and PostgreSQL fail
	scripts/bootstrap.sh && .venv/bin/python scripts/load_fault.py

test:           ## every test: data validation, test stories, pytest (unit, PostgreSQL, live servers)
	scripts/test.sh

setup:          ## .venv with Python 3.10 and the pinned dependencies
	scripts/bootstrap.sh

train:          ## train into models/ if the data, config or content changed
	scripts/bootstrap.sh && scripts/train_if_changed.sh

validate:       ## rasa data validate (Rasa's defaults: domain.yml, data/, config.yml)
	scripts/bootstrap.sh && .venv/bin/rasa data validate

evaluate:       ## NLU evaluation (docs/nlu.md): Korean vs stock pipeline on the held-out and blind sets, 5-fold cross-validation
	scripts/bootstrap.sh && .venv/bin/python scripts/evaluate_nlu.py --cross-validation --folds 5

benchmark:      ## training, start-up, latency and memory numbers (README), vs a stock rasa init bot
	scripts/bootstrap.sh && scripts/train_if_changed.sh && .venv/bin/python scripts/benchmark.py

benchmark-metrics: ## REST throughput of one Rasa process with metrics on and off, same run (docs/operations.md)
	scripts/bootstrap.sh && scripts/train_if_changed.sh && .venv/bin/python scripts/benchmark_metrics.py

alert-rules:    ## check and unit-test the Prometheus alert rules (deploy/prometheus/, promtool)
	scripts/install_packages.sh prometheus && cd deploy/prometheus && promtool check rules alerts.yml && promtool test rules alerts.test.yml

chat:           ## terminal chat with servers started by `make serve`
	.venv/bin/python scripts/chat.py

agent-token:    ## [demo] an agent token for the console (needs the secret `make run` created)
	ASSISTANT_DEMO_MODE=1 AGENT_TOKEN_SECRET=$$(cat var/demo_agent_token_secret) .venv/bin/python -m consignment.agent_auth A-DEMO

lead-token:     ## [demo] a CS lead token for the dashboard (needs the secret `make run` created)
	ASSISTANT_DEMO_MODE=1 AGENT_TOKEN_SECRET=$$(cat var/demo_agent_token_secret) .venv/bin/python -m consignment.agent_auth A-LEAD lead

screenshots:    ## refresh docs/widget.png, docs/console.png and docs/dashboard.png (the README's) from the browser tests
	UPDATE_SCREENSHOTS=1 .venv/bin/python -m pytest tests/browser -q -k "walkthrough or suspension_reason or dashboard"

revoke-agent-token: ## make revoke-agent-token TOKEN=<agent token or its id> [ASSIST_DB_URL=<the servers' store>]
	@test -n "$(TOKEN)" || { echo "usage: make revoke-agent-token TOKEN=<agent token or its id>"; exit 2; }
	.venv/bin/python -m consignment.assist_store revoke-agent-token "$(TOKEN)"

fuzz:           ## the fuzz tests with 5,000 inputs a door (make test runs 300)
	scripts/bootstrap.sh && scripts/train_if_changed.sh && FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/integration/test_fuzz.py tests/integration/test_slack.py -k fuzz -q

export-corrections: ## agents' intent corrections as Rasa NLU YAML, for review
	.venv/bin/python -m consignment.assist_store export-corrections

zendesk-app:    ## the Zendesk sidebar app's upload zip, dist/zendesk-app.zip; needs ZENDESK_ASSISTANT_HOST=<assistant host> (its domainWhitelist)
	.venv/bin/python integrations/zendesk/build.py

seed-analytics: ## [demo] a month of demo conversations for the CS lead's dashboard (embedded databases only)
	scripts/bootstrap.sh && ASSISTANT_DEMO_MODE=$${ASSISTANT_DEMO_MODE:-1} .venv/bin/python scripts/seed_analytics.py

purge:          ## delete or anonymise what is past its retention (docs/privacy.md; RETENTION_*_DAYS), on the servers' stores
	.venv/bin/python scripts/purge.py

image:          ## build the Rasa and action-server images on this machine (podman, Debian rootfs), run them, check Q1 and health (docs/platform.md)
	scripts/build_image.sh

validate-k8s:   ## deploy/k8s/ against the newest Kubernetes schemas (kubernetes-validate in .venv-k8s)
	scripts/validate_k8s.sh
