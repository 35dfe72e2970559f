# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Smoke test of bench/run.py --quick: it runs end to end and the API request counts are right.

Times are printed by the benchmark but never asserted. Needs ansible-core next to this Python
(run with .venv/bin/python -m pytest tests/bench). Takes a few minutes: the slicing section runs
the sliced billing example with a throw-away PostgreSQL (tests/pg_cluster.py) when one can start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import pg_cluster  # noqa: E402


def test_quick_benchmark_request_counts(tmp_path):
    out = tmp_path / "bench.json"
    subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench", "run.py"), "--quick", "--json", str(out)], check=True, timeout=900
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

    scale = {row["process"]: row for row in results["scale"]}
    scale_orgs = results["args"]["scale_orgs"]
    assert (scale["ansible-inventory"]["hosts"], scale["ansible-inventory"]["requests"]) == (scale_orgs, 1)
    assert (scale["module"]["requests"], scale["module"]["mutations"]) == (1, 0)  # a no-op: one GET
    assert all(row["peak_rss_mib"] > 0 for row in scale.values())

    if pg_cluster.no_postgres_reason():
        assert "slicing" not in results
        return
    slicing_orgs = results["args"]["slicing_orgs"]
    patterns = sorted({row["pattern"] for row in results["slicing"]})
    assert patterns == ["2 slices", "4 slices", "one job"]
    for row in results["slicing"]:  # every customer billed exactly once; a relaunch sends nothing
        expected_posts = 0 if row["run"].startswith("relaunch") else slicing_orgs
        assert (row["metering_posts"], row["other_requests"], row["billed"]) == (expected_posts, 0, slicing_orgs), row
