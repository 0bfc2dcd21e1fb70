# Two commands for a fresh machine:
#   make run    builds .venv (Python >= 3.12) with what running needs, and runs the baseline corridor scenario
#   make test   adds the test tools to .venv and runs the test suite (about 7 minutes on 2 cores)
# Nothing is installed outside .venv.

VENV     := .venv
PY       := $(VENV)/bin/python
SCENARIO ?= scenarios/baseline-corridor.yaml
PYTHON   ?= $(shell sh .ci/find-python)

.PHONY: run test lint messages clean-venv

# What running needs: the package and its dependencies (no test tools).
$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "no Python >= 3.12 found (set PYTHON=...)"; exit 1; }
	@echo "make: building $(VENV) with $(PYTHON) and installing tabletop's dependencies (about a minute, once)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --progress-bar off -e .
	touch $@

# The test tools on top (pytest, hypothesis, playwright, ipykernel, ...).
$(VENV)/.installed-test: $(VENV)/.installed
	@echo "make: installing the test tools into $(VENV) (pytest, hypothesis, playwright, ipykernel; once)"
	$(PY) -m pip install --quiet --progress-bar off -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/tabletop run $(SCENARIO)

test: $(VENV)/.installed-test
	@echo "make: running the test suite (about 7 minutes on 2 cores; the browser test needs Chromium)"
	$(PY) -m pytest

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check sim tests

# The room's languages (docs/i18n.md): extract every gettext domain's marked strings into
# sim/locale/<domain>.pot and bring sim/locale/{fr,ar}/LC_MESSAGES/<domain>.po up to date (new
# strings empty or fuzzy, for the translator). tests/test_i18n.py fails until they are translated.
messages: $(VENV)/.installed
	$(PY) -c "from sim.i18n import update_catalogues; print('\n'.join(map(str, update_catalogues())))"

clean-venv:
	rm -rf $(VENV)
