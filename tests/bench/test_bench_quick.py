# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Smoke test of bench/run.py --quick: it runs end to end and the API request counts are right.

Times are printed by the benchmark but never asserted. Needs ansible-core next to this Python
(run with .venv/bin/python -m pytest tests/bench). Takes about a minute.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_quick_benchmark_request_counts(tmp_path):
    out = tmp_path / "bench.json"
    subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench", "run.py"), "--quick", "--json", str(out)], check=True, timeout=600
    )
    results = json.loads(out.read_text())
    orgs = results["args"]["orgs"]

    counts = {row["task"]: (row["requests"], row["detail"]) for row in results["requests"]}
    assert counts["no-op converge by client_id"] == (1, "GET list-distributor-organizations")
    assert counts["no-op converge by id"] == (1, "GET get-distributor-organization")
    assert counts["create (create_status=active)"][0] == 2
    assert counts["suspend"] == (2, "GET list-distributor-organizations + PUT suspend-distributor-organization")
    assert counts["activate"] == (2, "GET list-distributor-organizations + PUT activate-distributor-organization")
    assert counts["terminate + purge"][0] == 3

    runs = {(row["pattern"], row["run"]): row for row in results["converge"] if row["pattern"] != "speedup"}
    assert len(runs) == 4
    for (pattern, run), row in runs.items():
        assert row["gets"] == orgs, (pattern, run, row)  # exactly one GET per organization
        assert row["requests"] == (2 * orgs if run == "create" else orgs), (pattern, run, row)

    bulk = {row["work"]: row for row in results["bulk"] if row["pattern"] == "partner_orgs"}
    large, suspended = results["args"]["large_orgs"], results["args"]["suspend_orgs"]
    assert sorted(bulk) == sorted(
        ["create %d" % orgs, "no-op %d" % orgs, "suspend %d of %d" % (suspended, orgs), "no-op %d" % large]
    )
    for work, row in bulk.items():  # one task: exactly one GET whatever the size, then only the changes
        expected = orgs if work.startswith("create") else suspended if work.startswith("suspend") else 0
        assert (row["gets"], row["mutations"]) == (1, expected), (work, row)

    assert results["timing"]["count"] > 0 and results["timing"]["ratio"] > 0
    assert [row["orgs"] for row in results["throughput"]] == [100, 100, 1000, 1000]
    assert all(row["requests_per_s"] > 0 and row["peak_rss_mib"] > 0 for row in results["throughput"])
    usage = results["usage"]
    usage_orgs, usage_months = results["args"]["usage_orgs"], results["args"]["usage_months"]
    assert [row["usage_gets"] for row in usage[:2]] == [usage_orgs * usage_months, usage_orgs * 1]
    assert all(row["seconds"] > 0 for row in usage)
    (events,) = results["events"]  # one list request per poll, and each change seen by one of them
    assert events["changes"] == 4 and events["list_requests"] >= events["changes"] + 1
