# warmcity-pipeline: every target installs what it needs first (system packages, venv), so on a fresh
# machine `make demo` and `make test` are the only two commands a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
WARMCITY := $(BIN)/warmcity
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: help setup system venv demo test lint format unit integration bench stack-up stack-down stack-status clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

system:  ## install system packages (ClickHouse, Java, Maven) when missing
	@bash deploy/local/setup.sh

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	@touch $@

venv: $(BIN)/.installed  ## create .venv with the project and its dev tools

tools: venv  ## promtool, prometheus, kustomize and ZooKeeper's jars for the tests, into ~/.cache/warmcity/tools (deploy/local/tools.sh)
	@bash deploy/local/tools.sh

setup: system venv tools  ## everything a fresh machine needs

demo: setup  ## the main job: stack up, worker, simulator, alerts on screen, summary from ClickHouse
	$(WARMCITY) demo

lint: venv  ## ruff (lint and format check) and mypy
	$(BIN)/ruff check pipeline tests
	$(BIN)/ruff format --check pipeline tests
	$(BIN)/mypy

format: venv  ## apply ruff's formatting and fixes
	$(BIN)/ruff format pipeline tests
	$(BIN)/ruff check --fix pipeline tests

unit: venv  ## unit tests only (no services)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

integration: setup  ## integration tests on the real Kafka and ClickHouse the project starts
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

test: setup lint  ## lint, type-check and the whole suite with the real services
	$(BIN)/pytest tests $(PYTEST_ARGS)

bench: setup  ## the pipeline against its ceiling and peers on the local stack (docs/performance.md)
	$(WARMCITY) bench pipeline $(BENCH_ARGS)

stack-up: setup  ## start the local Kafka and ClickHouse
	$(WARMCITY) stack up

stack-down: venv  ## stop what stack-up started
	$(WARMCITY) stack down

stack-status: venv  ## show the local stack
	$(WARMCITY) stack status

clean: stack-down  ## stop the stack and remove its run directory
	rm -rf .run
