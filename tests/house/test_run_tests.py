# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tools/run_tests.py: one list of suites; skips are said and counted, locked suites never overlap, order is kept."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import run_tests  # noqa: E402  pylint: disable=wrong-import-position

# Fails when another suite holding the same lock is running: its marker file exists.
EXCLUSIVE = """
import os, sys, time
marker_dir, name = sys.argv[1], sys.argv[2]
others = os.listdir(marker_dir)
if others:
    sys.exit("overlaps with %s" % others)
open(os.path.join(marker_dir, name), "w").close()
time.sleep(0.3)  # widens the window in which an overlap would be seen; no timing is asserted
os.remove(os.path.join(marker_dir, name))
print("===== 1 passed in 0.30s =====")
"""


@pytest.fixture
def suites(tmp_path, monkeypatch):
    markers = tmp_path / "markers"
    markers.mkdir()
    locked = [sys.executable, "-c", EXCLUSIVE, str(markers)]
    table = {
        "first": (locked + ["first"], (), None),
        "missing": ([sys.executable, "-c", "pass"], ("does/not/exist",), "needs a thing this machine lacks"),
        "second": (locked + ["second"], (), None),
        "free": ([sys.executable, "-c", "import sys; sys.exit(3)"], (), None),
    }
    monkeypatch.setattr(run_tests, "SUITES", table)
    monkeypatch.setattr(run_tests, "LOCKS", {"shared copy": (locked,)})
    monkeypatch.setattr(run_tests, "LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(run_tests, "DURATIONS", str(tmp_path / "logs" / "durations.json"))
    return table


def test_suites_sharing_a_lock_never_run_together_and_skips_are_counted(suites, capsys):
    assert run_tests.main(["-j", "3"]) == 1
    out = capsys.readouterr().out
    assert "SKIPPED missing: needs a thing this machine lacks" in out
    summary = out.split("make test summary")[1]
    assert [line.split()[:2] for line in summary.splitlines()[1:] if line and not line.startswith(" ")][:4] == [
        ["first", "PASS"],
        ["missing", "SKIPPED"],
        ["second", "PASS"],
        ["free", "FAIL"],
    ]
    assert "2 of 4 suites passed; FAILED: free; 1 SKIPPED: missing" in summary
    assert "all 4 suites passed" not in out


def test_all_passed_only_when_nothing_was_skipped():
    result = {"closing": [], "note": "", "seconds": 0.0}
    passed = [dict(result, name=n, status="PASS") for n in ("a", "b")]
    assert run_tests.verdict(passed) == "all 2 suites passed"
    skipped = passed + [dict(result, name="c", status="SKIPPED")]
    assert run_tests.verdict(skipped) == "2 of 3 suites passed; 1 SKIPPED: c"
    partial = passed + [dict(result, name="sanity", status="PASS", partial=True)]
    assert run_tests.verdict(partial) == "all 3 suites passed; on fewer Pythons than ansible-test supports: sanity"


def test_the_sanity_note_names_the_pythons_it_ran_on_and_those_it_did_not():
    lines = [
        "ansible_test.py: sanity: --venv, module Pythons 3.9 3.10 (not found here, skipped: 3.13 3.14)\n",
        'Running sanity test "compile" on Python 3.10\n',
        'Running sanity test "compile" on Python 3.9\n',
        'Running sanity test "pep8"\n',
    ]
    assert run_tests.describe(lines) == (
        "2 sanity tests ran; compile/import on Python 3.9 3.10 (NOT on 3.13 3.14: not found here)"
    )


def test_every_suite_is_a_make_target_and_the_makefile_lists_none_itself(capsys):
    assert run_tests.main(["--list"]) == 0
    assert capsys.readouterr().out.split() == list(run_tests.SUITES)
    names = list(run_tests.SUITES)
    dry_run = subprocess.run(["make", "-n", "-C", ROOT, *names], capture_output=True, text=True, check=False)
    assert dry_run.returncode == 0, dry_run.stderr
    for name in names:
        assert f"tools/run_tests.py {name}\n" in dry_run.stdout
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as handle:
        listing = [line for line in handle if len(set(line.split()) & set(names)) > 2]
    assert not listing, f"the Makefile lists suites itself: {listing}"
    unknown = subprocess.run(["make", "-n", "-C", ROOT, "no-such-suite"], capture_output=True, text=True, check=False)
    assert unknown.returncode != 0


def test_a_failed_nox_session_says_why_in_the_summary():
    lines = [
        "nox > Running session license-check\n",
        "nox > Session license-check aborted: license-check failed (took 9 seconds).\n",
    ]
    matched = [line for line in lines if run_tests.NOX_NOTE.match(line)]
    assert run_tests.describe(matched) == "Session license-check aborted: license-check failed (took 9 seconds)."
