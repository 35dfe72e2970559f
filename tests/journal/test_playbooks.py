# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The metering journal across real ansible-playbook processes, on both backends (issue 12).

- A run killed with SIGKILL while its POST is held by the simulator (fault "delay"): the batch lands,
  and the next run refuses to resend it.
- Two ansible-playbook processes started at once with the same transaction id: one POST in total.
Counted in the simulator's request log and ledger, never by timing. ansible-playbook runs as
`python -m ansible playbook` with the Python running the tests, so the modules see the same
libraries (psycopg for the PostgreSQL journal).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import REPOSITORY_ROOT, collections_root
from processes import descendants

from ansible_collections.exoscale.partner.plugins.module_utils import _journal, _journal_store

sys.path.insert(0, REPOSITORY_ROOT)
from simulator.control import SimulatorProcess  # noqa: E402

KEY = "EXOjournalkey"
SECRET = "journal-SECRET-8c1f2e7a"
METERING = "metering-transaction"

PLAYBOOK = """
- name: Bill one transaction
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Bill it once
      exoscale.partner.partner_metering:
        organization_id: "%(org)s"
        transaction_id: "%(transaction)s"
        journal: "%(journal)s"
        api_timeout: 60
        usage: [{product: partner, variable: license_product, quantity: "2.5"}]
"""


def playbook_command(tmp_path, org, transaction, journal):
    path = tmp_path / ("play-%s.yml" % transaction.replace("/", "-"))
    path.write_text(PLAYBOOK % dict(org=org, transaction=transaction, journal=journal))
    return [sys.executable, "-m", "ansible", "playbook", "-i", "localhost,", str(path)]


def ansible_env(tmp_path, sim):
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=collections_root(),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        EXOSCALE_API_KEY=KEY,
        EXOSCALE_API_SECRET=SECRET,
        EXOSCALE_PARTNER_API_URL=sim.url,
    )
    env.pop("EXOSCALE_PARTNER_JOURNAL", None)
    return env


def start(command, tmp_path, sim):
    return subprocess.Popen(
        command,
        cwd=str(tmp_path),
        env=ansible_env(tmp_path, sim),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def kill_tree(pid):
    for process_id in descendants(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(process_id, signal.SIGKILL)


def journal_state(journal, transaction):
    """The state of the transaction in the journal, or None (no row, or no journal yet)."""
    if not _journal_store.is_postgres(journal) and not os.path.exists(journal):
        return None
    try:
        store = _journal_store.open_journal(journal, read_only=True)
    except _journal.JournalError:  # being created by the run
        return None
    try:
        row = store.get(transaction)
    finally:
        store.close()
    return row["state"] if row else None


def wait_for(condition, what, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("gave up waiting for %s" % what)


class Api:
    def __init__(self, sim):
        self.sim = sim
        self.admin = sim.admin

    def requests(self, operation):
        return [entry for entry in self.admin.requests() if entry["operation"] == operation]

    def seed(self, client_id):
        address = {
            "name": "Journal",
            "street-name": "Main Street",
            "city": "Zurich",
            "postal-code": "8001",
            "country": "CH",
        }
        return self.admin.seed_org(**{"display-name": "Journal", "client-id": client_id, "billing-address": address})


@pytest.fixture(scope="module")
def simulator():
    with SimulatorProcess(key=KEY, secret=SECRET) as sim:
        yield sim


@pytest.fixture
def api(simulator):
    simulator.admin.reset()
    yield Api(simulator)
    simulator.admin.clear_faults()


def metering_posts(api):
    return api.requests(METERING)


def test_a_killed_run_is_never_resent(api, tmp_path, location):
    org = api.seed(client_id="killed-1")["id"]
    journal = location
    transaction = "killed-1/2026-01"
    api.admin.add_fault(operation=METERING, action="delay", delay=5.0)
    command = playbook_command(tmp_path, org, transaction, journal)
    process = start(command, tmp_path, api.sim)
    try:
        # The pending row is committed before the POST leaves: once we see it, the POST is on its way.
        wait_for(lambda: journal_state(journal, transaction) == "pending", "the pending row")
        time.sleep(1.0)  # let the request reach the simulator, which holds it for 5 seconds
        assert len(descendants(process.pid)) > 1  # ansible-playbook and the module process below it
        kill_tree(process.pid)
    finally:
        process.wait(30)
        output = process.stdout.read()
    assert process.returncode == -signal.SIGKILL, output
    # The held POST is processed after all: the batch is in the ledger although nobody saw the answer.
    wait_for(lambda: len(api.admin.metering()) == 1, "the held batch in the ledger", timeout=30)
    assert journal_state(journal, transaction) == "pending"

    again = subprocess.run(
        command, cwd=str(tmp_path), env=ansible_env(tmp_path, api.sim), capture_output=True, text=True, check=False
    )
    assert again.returncode != 0, again.stdout
    assert "PENDING" in again.stdout and transaction in again.stdout, again.stdout
    for secret in [SECRET] + _journal_store.url_password(journal):
        assert secret not in again.stdout + again.stderr
    assert len(metering_posts(api)) == 1
    assert len(api.admin.metering()) == 1


def test_two_playbooks_at_once_send_one_post(api, tmp_path, location):
    org = api.seed(client_id="twice-1")["id"]
    journal = location
    transaction = "twice-1/2026-01"
    # Hold whichever POSTs arrive, so that the two runs overlap for sure.
    api.admin.add_fault(operation=METERING, action="delay", delay=2.0, count=2)
    command = playbook_command(tmp_path, org, transaction, journal)
    processes = [start(command, tmp_path, api.sim) for _run in range(2)]
    outputs = []
    for process in processes:
        process.wait(120)
        outputs.append(process.stdout.read())
    codes = [process.returncode for process in processes]
    assert len(metering_posts(api)) == 1, outputs
    assert len(api.admin.metering()) == 1
    assert 0 in codes, outputs
    assert journal_state(journal, transaction) == "applied"
    # the loser either saw the row pending (fails, nothing sent) or applied (ok, not changed)
    for code, output in zip(codes, outputs):
        assert code == 0 or "PENDING" in output, output
        for secret in [SECRET] + _journal_store.url_password(journal):
            assert secret not in output


def test_verbose_output_masks_only_the_journal_password(api, tmp_path, location):
    org = api.seed(client_id="verbose-1")["id"]
    command = playbook_command(tmp_path, org, "verbose-1/2026-01", location) + ["-vvv"]
    done = subprocess.run(
        command, cwd=str(tmp_path), env=ansible_env(tmp_path, api.sim), capture_output=True, text=True, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert '"journal": ' in output  # the module invocation is shown at -vvv
    assert SECRET not in output
    for password in _journal_store.url_password(location):
        assert password not in output
    shown = output.replace("********", "***")
    assert _journal_store.redact(location) in shown  # the rest of the location stays readable
