# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The journal protocol on both backends (SQLite file, real PostgreSQL server): every rule of issue 12.

send() is a counting stand-in for the POST; concurrency is real threads and real processes.
"""

from __future__ import annotations

import decimal
import multiprocessing
import threading
import time

import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import _journal, _journal_store

ORG = "11111111-1111-4111-8111-111111111111"
OTHER_ORG = "22222222-2222-4222-8222-222222222222"


def usage(quantity="1.5"):
    return [{"product": "partner", "variable": "license_product", "quantity": decimal.Decimal(quantity)}]


def canonical(quantity="1.5", org=ORG):
    return _journal.canonical_batch(org, usage(quantity))


class Refused(Exception):
    maybe_processed = False


class Lost(Exception):
    maybe_processed = True


class Sender:
    """Counts the POSTs; raises `error` (once) when given."""

    def __init__(self, error=None, hold=0.0):
        self.count = 0
        self.error = error
        self.hold = hold
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.count += 1
        time.sleep(self.hold)
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def run(location, transaction_id="c1/2026-01", send=None, quantity="1.5", org=ORG, resolve=None):
    store = _journal_store.open_journal(location)
    try:
        return _journal.run_transaction(
            store, transaction_id, org, canonical(quantity, org), "EXOkey", send or Sender(), resolve=resolve
        )
    finally:
        store.close()


def entry(location, transaction_id="c1/2026-01"):
    store = _journal_store.open_journal(location, read_only=True)
    try:
        return store.get(transaction_id)
    finally:
        store.close()


def test_pending_then_applied_then_never_sent_again(location):
    seen = {}

    def send():
        seen["during"] = entry(location)  # the pending row is committed before the POST
        sender()

    sender = Sender()
    outcome = run(location, send=send)
    assert seen["during"]["state"] == _journal.PENDING
    assert (outcome.action, outcome.changed, sender.count) == (_journal.SEND, True, 1)
    row = entry(location)
    assert row["state"] == _journal.APPLIED
    assert row["organization_id"] == ORG and row["api_key"] == "EXOkey" and row["attempts"] == 1
    assert row["first_sent_at"].endswith("Z") and row["applied_at"] >= row["first_sent_at"]

    again = Sender()
    outcome = run(location, send=again)
    assert (outcome.action, outcome.changed, again.count) == (_journal.ALREADY_APPLIED, False, 0)
    assert outcome.entry == row


def test_same_amount_written_differently_is_the_same_batch(location):
    run(location, quantity="1.50")
    sender = Sender()
    assert run(location, quantity="1.5", send=sender).action == _journal.ALREADY_APPLIED
    assert sender.count == 0


@pytest.mark.parametrize("change", [dict(quantity="2"), dict(org=OTHER_ORG)])
def test_reusing_the_id_for_another_batch_is_a_conflict(location, change):
    run(location)
    sender = Sender()
    outcome = run(location, send=sender, **change)
    assert (outcome.action, sender.count) == (_journal.CONFLICT, 0)
    assert "another batch" in _journal.refusal_text(outcome.action, "c1/2026-01", outcome.entry)
    assert entry(location)["state"] == _journal.APPLIED


def test_maybe_processed_is_uncertain_and_blocks_every_rerun(location):
    outcome = run(location, send=Sender(Lost("read timed out")))
    assert outcome.error is not None and outcome.changed
    row = entry(location)
    assert row["state"] == _journal.UNCERTAIN and row["applied_at"] is None
    assert "read timed out" in row["last_error"]
    for _attempt in range(2):
        sender = Sender()
        outcome = run(location, send=sender)
        assert (outcome.action, sender.count) == (_journal.NEEDS_RESOLVE, 0)
    message = _journal.refusal_text(outcome.action, "c1/2026-01", outcome.entry)
    assert "UNCERTAIN" in message and "resolve=applied" in message and "resolve=not_applied" in message


def test_a_definite_refusal_removes_the_row_and_a_rerun_sends(location):
    outcome = run(location, send=Sender(Refused("HTTP 400")))
    assert outcome.error is not None and not outcome.changed
    assert entry(location) is None
    sender = Sender()
    assert run(location, send=sender).action == _journal.SEND
    assert sender.count == 1 and entry(location)["state"] == _journal.APPLIED


def test_an_interrupted_run_leaves_pending_which_blocks(location):
    store = _journal_store.open_journal(location)
    row = _journal._new_row(
        "c1/2026-01", ORG, canonical(), _journal.batch_hash(canonical()), "EXOkey", "2026-01-01T00:00:00Z"
    )
    assert store.insert_pending(row)
    store.close()
    sender = Sender()
    outcome = run(location, send=sender)
    assert (outcome.action, sender.count) == (_journal.NEEDS_RESOLVE, 0)
    assert "PENDING" in _journal.refusal_text(outcome.action, "c1/2026-01", outcome.entry)


def insert_pending(location, last_sent_at):
    store = _journal_store.open_journal(location)
    row = _journal._new_row("c1/2026-01", ORG, canonical(), _journal.batch_hash(canonical()), "EXOkey", last_sent_at)
    assert store.insert_pending(row)
    store.close()


def test_a_fresh_pending_row_is_not_taken_over_by_resolve_not_applied(location):
    insert_pending(location, _journal.iso(_journal.utc_now()))
    sender = Sender()
    outcome = run(location, send=sender, resolve=_journal.RESOLVE_NOT_APPLIED)
    assert (outcome.action, sender.count) == (_journal.IN_FLIGHT, 0)
    assert "another run may be sending it" in _journal.refusal_text(outcome.action, "c1/2026-01", outcome.entry)
    assert entry(location)["state"] == _journal.PENDING


def test_an_old_pending_row_is_resent_by_resolve_not_applied(location):
    insert_pending(location, "2026-01-01T00:00:00Z")
    sender = Sender()
    outcome = run(location, send=sender, resolve=_journal.RESOLVE_NOT_APPLIED)
    assert (outcome.action, sender.count) == (_journal.RESEND, 1)
    assert entry(location)["state"] == _journal.APPLIED


def test_resolve_applied_settles_a_pending_row_at_once(location):
    insert_pending(location, _journal.iso(_journal.utc_now()))
    sender = Sender()
    assert run(location, send=sender, resolve=_journal.RESOLVE_APPLIED).action == _journal.RECORD_APPLIED
    assert sender.count == 0 and entry(location)["state"] == _journal.APPLIED


def test_resolve_applied_records_without_sending(location):
    run(location, send=Sender(Lost("503")))
    sender = Sender()
    outcome = run(location, send=sender, resolve=_journal.RESOLVE_APPLIED)
    assert (outcome.action, outcome.changed, sender.count) == (_journal.RECORD_APPLIED, True, 0)
    assert entry(location)["state"] == _journal.APPLIED and entry(location)["applied_at"]
    assert run(location, send=sender).action == _journal.ALREADY_APPLIED and sender.count == 0


def test_resolve_not_applied_sends_once_more(location):
    run(location, send=Sender(Lost("503")))
    sender = Sender()
    outcome = run(location, send=sender, resolve=_journal.RESOLVE_NOT_APPLIED)
    assert (outcome.action, outcome.changed, sender.count) == (_journal.RESEND, True, 1)
    row = entry(location)
    assert row["state"] == _journal.APPLIED and row["attempts"] == 2 and row["last_error"] is None
    # running the resolve task again is harmless: applied now
    assert run(location, send=sender, resolve=_journal.RESOLVE_NOT_APPLIED).action == _journal.ALREADY_APPLIED
    assert sender.count == 1


def test_resolve_not_applied_that_is_uncertain_again_stays_uncertain(location):
    run(location, send=Sender(Lost("503")))
    outcome = run(location, send=Sender(Lost("timeout again")), resolve=_journal.RESOLVE_NOT_APPLIED)
    assert outcome.error is not None
    row = entry(location)
    assert row["state"] == _journal.UNCERTAIN and row["attempts"] == 2 and "timeout again" in row["last_error"]


def test_resolve_without_a_row_fails_and_sends_nothing(location):
    sender = Sender()
    for resolve in _journal.RESOLUTIONS:
        outcome = run(location, send=sender, resolve=resolve)
        assert outcome.action == _journal.NOTHING_TO_RESOLVE
    assert sender.count == 0 and entry(location) is None


def test_resolve_never_hides_a_conflict(location):
    run(location, send=Sender(Lost("503")))
    sender = Sender()
    assert run(location, send=sender, quantity="9", resolve=_journal.RESOLVE_NOT_APPLIED).action == _journal.CONFLICT
    assert sender.count == 0


def test_threads_racing_on_one_id_send_once(location):
    sender = Sender(hold=0.2)
    barrier = threading.Barrier(12)
    outcomes = []

    def worker():
        barrier.wait()
        outcomes.append(run(location, send=sender))

    threads = [threading.Thread(target=worker) for _thread in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sender.count == 1
    actions = sorted(outcome.action for outcome in outcomes)
    assert actions.count(_journal.SEND) == 1
    assert set(actions) <= {_journal.SEND, _journal.NEEDS_RESOLVE, _journal.ALREADY_APPLIED}


def test_threads_racing_to_resolve_send_once(location):
    run(location, send=Sender(Lost("503")))
    sender = Sender(hold=0.2)
    barrier = threading.Barrier(8)
    outcomes = []

    def worker():
        barrier.wait()
        outcomes.append(run(location, send=sender, resolve=_journal.RESOLVE_NOT_APPLIED))

    threads = [threading.Thread(target=worker) for _thread in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sender.count == 1
    actions = [o.action for o in outcomes]
    assert actions.count(_journal.RESEND) == 1
    assert set(actions) <= {_journal.RESEND, _journal.IN_FLIGHT, _journal.NEEDS_RESOLVE, _journal.ALREADY_APPLIED}


def test_one_store_shared_by_worker_threads(location):
    """The module's form: one store, one connection per thread, many ids."""
    store = _journal_store.open_journal(location)
    sender = Sender()
    try:
        threads = [
            threading.Thread(
                target=_journal.run_transaction,
                args=(store, "id-%d" % (n % 5), ORG, canonical(), "EXOkey", sender),
            )
            for n in range(20)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sender.count == 5
        assert len(store.entries()) == 5
    finally:
        store.close()


def _process_sender(location, counter, barrier, results):
    def send():
        with counter.get_lock():
            counter.value += 1
        time.sleep(0.3)

    barrier.wait()
    outcome = run(location, send=send)
    results.put(outcome.action)


def test_processes_racing_on_one_id_send_once(location):
    context = multiprocessing.get_context("spawn")
    counter = context.Value("i", 0)
    barrier = context.Barrier(6)
    results = context.Queue()
    processes = [
        context.Process(target=_process_sender, args=(location, counter, barrier, results)) for _process in range(6)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [process.exitcode for process in processes] == [0] * 6
    actions = [results.get(timeout=5) for _process in processes]
    assert counter.value == 1
    assert actions.count(_journal.SEND) == 1


def test_entries_filters(location):
    run(location, transaction_id="c1/2026-01")
    run(location, transaction_id="c1/2026-02", send=Sender(Lost("503")))
    run(location, transaction_id="c2/2026-01", org=OTHER_ORG)
    store = _journal_store.open_journal(location, read_only=True)
    try:

        def ids(**filters):
            return [e["transaction_id"] for e in store.entries(**filters)]

        assert ids() == ["c1/2026-01", "c1/2026-02", "c2/2026-01"]
        assert ids(states=["uncertain", "pending"]) == ["c1/2026-02"]
        assert ids(prefix="c1/") == ["c1/2026-01", "c1/2026-02"]
        assert ids(prefix="c1/%") == []  # no LIKE wildcards
        assert ids(transaction_id="c2/2026-01") == ["c2/2026-01"]
        assert ids(organization_id=OTHER_ORG) == ["c2/2026-01"]
        assert ids(since="2999-01-01T00:00:00Z") == []
        assert len(ids(since="2000-01-01T00:00:00Z")) == 3
    finally:
        store.close()


def test_read_only_open_creates_nothing(location):
    store = _journal_store.open_journal(location, read_only=True)
    try:
        assert store.get("x") is None and store.entries() == []
    finally:
        store.close()
    if not _journal_store.is_postgres(location):
        import os

        assert not os.path.exists(location)
    else:
        import psycopg

        with psycopg.connect(location) as connection:
            assert connection.execute("SELECT to_regclass('partner_metering_journal')").fetchone()[0] is None


def test_a_newer_schema_is_refused(location):
    run(location)
    if _journal_store.is_postgres(location):
        import psycopg

        with psycopg.connect(location, autocommit=True) as connection:
            connection.execute(
                "COMMENT ON TABLE partner_metering_journal IS 'exoscale.partner metering journal, schema 7'"
            )
    else:
        import sqlite3

        connection = sqlite3.connect(location)
        connection.execute("PRAGMA user_version = 7")
        connection.commit()
        connection.close()
    for read_only in (False, True):
        with pytest.raises(_journal.JournalError, match="schema version 7, newer"):
            _journal_store.open_journal(location, read_only=read_only)
