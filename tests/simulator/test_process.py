# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The command line: start-up line, signals, options, persistence across a restart."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests
from exoscale_auth import ExoscaleV2Auth
from sim_support import KEY, NEW_ORG, SECRET

from simulator.control import REPOSITORY_ROOT, SimulatorError, SimulatorProcess


def run_simulator(*arguments):
    return subprocess.run(
        [sys.executable, "-m", "simulator"] + list(arguments),
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_prints_one_line_and_exits_0_on_sigint():
    """SIGTERM is what SimulatorProcess sends; the tests using it check its exit code."""
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", "0", "--key", KEY, "--secret", SECRET],
        cwd=REPOSITORY_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    assert re.fullmatch(r"listening on http://127\.0\.0\.1:\d+/v1\.alpha\n", line)
    url = line.split()[-1]
    assert (
        requests.get(url + "/distributor/organization", auth=ExoscaleV2Auth(KEY, SECRET), timeout=10).status_code == 200
    )
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert stdout == ""


@pytest.mark.parametrize(
    "arguments, word",
    [
        (["--port", "0", "--key", "K"], "--secret"),
        (["--port", "0", "--key", "K", "--secret", "S", "--key", "K2"], "pairs"),
        (["--port", "0", "--key", "K", "--secret", "S", "--create-status", "suspended"], "create-status"),
        (["--port", "0", "--key", "K", "--secret", "S", "--latency", "-1"], "latency"),
    ],
)
def test_bad_arguments_exit_non_zero(arguments, word):
    result = run_simulator(*arguments)
    assert result.returncode == 2
    assert word in result.stderr


def test_unreadable_state_file_is_reported(tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{not json")
    result = run_simulator("--port", "0", "--key", "K", "--secret", "S", "--state", str(state))
    assert result.returncode == 2
    assert str(state) in result.stderr
    assert state.read_text() == "{not json"


def test_failed_start_is_reported():
    with pytest.raises(SimulatorError, match="did not start"):
        SimulatorProcess(extra_args=["--latency", "-1"]).start()


def test_state_persists_across_a_restart(tmp_path):
    state = tmp_path / "state.json"
    auth = ExoscaleV2Auth(KEY, SECRET)
    with SimulatorProcess(key=KEY, secret=SECRET, state=state) as sim:
        created = requests.post(sim.url + "/distributor/organization", json=NEW_ORG, auth=auth, timeout=10).json()
        org_path = "/distributor/organization/" + created["id"]
        assert requests.put(sim.url + org_path + ":suspend", auth=auth, timeout=10).status_code == 200
        batch = {
            "organization": created["id"],
            "usage": [{"product": "partner", "variable": "commission", "quantity": 0.3}],
        }
        assert requests.post(sim.url + "/metering:apply", json=batch, auth=auth, timeout=10).status_code == 204
        usage_before = requests.get(sim.url + org_path + "/usage", auth=auth, timeout=10).json()
        ledger_before = sim.admin.metering()
    assert sim.process.returncode == 0  # stopped with SIGTERM
    assert json.loads(state.read_text())["version"] == 1
    assert os.listdir(tmp_path) == ["state.json"]  # atomic writes leave no temporary file behind

    with SimulatorProcess(key=KEY, secret=SECRET, state=state) as sim:
        assert requests.get(sim.url + org_path, auth=auth, timeout=10).json() == dict(created, status="suspended")
        assert requests.get(sim.url + org_path + "/usage", auth=auth, timeout=10).json() == usage_before
        assert sim.admin.metering() == ledger_before
        sim.admin.reset()
    assert json.loads(state.read_text()) == {"version": 1, "organizations": [], "ledger": []}


def test_latency_and_create_status_options(simulator_process):
    with SimulatorProcess(key=KEY, secret=SECRET, latency=0.25, create_status="created") as sim:
        assert sim.port != simulator_process.port  # --port 0 picks a free port
        assert sim.admin.config() == {"create_status": "created", "latency": 0.25}
        started = time.monotonic()
        created = requests.post(
            sim.url + "/distributor/organization", json=NEW_ORG, auth=ExoscaleV2Auth(KEY, SECRET), timeout=10
        )
        assert time.monotonic() - started >= 0.25
        assert created.json()["status"] == "created"


def test_spec_errors_fail_the_context_manager(monkeypatch):
    sim = SimulatorProcess()
    with pytest.raises(SimulatorError, match="break the official spec"), sim:
        monkeypatch.setattr(
            sim.admin, "errors", lambda: [{"operation": "get-distributor-organization", "problem": "x"}]
        )
    assert sim.process.returncode == 0
