# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The "new customer" job template as AWX runs it: ansible-runner, credentials injected as env vars.

The private data dir is laid out the way AWX lays it out for a job inside an execution environment:
env/envvars holds exactly what the credential type injects, env/extravars the survey answers,
inventory/ the localhost host of examples/awx/job_template.yml, project/ the job's playbook.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid

import pytest
import yaml
from awx_credential import injected_env, load_playbook
from awx_helpers import RUNNER, load_client_module, repo_path, run, tool_env

from simulator.control import SimulatorProcess

API_KEY = "EXOawxrunnertestkey"
API_SECRET = "awx-secret-%s" % uuid.uuid4().hex
SURVEY_ANSWERS = {
    "customer_name": "Runner Customer SA",
    "customer_client_id": "crm-awx-0001",
    "customer_owner_email": "owner@runner-customer.example",
    "customer_address": "Rue du Rhone",
    "customer_building_number": "42",
    "customer_postcode": "1204",
    "customer_city": "Geneva",
    "customer_country": "CH",
}
CREATE = "create-distributor-organization"


def localhost_inventory():
    """The localhost host that examples/awx/job_template.yml adds to the job's inventory."""
    tasks = load_playbook("examples", "awx", "job_template.yml")[0]["tasks"]
    host = next(task["awx.awx.host"] for task in tasks if "awx.awx.host" in task)
    return {"all": {"hosts": {host["name"]: host["variables"]}}}


def write_yaml(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


class Job:
    """One private data dir; run() starts ansible-runner on it like AWX launches the job template."""

    def __init__(self, private_data_dir, collections_path, api_url):
        self.dir = private_data_dir
        self.collections_path = collections_path
        self.envvars = injected_env({"api_key": API_KEY, "api_secret": API_SECRET, "api_url": api_url})
        write_yaml(self.dir / "env" / "envvars", self.envvars)
        write_yaml(self.dir / "env" / "extravars", SURVEY_ANSWERS)
        write_yaml(self.dir / "inventory" / "hosts.yml", localhost_inventory())
        (self.dir / "project").mkdir()
        shutil.copy(repo_path("examples", "awx", "new_customer.yml"), self.dir / "project" / "new_customer.yml")

    def run(self, ident):
        run(
            RUNNER + ["run", str(self.dir), "--playbook", "new_customer.yml", "--ident", ident],
            env=tool_env(collections_path=self.collections_path),
        )
        return self.dir / "artifacts" / ident

    @staticmethod
    def events(artifacts):
        events = []
        for name in sorted(os.listdir(artifacts / "job_events")):
            with open(artifacts / "job_events" / name, encoding="utf-8") as handle:
                events.append(json.load(handle))
        return events

    @classmethod
    def stats(cls, artifacts):
        return next(event["event_data"] for event in cls.events(artifacts) if event["event"] == "playbook_on_stats")


@pytest.fixture(scope="module")
def simulator():
    with SimulatorProcess(key=API_KEY, secret=API_SECRET) as sim:
        yield sim


@pytest.fixture(scope="module")
def job(simulator, installed_collections, tmp_path_factory):
    job = Job(tmp_path_factory.mktemp("runner"), installed_collections, simulator.url)
    job.first_run = job.run("first")
    return job


def test_envvars_carry_exactly_the_credential_injection(job, simulator):
    assert job.envvars == {
        "EXOSCALE_API_KEY": API_KEY,
        "EXOSCALE_API_SECRET": API_SECRET,
        "EXOSCALE_PARTNER_API_URL": simulator.url,
        # the optional journal input left empty: AWX injects "", which the modules read as "not set"
        "EXOSCALE_PARTNER_JOURNAL": "",
    }


def test_job_creates_the_organization(job, simulator):
    artifacts = job.first_run
    assert (artifacts / "status").read_text(encoding="utf-8").strip() == "successful"
    assert (artifacts / "rc").read_text(encoding="utf-8").strip() == "0"
    assert Job.stats(artifacts)["changed"] == {"localhost": 1}

    creates = [entry for entry in simulator.admin.requests() if entry["operation"] == CREATE]
    assert [entry["status"] for entry in creates] == [200]

    client = load_client_module().Client(API_KEY, API_SECRET, url=simulator.url, retries=0)
    orgs = [
        org
        for org in client.list_distributor_organizations()["organizations"]
        if org["client_id"] == SURVEY_ANSWERS["customer_client_id"]
    ]
    assert len(orgs) == 1
    org = orgs[0]
    assert org["status"] == "active"
    assert (org["name"], org["address"], org["building_number"], org["postcode"], org["city"], org["country"]) == (
        "Runner Customer SA",
        "Rue du Rhone",
        "42",
        "1204",
        "Geneva",
        "CH",
    )


def test_secret_stays_out_of_job_output(job):
    artifacts = job.first_run
    scanned = {}
    for folder, _dirs, files in os.walk(artifacts):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8", errors="replace") as handle:
                scanned[os.path.relpath(path, artifacts)] = API_SECRET in handle.read()
    job_events = [path for path in scanned if path.startswith("job_events" + os.sep)]
    assert {"stdout", "stderr"} <= set(scanned) and job_events, sorted(scanned)
    # ansible-runner itself records its whole environment, env/envvars included, in `command`
    # (documented in docs/docsite/rst/awx.rst). That it is found there proves the scan would see the secret.
    assert scanned.pop("command") is True
    leaking = sorted(path for path, found in scanned.items() if found)
    assert not leaking, "the API secret appears in %s" % leaking


def test_rerun_of_the_same_survey_changes_nothing(job, simulator):
    artifacts = job.run("rerun")
    assert (artifacts / "status").read_text(encoding="utf-8").strip() == "successful"
    assert Job.stats(artifacts)["changed"] == {}
    creates = [entry for entry in simulator.admin.requests() if entry["operation"] == CREATE]
    assert len(creates) == 1, "the rerun created a second organization: %s" % creates
