# Two set-up commands for a fresh machine: `make demo` and `make test`.
# Both build .venv with the machine's python3 on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench screenshots snapshots-update emulator clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/batchdeck demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m tests.bench

screenshots: $(STAMP)
	$(BIN)/python -m tests.render_screenshots

snapshots-update: $(STAMP)
	$(BIN)/python -m pytest -q tests/snapshots --snapshot-update

emulator: $(STAMP)
	$(BIN)/batchdeck emulator

clean:
	rm -rf $(VENV) build dist *.egg-info
