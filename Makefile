# Two set-up commands for a fresh machine: `make demo` and `make test`.
# Both build .venv with the machine's python3 on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The checks that keep the house in order run before the suite: lint, dead code (vulture; its
# allow-list, with a reason per name, is .vulture-allow.py), types (mypy: strict for store/ and
# console/engine/, plain for the rest; settings and named exceptions in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check console adapters store tests .vulture-allow.py

deadcode: $(STAMP)
	$(BIN)/vulture

typecheck: $(STAMP)
	$(BIN)/mypy

.PHONY: lint deadcode typecheck demo test bench screenshots snapshots-update emulator clean bytecode

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Compiled once here, so that every process the suite, the bench and the demo start (CLI
# runs, emulator, bench children) loads bytecode instead of compiling our sources again: some
# machines set PYTHONDONTWRITEBYTECODE, which makes every start recompile them (~0.1 s each).
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q -j 0 store adapters console tests

demo: bytecode
	$(BIN)/batchdeck demo

test: bytecode lint deadcode typecheck
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: bytecode
	$(BIN)/python -m tests.bench

screenshots: bytecode
	$(BIN)/python -m tests.render_screenshots

snapshots-update: $(STAMP)
	$(BIN)/python -m pytest -q tests/snapshots --snapshot-update

emulator: $(STAMP)
	$(BIN)/batchdeck emulator

clean:
	rm -rf $(VENV) build dist *.egg-info
