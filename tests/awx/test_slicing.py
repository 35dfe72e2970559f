# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sliced monthly billing (examples/awx/sliced_billing/) run the way AWX runs a sliced job.

AWX first syncs the inventory source (`ansible-inventory --list --export` on billing.partner_orgs.yml,
group_vars next to it included), then starts one job per slice, all at once: slice k of n gets the
hosts ordered by name k-1, k-1+n, k-1+2n, ... (as an inventory script printing that share). Here
each slice is a real `ansible-runner` process with the credential type's environment, against ONE
simulator and ONE real PostgreSQL journal (tests/pg_cluster.py). Everything is counted in the
simulator's ledger and request log; "mid-way" is a metering POST held by a simulator delay fault,
seen arriving in the fault list (a fault is consumed when its request arrives), never a sleep.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from decimal import Decimal

import pytest
import yaml
from awx_credential import injected_env
from awx_helpers import PLAYBOOK, REPOSITORY_ROOT, RUNNER, repo_path, run, tool_env
from awx_slicing import awx_slice, sync_command, write_slice_inventory

from simulator.control import SimulatorProcess

sys.path.insert(0, os.path.join(REPOSITORY_ROOT, "tests"))
import pg_cluster  # noqa: E402
from processes import descendants  # noqa: E402

API_KEY = "EXOawxslicingtestkey"
API_SECRET = "slicing-secret-%s" % uuid.uuid4().hex
EXAMPLE = repo_path("examples", "awx", "sliced_billing")
METERING = "metering-transaction"
LIST = "list-distributor-organizations"
SLICES = 3
# crm-0001 ... crm-0013 are billable; crm-0007 gets its usage from a host variable, crm-0011 has
# no usage at all (nothing to bill); one more organization has no client ID, one is terminated.
BILLABLE = ["crm-%04d" % number for number in range(1, 14)]
FROM_HOST_VARIABLE = "crm-0007"
WITHOUT_USAGE = "crm-0011"
BILLED = [client for client in BILLABLE if client != WITHOUT_USAGE]


def quantity(client_id, period):
    """A quantity unique to the organization and the month, so the ledger tells periods apart."""
    return "%d.%s" % (int(period[-2:]), client_id[-4:])


def usage(client_id, period):
    return [{"product": "partner", "variable": "license_product", "quantity": quantity(client_id, period)}]


def command_line(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def alive(pid):
    """Running, and not a zombie waiting to be reaped."""
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill(pids):
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def wait_for(condition, what, timeout=120):
    """Poll a condition the test can observe (the simulator's state, /proc): never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("gave up waiting for %s" % what)


class SlicedJob:
    """One AWX project (a copy of the example plus the month's usage export) and its sliced launches."""

    def __init__(self, root, collections_path, sim, journal):
        self.root = root
        self.collections_path = collections_path
        self.sim = sim
        self.project = root / "project"
        shutil.copytree(EXAMPLE, self.project)
        host_vars = self.project / "host_vars"
        host_vars.mkdir()
        for period in ("2026-01", "2026-02", "2026-03"):
            export = {client: usage(client, period) for client in BILLED if client != FROM_HOST_VARIABLE}
            (self.project / "usage" / ("%s.json" % period)).write_text(json.dumps(export), encoding="utf-8")
        # The host variable wins over the export; it is per month like the export.
        host_usage = "{{ billing_host_usage[billing_period] }}"
        table = {period: usage(FROM_HOST_VARIABLE, period) for period in ("2026-01", "2026-02", "2026-03")}
        (host_vars / ("%s.yml" % FROM_HOST_VARIABLE)).write_text(
            yaml.safe_dump({"billing_usage": host_usage, "billing_host_usage": table}), encoding="utf-8"
        )
        self.envvars = injected_env(
            {"api_key": API_KEY, "api_secret": API_SECRET, "api_url": sim.url, "journal": journal}
        )
        self.synced = self.sync()

    def env(self):
        return tool_env(collections_path=self.collections_path, ANSIBLE_NOCOLOR="1")

    def sync(self):
        """The inventory sync: AWX runs ansible-inventory on the source and imports the result."""
        result = subprocess.run(
            [sys.executable, "-m", "ansible.cli.inventory"] + sync_command("billing.partner_orgs.yml"),
            cwd=str(self.project),
            env=dict(self.env(), **self.envvars),
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return json.loads(result.stdout)

    def private_data_dir(self, launch, number, count, extravars):
        """The private data dir AWX prepares for one slice: env, extravars, inventory script, project."""
        folder = self.root / launch / ("slice-%d" % number)
        (folder / "env").mkdir(parents=True)
        (folder / "inventory").mkdir()
        (folder / "env" / "envvars").write_text(yaml.safe_dump(self.envvars), encoding="utf-8")
        (folder / "env" / "extravars").write_text(yaml.safe_dump(extravars), encoding="utf-8")
        names = write_slice_inventory(str(folder / "inventory" / "hosts"), self.synced, number, count)
        (folder / "project").symlink_to(self.project)
        return folder, names

    def start(self, launch, count, extravars):
        """Start every slice at once; [(process, private data dir, host names)]."""
        jobs = []
        for number in range(1, count + 1):
            folder, names = self.private_data_dir(launch, number, count, extravars)
            process = subprocess.Popen(
                RUNNER + ["run", str(folder), "--playbook", "monthly_billing.yml", "--ident", "job"],
                env=self.env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            jobs.append(Slice(process, folder, names))
        return jobs

    def resolve(self, client_id, period, decision):
        """Settle one transaction with partner_metering's resolve, as the runbook's job template would."""
        org_id = next(org for org, client in client_of(self).items() if client == client_id)
        play = [
            {
                "name": "Settle a transaction",
                "hosts": "localhost",
                "connection": "local",
                "gather_facts": False,
                "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                "tasks": [
                    {
                        "name": "Resolve it",
                        "exoscale.partner.partner_metering": {
                            "organization_id": org_id,
                            "transaction_id": "%s/%s" % (client_id, period),
                            "resolve": decision,
                            "usage": usage(client_id, period),
                        },
                    }
                ],
            }
        ]
        playbook = self.root / ("resolve-%s-%s.yml" % (client_id, period))
        playbook.write_text(yaml.safe_dump(play), encoding="utf-8")
        run(PLAYBOOK + ["-i", "localhost,", str(playbook)], env=dict(self.env(), **self.envvars))

    def launch(self, launch, count, extravars):
        jobs = self.start(launch, count, extravars)
        for job in jobs:
            job.wait()
        return jobs


class Slice:
    def __init__(self, process, folder, names):
        self.process = process
        self.folder = folder
        self.names = names

    def wait(self):
        try:
            self.process.wait(300)
        finally:
            if self.process.poll() is None:
                kill(descendants(self.process.pid))
                self.process.wait()
        self.stderr = self.process.stderr.read()
        self.process.stderr.close()

    @property
    def artifacts(self):
        return self.folder / "artifacts" / "job"

    def status(self):
        return (self.artifacts / "status").read_text(encoding="utf-8").strip()

    def stdout(self):
        return (self.artifacts / "stdout").read_text(encoding="utf-8", errors="replace")

    def billing(self):
        """The result of the slice's partner_metering task (its job event)."""
        for name in sorted(os.listdir(self.artifacts / "job_events")):
            with open(self.artifacts / "job_events" / name, encoding="utf-8") as handle:
                event = json.load(handle)
            data = event.get("event_data", {})
            if event["event"] in ("runner_on_ok", "runner_on_failed") and data.get("task_action", "").endswith(
                "partner_metering"
            ):
                return data["res"]
        raise AssertionError("no partner_metering result in %s:\n%s" % (self.artifacts, self.stdout()[-3000:]))


@pytest.fixture(scope="module")
def postgres_url():
    reason = pg_cluster.no_postgres_reason()
    if reason:
        pytest.skip(reason)
    with pg_cluster.postgres_server() as url:
        yield url


@pytest.fixture(scope="module")
def simulator():
    with SimulatorProcess(key=API_KEY, secret=API_SECRET) as sim:
        address = {
            "name": "x",
            "street-name": "Bahnhofstrasse",
            "city": "Zurich",
            "postal-code": "8001",
            "country": "CH",
        }
        # seeded in reverse, so that the API's order is not the order of the names
        for client in reversed(BILLABLE):
            sim.admin.seed_org(
                **{"display-name": "Customer %s" % client, "client-id": client, "billing-address": address}
            )
        sim.admin.seed_org(**{"display-name": "No client id", "billing-address": address})
        sim.admin.seed_org(
            **{"display-name": "Gone", "client-id": "crm-0099", "billing-address": address, "status": "terminated"}
        )
        yield sim


@pytest.fixture(scope="module")
def job(simulator, postgres_url, installed_collections, tmp_path_factory):
    return SlicedJob(tmp_path_factory.mktemp("sliced"), installed_collections, simulator, postgres_url)


def unwrap(value):
    return value["__ansible_unsafe"] if isinstance(value, dict) and "__ansible_unsafe" in value else value


def client_of(job):
    """organization id -> client id (or None), from the synced inventory."""
    result = {}
    for host in job.synced["_meta"]["hostvars"].values():
        org = host["partner_org"]
        result[unwrap(org["id"])] = unwrap(org["client_id"])
    return result


def billed(job, period):
    """Counter of client ids billed for `period` in the simulator's ledger (told apart by quantity)."""
    clients = client_of(job)
    counts = Counter()
    for batch in job.sim.admin.metering():
        client = clients.get(batch["organization"])
        quantities = [Decimal(str(entry["quantity"])) for entry in batch["usage"]]
        if client and quantities == [Decimal(quantity(client, period))]:
            counts[client] += 1
    return counts


def metering_posts(job):
    """Client ids of the metering POSTs in the request log (the batch names its organization)."""
    clients = client_of(job)
    return sorted(
        clients[json.loads(entry["body"])["organization"]]
        for entry in job.sim.admin.requests()
        if entry["operation"] == METERING
    )


def test_awx_slice_deals_the_hosts_by_name_round_robin():
    names = ["c", "a", "e", "b", "d"]
    synced = {
        "_meta": {"hostvars": {name: {"n": name} for name in names}},
        "all": {"children": ["ungrouped", "odd"], "vars": {"v": 1}},
        "odd": {"hosts": ["e", "c", "a"]},
        "ungrouped": {"hosts": ["b", "d"]},
    }
    first, data = awx_slice(synced, 1, 2)
    assert first == ["a", "c", "e"]
    assert data["odd"]["hosts"] == ["a", "c", "e"] and data["ungrouped"]["hosts"] == []
    assert data["all"] == synced["all"] and sorted(data["_meta"]["hostvars"]) == first
    assert [awx_slice(synced, number, 2)[0] for number in (1, 2)] == [["a", "c", "e"], ["b", "d"]]
    assert [awx_slice(synced, number, 3)[0] for number in (1, 2, 3)] == [["a", "d"], ["b", "e"], ["c"]]
    with pytest.raises(ValueError, match="slice 3 of 2"):
        awx_slice(synced, 3, 2)


def test_the_sync_gives_each_customer_a_host_and_billable_excludes_the_rest(job):
    hostvars = job.synced["_meta"]["hostvars"]
    assert sorted(job.synced["billable"]["hosts"]) == BILLABLE
    assert len(hostvars) == len(BILLABLE) + 1  # the one without a client id; the terminated one is left out
    assert "crm-0099" not in hostvars
    assert (
        job.synced["all"]["vars"]["billing_batch"]["transaction_id"]
        == "{{ partner_org.client_id }}/{{ billing_period }}"
    )


def test_every_organization_is_billed_exactly_once_by_the_slices(job):
    job.sim.admin.clear_requests()
    slices = job.launch("first", SLICES, {"billing_period": "2026-01", "billing_usage_file": "usage/2026-01.json"})
    for part in slices:
        assert part.status() == "successful", part.stdout()[-4000:] + part.stderr
    assert billed(job, "2026-01") == Counter(dict.fromkeys(BILLED, 1))
    assert metering_posts(job) == BILLED
    # the slices share nothing but the journal: each sent exactly its own share, no list call
    for part in slices:
        share = sorted(set(part.names) & set(BILLED))
        result = part.billing()
        assert result["summary"]["applied"] == len(share), result["summary"]
        assert sorted(batch["transaction_id"] for batch in result["batches"]) == ["%s/2026-01" % c for c in share]
    assert not [entry for entry in job.sim.admin.requests() if entry["operation"] == LIST]
    assert sum(len(part.names) for part in slices) == len(job.synced["_meta"]["hostvars"])


def test_a_relaunch_of_every_slice_sends_no_metering_request(job):
    job.sim.admin.clear_requests()
    slices = job.launch("relaunch", SLICES, {"billing_period": "2026-01", "billing_usage_file": "usage/2026-01.json"})
    for part in slices:
        assert part.status() == "successful", part.stdout()[-4000:]
        summary = part.billing()["summary"]
        assert summary["applied"] == 0 and summary["already_applied"] == len(set(part.names) & set(BILLED))
    assert metering_posts(job) == []
    assert billed(job, "2026-01") == Counter(dict.fromkeys(BILLED, 1))


def test_a_slice_without_a_postgresql_journal_bills_nothing(job, tmp_path):
    local = dict(job.envvars, EXOSCALE_PARTNER_JOURNAL=str(tmp_path / "journal.sqlite3"))
    saved, job.envvars = job.envvars, local
    try:
        job.sim.admin.clear_requests()
        slices = job.launch("sqlite", 1, {"billing_period": "2026-01"})
    finally:
        job.envvars = saved
    assert slices[0].status() == "failed"
    assert "PostgreSQL metering journal" in slices[0].stdout()
    assert metering_posts(job) == []


def hold_second_batch(job, names):
    """Make the simulator hold the metering POST of the second billed organization of `names`.

    Returns (its client id, the billed client ids of `names` in the order the slice sends them).
    """
    share = [name for name in names if name in BILLED]
    ids = {client: org_id for org_id, client in client_of(job).items()}
    job.sim.admin.add_fault(operation=METERING, organization=ids[share[1]], action="delay", delay=600)
    return share[1], share


def test_a_relaunch_after_a_killed_slice_sends_only_its_missing_batches(job):
    period, extravars = "2026-02", {"billing_period": "2026-02", "billing_usage_file": "usage/2026-02.json"}
    extravars["billing_concurrency"] = 1  # one batch after the other: "mid-way" is one exact batch
    job.sim.admin.clear_requests()
    held, share = hold_second_batch(job, awx_slice(job.synced, 2, SLICES)[0])
    slices = job.start("killed", SLICES, extravars)
    victim = slices[1]
    try:
        wait_for(lambda: not job.sim.admin.faults(), "the held POST of %s" % held)
        # A node crash: the whole job dies, the module process with it (an AWX cancel does not
        # stop the module, see test_a_cancelled_job_still_records_what_it_sent).
        kill(descendants(victim.process.pid))
    finally:
        job.sim.admin.clear_faults()  # releases the held POST: the simulator processes it after all
        for part in slices:
            part.wait()
    assert victim.process.returncode == -signal.SIGKILL
    assert [part.status() for part in (slices[0], slices[2])] == ["successful", "successful"]
    wait_for(lambda: billed(job, period)[held] == 1, "the held batch in the ledger")
    sent_before_kill = share[: share.index(held) + 1]
    assert sorted(billed(job, period)) == sorted(set(BILLED) - set(share) | set(sent_before_kill))

    job.sim.admin.clear_requests()
    relaunched = job.launch("killed-relaunch", SLICES, extravars)
    missing = share[share.index(held) + 1 :]
    assert missing, "slice 2 should have batches left after the held one"
    assert metering_posts(job) == missing
    assert [part.status() for part in relaunched] == ["successful", "failed", "successful"]
    # the held batch stays pending: never resent automatically, it needs resolve
    results = {batch["transaction_id"]: batch for batch in relaunched[1].billing()["batches"]}
    assert results.pop("%s/%s" % (held, period))["state"] == "pending"
    assert {batch["status"] for batch in results.values()} == {"applied", "already_applied"}
    assert billed(job, period) == Counter(dict.fromkeys(BILLED, 1))

    # The runbook (docs/docsite/rst/awx.rst): the held batch is in the organization's usage, so it is settled
    # as applied; the next relaunch then succeeds everywhere and sends nothing.
    job.resolve(held, period, "applied")
    job.sim.admin.clear_requests()
    settled = job.launch("killed-settled", SLICES, extravars)
    assert [part.status() for part in settled] == ["successful"] * SLICES
    assert metering_posts(job) == []
    assert billed(job, period) == Counter(dict.fromkeys(BILLED, 1))


def test_a_cancelled_job_still_records_what_it_sent(job):
    """An AWX cancel: ansible-runner SIGKILLs ansible-playbook's process group, not the module process.

    The module, below an Ansible worker that started a session of its own, goes on sending the
    slice's batches and records them applied, so a relaunch sends nothing.
    """
    period = "2026-03"
    extravars = {"billing_period": period, "billing_usage_file": "usage/2026-03.json", "billing_concurrency": 1}
    job.sim.admin.clear_requests()
    held, _share = hold_second_batch(job, job.synced["billable"]["hosts"])
    (running,) = job.start("cancelled", 1, extravars)
    try:
        wait_for(lambda: not job.sim.admin.faults(), "the held POST of %s" % held)
        modules = [pid for pid in descendants(running.process.pid) if "AnsiballZ_partner_metering" in command_line(pid)]
        assert modules, "no module process below ansible-runner"
        running.process.send_signal(signal.SIGTERM)  # ansible-runner's cancel, as AWX's cancel callback
        running.wait()
        assert running.status() == "canceled"
        assert any(alive(pid) for pid in modules), "the cancel stopped the module process"
    finally:
        job.sim.admin.clear_faults()  # the held POST is answered: the module carries on
    wait_for(lambda: not any(alive(pid) for pid in modules), "the module process to finish")
    assert billed(job, period) == Counter(dict.fromkeys(BILLED, 1))

    job.sim.admin.clear_requests()
    (relaunched,) = job.launch("cancelled-relaunch", 1, extravars)
    assert relaunched.status() == "successful", relaunched.stdout()[-4000:]
    assert relaunched.billing()["summary"]["already_applied"] == len(BILLED)
    assert metering_posts(job) == []
