# stacksalt — the targets the README documents.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
BIN   := $(VENV)/bin
CLUSTER ?= local
STARTED := $(shell date +%s)

.PHONY: help setup demo test test-unit lint bench bench-galera bench-rabbitmq bench-images bench-manifests bench-rally down

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

setup:  ## idempotent host set-up: apt packages, .venv, dockerd, base image, model links
	bash docker-salt/bin/setup-host.sh
	$(BIN)/stacksalt formulas link
	$(BIN)/stacksalt secrets init

demo: setup  ## the main job: the local cluster's hosts highstated twice, its OpenStack on them, a server booted
	$(BIN)/stacksalt model check --cluster $(CLUSTER)
	$(BIN)/stacksalt up --cluster $(CLUSTER) --second-run
	$(BIN)/stacksalt compose up --cluster $(CLUSTER) --timeout 2400
	$(BIN)/stacksalt openrc --cluster $(CLUSTER)
	$(BIN)/stacksalt demo-server --cluster $(CLUSTER)

test: setup  ## every test (unit, corpus, render, functional, integration); the 5 slowest, the time
	@rc=0; $(BIN)/python -m pytest -v --durations=5 tests || rc=$$?; \
	took=$$(( $$(date +%s) - $(STARTED) )); \
	echo "make test: $$(( took / 60 )) min $$(( took % 60 )) s in all (set-up included);" \
	  "pytest exit status $$rc"; \
	exit $$rc

test-unit: setup  ## the fast tests only (no containers)
	$(BIN)/python -m pytest -q tests -m "not integration"

lint: setup  ## ruff, yamllint, salt-lint, shellcheck (missing: skipped, under CI=true an error)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint -s formulas reclass_model .yamllint
	find formulas -name '*.sls' -print0 | xargs -0 $(BIN)/salt-lint
	@if command -v shellcheck >/dev/null; then shellcheck docker-salt/bin/*.sh .ci/run; \
	 elif [ "$$CI" = true ]; then echo "shellcheck missing: run 'make setup'" >&2; exit 1; \
	 else echo "shellcheck not installed: skipped (CI=true fails instead)"; fi

bench: setup  ## prints numbers: warm setup, highstate wall time, pillar render p50/p95
	$(BIN)/python tests/bench/bench_foundation.py --cluster $(CLUSTER)

bench-galera: setup  ## Galera: empty -> Synced, full-outage recovery vs by hand, rows lost, RSS
	$(BIN)/python tests/bench/bench_galera.py

bench-rabbitmq: setup  ## RabbitMQ (loopback 3-node cluster): formation, failover, throughput
	$(BIN)/python tests/bench/bench_rabbitmq.py

bench-images: setup  ## docker-salt: cold build, one-formula rebuild ratio, no-op plan+build, sizes
	$(BIN)/python tests/bench/bench_images.py

bench-manifests:  ## Kubernetes manifests: 1000-node reference render+validate, pillar per minion
	$(BIN)/python tests/bench/bench_manifests.py

bench-rally: setup  ## Rally at the seeds' scale on the demo cloud: 1000 boot+delete at concurrency 50
	$(BIN)/python tests/bench/bench_rally.py --cluster $(CLUSTER)

down:  ## remove the local cluster and its compose project
	$(BIN)/stacksalt compose down --cluster $(CLUSTER)
	$(BIN)/stacksalt down --cluster $(CLUSTER)
