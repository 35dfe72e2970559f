# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Developer entry points. `make test` is what CI runs (.ci/run).
# Needs only python3 (3.11 by default; PYTHON=python3.12 make test for another), make and git.
# A Python 3.12+ (on PATH or in pyenv) adds the second ansible-core line (.venv-2.21).

PYTHON  ?= python3
VENV    := .venv
VPY     := $(VENV)/bin/python
VENV221 := .venv-2.21
# The suites are listed once, in tools/run_tests.py (SUITES); each is also a target: make sanity.
SUITES  := $(shell $(PYTHON) tools/run_tests.py --list)

.PHONY: help venv test docsite demo clean $(SUITES)

help:
	@echo "make test             all suites + summary (tools/run_tests.py, 2 at a time; PARTNER_TEST_JOBS=1 streams): $(SUITES)"
	@echo "make SUITE            one suite, e.g. make sanity, make build, make sanity-2.21"
	@echo "make docsite          build the collection's docsite into build/docsite/html/ (tools/docsite.py, offline)"
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

docsite: venv
	$(VPY) tools/docsite.py

demo: venv
	$(VPY) tools/demo.py

clean:
	rm -rf $(VENV) $(VENV221) build dist .cache .nox tests/output .pytest_cache exoscale-partner-*.tar.gz
	$(PYTHON) tools/ansible_test.py clean
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
