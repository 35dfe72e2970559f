# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The partner_events source with a queue, against the simulator: each poll driven by the test."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import stat
import sys
import threading

import pytest
from conftest import KEY, SECRET, seed

JANUARY = datetime.datetime(2026, 1, 10, 12, 0, tzinfo=datetime.timezone.utc)
LIST_OPERATION = "list-distributor-organizations"
USAGE_OPERATION = "list-distributor-organization-usage"


class Clock:
    """The watcher's clock, moved by the test."""

    def __init__(self, now=JANUARY):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += datetime.timedelta(**delta)


class Source:
    """One watcher, polled by the test; every event it delivered is in .events."""

    def __init__(self, source, sim, clock=None, environ=None, **args):
        arguments = dict(api_url=sim.url, api_key=KEY, api_secret=SECRET, api_retries=0)
        arguments.update(args)
        self.watcher = source.Watcher(source.parse_arguments(arguments, environ or {}))
        if clock is not None:
            self.watcher.clock = clock
        self.queue = asyncio.Queue()
        self.events = []
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self.watcher.start())

    def poll(self, times=1):
        """Poll `times` times; the events of these polls."""
        delivered = []
        for _attempt in range(times):
            self.wait = self.loop.run_until_complete(self.watcher.poll(self.queue))
            while not self.queue.empty():
                delivered.append(self.queue.get_nowait())
        self.events += delivered
        return delivered

    def stop(self):
        self.watcher.save_state()
        self.watcher.close()
        self.loop.close()


@pytest.fixture
def watch(source, sim):
    started = []

    def start(**args):
        started.append(Source(source, sim, **args))
        return started[-1]

    yield start
    for item in started:
        if not item.loop.is_closed():
            item.stop()


def operations(sim):
    return [entry["operation"] for entry in sim.admin.requests()]


def kinds(events):
    return [event["type"] for event in events]


def test_first_poll_is_a_silent_baseline_then_one_list_per_poll(watch, sim):
    seed(sim, "Acme")
    seed(sim, "Globex", status="suspended")
    source = watch()
    assert source.poll(times=4) == []
    assert operations(sim) == [LIST_OPERATION] * 4
    assert source.wait == 60


def test_each_change_is_emitted_once(watch, sim):
    acme, globex = seed(sim, "Acme", client_id="crm-1"), seed(sim, "Globex")
    source = watch(interval=1)
    source.poll()
    initech = seed(sim, "Initech")
    sim.admin.set_status(acme, "suspended")
    sim.admin.remove_org(globex)
    events = source.poll()
    assert source.poll(times=5) == []
    assert kinds(events) == ["status_changed", "organization_added", "organization_removed"]
    changed, added, removed = events
    assert changed["organization"] == {
        "id": acme,
        "status": "suspended",
        "name": "Acme",
        "client_id": "crm-1",
        "address": "Bahnhofstrasse",
        "building_number": "1",
        "postcode": "8001",
        "city": "Zurich",
        "country": "CH",
    }
    assert changed["previous_status"] == "active"
    assert added["organization"]["id"] == initech and removed["organization"]["id"] == globex
    assert removed["organization"]["status"] == "active"  # as last seen
    observed = datetime.datetime.strptime(changed["observed_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert abs(observed - datetime.datetime.utcnow()) < datetime.timedelta(hours=1)
    assert operations(sim) == [LIST_OPERATION] * 7  # no per-organization request for status
    assert source.wait == 1


def usage_record(currency, total):
    return {
        "code": "U-1",
        "currency": currency,
        "total-excl-vat": total,
        "total-incl-vat": total,
        "start-date": "2026-01-01T00:00:00Z",
        "end-date": "2026-02-01T00:00:00Z",
        "usage": [],
    }


def test_usage_threshold_once_per_organization_month_and_threshold(watch, sim):
    acme, globex = seed(sim, "Acme"), seed(sim, "Globex")
    gone = seed(sim, "Gone", status="terminated")
    sim.admin.seed_usage(acme, "2026-01", [usage_record("CHF", 499.99999)])
    sim.admin.seed_usage(globex, "2026-01", [usage_record("EUR", 10000)])
    sim.admin.seed_usage(gone, "2026-01", [usage_record("CHF", 10000)])
    clock = Clock()
    source = watch(clock=clock, usage_thresholds={"CHF": ["500", "1000"]}, usage_interval=3600, concurrency=2)
    assert source.poll() == []
    usage_reads = [entry["path"] for entry in sim.admin.requests() if entry["operation"] == USAGE_OPERATION]
    assert sorted(usage_reads) == sorted("/v1.alpha/distributor/organization/%s/usage" % i for i in (acme, globex))
    sim.admin.seed_usage(acme, "2026-01", [usage_record("CHF", 500.00)])
    clock.advance(minutes=59)
    assert source.poll() == []  # usage not read again before usage_interval
    clock.advance(minutes=1)
    crossed = source.poll()
    fields = ("type", "currency", "total_excl_vat", "threshold", "period")
    expected = ("usage_threshold_crossed", "CHF", "500", "500", "2026-01")
    assert [tuple(e[key] for key in fields) for e in crossed] == [expected]
    assert crossed[0]["organization"]["id"] == acme
    clock.advance(hours=1)
    assert source.poll() == []
    sim.admin.seed_usage(acme, "2026-01", [usage_record("CHF", 1000.5)])
    clock.advance(hours=1)
    assert [e["threshold"] for e in source.poll()] == ["1000"]
    assert operations(sim).count(USAGE_OPERATION) == 2 * 4
    queries = {entry["query"] for entry in sim.admin.requests() if entry["operation"] == USAGE_OPERATION}
    assert queries == {"period=2026-01"}


def test_unsettled_metering_once_per_transaction_and_state(watch, sim, tmp_path, rules):
    from ansible_collections.exoscale.partner.plugins.module_utils import _journal, _journal_store
    from ansible_collections.exoscale.partner.plugins.module_utils._client import validate_usage

    acme = seed(sim, "Acme", client_id="{{ crm }}")
    path = str(tmp_path / "metering.sqlite3")
    store = _journal_store.open_journal(path)

    class Lost(Exception):
        maybe_processed = True

    def uncertain(transaction_id):
        def send():
            raise Lost("connection lost {{ lookup('env', 'HOME') }}")

        canonical = _journal.canonical_batch(acme, validate_usage([{"product": "p", "variable": "v", "quantity": 1}]))
        _journal.run_transaction(store, transaction_id, acme, canonical, KEY, send, client_id="{{ crm }}")

    def pending(transaction_id):
        canonical = _journal.canonical_batch(acme, validate_usage([{"product": "p", "variable": "v", "quantity": 2}]))
        row = _journal._new_row(
            transaction_id, acme, canonical, _journal.batch_hash(canonical), KEY, _journal.iso(_journal.utc_now())
        )
        assert store.insert_pending(row)

    uncertain("before-start")
    clock = Clock(_journal.utc_now())
    source = watch(clock=clock, journal=path)
    assert source.poll() == []  # baseline
    uncertain("t-1")
    pending("t-2")  # young: its run may still be sending it
    events = source.poll(times=3)
    assert kinds(events) == ["metering_unsettled"]
    transaction = events[0]["transaction"]
    assert transaction == _journal.public_entry(store.get("t-1")) | {
        "client_id": "{{ '{{' }} crm }}",
        "last_error": "connection lost {{ '{{' }} lookup('env', 'HOME') }}",
    }
    clock.advance(seconds=_journal.PENDING_LEASE_SECONDS)
    late = source.poll(times=2)
    assert [(e["transaction"]["transaction_id"], e["transaction"]["state"]) for e in late] == [("t-2", "pending")]
    store.close()


def test_journal_created_after_start_is_watched(watch, sim, tmp_path):
    from ansible_collections.exoscale.partner.plugins.module_utils import _journal, _journal_store
    from ansible_collections.exoscale.partner.plugins.module_utils._client import validate_usage

    acme = seed(sim, "Acme")
    path = str(tmp_path / "later.sqlite3")
    source = watch(journal=path)
    source.poll()
    store = _journal_store.open_journal(path)
    canonical = _journal.canonical_batch(acme, validate_usage([{"product": "p", "variable": "v", "quantity": 1}]))

    def send():
        raise TimeoutError("read timeout")

    _journal.run_transaction(store, "t-1", acme, canonical, KEY, send)
    assert [e["transaction"]["transaction_id"] for e in source.poll()] == ["t-1"]
    store.close()


def test_outage_is_one_api_error_then_one_api_recovered(watch, sim):
    seed(sim, "Acme")
    source = watch(api_retries=1, interval=1)
    source.poll()
    sim.admin.add_fault(operation=LIST_OPERATION, count=6, action="status", status=503)
    errors = source.poll(times=3)  # each poll: the request and its one retry fail
    assert kinds(errors) == ["api_error"]
    assert errors[0]["operation"] == "list_organizations" and "503" in errors[0]["error"]
    newcomer = seed(sim, "Newcomer")
    recovered = source.poll()
    assert kinds(recovered) == ["api_recovered", "organization_added"]
    assert recovered[0]["since"] == errors[0]["observed_at"]
    assert recovered[1]["organization"]["id"] == newcomer
    assert source.poll(times=2) == []
    assert operations(sim) == [LIST_OPERATION] * (1 + 6 + 1 + 2)
    assert SECRET not in json.dumps(source.events)


def test_retry_after_beyond_the_client_budget_delays_the_next_poll(watch, sim):
    source = watch(api_retries=3)
    source.poll()
    sim.admin.add_fault(operation=LIST_OPERATION, action="status", status=429, retry_after=120)
    assert kinds(source.poll()) == ["api_error"]
    assert source.wait == 120
    assert operations(sim) == [LIST_OPERATION] * 2  # not retried: the wait is beyond the client's budget


def test_restart_with_state_file_emits_what_changed_while_down_and_nothing_else(watch, sim, tmp_path):
    acme, globex, umbrella = seed(sim, "Acme"), seed(sim, "Globex"), seed(sim, "Umbrella")
    state_file = tmp_path / "state.json"
    first = watch(state_file=str(state_file))
    first.poll(times=2)
    first.stop()
    assert stat.S_IMODE(os.stat(state_file).st_mode) == 0o600
    assert sorted(json.loads(state_file.read_text())["organizations"]) == sorted([acme, globex, umbrella])
    sim.admin.set_status(acme, "suspended")
    sim.admin.remove_org(globex)
    initech = seed(sim, "Initech")
    second = watch(state_file=str(state_file))
    events = second.poll()
    assert [(e["type"], e["organization"]["id"]) for e in events] == [
        ("status_changed", acme),
        ("organization_added", initech),
        ("organization_removed", globex),
    ]
    assert second.poll(times=2) == []
    second.stop()
    third = watch(state_file=str(state_file))
    assert third.poll() == []
    text = state_file.read_text()
    assert SECRET not in text and KEY not in text
    assert os.listdir(tmp_path) == ["state.json"]  # no temporary file left


def test_cancellation_saves_the_state(source, sim, tmp_path):
    acme = seed(sim, "Acme")
    state_file = tmp_path / "state.json"
    args = dict(api_url=sim.url, api_key=KEY, api_secret=SECRET, interval=1, state_file=str(state_file))

    async def scenario():
        queue = asyncio.Queue()
        task = asyncio.create_task(source.main(queue, args))
        while not state_file.exists():  # the baseline poll wrote it
            await asyncio.sleep(0.05)
        sim.admin.set_status(acme, "suspended")
        event = await asyncio.wait_for(queue.get(), timeout=60)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return event

    event = asyncio.run(scenario())
    assert event["type"] == "status_changed"
    assert json.loads(state_file.read_text())["organizations"][acme]["status"] == "suspended"


def test_hostile_names_arrive_template_inert_unless_turned_off(watch, sim):
    source = watch()
    source.poll()
    hostile = "{{ lookup('env', 'EXOSCALE_API_SECRET') }} {% if true %}x{% endif %}"
    seed(sim, hostile)
    (added,) = source.poll()
    assert added["organization"]["name"] == (
        "{{ '{{' }} lookup('env', 'EXOSCALE_API_SECRET') }} {{ '{%' }} if true %}x{{ '{%' }} endif %}"
    )
    raw = watch(escape_templates=False)
    raw.poll()
    seed(sim, hostile + " again")
    assert raw.poll()[0]["organization"]["name"] == hostile + " again"


def test_credentials_from_the_environment(source, sim):
    environ = {"EXOSCALE_API_KEY": KEY, "EXOSCALE_API_SECRET": SECRET, "EXOSCALE_PARTNER_API_URL": sim.url}
    settings = source.parse_arguments({}, environ)
    assert settings["credentials"]["api_url"] == sim.url
    watcher = source.Watcher(settings)
    asyncio.run(watcher.poll(asyncio.Queue()))
    watcher.close()
    assert operations(sim) == [LIST_OPERATION]


def bad_arguments(tmp_path):
    not_a_journal = tmp_path / "notes.sqlite3"
    not_a_journal.write_text("these are not the journal you are looking for\n" * 100)
    corrupt_state = tmp_path / "corrupt.json"
    corrupt_state.write_text("{")
    other_state = tmp_path / "other.json"
    other_state.write_text(json.dumps({"version": 1, "api_url": "https://elsewhere.example/v1.alpha"}))
    return [
        ({"colour": "red"}, "unknown argument(s) colour"),
        ({"interval": 0}, "interval: must be at least 1"),
        ({"interval": "often"}, "interval: expected a number"),
        ({"usage_interval": -5}, "usage_interval: must be at least 1"),
        ({"usage_thresholds": {"CHF": "lots"}}, "usage_thresholds.CHF: expected a number"),
        ({"usage_thresholds": {"CHF": None}}, "usage_thresholds.CHF: expected a number"),
        ({"concurrency": 0}, "concurrency: expected a whole number from 1 to 32"),
        ({"api_retries": -1}, "api_retries"),
        ({"escape_templates": "yes"}, "escape_templates: expected true or false"),
        ({"api_key": None, "api_secret": None}, "Missing Exoscale API credentials (api_key, api_secret)"),
        ({"api_secret": ""}, "Missing Exoscale API credentials (api_secret)"),
        ({"api_key": 1234}, "api_key: expected a string, got int"),
        ({"journal": str(tmp_path / "missing" / "j.sqlite3")}, "does not exist"),
        ({"journal": str(not_a_journal)}, "not a SQLite database"),
        ({"journal": ""}, "journal: expected a non-empty string"),
        ({"state_file": str(tmp_path / "missing" / "s.json")}, "state_file: the folder"),
        ({"state_file": str(tmp_path)}, "is a folder"),
        ({"state_file": str(corrupt_state)}, "corrupt.json"),
        ({"state_file": str(other_state)}, "one state file per endpoint"),
    ]


@pytest.mark.parametrize("index", range(19))
def test_bad_arguments_stop_the_source_at_start(source, sim, tmp_path, index):
    cases = bad_arguments(tmp_path)
    assert len(cases) == 19
    changes, words = cases[index]
    args = dict(api_url=sim.url, api_key=KEY, api_secret=SECRET)
    args.update(changes)
    args = {name: value for name, value in args.items() if value is not None}
    with pytest.raises(source.ArgumentsError) as raised:
        asyncio.run(source.main(asyncio.Queue(), args))
    message = str(raised.value)
    assert message.startswith("exoscale.partner.partner_events: ")
    assert words in message
    assert SECRET not in message
    assert sim.admin.requests() == []  # stopped before any API call


def test_secret_never_logged(source, sim, caplog, tmp_path):
    sim.admin.add_fault(operation=LIST_OPERATION, count=2, action="status", status=500)
    caplog.set_level("DEBUG")
    watcher = source.Watcher(
        source.parse_arguments(
            dict(api_url=sim.url, api_key=KEY, api_secret=SECRET, api_retries=0, state_file=str(tmp_path / "s")),
            {},
        )
    )

    async def run():
        await watcher.start()
        queue = asyncio.Queue()
        for _poll in range(3):
            await watcher.poll(queue)
        return [queue.get_nowait() for _event in range(queue.qsize())]

    events = asyncio.run(run())
    watcher.close()
    assert kinds(events) == ["api_error", "api_recovered"]
    assert "list_organizations failed" in caplog.text
    assert SECRET not in caplog.text and SECRET not in json.dumps(events)
    assert SECRET not in (tmp_path / "s").read_text()


def test_collection_path_is_found_from_the_file(source):
    installed = os.path.join(
        os.sep, "opt", "c", "ansible_collections", "exoscale", "partner", "extensions", "eda", "plugins", "x", "f.py"
    )
    assert source.collection_import_path(installed) == os.path.join(os.sep, "opt", "c")
    with pytest.raises(ImportError, match="installed collection"):
        source.collection_import_path(os.path.join(os.sep, "src", "extensions", "eda", "plugins", "x", "f.py"))
    assert sys.modules["ansible_collections.exoscale.partner.plugins.module_utils._client"]


def test_usage_outage_is_reported_once_and_a_vanished_organization_is_not_one(watch, sim):
    acme, globex = seed(sim, "Acme"), seed(sim, "Globex")
    clock = Clock()
    source = watch(clock=clock, usage_thresholds={"CHF": "500"}, usage_interval=60)
    sim.admin.add_fault(operation=USAGE_OPERATION, organization=acme, action="status", status=404)
    assert source.poll() == []  # acme's usage: 404, as if removed after the list; not an outage
    sim.admin.add_fault(operation=USAGE_OPERATION, count=2, action="status", status=503)
    clock.advance(minutes=1)
    (error,) = source.poll()
    assert (error["type"], error["operation"]) == ("api_error", "list_usage")
    assert "503" in error["error"] and error["error"].endswith("(2 of 2 organizations failed)")
    sim.admin.seed_usage(globex, "2026-01", [usage_record("CHF", 750)])
    clock.advance(minutes=1)
    recovered, crossed = source.poll()
    assert (recovered["type"], recovered["operation"]) == ("api_recovered", "list_usage")
    assert (crossed["type"], crossed["organization"]["id"]) == ("usage_threshold_crossed", globex)


def test_a_journal_that_breaks_is_an_outage_not_the_end(watch, sim, tmp_path):
    from ansible_collections.exoscale.partner.plugins.module_utils import _journal_store

    path = tmp_path / "metering.sqlite3"
    _journal_store.open_journal(str(path)).close()
    source = watch(journal=str(path))
    source.poll()
    source.watcher.store.close()
    path.write_bytes(b"this is no longer a database" * 200)
    (error,) = source.poll(times=2)
    assert (error["type"], error["operation"]) == ("api_error", "read_journal")
    assert "not a SQLite database" in error["error"]


def test_usage_reads_run_concurrently_within_the_bound(watch, sim):
    for name in ("A", "B", "C", "D", "E", "F"):
        seed(sim, name)
    source = watch(usage_thresholds={"CHF": "1"}, concurrency=2)
    read = source.watcher.client.list_distributor_organization_usage
    pairs = threading.Barrier(2, timeout=30)  # breaks unless two reads are in flight together
    lock, in_flight, most = threading.Lock(), [0], [0]

    def counted(**kwargs):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            pairs.wait()
            return read(**kwargs)
        finally:
            with lock:
                in_flight[0] -= 1

    source.watcher.client.list_distributor_organization_usage = counted
    assert source.poll() == []
    assert most[0] == 2 and not pairs.broken
    assert operations(sim).count(USAGE_OPERATION) == 6
