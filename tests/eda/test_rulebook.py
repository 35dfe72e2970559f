# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""partner_events in a real ansible-rulebook (PyPI, Java 17): a status change runs a playbook, once."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import yaml
from conftest import KEY, REPOSITORY_ROOT, SECRET, seed

sys.path.insert(0, os.path.join(REPOSITORY_ROOT, "tools"))
from system_packages import java_home  # noqa: E402

BIN = os.path.dirname(sys.executable)
PLAYBOOK = os.path.join(REPOSITORY_ROOT, "tests", "eda", "files", "record_suspension.yml")
HOSTILE = "{{ 7 * 7 }} {{ lookup('env', 'EXOSCALE_API_SECRET') }} {% if true %}evaluated{% endif %}"
LIST_OPERATION = "list-distributor-organizations"
STARTUP_TIMEOUT = 180  # the JVM and the rule engine start slowly on a busy machine
ACTION_TIMEOUT = 180

pytestmark = [
    pytest.mark.skipif(
        not shutil.which("ansible-rulebook", path=BIN), reason="ansible-rulebook is not installed: run make venv"
    ),
    pytest.mark.skipif(
        java_home() is None,
        reason="no Java 17+ (Debian openjdk-17-jre-headless): tools/system_packages.py installs it",
    ),
]


def wait_for(predicate, timeout, what, process=None, log=None):
    """Poll until predicate() is true; fail naming `what` (with the rulebook's log) otherwise."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if process is not None and process.poll() is not None:
            pytest.fail("ansible-rulebook exited (%s) before %s:\n%s" % (process.returncode, what, log.read_text()))
        if time.monotonic() > deadline:
            pytest.fail("%s did not happen within %s s:\n%s" % (what, timeout, log.read_text() if log else ""))
        time.sleep(0.1)


@pytest.fixture
def rulebook(request, tmp_path, sim, collections_path):
    """Start ansible-rulebook with a rule running record_suspension.yml; yields (process, output dir, log).

    The source's escape_templates is the test's parameter (indirect), true by default.
    """
    escape_templates = getattr(request, "param", True)
    output = tmp_path / "runs"
    output.mkdir()
    rules = [
        {
            "name": "Suspended customers",
            "hosts": "all",
            "sources": [
                {
                    "exoscale.partner.partner_events": {
                        "interval": 1,
                        "api_retries": 0,
                        "state_file": str(tmp_path / "state.json"),
                        "escape_templates": escape_templates,
                    }
                }
            ],
            "rules": [
                {
                    "name": "Run the playbook for a suspension",
                    "condition": 'event.type == "status_changed" and event.organization.status == "suspended"',
                    "action": {"run_playbook": {"name": PLAYBOOK, "extra_vars": {"output_dir": str(output)}}},
                }
            ],
        }
    ]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    (tmp_path / "inventory.yml").write_text(
        yaml.safe_dump(
            {
                "all": {
                    "hosts": {
                        "localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
                    }
                }
            }
        )
    )
    env = dict(
        os.environ,
        PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
        JAVA_HOME=java_home(),
        ANSIBLE_COLLECTIONS_PATH=collections_path,
        EXOSCALE_API_KEY=KEY,
        EXOSCALE_API_SECRET=SECRET,
        EXOSCALE_PARTNER_API_URL=sim.url,
        PYTHONUNBUFFERED="1",
        HOME=str(tmp_path),
    )
    log = tmp_path / "rulebook.log"
    with open(log, "w", encoding="utf-8") as handle:
        process = subprocess.Popen(
            [os.path.join(BIN, "ansible-rulebook"), "-i", "inventory.yml", "--rulebook", "rules.yml", "-v"],
            cwd=tmp_path,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        yield process, output, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def list_requests(sim):
    return sum(1 for entry in sim.admin.requests() if entry["operation"] == LIST_OPERATION)


def suspend_and_collect(process, output, log, sim, organization):
    """Suspend the organization once the source runs; the playbook's one run (fails if it ran twice)."""
    wait_for(
        lambda: "Waiting for events" in log.read_text() and list_requests(sim) >= 2,
        STARTUP_TIMEOUT,
        "the rulebook's start and the source's baseline poll",
        process,
        log,
    )
    changed_at = datetime.datetime.now(datetime.timezone.utc)
    sim.admin.set_status(organization, "suspended")
    wait_for(lambda: list(output.glob("*.json")), ACTION_TIMEOUT, "the playbook's run", process, log)
    settled = list_requests(sim) + 3
    wait_for(lambda: list_requests(sim) >= settled, ACTION_TIMEOUT, "three more polls", process, log)
    runs = [json.loads(path.read_text()) for path in output.glob("*.json")]
    assert len(runs) == 1, runs
    observed = datetime.datetime.strptime(runs[0]["event"]["observed_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    latency = observed.replace(tzinfo=datetime.timezone.utc) - changed_at
    print("\npartner_events at interval 1: status change to event in %.2f s" % latency.total_seconds())
    return runs[0]


def test_a_suspension_runs_the_playbook_once_with_the_name_as_typed(rulebook, sim):
    process, output, log = rulebook
    hostile = seed(sim, HOSTILE, client_id="crm-{{ 6 * 7 }}")
    bystander = seed(sim, "Bystander")
    run = suspend_and_collect(process, output, log, sim, hostile)
    assert run["templated_name"] == HOSTILE  # the playbook templated it and got the text back: nothing evaluated
    assert run["event"]["type"] == "status_changed" and run["event"]["previous_status"] == "active"
    assert run["event"]["organization"]["id"] == hostile
    assert [(org["id"], org["name"], org["client_id"], org["status"]) for org in run["found"]] == [
        (hostile, HOSTILE, "crm-{{ 6 * 7 }}", "suspended")
    ]
    assert SECRET not in json.dumps(run) + log.read_text()
    assert bystander not in json.dumps(run)
    lookups = [
        (entry["operation"], entry["path"]) for entry in sim.admin.requests() if entry["operation"] != LIST_OPERATION
    ]
    assert lookups == [("get-distributor-organization", "/v1.alpha/distributor/organization/" + hostile)]
    assert process.poll() is None  # the source keeps running


@pytest.mark.parametrize("rulebook", [False], indirect=True, ids=["escape_templates=false"])
def test_without_escaping_the_playbook_evaluates_what_a_customer_typed(rulebook, sim):
    """Why escape_templates is on by default: the same run with it off leaks the secret."""
    process, output, log = rulebook
    hostile = seed(sim, HOSTILE)
    run = suspend_and_collect(process, output, log, sim, hostile)
    assert run["templated_name"] == "49 %s evaluated" % SECRET
