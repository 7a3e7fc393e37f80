# Stockyard — the two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -e .
	touch $@

$(VENV)/.dev-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -e '.[dev]'
	touch $@ $(VENV)/.run-deps

## Serve everything on http://127.0.0.1:$${STOCKYARD_PORT:-8000} with demo data on the embedded SQLite database.
run: $(VENV)/.run-deps
	$(BIN)/stockyard migrate
	$(BIN)/stockyard demo --if-empty
	$(BIN)/stockyard serve

## Run the whole suite (PostgreSQL too when STOCKYARD_TEST_DATABASE_URL is set).
test: $(VENV)/.dev-deps
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=30

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check src tests bench migrations

bench: $(VENV)/.dev-deps
	$(BIN)/stockyard bench inventory

clean:
	rm -rf $(VENV) var .pytest_cache test-artifacts
