# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the project's test suites and print a summary; exit non-zero if any suite failed.

Usage: .venv/bin/python tools/run_tests.py [SUITE ...]     (default: all suites, in order)

Suites: ansible-test (sanity, units, integration) on ansible-core 2.19 and, with .venv-2.21, on
2.21; the release gates of tools/quality_gates.py (metadata, changelog, docs, lint, build); the pytest
suites (tests/simulator, tests/awx, and tests/reliability, tests/bench when they exist).

Each suite's output streams to the terminal and to build/test-logs/<suite>.log. The summary lists
every suite with PASS/FAIL/SKIP, its duration and pytest's closing line(s) where there are any, then
one line adding up the pytest counts of all suites.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOG_DIR = os.path.join(ROOT, "build", "test-logs")
PYTHON = sys.executable
ANSIBLE_TEST = [PYTHON, os.path.join(ROOT, "tools", "ansible_test.py")]

PYTEST = [PYTHON, "-m", "pytest", "-p", "no:cacheprovider"]
GATES = [PYTHON, os.path.join(ROOT, "tools", "quality_gates.py")]
# The second ansible-core line (tools/bootstrap_venv.py --line 2.21): its own venv and ansible-test.
PYTHON_2_21 = os.path.join(ROOT, ".venv-2.21", "bin", "python")
ANSIBLE_TEST_2_21 = [PYTHON_2_21, os.path.join(ROOT, "tools", "ansible_test.py")]
NO_2_21 = "no .venv-2.21 (ansible-core 2.21 needs Python 3.12+; make venv creates it when one exists)"

# name -> (command, paths that must all exist for the suite to run, note when one does not)
SUITES = {
    "metadata": (GATES + ["metadata"], ("meta/runtime.yml",), None),
    "changelog": (GATES + ["changelog"], ("changelogs/config.yaml",), None),
    "docs-check": (GATES + ["docs"], ("plugins",), None),
    "lint": (GATES + ["lint"], (".ansible-lint",), None),
    "simulator-tests": (PYTEST + ["tests/simulator"], ("tests/simulator",), None),
    "units": (ANSIBLE_TEST + ["units"], ("tests/unit",), None),
    "integration": (ANSIBLE_TEST + ["integration"], ("tests/integration/targets",), None),
    "sanity": (ANSIBLE_TEST + ["sanity"], ("galaxy.yml",), None),
    "build": (GATES + ["build"], ("galaxy.yml",), None),
    "awx": (PYTEST + ["tests/awx"], ("tests/awx",), None),
    "reliability": (PYTEST + ["-n", "2", "tests/reliability"], ("tests/reliability",), None),
    "bench": (PYTEST + ["tests/bench"], ("tests/bench",), None),
    "units-2.21": (ANSIBLE_TEST_2_21 + ["units"], (PYTHON_2_21, "tests/unit"), NO_2_21),
    "integration-2.21": (ANSIBLE_TEST_2_21 + ["integration"], (PYTHON_2_21, "tests/integration/targets"), NO_2_21),
    "sanity-2.21": (ANSIBLE_TEST_2_21 + ["sanity"], (PYTHON_2_21, "galaxy.yml"), NO_2_21),
}

# pytest's closing line, e.g. "===== 12 passed, 1 skipped in 0.52s =====" (ansible-test units repeats it)
PYTEST_CLOSING = re.compile(r"^=+ (?P<counts>(?:\d+ \w+(?:, )?)+|no tests ran)(?: in [\d.]+s.*)? =+$")
INTEGRATION_TARGET = re.compile(r"^Running (\S+) integration test")
SANITY_TEST = re.compile(r'^Running sanity test "([^"]+)"(?: on Python (\S+))?')
GATE_NOTE = re.compile(r"^quality_gates: (?!\$ |PASS )")  # a gate's findings, not its commands
PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?)")


def run_suite(name: str) -> dict:
    command, required, skip_note = SUITES[name]
    started = time.monotonic()
    absent = [path for path in required if not os.path.exists(os.path.join(ROOT, path))]
    if absent:
        note = skip_note if skip_note and absent[0] == required[0] else f"{absent[0]} does not exist"
        return {"name": name, "status": "SKIP", "seconds": 0.0, "closing": [], "note": note}
    banner(f"{name}: {' '.join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in command)}")
    os.makedirs(LOG_DIR, exist_ok=True)
    closing, lines = [], []
    with open(os.path.join(LOG_DIR, f"{name}.log"), "w", encoding="utf-8") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            bufsize=1,
        )
        for line in process.stdout:
            sys.stdout.write(line)
            log_file.write(line)
            if PYTEST_CLOSING.match(line.strip()):
                closing.append(line.strip())
            if INTEGRATION_TARGET.match(line) or SANITY_TEST.match(line) or GATE_NOTE.match(line):
                lines.append(line)
        returncode = process.wait()
    return {
        "name": name,
        "status": "PASS" if returncode == 0 else "FAIL",
        "seconds": time.monotonic() - started,
        "closing": closing,
        "note": describe(lines),
    }


def describe(lines: list[str]) -> str:
    """One line naming what ran: integration targets, or sanity tests and the Pythons used."""
    targets = [m.group(1) for m in map(INTEGRATION_TARGET.match, lines) if m]
    if targets:
        return f"{len(targets)} targets: {' '.join(targets)}"
    sanity = [m.groups() for m in map(SANITY_TEST.match, lines) if m]
    if sanity:
        pythons = sorted({python for test, python in sanity if python}, key=lambda v: tuple(map(int, v.split("."))))
        return f"{len({test for test, python in sanity})} sanity tests ran, multi-Python ones on {' '.join(pythons)}"
    gate_notes = [line.split(": ", 1)[1].strip() for line in lines if GATE_NOTE.match(line)]
    return gate_notes[-1] if gate_notes else ""


def banner(text: str) -> None:
    print(f"\n{'=' * 20} {text}", flush=True)


def pytest_totals(results: list[dict]) -> dict:
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    for result in results:
        for number, word in PYTEST_COUNT.findall(" ".join(result["closing"])):
            key = "failed" if word.startswith("error") else word
            if key in totals:
                totals[key] += int(number)
    return totals


def print_summary(results: list[dict], total_seconds: float) -> None:
    banner("make test summary")
    for result in results:
        print(f"{result['name']:<17} {result['status']:<5} {result['seconds']:7.1f}s  {result['note']}")
        for line in result["closing"]:
            print(f"    {line}")
    failed = [r["name"] for r in results if r["status"] == "FAIL"]
    verdict = f"FAILED: {', '.join(failed)}" if failed else "all suites passed"
    print(f"total {total_seconds:.1f}s, {verdict} (logs: {os.path.relpath(LOG_DIR, ROOT)}/)")
    totals = pytest_totals(results)
    print(f"pytest: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped", flush=True)


def main(argv: list[str]) -> int:
    unknown = [name for name in argv if name not in SUITES]
    if unknown:
        print(f"unknown suite(s): {', '.join(unknown)}; choose from {', '.join(SUITES)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    results = [run_suite(name) for name in (argv or list(SUITES))]
    print_summary(results, time.monotonic() - started)
    return 1 if any(r["status"] == "FAIL" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
