# Quick start: `make demo` and `make test` on a fresh clone (Python 3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo lint test test-fast bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ispcube demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench jobs
	$(BIN)/mypy

# Every test, on up to 4 cores (each worker has its own databases, simulators and RADIUS peers).
test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --maxprocesses=4

# Unit tests and the SQLite integration tests: no PostgreSQL, none of the slow end-to-end runs.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --maxprocesses=4 -m "not slow and not pg"

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

docs: $(STAMP)
	$(BIN)/python -m ispcube.cli.reference > docs/cli.md

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
