# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Soak test: many mixed module tasks against the simulator with scripted faults; prints robustness figures.

    python tests/reliability/soak.py [--tasks 1000] [--fault-rate 0.1] [--seed 1]

Each task runs one module in-process (the real module code, the real client over HTTP to a simulator
subprocess; see tests/reliability/harness.py). Before a task, with probability --fault-rate, one fault is
scripted on an operation the task will send. A failed task is handled the way an operator would:
an organization task is simply rerun; a metering batch is resubmitted only when the module said it was
certainly not applied (maybe_processed false), never when it may have been applied.

Exit code 1 when any of these is not zero: duplicates (organizations sharing a client ID), double-applied
metering batches, lost batches (reported applied, absent from the ledger), phantom batches (reported not
applied, present in the ledger), state mismatches, escaped exceptions, secret leaks, unresolved failures.
"""

from __future__ import annotations

import argparse
import collections
import random
import signal
import sys
import time

import harness  # the folder of this script is first on sys.path

harness.make_importable()

from simulator.control import SimulatorProcess  # noqa: E402

KEY = "EXOsoak"
SECRET = "soak-SECRET-%08x" % random.SystemRandom().getrandbits(32)
TIMEOUT = 20  # api_timeout of the tasks, seconds (generous: the simulator slows down on a busy machine)
FAULT_TIMEOUT = 1  # api_timeout of a task that gets a "timeout" fault
DELAY = 60  # a "timeout" fault holds the answer until settle() releases it (far beyond FAULT_TIMEOUT)
HELD_ANSWER_DEADLINE = 30  # seconds for a released answer to show up in the request log
KINDS = ("create",) + ("lifecycle", "info", "metering") * 3  # few creations: the list answer grows with them
OPS = {
    "list": "list-distributor-organizations",
    "get": "get-distributor-organization",
    "create": "create-distributor-organization",
    "activate": "activate-distributor-organization",
    "suspend": "suspend-distributor-organization",
    "terminate": "terminate-distributor-organization",
    "purge": "schedule-purge-distributor-organization",
    "usage": "list-distributor-organization-usage",
    "metering": "metering-transaction",
}
FAULTS = (
    ("429", dict(action="status", status=429, retry_after=0)),
    ("500", dict(action="status", status=500)),
    ("502", dict(action="status", status=502)),
    ("503", dict(action="status", status=503)),
    ("504", dict(action="status", status=504)),
    ("process_then_503", dict(action="process_then_fail")),
    ("drop", dict(action="drop")),
    ("reset", dict(action="reset")),
    ("malformed", dict(action="malformed")),
    ("html", dict(action="html")),
    ("empty", dict(action="empty")),
    ("timeout", dict(action="delay", delay=DELAY)),
)
STATE_OF = {"active": "active", "suspended": "suspended", "terminated": "terminated"}


class Soak:
    def __init__(self, sim, rng, fault_rate):
        self.sim = sim
        self.rng = rng
        self.fault_rate = fault_rate
        self.orgs = {}  # client_id -> desired status (the last one a successful task asked for)
        self.ids = {}  # client_id -> organization id
        self.batches = {}  # marker -> "applied" | "not_applied" | "uncertain"
        self.counts = collections.Counter()
        self.faults = collections.Counter()
        self.held_answers = 0  # "timeout" faults reached by a task (each holds one answer)
        self.problems = collections.Counter()
        self.examples = {}

    def api(self, **args):
        return dict(
            dict(api_key=KEY, api_secret=SECRET, api_url=self.sim.url, api_retries=2, api_timeout=TIMEOUT), **args
        )

    def run(self, module, args, timeout=TIMEOUT):
        args = {key: value for key, value in args.items() if key != "client"}  # "client": bookkeeping only
        result = harness.run_module(module, self.api(api_timeout=timeout, **args))
        if result.error:
            self.problem("escaped exceptions", result.error)
        if SECRET in result.text() or "EXO2-HMAC-SHA256" in result.text():
            self.problem("secret leaks", result.text())
        return result

    def problem(self, name, example):
        self.problems[name] += 1
        self.examples.setdefault(name, str(example)[-1500:])

    # the tasks: (kind, module, args, operations it sends)

    def next_task(self, number):
        live = [cid for cid, status in self.orgs.items() if status != "terminated"]
        kind = self.rng.choice(KINDS) if len(live) >= 5 else "create"
        if kind == "create":
            client_id = "soak-%d" % number
            args = dict(
                client_id=client_id,
                name="Soak Customer %d" % number,
                owner_email="owner%d@soak.example" % number,
                address="Soak Street",
                postcode="8001",
                city="Zurich",
                country="CH",
            )
            return kind, "partner_org", dict(args, client=client_id), ["list", "create"]
        client_id = self.rng.choice(live)
        # Most tasks address the organization by id (one GET or none), the others by client_id (one list).
        by_id = self.rng.random() < 0.6 and client_id in self.ids
        key, lookup = (("id", "get"), ("client_id", "list"))[not by_id]
        target = {key: self.ids[client_id] if by_id else client_id}
        if kind == "lifecycle":
            state = self.rng.choice(("active", "suspended", "suspended", "terminated"))
            action = {"active": "activate", "suspended": "suspend", "terminated": "terminate"}[state]
            purge = state == "terminated" and self.rng.random() < 0.5
            ops = [lookup, action] + (["purge"] if purge else [])
            return kind, "partner_org", dict(target, client=client_id, state=state, purge=purge), ops
        if kind == "info":
            usage = self.rng.random() < 0.5
            return (
                kind,
                "partner_org_info",
                dict(target, client=client_id, usage=usage),
                [lookup] + (["usage"] if usage else []),
            )
        marker = "soak-batch-%d" % number
        usage = [dict(product="partner", variable=marker, quantity="1.00001")]
        if by_id:
            return (
                kind,
                "partner_metering",
                dict(organization_id=target["id"], client=client_id, usage=usage),
                ["metering"],
            )
        return kind, "partner_metering", dict(client_id=client_id, client=client_id, usage=usage), ["list", "metering"]

    def inject(self, ops):
        if self.rng.random() >= self.fault_rate:
            return None
        operation = OPS[self.rng.choice(ops)]
        name, spec = self.rng.choice(FAULTS)
        self.sim.admin.add_fault(operation=operation, **spec)
        return name

    def settle(self, fault):
        """Drop a fault the task did not reach; release a held ("timeout") answer and wait until it is logged."""
        if fault is None:
            return
        consumed = not self.sim.admin.faults()
        self.sim.admin.clear_faults()  # also ends the wait of a held answer
        if consumed:
            self.faults[fault] += 1
            if fault == "timeout":
                self.held_answers += 1
                self.wait_for_held_answers()

    def wait_for_held_answers(self):
        """Poll the request log until every released answer was processed, so none lands in a later task."""
        deadline = time.monotonic() + HELD_ANSWER_DEADLINE
        while sum(1 for entry in self.sim.admin.requests() if entry["fault"] == "delay") < self.held_answers:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    "a held answer was released but not logged within %d s: the simulator is stuck"
                    % HELD_ANSWER_DEADLINE
                )
            time.sleep(0.05)

    def task(self, number):
        kind, module, args, ops = self.next_task(number)
        fault = self.inject(ops)
        result = self.run(module, args, FAULT_TIMEOUT if fault == "timeout" else TIMEOUT)
        self.settle(fault)
        self.counts["tasks"] += 1
        self.counts["tasks " + kind] += 1
        if result.failed:
            self.counts["failed first attempts"] += 1
            result = self.recover(kind, module, args, result)
        if not result.failed:
            self.counts["operations done"] += 1
            self.record_success(kind, args, result)

    def recover(self, kind, module, args, failed):
        """What an operator does after a failed task: rerun it, except a batch that may have been applied."""
        if kind == "metering":
            marker = args["usage"][0]["variable"]
            if "metering" in failed.result and failed.result.get("maybe_processed", False) is not False:
                self.batches[marker] = "uncertain"
                self.counts["metering left unresolved (may have been applied)"] += 1
                return failed
        self.counts["reruns"] += 1
        rerun = self.run(module, args)
        if rerun.failed:
            self.problem("unresolved failures", rerun.msg)
        return rerun

    def record_success(self, kind, args, result):
        if kind == "create":
            self.orgs[args["client"]] = "active"
            self.ids[args["client"]] = result.result["organization"]["id"]
        elif kind == "lifecycle":
            self.orgs[args["client"]] = STATE_OF[args["state"]]
        elif kind == "metering":
            self.batches[args["usage"][0]["variable"]] = "applied"

    # the verdict

    def audit(self):
        orgs = self.run("partner_org_info", {}).result["organizations"]
        by_client = collections.Counter(org["client_id"] for org in orgs)
        duplicates = sum(count - 1 for count in by_client.values())
        mismatches = [org for org in orgs if self.orgs.get(org["client_id"]) not in (None, org["status"])]
        ledger = collections.Counter(
            entry["variable"] for batch in self.sim.admin.metering() for entry in batch["usage"]
        )
        figures = collections.OrderedDict()
        figures["duplicates"] = duplicates
        figures["double-applied metering batches"] = sum(1 for count in ledger.values() if count > 1)
        figures["lost metering batches"] = sum(
            1 for marker, state in self.batches.items() if state == "applied" and ledger[marker] == 0
        )
        figures["phantom metering batches"] = sum(1 for marker in ledger if marker not in self.batches)
        figures["state mismatches"] = len(mismatches)
        uncertain = [marker for marker, state in self.batches.items() if state == "uncertain"]
        figures["uncertain batches found applied"] = sum(1 for marker in uncertain if ledger[marker] == 1)
        for name in ("escaped exceptions", "secret leaks", "unresolved failures"):
            figures[name] = self.problems[name]
        if mismatches:
            self.examples["state mismatches"] = str(mismatches[:3])
        return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000, help="number of tasks (default 1000)")
    parser.add_argument("--fault-rate", type=float, default=0.1, help="share of tasks that get a scripted fault")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the task and fault mix")
    arguments = parser.parse_args(argv)
    started = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind, so that the simulator is stopped too
    with SimulatorProcess(key=KEY, secret=SECRET) as sim:
        soak = Soak(sim, random.Random(arguments.seed), arguments.fault_rate)
        for number in range(arguments.tasks):
            soak.task(number)
            if (number + 1) % 100 == 0:
                sys.stderr.write("  ... %d tasks, %.0f s\n" % (number + 1, time.monotonic() - started))
        figures = soak.audit()
    elapsed = time.monotonic() - started
    print(
        "soak: %d tasks, fault rate %g, seed %d, %.1f s"
        % (arguments.tasks, arguments.fault_rate, arguments.seed, elapsed)
    )
    for name, value in sorted(soak.counts.items()):
        print("  %-52s %d" % (name, value))
    print(
        "  %-52s %d (%s)"
        % (
            "faults injected (reached by the task)",
            sum(soak.faults.values()),
            ", ".join("%s %d" % item for item in sorted(soak.faults.items())),
        )
    )
    bad = 0
    for name, value in figures.items():
        must_be_zero = name != "uncertain batches found applied"
        bad += value if must_be_zero else 0
        print("  %-52s %d%s" % (name, value, " (must be 0)" if must_be_zero else ""))
    for name, example in soak.examples.items():
        print("\nfirst example of %s:\n%s" % (name, example))
    print("RESULT: %s" % ("FAIL" if bad else "PASS"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
