# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A short soak run (tests/reliability/soak.py) as a smoke test: a higher fault rate, few tasks."""

from __future__ import annotations

import os
import re
import subprocess
import sys


def test_short_soak_run_has_no_duplicates_nor_double_billing():
    done = subprocess.run(
        [
            sys.executable,
            os.path.join(os.path.dirname(os.path.abspath(__file__)), "soak.py"),
            "--tasks",
            "60",
            "--fault-rate",
            "0.3",
            "--seed",
            "7",
        ],
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    output = done.stdout + done.stderr
    figures = {name.strip(): int(value) for name, value in re.findall(r"^  ([a-z][a-z ()-]+?)\s+(\d+)", output, re.M)}
    assert figures["tasks"] == 60, output
    assert figures["faults injected (reached by the task)"] >= 5, output  # the faults really happened
    for name in (
        "duplicates",
        "double-applied metering batches",
        "lost metering batches",
        "phantom metering batches",
        "state mismatches",
        "escaped exceptions",
        "secret leaks",
        "unresolved failures",
    ):
        assert figures[name] == 0, output
    assert done.returncode == 0 and "RESULT: PASS" in output, output
