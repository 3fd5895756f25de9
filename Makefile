# hub: the two commands are `make run` and `make test`. `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.dev-installed-stamp
PYTEST_ARGS ?=

.PHONY: help run test test-faults test-quick check lint typecheck fmt services tools bench bench-smoke bench-soak clean

help:
	@echo "make run          run hub (all stages, one process) with ./routes.yaml"
	@echo "make test         start RabbitMQ/Redis if needed, then the whole test suite"
	@echo "make test-faults  engine faults: Redis cut and failover, RabbitMQ nacks and a cluster node lost, a full disk (minutes)"
	@echo "make test-quick   unit tests only (no services, ~seconds)"
	@echo "make check        ruff, mypy --strict, then make test"
	@echo "make fmt          ruff format + autofix"

# `make run` installs what running hub needs; the test, lint and bench targets add the `dev` extra.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(DEV_STAMP)

# Local demo defaults: loopback only, console mode without SLACK_BOT_TOKEN, and unsigned
# webhooks accepted for sources that have no secret set (hub says so loudly in its log).
run: $(STAMP)
	HUB_LISTEN="$${HUB_LISTEN:-127.0.0.1:8080}" \
	HUB_ALLOW_UNSIGNED="$${HUB_ALLOW_UNSIGNED-github,travis,kapacitor,sentry}" \
	HUB_LOG_FORMAT="$${HUB_LOG_FORMAT:-console}" \
	$(BIN)/hub run

services:
	./scripts/services.sh

# Debian tools some tests drive (chromium, promtool, systemd-analyze, docker-compose, haproxy).
tools:
	./scripts/test-tools.sh

test: $(DEV_STAMP) services tools
	$(BIN)/pytest -m "not faults" $(PYTEST_ARGS)

# The long engine-fault scenarios (docs/reliability.md); each stops what it started.
test-faults: $(DEV_STAMP) services tools
	$(BIN)/pytest -m faults $(PYTEST_ARGS)

test-quick: $(DEV_STAMP) tools
	$(BIN)/pytest -m "not integration and not slow" $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

check: lint typecheck test

fmt: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks (docs/benchmarks.md): RabbitMQ, Redis, Debian's wrk and prometheus-alertmanager
# (bench/tools.sh installs what is missing) and the `bench` extra.
bench: $(DEV_STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	./bench/tools.sh
	$(BIN)/python -m bench

bench-smoke: $(DEV_STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	./bench/tools.sh
	$(BIN)/python -m bench --smoke

bench-soak: $(DEV_STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	./bench/tools.sh
	$(BIN)/python -m bench --soak $${SOAK_MINUTES:-10}

clean:
	rm -rf $(VENV) hub-data .pytest_cache .mypy_cache .ruff_cache
