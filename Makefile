# Developer entry points. `make test` is what CI runs (.ci/run).
# Needs only python3 (3.11 by default; PYTHON=python3.12 make test for another), make and git.

PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python

.PHONY: help venv test sanity units integration simulator-tests demo clean

help:
	@echo "make test             all suites (simulator-tests, units, integration, sanity) + summary"
	@echo "make demo             run the offline demo (tools/demo.py)"
	@echo "make sanity|units|integration|simulator-tests   one suite"
	@echo "make venv             create/refresh $(VENV) only;  make clean  remove generated files"

venv:
	@$(PYTHON) tools/bootstrap_venv.py --venv $(VENV)

test: venv
	$(VPY) tools/run_tests.py

sanity units integration simulator-tests: venv
	$(VPY) tools/run_tests.py $@

demo: venv
	$(VPY) tools/demo.py

clean:
	rm -rf $(VENV) build dist .cache tests/output .pytest_cache exoscale-partner-*.tar.gz
	$(PYTHON) tools/ansible_test.py clean
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
