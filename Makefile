# hub: the two commands are `make run` and `make test`. `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: help run test test-quick check lint typecheck fmt services bench bench-smoke clean

help:
	@echo "make run          run hub (all stages, one process) with ./routes.yaml"
	@echo "make test         start RabbitMQ/Redis if needed, then the whole test suite"
	@echo "make test-quick   unit tests only (no services, ~seconds)"
	@echo "make check        ruff, mypy --strict, then make test"
	@echo "make fmt          ruff format + autofix"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/hub run

services:
	./scripts/services.sh

test: $(STAMP) services
	$(BIN)/pytest $(PYTEST_ARGS)

test-quick: $(STAMP)
	$(BIN)/pytest -m "not integration and not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) hub-data .pytest_cache .mypy_cache .ruff_cache
