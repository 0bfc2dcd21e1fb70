# Two commands for a fresh machine:
#   make run    builds .venv (Python >= 3.12) and runs the baseline corridor scenario
#   make test   builds .venv with the test tools and runs the test suite
# Nothing is installed outside .venv.

VENV     := .venv
PY       := $(VENV)/bin/python
SCENARIO ?= scenarios/baseline-corridor.yaml
PYTHON   ?= $(shell sh .ci/find-python)

.PHONY: run test lint clean-venv

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "no Python >= 3.12 found (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/tabletop run $(SCENARIO)

test: $(VENV)/.installed
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check sim tests

clean-venv:
	rm -rf $(VENV)
