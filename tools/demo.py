# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README demo (`make demo`): run examples/provision_customers.yml against a local simulator.

Starts the simulator (with six months of realistic usage history), provisions the customers of
examples/customers.yml, reruns the playbook to show that nothing changes, suspends one customer, shows
usage, writes the monthly usage report (examples/usage_report.yml) under build/demo-report/, prints
the path of its HTML page, and stops the simulator. Offline. Exits non-zero when a step fails, a
customer is not created exactly once, or a rerun or check mode sends a change.

    python tools/demo.py                      # with this repository as exoscale.partner
    python tools/demo.py --installed DIR      # with the collection installed under DIR (the build suite)
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPOSITORY_ROOT)

import yaml  # noqa: E402  pylint: disable=wrong-import-position

from simulator.control import SimulatorProcess  # noqa: E402  pylint: disable=wrong-import-position

REPORT_DEST = os.path.join(REPOSITORY_ROOT, "build", "demo-report")
HISTORY_MONTHS = 6
DEMO_KEY = "EXOdemo0000000000000000000"
DEMO_SECRET = "demo-secret-for-the-local-simulator"
SUSPENDED = "crm-0002"


def heading(text):
    print("\n" + "=" * 78 + "\n== " + text + "\n" + "=" * 78, flush=True)


def ansible_playbook():
    beside_python = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    found = beside_python if os.path.exists(beside_python) else shutil.which("ansible-playbook")
    if not found:
        sys.exit("ansible-playbook not found: install ansible-core in this Python environment (make demo does).")
    return found


def collection_path(scratch):
    """A folder where exoscale.partner resolves to this repository."""
    namespace = os.path.join(scratch, "ansible_collections", "exoscale")
    os.makedirs(namespace)
    os.symlink(REPOSITORY_ROOT, os.path.join(namespace, "partner"))
    return scratch


def created_client_ids(requests):
    created = [r for r in requests if r.get("operation") == "create-distributor-organization" and r["status"] == 200]
    return sorted(json.loads(r["body"])["client-id"] for r in created)


def run_playbook(env, *extra, playbook="provision_customers.yml"):
    command = [
        ansible_playbook(),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        "ansible_python_interpreter=%s" % sys.executable,
        os.path.join(env["DEMO_EXAMPLES"], playbook),
    ] + list(extra)
    print("$ ansible-playbook examples/%s %s" % (playbook, shlex.join(extra)), flush=True)
    if subprocess.call(command, env=env, cwd=REPOSITORY_ROOT) != 0:
        sys.exit("The playbook failed; see its output above.")


def mutating(requests):
    return [r for r in requests if r["method"] != "GET"]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--installed", metavar="DIR", help="collections path holding an installed exoscale.partner")
    installed = parser.parse_args(argv).installed
    root = os.path.join(installed, "ansible_collections", "exoscale", "partner") if installed else REPOSITORY_ROOT
    examples = os.path.join(root, "examples")
    with open(os.path.join(examples, "customers.yml"), encoding="utf-8") as handle:
        customers = sorted(customer["client_id"] for customer in yaml.safe_load(handle)["customers"])
    heading("1. Start the Exoscale Partner API simulator (local, offline)")
    with tempfile.TemporaryDirectory(prefix="exoscale-partner-demo-") as scratch:
        with SimulatorProcess(
            key=DEMO_KEY, secret=DEMO_SECRET, python=sys.executable, extra_args=["--seed-usage", str(HISTORY_MONTHS)]
        ) as sim:
            print("Simulator listening on %s" % sim.url)
            env = dict(
                os.environ,
                ANSIBLE_COLLECTIONS_PATH=installed or collection_path(scratch),
                ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
                ANSIBLE_LOCALHOST_WARNING="false",
                ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
                ANSIBLE_RETRY_FILES_ENABLED="false",
                EXOSCALE_API_KEY=DEMO_KEY,
                EXOSCALE_API_SECRET=DEMO_SECRET,
                EXOSCALE_PARTNER_API_URL=sim.url,
                DEMO_EXAMPLES=examples,
            )

            heading("2. Provision the customers listed in examples/customers.yml")
            run_playbook(env, "--tags", "provision")
            if created_client_ids(sim.admin.requests()) != customers:
                sys.exit("Each customer must be created once: %s" % created_client_ids(sim.admin.requests()))

            heading("3. Run the same playbook again: nothing to change")
            sim.admin.clear_requests()
            run_playbook(env, "--tags", "provision")
            requests = sim.admin.requests()
            print("API requests during the rerun: %d, of which changes: %d" % (len(requests), len(mutating(requests))))
            if mutating(requests):
                sys.exit("The rerun changed something: %s" % mutating(requests))

            suspend = ("--tags", "provision", "-e", '{"suspended_customers": ["%s"]}' % SUSPENDED)
            heading("4. Preview suspending one customer (%s) with --check --diff: nothing is sent" % SUSPENDED)
            sim.admin.clear_requests()
            run_playbook(env, "--check", "--diff", *suspend)
            if mutating(sim.admin.requests()):
                sys.exit("Check mode changed something: %s" % mutating(sim.admin.requests()))

            heading("5. Suspend it for real")
            run_playbook(env, *suspend)

            heading("6. Show the usage of the customers")
            run_playbook(env, "--tags", "usage")

            heading("7. The monthly usage report of the previous month: CSV, JSON and an HTML page with charts")
            run_playbook(env, "-e", "report_dest=%s" % REPORT_DEST, playbook="usage_report.yml")

        heading("8. Simulator stopped. Against the real API, set EXOSCALE_API_KEY and EXOSCALE_API_SECRET.")
        pages = sorted(name for name in os.listdir(REPORT_DEST) if name.endswith(".html"))
        print("Usage report (open it in a browser): %s" % os.path.join(REPORT_DEST, pages[-1]))


if __name__ == "__main__":
    main(sys.argv[1:])
