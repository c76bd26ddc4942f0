# Wegwijs: `make run` starts the assistant, `make test` runs every test. Both set up what they
# need first (Python 3.10 venv, pinned packages, catalogs, domain, model when data changed).
SHELL := /bin/bash
VENV := .venv
PY := PYTHONPATH=$(CURDIR) RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 $(VENV)/bin/python

.PHONY: setup catalogs catalogs-update translations domain train run cluster test test-random test-cluster contract lint validate-deploy lock bench bench-models profile-turn nlu-report clean

setup:
	@bash scripts/setup.sh

catalogs: setup
	@$(PY) -m scripts.catalogs compile

# After changing bot/responses.yml: re-extract messages.pot and merge it into every .po.
catalogs-update: setup
	@$(PY) -m scripts.catalogs update

# The translators' report: update the catalogs, then per language translated, missing, fuzzy,
# placeholder-breaking, machine-drafted and too long for WhatsApp (results/translations.md).
# Fails on an error in a shipped language. Export and import for review: scripts/translations.py.
translations: setup
	@$(PY) -m scripts.translations

domain: catalogs
	@$(PY) -m bot.build_domain

train: domain
	@$(PY) -m scripts.train

run: train
	@$(PY) -m scripts.stack

# Several replicas of each process behind HAProxy, kept by supervisord (scripts/cluster.py):
# CLUSTER_GATEWAYS, CLUSTER_RASA, CLUSTER_ACTIONS (2 each), CLUSTER_PORT (8080). Needs haproxy.
cluster: train
	@$(PY) -m scripts.cluster

test: train
	@$(PY) -m pytest

# The cluster's tests (tests/cluster/, apart from `make test`): order under load with the project's
# lock store and (strict xfail) Rasa's stock one, socket.io stickiness, kill -9 and restart.
# About 6 minutes on 2 cores; the figures go to results/cluster.md.
test-cluster: train
	@WEGWIJS_CLUSTER_TESTS=1 $(PY) -m pytest tests/cluster

# The suite in a random order (pytest-randomly): the tests must not depend on each other's order.
test-random: train
	@$(PY) -m pytest -o addopts="-ra --strict-markers"

# The gateway against its own OpenAPI document: Schemathesis, every check, on a stack of its own.
contract: train
	@$(PY) -m scripts.api_contract

# ruff (lint), the format check and mypy (pyproject.toml); all three run, and it fails if any did.
lint: setup
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	$(VENV)/bin/mypy || status=1; \
	exit $$status

# The deployment files, offline, in seconds (scripts/validate_deploy.py): the manifests under
# deploy/k8s and their kustomize rendering against the Kubernetes 1.28 schemas (strict),
# `docker-compose config -q` and `haproxy -c` when installed, and what the code needs: commands,
# variables, secrets, URLs, probes on the real health paths, stickiness, network policies.
validate-deploy: setup
	@$(PY) -m scripts.validate_deploy

# Regenerate both lock files from requirements.in and requirements-dev.in, with hashes, keeping
# every existing pin the .in files allow (LOCK_ARGS=--upgrade-package=NAME to move one). Only
# the default package index is asked (no pip.conf, find-links or extra indexes), so the hashes
# are those of the published files wherever this runs.
LOCK := env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL PIP_CONFIG_FILE=/dev/null \
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: setup
	$(LOCK) --output-file=requirements.lock requirements.in
	$(LOCK) --output-file=requirements-dev.lock requirements-dev.in

bench: train
	@$(PY) -m scripts.bench

# Has a data or component change made understanding slower? This checkout's model against the
# one in OLD (another checkout, trained), parse time alternating (scripts/bench_models.py).
bench-models: train
	@test -n "$(OLD)" || { echo "usage: make bench-models OLD=/path/to/other/checkout"; exit 2; }
	@$(PY) -m scripts.bench_models $(OLD)

# Where one turn's time goes, hop by hop (gateway, Rasa's channel, NLU components, policies,
# tracker store, lock, action server): a table in results/profile_turn.md.
profile-turn: train
	@$(PY) -m scripts.profile_turn

nlu-report: domain
	@$(PY) -m scripts.nlu_report

clean:
	rm -rf models results .run .pytest_cache
