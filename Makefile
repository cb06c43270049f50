# BOTPY developer commands. `make demo` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
WHEELHOUSE := $(VENV)/wheelhouse

.PHONY: install demo test bench parity virtual paper secrets clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	# the wheel tests/test_pairlist_plugin.py force-reinstalls offline
	$(BIN)/python -m pip download --quiet --no-deps --dest $(WHEELHOUSE) freqtrade==2026.9
	touch $(INSTALLED)

install: $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/botpy demo

test: $(INSTALLED)
	$(BIN)/python -m pytest

virtual: $(INSTALLED)
	$(BIN)/botpy trade virtual

paper: $(INSTALLED)
	$(BIN)/botpy trade paper

secrets: $(INSTALLED)
	$(BIN)/botpy secrets

clean:
	rm -rf $(VENV) user_data/data/synthetic user_data/logs .pytest_cache

bench: $(INSTALLED)
	$(BIN)/python -m botpy_ext.benchmark

parity: $(INSTALLED)
	$(BIN)/python -m botpy_ext.parity.suite
