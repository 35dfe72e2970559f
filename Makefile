# Developer entry points. `make test` is what CI runs (.ci/run).
# Needs only python3 (3.11 by default; PYTHON=python3.12 make test for another), make and git.
# A Python 3.12+ (on PATH or in pyenv) adds the second ansible-core line (.venv-2.21).

PYTHON  ?= python3
VENV    := .venv
VPY     := $(VENV)/bin/python
VENV221 := .venv-2.21
SUITES  := style reuse house metadata changelog docs-check lint simulator-tests units integration sanity build awx reliability bench journal report eda \
           units-2.21 integration-2.21 sanity-2.21

.PHONY: help venv test docs demo clean $(SUITES)

help:
	@echo "make test             all suites + summary (tools/run_tests.py, 2 at a time; PARTNER_TEST_JOBS=1 streams): $(SUITES)"
	@echo "make SUITE            one suite, e.g. make sanity, make build, make sanity-2.21"
	@echo "make docs             regenerate docs/modules/ (the docs suite fails when it is stale)"
	@echo "make demo             run the offline demo (tools/demo.py)"
	@echo "make venv             create/refresh $(VENV) and $(VENV221);  make clean  remove generated files"

venv:
	@$(PYTHON) tools/system_packages.py
	@$(PYTHON) tools/bootstrap_venv.py --venv $(VENV)
	@$(PYTHON) tools/bootstrap_venv.py --line 2.21 --venv $(VENV221)

test: venv
	$(VPY) tools/run_tests.py

$(SUITES): venv
	$(VPY) tools/run_tests.py $@

docs: venv
	$(VPY) tools/quality_gates.py docs-write

demo: venv
	$(VPY) tools/demo.py

clean:
	rm -rf $(VENV) $(VENV221) build dist .cache tests/output .pytest_cache exoscale-partner-*.tar.gz
	$(PYTHON) tools/ansible_test.py clean
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
