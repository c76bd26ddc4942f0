# Wegwijs: `make run` starts the assistant, `make test` runs every test. Both set up what they
# need first (Python 3.10 venv, pinned packages, catalogs, domain, model when data changed).
SHELL := /bin/bash
VENV := .venv
PY := PYTHONPATH=$(CURDIR) RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 $(VENV)/bin/python

.PHONY: setup catalogs catalogs-update domain train run test contract bench nlu-report clean

setup:
	@bash scripts/setup.sh

catalogs: setup
	@$(PY) -m scripts.catalogs compile

# After changing bot/responses.yml: re-extract messages.pot and merge it into every .po.
catalogs-update: setup
	@$(PY) -m scripts.catalogs update

domain: catalogs
	@$(PY) -m bot.build_domain

train: domain
	@$(PY) -m scripts.train

run: train
	@$(PY) -m scripts.stack

test: train
	@$(PY) -m pytest

# The gateway against its own OpenAPI document: Schemathesis, every check, on a stack of its own.
contract: train
	@$(PY) -m scripts.api_contract

bench: train
	@$(PY) -m scripts.bench

nlu-report: domain
	@$(PY) -m scripts.nlu_report

clean:
	rm -rf models results .run .pytest_cache
