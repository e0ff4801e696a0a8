# make test: create .venv if missing, install biom_tf with the test extra, run the suite.
# make demo: create .venv if missing, install biom_tf, run the bundled demo end to end.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export TF_USE_LEGACY_KERAS := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: test demo install install-test clean

$(VENV)/.installed-runtime: setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: setup.py $(VENV)/.installed-runtime
	$(PY) -m pip install -q -e ".[test,beam]"
	touch $@

install: $(VENV)/.installed-runtime
install-test: $(VENV)/.installed-test

test: $(VENV)/.installed-test
	$(PY) -m pytest -q -n 2 tests

demo: $(VENV)/.installed-runtime
	$(PY) -m tools.demo

clean:
	rm -rf $(VENV) demo_output
