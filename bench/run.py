# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark exoscale.partner against the local simulator (a script, not a test).

    .venv/bin/python bench/run.py                 # full run: 200 orgs, 150 ms latency, forks 10
    .venv/bin/python bench/run.py --quick         # smoke run, about a minute
    .venv/bin/python bench/run.py --orgs 500 --forks 20 --json result.json

Prints its tables: API requests per partner_org task (from the simulator's request log),
time per partner_org_info task vs an ansible.builtin.uri task, converging --orgs organizations
with a serial loop vs one host per organization at --forks, the same work (and a no-op over
--large-orgs) with one partner_orgs task side by side with one host per organization, the
simulator's throughput, usage over months, the partner_events source's time from a status change
to its event at interval 1, the monthly billing as one job vs AWX slices (--slicing-orgs,
--slices; needs PostgreSQL, see tests/pg_cluster.py), and the inventory sync and a partner_orgs
no-op at --scale-orgs (time, requests, peak memory).
Uses the Python running it for ansible-playbook (it needs ansible-core and requests).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import platform
import runpy
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "tests", "awx"))
import pg_cluster  # noqa: E402
from awx_slicing import sync_command, write_slice_inventory  # noqa: E402

from simulator.control import SimulatorProcess  # noqa: E402

KEY = "EXObenchmark00000000000000000"
SECRET = "benchmark-secret-not-a-real-one"
TRANSITIONS = (  # (label, partner_org arguments beyond client_id and the creation fields)
    ("create (create_status=active)", {"state": "active"}),
    ("no-op converge by client_id", {"state": "active"}),
    ("no-op converge by id", {"state": "active", "by_id": True}),
    ("suspend", {"state": "suspended"}),
    ("activate", {"state": "active"}),
    ("terminate + purge", {"state": "terminated", "purge": True}),
)


def customer(number):
    return {
        "client_id": "bench-%05d" % number,
        "name": "Bench Customer %d" % number,
        "owner_email": "owner%d@bench.example" % number,
        "address": "Bench Street",
        "postcode": "8001",
        "city": "Zurich",
        "country": "CH",
    }


class Runner:
    """Runs playbooks (JSON is YAML) with this Python's ansible-playbook against one simulator."""

    def __init__(self, sim, workdir):
        self.sim = sim
        self.workdir = workdir
        collections = os.path.join(workdir, "collections", "ansible_collections", "exoscale")
        os.makedirs(collections)
        os.symlink(ROOT, os.path.join(collections, "partner"))
        self.env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=os.path.join(workdir, "collections"),
            ANSIBLE_CALLBACK_PLUGINS=os.path.join(ROOT, "bench", "callback_plugins"),
            ANSIBLE_CALLBACKS_ENABLED="bench_timer",
            ANSIBLE_HOST_KEY_CHECKING="false",
            ANSIBLE_RETRY_FILES_ENABLED="false",
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            EXOSCALE_API_KEY=KEY,
            EXOSCALE_API_SECRET=SECRET,
            EXOSCALE_PARTNER_API_URL=sim.url,
        )
        self.playbook_command = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

    def write(self, name, data):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as out:
            json.dump(data, out)
        return path

    def play(self, plays, inventory="localhost,", forks=5, extra_vars=None):
        """Run the plays; returns ({task name: seconds}, wall seconds)."""
        playbook = self.write("playbook.yml", plays)
        timer = os.path.join(self.workdir, "timer.json")
        command = [sys.executable, self.playbook_command, "-i", inventory, "--forks", str(forks), playbook]
        if extra_vars:
            command += ["-e", "@" + self.write("extra_vars.json", extra_vars)]
        started = time.monotonic()
        result = subprocess.run(
            command, env=dict(self.env, BENCH_TIMER_OUT=timer), capture_output=True, text=True, check=False
        )
        wall = time.monotonic() - started
        if result.returncode != 0:
            raise SystemExit(
                "ansible-playbook failed (%d):\n%s\n%s"
                % (result.returncode, result.stdout[-4000:], result.stderr[-2000:])
            )
        with open(timer) as timings:
            return {entry["task"]: entry["seconds"] for entry in json.load(timings)}, wall

    def inventory(self, count):
        hosts = {"bench-%05d" % n: {"customer": customer(n)} for n in range(count)}
        return self.write("customers.json", {"customers": {"hosts": hosts, "vars": {"ansible_connection": "local"}}})


def local_play(tasks, hosts="localhost"):
    return {"name": "bench", "hosts": hosts, "connection": "local", "gather_facts": False, "tasks": tasks}


def partner_org_task(name, args, item="customer"):
    return {
        "name": name,
        "exoscale.partner.partner_org": dict({key: "{{ %s.%s }}" % (item, key) for key in customer(0)}, **args),
    }


# ------------------------------------------------------------------------------------------ sections


def request_counts(runner):
    """API requests of each partner_org transition, one task at a time, from the simulator's log."""
    sim = runner.sim
    sim.admin.reset()
    rows = []
    org_id = None
    for label, args in TRANSITIONS:
        task_args = {"state": args["state"]}
        if args.get("purge"):
            task_args["purge"] = True
        if args.get("by_id"):
            task = {"name": label, "exoscale.partner.partner_org": dict(task_args, id=org_id)}
        else:
            task = partner_org_task(label, task_args)
        sim.admin.clear_requests()
        keep_id = {
            "name": "keep id",
            "when": "result.organization is not none",
            "ansible.builtin.copy": {
                "content": "{{ result.organization.id }}",
                "dest": os.path.join(runner.workdir, "org_id"),
            },
        }
        runner.play([local_play([dict(task, register="result"), keep_id])], extra_vars={"customer": customer(0)})
        with open(os.path.join(runner.workdir, "org_id")) as saved:
            org_id = saved.read().strip()
        requests = sim.admin.requests()
        rows.append(
            {
                "task": label,
                "requests": len(requests),
                "detail": " + ".join("%s %s" % (r["method"], r["operation"]) for r in requests),
            }
        )
    return rows


def info_vs_uri(runner, count):
    """Per-task time of partner_org_info (GET one org) vs ansible.builtin.uri (GET) in the same play."""
    sim = runner.sim
    sim.admin.reset()
    org = sim.admin.seed_org(
        **{
            "display-name": "Timing",
            "billing-address": {
                "name": "Timing",
                "street-name": "S",
                "city": "Zurich",
                "postal-code": "8001",
                "country": "CH",
            },
        }
    )
    info = {"exoscale.partner.partner_org_info": {"id": org["id"]}}
    uri = {"ansible.builtin.uri": {"url": sim.admin_url + "/config"}}
    loop = {"loop": "{{ range(%d) | list }}" % count}
    # The first task of each module pays one-time costs (collection loading, AnsiballZ build): warm up.
    tasks = [
        dict(info, name="warm-up info"),
        dict(uri, name="warm-up uri"),
        dict(info, name="partner_org_info", **loop),
        dict(uri, name="uri", **loop),
    ]
    timings, _wall = runner.play([local_play(tasks)])
    info, uri = timings["partner_org_info"] / count, timings["uri"] / count
    return {"count": count, "partner_org_info_s": info, "uri_s": uri, "ratio": info / uri}


def converge(runner, count, forks, latency):
    """Serial loop vs one host per organization at `forks`, for creation and for the no-op rerun."""
    sim = runner.sim
    inventory = runner.inventory(count)
    customers = [customer(n) for n in range(count)]
    loop_play = local_play([dict(partner_org_task("converge", {}, item="item"), loop="{{ customers }}")])
    host_play = local_play([partner_org_task("converge", {})], hosts="customers")
    results = {}
    sim.admin.config(latency=latency)
    for pattern, plays, play_inventory, play_forks, extra in (
        ("serial loop", [loop_play], "localhost,", 1, {"customers": customers}),
        ("host per org, forks=%d" % forks, [host_play], inventory, forks, None),
    ):
        sim.admin.reset()
        sim.admin.config(latency=latency)
        for run in ("create", "no-op"):
            sim.admin.clear_requests()
            _timings, wall = runner.play(plays, inventory=play_inventory, forks=play_forks, extra_vars=extra)
            requests = sim.admin.requests()
            results[(pattern, run)] = {
                "pattern": pattern,
                "run": run,
                "seconds": wall,
                "requests": len(requests),
                "gets": sum(1 for r in requests if r["method"] == "GET"),
            }
    sim.admin.config(latency=0)
    rows = list(results.values())
    for run in ("create", "no-op"):
        serial = results[("serial loop", run)]["seconds"]
        parallel = results[("host per org, forks=%d" % forks, run)]["seconds"]
        rows.append({"pattern": "speedup", "run": run, "seconds": serial / parallel, "requests": None, "gets": None})
    return rows


def bulk_task(concurrency):
    return {
        "name": "converge",
        "exoscale.partner.partner_orgs": {"organizations": "{{ customers }}", "concurrency": concurrency},
    }


def run_measured(runner, pattern, work, plays, inventory="localhost,", forks=5, extra_vars=None):
    """One playbook run: seconds of the converge task and of the whole ansible-playbook, and the requests made."""
    sim = runner.sim
    sim.admin.clear_requests()
    timings, wall = runner.play(plays, inventory=inventory, forks=forks, extra_vars=extra_vars)
    requests = sim.admin.requests()
    return {
        "pattern": pattern,
        "work": work,
        "task_s": timings["converge"],
        "wall_s": wall,
        "requests": len(requests),
        "gets": sum(1 for r in requests if r["method"] == "GET"),
        "mutations": sum(1 for r in requests if r["method"] != "GET"),
    }


def warm_list(sim):
    """One list request, so that the simulator has validated every organization before a measurement."""
    client = load_client().Client(KEY, SECRET, url=sim.url, retries=0, timeout=600)
    client.list_distributor_organizations()
    client.close()


def bulk(runner, count, forks, latency, large, suspend_count, concurrency, baseline=True):
    """partner_orgs (one task, one module run) vs one partner_org task per host at `forks`, side by side.

    Works: create `count` organizations, no-op converge of them, suspend `suspend_count` of them,
    and (partner_orgs only) a no-op converge of `large` organizations.
    """
    sim = runner.sim
    customers = [customer(n) for n in range(count)]
    with_suspended = [dict(c, state="suspended" if n < suspend_count else "active") for n, c in enumerate(customers)]
    works = (("create %d" % count, customers), ("no-op %d" % count, customers))
    works += (("suspend %d of %d" % (suspend_count, count), with_suspended),)
    rows = []
    # Warm-up: an entry refused before any request pays the first task's one-time controller costs
    # (collection loading, AnsiballZ build), as the timing section does; it sends nothing.
    warm_up = {"name": "warm-up", "exoscale.partner.partner_orgs": {"organizations": [{}]}, "ignore_errors": True}
    bulk_play = [local_play([warm_up, bulk_task(concurrency)])]
    sim.admin.reset()
    sim.admin.config(latency=latency)
    for work, wanted in works:
        rows.append(run_measured(runner, "partner_orgs", work, bulk_play, extra_vars={"customers": wanted}))
    if baseline:
        host_play = [
            local_play(
                [partner_org_task("converge", {"state": "{{ customer.state | default('active') }}"})], hosts="customers"
            )
        ]
        sim.admin.reset()
        for work, wanted in works:
            hosts = {c["client_id"]: {"customer": c} for c in wanted}
            inventory = runner.write(
                "bulk.json", {"customers": {"hosts": hosts, "vars": {"ansible_connection": "local"}}}
            )
            rows.append(run_measured(runner, "host per org, forks=%d" % forks, work, host_play, inventory, forks))
    # The large no-op: created without latency (not measured), then converged with latency.
    sim.admin.reset()
    sim.admin.config(latency=0)
    large_customers = [customer(n) for n in range(large)]
    runner.play([local_play([bulk_task(32)])], extra_vars={"customers": large_customers})
    warm_list(sim)
    sim.admin.config(latency=latency)
    rows.append(
        run_measured(runner, "partner_orgs", "no-op %d" % large, bulk_play, extra_vars={"customers": large_customers})
    )
    sim.admin.config(latency=0)
    by_key = {(row["pattern"], row["work"]): row for row in rows}
    for work, _wanted in works:
        old = by_key.get(("host per org, forks=%d" % forks, work))
        new = by_key[("partner_orgs", work)]
        if old:
            rows.append(
                {
                    "pattern": "ratio (host per org / partner_orgs)",
                    "work": work,
                    "task_s": old["task_s"] / new["task_s"],
                    "wall_s": old["wall_s"] / new["wall_s"],
                }
            )
    return rows


def load_client():
    """The collection's own API client module (it needs only requests)."""
    spec = importlib.util.spec_from_file_location(
        "partner_client", os.path.join(ROOT, "plugins", "module_utils", "_client.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peak_memory_kib(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def throughput(sim, sizes, seconds, threads):
    """Signed GET list requests per second against the simulator holding `size` orgs."""
    _client = load_client()
    rows = []
    sim.admin.reset()
    seeded = 0
    for size in sizes:
        for number in range(seeded, size):
            sim.admin.seed_org(
                **{
                    "display-name": "Org %d" % number,
                    "client-id": "tp-%06d" % number,
                    "billing-address": {
                        "name": "Org %d" % number,
                        "street-name": "S",
                        "city": "Zurich",
                        "postal-code": "8001",
                        "country": "CH",
                    },
                }
            )
        seeded = size
        warm_up = _client.Client(KEY, SECRET, url=sim.url, retries=0, timeout=600)
        warm_up.list_distributor_organizations()  # the first answer validates each new org once
        warm_up.close()
        for workers in threads:
            done = []
            deadline = time.monotonic() + seconds

            def work(deadline, size, done):
                client = _client.Client(KEY, SECRET, url=sim.url, retries=0)
                count = 0
                while time.monotonic() < deadline:
                    assert len(client.list_distributor_organizations()["organizations"]) == size
                    count += 1
                done.append(count)

            pool = [threading.Thread(target=work, args=(deadline, size, done)) for _worker in range(workers)]
            started = time.monotonic()
            for thread in pool:
                thread.start()
            for thread in pool:
                thread.join()
            elapsed = time.monotonic() - started
            rows.append(
                {
                    "orgs": size,
                    "clients": workers,
                    "requests_per_s": sum(done) / elapsed,
                    "peak_rss_mib": peak_memory_kib(sim.process.pid) / 1024.0,
                }
            )
    return rows


# ------------------------------------------------------------------------------------------ usage (issue 14)


def usage_gathering(runner, count, months, latency, serial_months):
    """partner_org_info usage=true periods=<months> at the default concurrency vs concurrency=1.

    The serial run reads `serial_months` of the months only and is extrapolated linearly to all of
    them (it makes exactly one GET after the other, so its time is proportional to the GETs).
    """
    sim = runner.sim
    sim.admin.reset()
    for number in range(count):
        sim.admin.seed_org(
            **{
                "display-name": "Usage %d" % number,
                "billing-address": {
                    "name": "Usage %d" % number,
                    "street-name": "S",
                    "city": "Zurich",
                    "postal-code": "8001",
                    "country": "CH",
                },
            }
        )
    sim.admin.seed_usage_history(months)
    periods = sorted({entry["period"] for entry in sim.admin.seeded_usage()["usage"]})
    rows = []
    for label, task_periods, concurrency in (
        ("parallel (default concurrency 8)", periods, None),
        ("serial (concurrency 1)", periods[-serial_months:], 1),
    ):
        args = {"usage": True, "periods": task_periods}
        if concurrency:
            args["concurrency"] = concurrency
        task = {"name": "usage", "exoscale.partner.partner_org_info": args, "register": "info"}
        check = {
            "name": "check",
            "ansible.builtin.assert": {
                "that": ["info.organizations | length == %d" % count, "info.usage_errors == []"]
            },
        }
        sim.admin.config(latency=latency)
        sim.admin.clear_requests()
        timings, _wall = runner.play([local_play([task, check])])
        sim.admin.config(latency=0)
        gets = sum(1 for r in sim.admin.requests() if r["operation"] == "list-distributor-organization-usage")
        seconds = timings["usage"]
        row = {"run": label, "orgs": count, "months": len(task_periods), "usage_gets": gets, "seconds": seconds}
        if len(task_periods) != months:
            row["run"] += ", %d of %d months" % (len(task_periods), months)
            rows.append(row)
            row = dict(
                row,
                run="serial, extrapolated to %d months" % months,
                months=months,
                usage_gets=None,
                seconds=seconds * months / len(task_periods),
            )
        rows.append(row)
    rows.append(
        {"run": "speedup (serial extrapolated / parallel)", "seconds": rows[-1]["seconds"] / rows[0]["seconds"]}
    )
    return rows


# ------------------------------------------------------------------------------------------ AWX slicing (issue 22)

SLICED_BILLING = os.path.join(ROOT, "examples", "awx", "sliced_billing")
BILLING_PERIOD = "2026-01"
SLICED_METERING_TASK = "Send the batches of this slice, each at most once ever"


def address(name):
    return {"name": name, "street-name": "Bench Street", "city": "Zurich", "postal-code": "8001", "country": "CH"}


def seed_customers(sim, count):
    """Seed organizations customer(0) ... customer(count - 1) through the admin hooks, 4 at a time."""
    from concurrent.futures import ThreadPoolExecutor

    def seed(number):
        wanted = customer(number)
        sim.admin.seed_org(
            **{
                "display-name": wanted["name"],
                "client-id": wanted["client_id"],
                "owner-email": wanted["owner_email"],
                "billing-address": dict(
                    address(wanted["name"]), **{"street-name": wanted["address"], "postal-code": wanted["postcode"]}
                ),
            }
        )

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(seed, range(count)))
    warm_list(sim)


def sync_inventory(runner, project, peak_file=None):
    """AWX's inventory sync of the example's source: (exported inventory, seconds)."""
    command = [sys.executable, "-m", "ansible.cli.inventory"] + sync_command("billing.partner_orgs.yml")
    if peak_file:
        command = [sys.executable, os.path.join(ROOT, "bench", "peak_rss.py"), peak_file] + command
    started = time.monotonic()
    result = subprocess.run(command, cwd=project, env=runner.env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit("ansible-inventory failed (%d):\n%s" % (result.returncode, result.stderr[-4000:]))
    return json.loads(result.stdout), seconds


def billing_project(runner, count):
    """A copy of examples/awx/sliced_billing with a usage export for customer(0) ... customer(count - 1)."""
    project = os.path.join(runner.workdir, "sliced_billing")
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(SLICED_BILLING, project)
    export = {
        customer(number)["client_id"]: [{"product": "partner", "variable": "license_product", "quantity": str(number)}]
        for number in range(1, count + 1)  # customer 0 has nothing to bill: usage 0 would still be a batch
    }
    with open(os.path.join(project, "usage", BILLING_PERIOD + ".json"), "w") as out:
        json.dump(export, out)
    return project


def start_slice(runner, project, synced, number, count, journal, label):
    """Start slice `number` of `count` as an ansible-playbook process; (process, timer file, output file)."""
    extra_vars = runner.write(
        "billing_vars.json",
        {"billing_period": BILLING_PERIOD, "billing_usage_file": "usage/%s.json" % BILLING_PERIOD},
    )
    script = os.path.join(runner.workdir, "%s-slice-%d" % (label, number))
    write_slice_inventory(script, synced, number, count)
    timer, output = script + ".timer.json", script + ".out"
    command = [sys.executable, runner.playbook_command, "-i", script, "monthly_billing.yml", "-e", "@" + extra_vars]
    with open(output, "w") as out:
        process = subprocess.Popen(
            command,
            cwd=project,
            env=dict(runner.env, EXOSCALE_PARTNER_JOURNAL=journal, BENCH_TIMER_OUT=timer),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, timer, output


def finish_slice(process, timer, output):
    """Wait for a slice; (CPU seconds of it and everything it waited for, seconds of its metering task)."""
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        with open(output) as out:
            raise SystemExit("a slice failed (%d):\n%s" % (process.returncode, out.read()[-4000:]))
    with open(timer) as timings:
        metering = [entry["seconds"] for entry in json.load(timings) if entry["task"] == SLICED_METERING_TASK]
    return usage.ru_utime + usage.ru_stime, max(metering, default=0.0)


def run_slices(runner, project, synced, count, journal, label, alone=False):
    """Run the `count` slices at once, as AWX does (or, with `alone`, one after the other).

    Returns (wall seconds: of all of them at once, or of the slowest slice alone; CPU seconds of all
    slices; seconds of the slowest slice's metering task).
    """
    walls, cpu, metering = [], 0.0, []
    if alone:
        for number in range(1, count + 1):
            started = time.monotonic()
            used, task = finish_slice(*start_slice(runner, project, synced, number, count, journal, label))
            walls.append(time.monotonic() - started)
            cpu, metering = cpu + used, metering + [task]
        return max(walls), cpu, max(metering)
    started = time.monotonic()
    running = [start_slice(runner, project, synced, number, count, journal, label) for number in range(1, count + 1)]
    for used, task in (finish_slice(*slice_run) for slice_run in running):
        cpu, metering = cpu + used, metering + [task]
    return time.monotonic() - started, cpu, max(metering)


def empty_journal(url):
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS partner_metering_journal")


def slicing(runner, count, latency, slice_counts, journal):
    """The monthly billing (examples/awx/sliced_billing) as one job and as sliced jobs, same organizations.

    For each slice count, from an empty journal: all slices at once (AWX starts them together; here
    they share this machine's CPUs), their relaunch (must send nothing), and, from an empty journal
    again, each slice alone (what one execution node per slice would take: the slowest slice).
    """
    sim = runner.sim
    sim.admin.reset()
    sim.admin.config(latency=0)
    seed_customers(sim, count + 1)
    project = billing_project(runner, count)
    synced, _seconds = sync_inventory(runner, project)
    rows = []
    sim.admin.config(latency=latency)
    for slices in slice_counts:
        pattern = "one job" if slices == 1 else "%d slices" % slices
        runs = [("bill, at once", False), ("relaunch, at once", False)]
        if slices > 1:
            runs.append(("bill, each slice alone (slowest)", True))
        for run, alone in runs:
            if run.startswith("bill"):
                empty_journal(journal)
                ledger_before = len(sim.admin.metering())
            sim.admin.clear_requests()
            label = "%d-%s" % (slices, run.split(",", maxsplit=1)[0] + ("-alone" if alone else ""))
            wall, cpu, metering_s = run_slices(runner, project, synced, slices, journal, label, alone=alone)
            requests = sim.admin.requests()
            posts = sum(1 for r in requests if r["operation"] == "metering-transaction")
            rows.append(
                {
                    "pattern": pattern,
                    "run": "bill" if slices == 1 and run.startswith("bill") else run,
                    "seconds": wall,
                    "cpu_s": cpu,
                    "metering_task_s": metering_s,
                    "metering_posts": posts,
                    "other_requests": len(requests) - posts,
                    "billed": len(sim.admin.metering()) - ledger_before,
                }
            )
    sim.admin.config(latency=0)
    return rows


def interpreter_probe(runner, peak_file):
    """An ansible_python_interpreter that records the peak memory of each module process in peak_file."""
    path = os.path.join(runner.workdir, "python-peak-rss")
    with open(path, "w") as out:
        out.write(
            '#!/bin/sh\nexec "%s" "%s" "%s" "%s" "$@"\n'
            % (sys.executable, os.path.join(ROOT, "bench", "peak_rss.py"), peak_file, sys.executable)
        )
    os.chmod(path, 0o755)
    return path


def last_peak_mib(peak_file):
    with open(peak_file) as peaks:
        return int(peaks.read().split()[-1]) / 1024.0


def scale(runner, count, latency):
    """The inventory (AWX's sync of the example's source) and a partner_orgs no-op over `count` organizations."""
    sim = runner.sim
    sim.admin.reset()
    sim.admin.config(latency=0)
    seed_customers(sim, count)
    project = billing_project(runner, 0)
    sim.admin.config(latency=latency)
    rows = []

    peak_file = os.path.join(runner.workdir, "inventory-peak")
    sim.admin.clear_requests()
    synced, seconds = sync_inventory(runner, project, peak_file=peak_file)
    rows.append(
        {
            "work": "inventory sync, %d orgs" % count,
            "process": "ansible-inventory",
            "seconds": seconds,
            "hosts": len(synced["_meta"]["hostvars"]),
            "requests": len(sim.admin.requests()),
            "peak_rss_mib": last_peak_mib(peak_file),
        }
    )

    peak_file = os.path.join(runner.workdir, "module-peak")
    warm_up = {"name": "warm-up", "exoscale.partner.partner_orgs": {"organizations": [{}]}, "ignore_errors": True}
    extra = {
        "customers": [customer(n) for n in range(count)],
        "ansible_python_interpreter": interpreter_probe(runner, peak_file),
    }
    row = run_measured(
        runner, "partner_orgs", "no-op %d" % count, [local_play([warm_up, bulk_task(8)])], extra_vars=extra
    )
    rows.append(
        {
            "work": "partner_orgs no-op, %d entries" % count,
            "process": "module",
            "seconds": row["task_s"],
            "playbook_s": row["wall_s"],
            "requests": row["requests"],
            "mutations": row["mutations"],
            "peak_rss_mib": last_peak_mib(peak_file),
        }
    )
    sim.admin.config(latency=0)
    return rows


@contextlib.contextmanager
def postgres_journal():
    """A PostgreSQL journal for the slicing section (tests/pg_cluster.py), or None with the reason."""
    reason = pg_cluster.no_postgres_reason()
    if reason:
        yield None, reason
        return
    with pg_cluster.postgres_server() as url:
        yield url, None


# ------------------------------------------------------------------------------------------ output


def load_event_source(workdir):
    """The partner_events source, run as ansible-rulebook runs it (runpy) from the Runner's installed layout."""
    installed = os.path.join(workdir, "collections", "ansible_collections", "exoscale", "partner")
    return runpy.run_path(os.path.join(installed, "extensions", "eda", "plugins", "event_source", "partner_events.py"))


def event_latency(sim, workdir, changes, interval=1):
    """Seconds from a status change (admin hook) to the source's status_changed event, `changes` times."""
    source = load_event_source(workdir)
    sim.admin.reset()
    org = sim.admin.seed_org(
        display_name="Latency",
        billing_address={
            "name": "Latency",
            "country": "CH",
            "city": "Zurich",
            "postal-code": "8001",
            "street-name": "Bench Street",
        },
    )

    async def measure():
        queue = asyncio.Queue()
        args = dict(api_url=sim.url, api_key=KEY, api_secret=SECRET, interval=interval)
        task = asyncio.create_task(source["main"](queue, args))
        latencies = []
        try:
            while len(sim.admin.requests()) < 2:  # the baseline poll is done
                await asyncio.sleep(0.05)
            for number in range(changes):
                await asyncio.sleep(interval * (number % 4) / 4)  # changes at different points of the interval
                changed = time.monotonic()
                sim.admin.set_status(org["id"], "suspended" if number % 2 == 0 else "active")
                event = await asyncio.wait_for(queue.get(), timeout=60)
                latencies.append(time.monotonic() - changed)
                assert event["type"] == "status_changed", event
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return latencies

    latencies = asyncio.run(measure())
    return [
        {
            "interval_s": interval,
            "changes": len(latencies),
            "min_s": round(min(latencies), 3),
            "median_s": round(statistics.median(latencies), 3),
            "max_s": round(max(latencies), 3),
            "list_requests": sum(1 for r in sim.admin.requests() if r["operation"] == "list-distributor-organizations"),
        }
    ]


def table(title, rows, columns):
    print("\n" + title)
    widths = [max(len(header), *(len(fmt(row.get(key))) for row in rows)) for header, key in columns]
    print("  ".join(header.ljust(width) for (header, _key), width in zip(columns, widths)))
    for row in rows:
        print("  ".join(fmt(row.get(key)).ljust(width) for (_header, key), width in zip(columns, widths)))


def fmt(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return "%.3f" % value if value < 10 else "%.1f" % value
    return str(value)


def machine():
    import ansible

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "ansible_core": ansible.__version__ if hasattr(ansible, "__version__") else _ansible_version(),
        "platform": platform.platform(),
    }


def _ansible_version():
    from ansible.release import __version__

    return __version__


SECTIONS = ["requests", "timing", "converge", "bulk", "throughput", "usage", "events", "slicing", "scale"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, default=200, help="organizations to converge (default 200)")
    parser.add_argument("--forks", type=int, default=10, help="forks of the host-per-org pattern (default 10)")
    parser.add_argument(
        "--latency",
        type=float,
        default=0.15,
        help="simulated API latency in seconds for the "
        "convergence comparison (default 0.15); the other sections run without latency",
    )
    parser.add_argument("--task-count", type=int, default=30, help="tasks of each kind in the info vs uri timing")
    parser.add_argument("--throughput-sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--throughput-seconds", type=float, default=5.0)
    parser.add_argument("--large-orgs", type=int, default=2000, help="organizations of the large partner_orgs no-op")
    parser.add_argument("--suspend-orgs", type=int, default=50, help="organizations suspended in the bulk section")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrency of partner_orgs (default 8)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 20 orgs, 5 tasks, small throughput sizes; the bulk section without its host-per-org side",
    )
    parser.add_argument("--usage-orgs", type=int, default=200, help="organizations of the usage section (default 200)")
    parser.add_argument("--usage-months", type=int, default=6, help="months of the usage section (default 6)")
    parser.add_argument(
        "--usage-serial-months",
        type=int,
        default=1,
        help="months the serial usage run really reads (extrapolated to --usage-months; default 1)",
    )
    parser.add_argument("--event-changes", type=int, default=20, help="status changes of the events section")
    parser.add_argument(
        "--slicing-orgs", type=int, default=400, help="organizations billed in the slicing section (default 400)"
    )
    parser.add_argument(
        "--slices", type=int, nargs="+", default=[2, 4], help="slice counts compared with one job (default 2 4)"
    )
    parser.add_argument(
        "--scale-orgs",
        type=int,
        default=10000,
        help="organizations of the scale section: inventory sync and partner_orgs no-op (default 10000)",
    )
    parser.add_argument("--only", nargs="+", choices=SECTIONS)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.orgs, args.task_count, args.throughput_sizes, args.throughput_seconds = 20, 10, [100, 1000], 1.0
        args.large_orgs, args.suspend_orgs = 100, 5
        args.usage_orgs, args.usage_months = 10, 3
        args.event_changes = 4
        args.slicing_orgs, args.scale_orgs = 20, 200
    sections = args.only or SECTIONS
    results = {"machine": machine(), "args": vars(args)}
    print(
        "machine: %(nproc)s CPUs, %(memory_gib)s GiB, Python %(python)s, ansible-core %(ansible_core)s"
        % results["machine"]
    )
    simulator = SimulatorProcess(key=KEY, secret=SECRET)
    with tempfile.TemporaryDirectory(prefix="partner-bench-") as workdir, simulator as sim:
        runner = Runner(sim, workdir)
        if "requests" in sections:
            results["requests"] = request_counts(runner)
            table(
                "API requests per partner_org task (latency 0)",
                results["requests"],
                [("task", "task"), ("requests", "requests"), ("detail", "detail")],
            )
        if "timing" in sections:
            results["timing"] = info_vs_uri(runner, args.task_count)
            table(
                "Seconds per task, %d of each in one play (latency 0)" % args.task_count,
                [results["timing"]],
                [("partner_org_info", "partner_org_info_s"), ("uri", "uri_s"), ("ratio", "ratio")],
            )
        if "converge" in sections:
            results["converge"] = converge(runner, args.orgs, args.forks, args.latency)
            table(
                "Converging %d orgs, API latency %g s (speedup = serial / host per org)" % (args.orgs, args.latency),
                results["converge"],
                [
                    ("pattern", "pattern"),
                    ("run", "run"),
                    ("seconds", "seconds"),
                    ("requests", "requests"),
                    ("GETs", "gets"),
                ],
            )
        if "bulk" in sections:
            results["bulk"] = bulk(
                runner,
                args.orgs,
                args.forks,
                args.latency,
                args.large_orgs,
                args.suspend_orgs,
                args.concurrency,
                baseline=not args.quick,
            )
            table(
                "One partner_orgs task (concurrency %d) vs one partner_org task per host, API latency %g s"
                % (args.concurrency, args.latency),
                results["bulk"],
                [
                    ("pattern", "pattern"),
                    ("work", "work"),
                    ("task s", "task_s"),
                    ("playbook s", "wall_s"),
                    ("requests", "requests"),
                    ("GETs", "gets"),
                    ("mutations", "mutations"),
                ],
            )
        if "throughput" in sections:
            results["throughput"] = throughput(sim, args.throughput_sizes, args.throughput_seconds, (1, 4))
            table(
                "Simulator: signed GET list, requests/s (latency 0)",
                results["throughput"],
                [
                    ("orgs", "orgs"),
                    ("clients", "clients"),
                    ("requests/s", "requests_per_s"),
                    ("peak RSS MiB", "peak_rss_mib"),
                ],
            )
        if "usage" in sections:
            results["usage"] = usage_gathering(
                runner,
                args.usage_orgs,
                args.usage_months,
                args.latency,
                min(args.usage_serial_months, args.usage_months),
            )
            table(
                "Usage of %d orgs x %d months with partner_org_info, API latency %g s"
                % (args.usage_orgs, args.usage_months, args.latency),
                results["usage"],
                [
                    ("run", "run"),
                    ("orgs", "orgs"),
                    ("months", "months"),
                    ("usage GETs", "usage_gets"),
                    ("seconds", "seconds"),
                ],
            )
        if "events" in sections:
            results["events"] = event_latency(sim, workdir, args.event_changes)
            table(
                "partner_events: status change to event, %d changes at interval 1 (latency 0)" % args.event_changes,
                results["events"],
                [
                    ("min s", "min_s"),
                    ("median s", "median_s"),
                    ("max s", "max_s"),
                    ("list requests", "list_requests"),
                ],
            )
        if "slicing" in sections:
            with postgres_journal() as (journal, no_journal):
                if journal:
                    results["slicing"] = slicing(runner, args.slicing_orgs, args.latency, [1] + args.slices, journal)
            if no_journal:
                print("\nslicing: skipped, the slices need a PostgreSQL journal: %s" % no_journal)
            else:
                table(
                    "Monthly billing of %d orgs (examples/awx/sliced_billing), one job vs AWX slices at once, "
                    "API latency %g s, PostgreSQL journal" % (args.slicing_orgs, args.latency),
                    results["slicing"],
                    [
                        ("pattern", "pattern"),
                        ("run", "run"),
                        ("seconds", "seconds"),
                        ("CPU s", "cpu_s"),
                        ("slowest metering task s", "metering_task_s"),
                        ("metering POSTs", "metering_posts"),
                        ("other requests", "other_requests"),
                        ("billed", "billed"),
                    ],
                )
        if "scale" in sections:
            results["scale"] = scale(runner, args.scale_orgs, args.latency)
            table(
                "%d organizations, API latency %g s (peak RSS of the process named)" % (args.scale_orgs, args.latency),
                results["scale"],
                [
                    ("work", "work"),
                    ("process", "process"),
                    ("seconds", "seconds"),
                    ("playbook s", "playbook_s"),
                    ("hosts", "hosts"),
                    ("requests", "requests"),
                    ("mutations", "mutations"),
                    ("peak RSS MiB", "peak_rss_mib"),
                ],
            )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2, default=str)
    return results


if __name__ == "__main__":
    main()
