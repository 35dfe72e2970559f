# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the project's test suites (SUITES below) and print a summary; exit non-zero if any suite failed.

Usage: .venv/bin/python tools/run_tests.py [-j JOBS] [--list] [SUITE ...]     (default: all suites)

How they are scheduled and what the summary says: CONTRIBUTING.md, "The suites".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOG_DIR = os.path.join(ROOT, "build", "test-logs")
DURATIONS = os.path.join(LOG_DIR, "durations.json")
PYTHON = sys.executable
BIN = os.path.dirname(PYTHON)
ANSIBLE_TEST = [PYTHON, os.path.join(ROOT, "tools", "ansible_test.py")]
PYTEST = [PYTHON, "-m", "pytest", "-p", "no:cacheprovider"]
GATES = [PYTHON, os.path.join(ROOT, "tools", "quality_gates.py")]
# The second ansible-core line (tools/bootstrap_venv.py --line 2.21): its own venv and ansible-test.
PYTHON_2_21 = os.path.join(ROOT, ".venv-2.21", "bin", "python")
ANSIBLE_TEST_2_21 = [PYTHON_2_21, os.path.join(ROOT, "tools", "ansible_test.py")]
NO_2_21 = "no .venv-2.21 (ansible-core 2.21 needs Python 3.12+; make venv creates it when one exists)"
# antsibull-nox sessions (noxfile.py, antsibull-nox.toml), each in its own venv under .nox/ (kept between
# runs). CI=true: the formatters check instead of rewriting files, and the output is plain text.
NOX = ["env", "CI=true", PYTHON, "-m", "nox", "--reuse-existing-virtualenvs", "--session"]
NEEDS_NOX = (f"{BIN}/nox", "noxfile.py")
NO_NOX = "nox is not installed in this venv: run make venv"

# The suites, in the order they run when no durations are known (the Makefile reads the names: --list):
#   "name": (command run from the repository root, (paths that must all exist, else SKIPPED),
#            why it is skipped when the first path is missing, or None for "<path> does not exist"),
SUITES = {
    "lint": (NOX + ["lint"], NEEDS_NOX, NO_NOX),
    "license-check": (NOX + ["license-check"], NEEDS_NOX, NO_NOX),
    "house": (PYTEST + ["tests/house"], ("tests/house",), None),
    "metadata": (GATES + ["metadata"], ("meta/runtime.yml",), None),
    "extra-checks": (NOX + ["extra-checks"], NEEDS_NOX, NO_NOX),
    "changelog": (GATES + ["changelog"], ("changelogs/config.yaml",), None),
    "docs-check": (NOX + ["docs-check"], NEEDS_NOX, NO_NOX),
    "ansible-lint": (GATES + ["ansible-lint"], (".ansible-lint",), None),
    "build-import-check": (NOX + ["build-import-check"], NEEDS_NOX, NO_NOX),
    "simulator-tests": (PYTEST + ["tests/simulator"], ("tests/simulator",), None),
    "units": (ANSIBLE_TEST + ["units"], ("tests/unit",), None),
    "integration": (ANSIBLE_TEST + ["integration"], ("tests/integration/targets",), None),
    "sanity": (ANSIBLE_TEST + ["sanity"], ("galaxy.yml",), None),
    "build": (GATES + ["build"], ("galaxy.yml",), None),
    "awx": (PYTEST + ["tests/awx"], ("tests/awx",), None),
    "reliability": (PYTEST + ["-n", "2", "tests/reliability"], ("tests/reliability",), None),
    "bench": (PYTEST + ["tests/bench"], ("tests/bench",), None),
    "journal": (PYTEST + ["tests/journal"], ("tests/journal",), None),
    "report": (PYTEST + ["tests/report"], ("tests/report",), None),
    "docsite-check": (PYTEST + ["tests/docsite"], ("tests/docsite",), None),
    "eda": (PYTEST + ["tests/eda"], ("tests/eda",), None),
    "units-2.21": (ANSIBLE_TEST_2_21 + ["units"], (PYTHON_2_21, "tests/unit"), NO_2_21),
    "integration-2.21": (ANSIBLE_TEST_2_21 + ["integration"], (PYTHON_2_21, "tests/integration/targets"), NO_2_21),
    "sanity-2.21": (ANSIBLE_TEST_2_21 + ["sanity"], (PYTHON_2_21, "galaxy.yml"), NO_2_21),
}

# A suite whose command starts like this mirrors the repository into (and runs in) that copy
# (tools/ansible_test.py: one per ansible-core line, one for the gates): one suite per copy at a time.
LOCKS = {
    "ansible-test copy 2.19": (ANSIBLE_TEST,),
    "ansible-test copy 2.21": (ANSIBLE_TEST_2_21,),
    "quality gates copy": (GATES,),
}

# pytest's closing line, e.g. "===== 12 passed, 1 skipped in 0.52s =====" (ansible-test units repeats it)
PYTEST_CLOSING = re.compile(r"^=+ (?P<counts>(?:\d+ \w+(?:, )?)+|no tests ran)(?: in [\d.]+s.*)? =+$")
INTEGRATION_TARGET = re.compile(r"^Running (\S+) integration test")
SANITY_TEST = re.compile(r'^Running sanity test "([^"]+)"(?: on Python (\S+))?')
SANITY_NOT_FOUND = re.compile(r"^ansible_test\.py: sanity: .*(?:not found here, skipped: ([\d. ]+)\)|only Python)")
GATE_NOTE = re.compile(r"^quality_gates: (?!\$ |PASS )")  # a gate's findings, not its commands
NOX_NOTE = re.compile(r"^nox > Session \S+ (?:aborted|failed)")  # why a nox session failed


def lock_of(command: list[str]) -> str | None:
    for lock, prefixes in LOCKS.items():
        if any(command[: len(prefix)] == prefix for prefix in prefixes):
            return lock
    return None


def skip_reason(name: str) -> str | None:
    _command, required, skip_note = SUITES[name]
    absent = [path for path in required if not os.path.exists(os.path.join(ROOT, path))]
    if not absent:
        return None
    return skip_note if skip_note and absent[0] == required[0] else f"{os.path.relpath(absent[0], ROOT)} does not exist"


def shown(command: list[str]) -> str:
    return " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in command)


def run_suite(name: str, stream: bool) -> dict:
    """Run one suite, its output into its log (and to the terminal when stream); return its result."""
    command = SUITES[name][0]
    started = time.monotonic()
    closing, lines = [], []
    log_path = os.path.join(LOG_DIR, f"{name}.log")
    with open(log_path, "w", encoding="utf-8") as log_file:
        log_file.write(f"$ {shown(command)}\n")
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
            if stream:
                sys.stdout.write(line)
            log_file.write(line)
            if PYTEST_CLOSING.match(line.strip()):
                closing.append(line.strip())
            if any(p.match(line) for p in (INTEGRATION_TARGET, SANITY_TEST, SANITY_NOT_FOUND, GATE_NOTE, NOX_NOTE)):
                lines.append(line)
        returncode = process.wait()
    return {
        "name": name,
        "status": "PASS" if returncode == 0 else "FAIL",
        "seconds": time.monotonic() - started,
        "closing": closing,
        "note": describe(lines),
        "partial": any(SANITY_NOT_FOUND.match(line) for line in lines),
        "log": log_path,
    }


def describe(lines: list[str]) -> str:
    """One line naming what ran: integration targets, or sanity tests and the Pythons they really ran on."""
    targets = [m.group(1) for m in map(INTEGRATION_TARGET.match, lines) if m]
    if targets:
        return f"{len(targets)} targets: {' '.join(targets)}"
    sanity = [m.groups() for m in map(SANITY_TEST.match, lines) if m]
    if sanity:
        pythons = sorted({python for test, python in sanity if python}, key=lambda v: tuple(map(int, v.split("."))))
        note = (
            f"{len({test for test, python in sanity})} sanity tests ran; compile/import on Python {' '.join(pythons)}"
        )
        not_found = [m for m in map(SANITY_NOT_FOUND.match, lines) if m]
        if not_found:
            note += f" (NOT on {not_found[0].group(1).strip()}: not found here)" if not_found[0].group(1) else " ONLY"
        return note
    gate_notes = [line.split(": ", 1)[1].strip() for line in lines if GATE_NOTE.match(line)]
    nox_notes = [line[len("nox > ") :].strip() for line in lines if NOX_NOTE.match(line)]
    return gate_notes[-1] if gate_notes else "; ".join(nox_notes)


def banner(text: str) -> None:
    print(f"\n{'=' * 20} {text}", flush=True)


def known_durations() -> dict:
    try:
        with open(DURATIONS, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def save_durations(results: list[dict]) -> None:
    durations = known_durations()
    durations.update({r["name"]: round(r["seconds"], 1) for r in results if r["status"] != "SKIPPED"})
    with open(DURATIONS, "w", encoding="utf-8") as handle:
        json.dump(durations, handle, indent=1, sort_keys=True)


def run_all(names: list[str], jobs: int) -> list[dict]:
    """Run the suites, `jobs` at a time, never two with the same lock together; results in `names` order."""
    results = {}
    for name in names:
        reason = skip_reason(name)
        if reason:
            print(f"SKIPPED {name}: {reason}", flush=True)
            results[name] = {"name": name, "status": "SKIPPED", "seconds": 0.0, "closing": [], "note": reason}
    durations = known_durations()
    pending = sorted((n for n in names if n not in results), key=lambda n: -durations.get(n, 0.0))
    running, held = set(), set()
    finished = threading.Condition()
    stream = jobs == 1

    def worker(name: str, lock: str | None) -> None:
        try:
            result = run_suite(name, stream)
        except Exception as error:  # the command could not start, or its log could not be written
            result = {"name": name, "status": "FAIL", "seconds": 0.0, "closing": [], "note": str(error)}
        with finished:
            if not stream and "log" in result:
                banner(f"{name} ({result['status']}, {result['seconds']:.0f}s): {os.path.relpath(result['log'], ROOT)}")
                with open(result["log"], encoding="utf-8", errors="replace") as handle:
                    sys.stdout.write(handle.read())
                sys.stdout.flush()
            results[name] = result
            running.discard(name)
            held.discard(lock)
            finished.notify()

    with finished:
        while pending or running:
            startable = [n for n in pending if lock_of(SUITES[n][0]) not in held]
            if startable and len(running) < jobs:
                name = startable[0]
                pending.remove(name)
                lock = lock_of(SUITES[name][0])
                running.add(name)
                if lock:
                    held.add(lock)
                banner(f"{name}: {shown(SUITES[name][0])}" + ("" if stream else " (started; log printed when done)"))
                threading.Thread(target=worker, args=(name, lock), daemon=True).start()
                continue
            finished.wait()
    return [results[name] for name in names]


def verdict(results: list[dict]) -> str:
    failed = [r["name"] for r in results if r["status"] == "FAIL"]
    skipped = [r["name"] for r in results if r["status"] == "SKIPPED"]
    passed = len(results) - len(failed) - len(skipped)
    partial = [r["name"] for r in results if r.get("partial")]
    everything = f"all {passed} suites passed" if passed > 1 else "the suite passed"
    parts = [everything if not failed and not skipped else f"{passed} of {len(results)} suites passed"]
    if failed:
        parts.append(f"FAILED: {', '.join(failed)}")
    if skipped:
        parts.append(f"{len(skipped)} SKIPPED: {', '.join(skipped)}")
    if partial:
        parts.append(f"on fewer Pythons than ansible-test supports: {', '.join(partial)}")
    return "; ".join(parts)


def print_summary(results: list[dict], total_seconds: float, jobs: int) -> None:
    banner("make test summary")
    width = max(len(result["name"]) for result in results)
    for result in results:
        print(f"{result['name']:<{width}} {result['status']:<7} {result['seconds']:7.1f}s  {result['note']}")
        for line in result["closing"]:
            print(f"    {line}")
    print(f"total {total_seconds:.1f}s wall clock ({jobs} at a time), {verdict(results)}")
    print(f"logs: {os.path.relpath(LOG_DIR, ROOT)}/", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("PARTNER_TEST_JOBS", "2")))
    parser.add_argument("--list", action="store_true", help="print the suite names and exit (the Makefile reads them)")
    parser.add_argument("suites", nargs="*", metavar="SUITE", help=f"default: all ({', '.join(SUITES)})")
    args = parser.parse_args(argv)
    if args.list:
        print(" ".join(SUITES))
        return 0
    unknown = [name for name in args.suites if name not in SUITES]
    if unknown:
        print(f"unknown suite(s): {', '.join(unknown)}; choose from {', '.join(SUITES)}", file=sys.stderr)
        return 2
    names = args.suites or list(SUITES)
    jobs = max(1, min(args.jobs, len(names)))
    os.makedirs(LOG_DIR, exist_ok=True)
    started = time.monotonic()
    results = run_all(names, jobs)
    save_durations(results)
    print_summary(results, time.monotonic() - started, jobs)
    return 1 if any(r["status"] == "FAIL" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
