# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""partner_metering with transaction_id, resolve and batches, on a SQLite journal (the protocol itself
is tested on both backends in tests/journal)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sqlite3
import sys

import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import _base, _client
from ansible_collections.exoscale.partner.plugins.modules.partner_metering import main
from ansible_collections.exoscale.partner.tests.unit.plugins.modules.conftest import CREDENTIALS, api_error, make_org
from ansible_collections.exoscale.partner.tests.unit.plugins.modules.test_partner_metering import (
    MeteringFakeClient,
    entry,
    operations,
)

ORG_A = "11111111-1111-4111-8111-111111111111"
ORG_B = "22222222-2222-4222-8222-222222222222"
TX = "customer-1/2026-01"


@pytest.fixture
def fake_client(monkeypatch):
    client = MeteringFakeClient(orgs=[make_org(id=ORG_A, client_id="c1"), make_org(id=ORG_B, client_id="c2")])
    monkeypatch.setattr(_base, "build_client", lambda params: client)
    return client


@pytest.fixture
def journal(tmp_path, monkeypatch):
    monkeypatch.delenv("EXOSCALE_PARTNER_JOURNAL", raising=False)
    return str(tmp_path / "journal.sqlite3")


def meter(run_module, journal, check_mode=False, **args):
    """One module run on this journal; a single batch (ORG_A, TX, one entry) unless batches are given."""
    if "batches" not in args:
        defaults = dict(usage=[entry(1)], transaction_id=TX)
        if "client_id" not in args:
            defaults["organization_id"] = ORG_A
        args = dict(defaults, **args)
    return run_module(main, dict(args, journal=journal), check_mode=check_mode)


def rows(journal):
    connection = sqlite3.connect(journal)
    try:
        return connection.execute("SELECT transaction_id, state FROM partner_metering_journal ORDER BY 1").fetchall()
    finally:
        connection.close()


def test_sent_once_then_not_changed_without_any_call(run_module, fake_client, journal):
    first = meter(run_module, journal)
    assert first["failed"] is False and first["changed"] is True
    assert first["journal_action"] == "send"
    assert first["transaction"]["state"] == "applied" and first["transaction"]["id"] == TX
    assert first["transaction"]["organization_id"] == ORG_A
    assert first["transaction"]["first_sent_at"].endswith("Z") and first["transaction"]["applied_at"].endswith("Z")
    calls = len(fake_client.calls)
    second = meter(run_module, journal)
    assert second["changed"] is False and second["journal_action"] == "already_applied"
    assert second["transaction"] == first["transaction"]
    assert len(fake_client.calls) == calls
    assert operations(fake_client) == ["metering_transaction"]


def test_client_id_rerun_makes_no_call_at_all(run_module, fake_client, journal):
    meter(run_module, journal, client_id="c1")
    assert operations(fake_client) == ["list_distributor_organizations", "metering_transaction"]
    again = meter(run_module, journal, client_id="c1")
    assert again["changed"] is False and again["metering"]["organization_id"] == ORG_A
    assert operations(fake_client) == ["list_distributor_organizations", "metering_transaction"]


def test_same_id_other_batch_fails_before_any_call(run_module, fake_client, journal):
    meter(run_module, journal)
    result = meter(run_module, journal, usage=[entry(2)])
    assert result["failed"] is True and "already used for another batch" in result["msg"]
    assert operations(fake_client) == ["metering_transaction"]


def test_uncertain_then_blocked_then_resolved_applied(run_module, fake_client, journal):
    fake_client.errors["metering_transaction"] = api_error(
        _client.ExoscaleAPIServerException, 503, "unavailable", maybe_processed=True
    )
    result = meter(run_module, journal)
    assert result["failed"] is True and result["maybe_processed"] is True
    assert "UNCERTAIN" in result["msg"] and "resolve=applied" in result["msg"]
    assert result["transaction"]["state"] == "uncertain"
    blocked = meter(run_module, journal)
    assert blocked["failed"] is True and "UNCERTAIN" in blocked["msg"] and TX in blocked["msg"]
    assert blocked["journal_action"] == "needs_resolve"
    resolved = meter(run_module, journal, resolve="applied")
    assert resolved["changed"] is True and resolved["journal_action"] == "record_applied"
    assert resolved["transaction"]["state"] == "applied"
    assert operations(fake_client) == ["metering_transaction"]


def test_resolve_not_applied_sends_once(run_module, fake_client, journal):
    fake_client.errors["metering_transaction"] = api_error(
        _client.ExoscaleAPITransportException, None, "read timed out", maybe_processed=True
    )
    meter(run_module, journal)
    resolved = meter(run_module, journal, resolve="not_applied")
    assert resolved["changed"] is True and resolved["journal_action"] == "resend"
    assert meter(run_module, journal, resolve="not_applied")["changed"] is False
    assert operations(fake_client) == ["metering_transaction", "metering_transaction"]


def test_definite_refusal_removes_the_entry(run_module, fake_client, journal):
    fake_client.errors["metering_transaction"] = api_error(_client.ExoscaleAPIClientException, 400, "bad product")
    result = meter(run_module, journal)
    assert result["failed"] is True and result["maybe_processed"] is False
    assert "removed from the journal" in result["msg"]
    assert rows(journal) == []
    assert meter(run_module, journal)["changed"] is True
    assert rows(journal) == [(TX, "applied")]


def test_resolve_without_entry_fails_without_call(run_module, fake_client, journal):
    result = meter(run_module, journal, resolve="applied")
    assert result["failed"] is True and "no entry" in result["msg"]
    assert fake_client.calls == []


def test_resolve_needs_transaction_id(run_module, fake_client, journal):
    result = run_module(main, dict(organization_id=ORG_A, usage=[entry(1)], resolve="applied", journal=journal))
    assert result["failed"] is True and "transaction_id" in result["msg"]


@pytest.mark.parametrize("bad", ["", "   ", "x" * 256])
def test_bad_transaction_id(run_module, fake_client, journal, bad):
    result = meter(run_module, journal, transaction_id=bad)
    assert result["failed"] is True and "transaction_id" in result["msg"]
    assert fake_client.calls == [] and not os.path.exists(journal)


def test_check_mode_reads_and_creates_nothing(run_module, fake_client, journal):
    preview = meter(run_module, journal, check_mode=True)
    assert preview["changed"] is True and preview["journal_action"] == "send"
    assert preview["transaction"]["state"] is None
    assert not os.path.exists(journal) and fake_client.calls == []
    meter(run_module, journal)
    preview = meter(run_module, journal, check_mode=True)
    assert preview["changed"] is False and preview["journal_action"] == "already_applied"
    conflict = meter(run_module, journal, check_mode=True, usage=[entry(3)])
    assert conflict["failed"] is True and "another batch" in conflict["msg"]


def test_without_transaction_id_no_journal_is_touched(run_module, fake_client, journal, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    result = run_module(main, dict(organization_id=ORG_A, usage=[entry(1)]))
    assert result["changed"] is True and "transaction" not in result
    assert not (tmp_path / ".ansible").exists()


def test_default_journal_in_home(run_module, fake_client, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("EXOSCALE_PARTNER_JOURNAL", raising=False)
    run_module(main, dict(organization_id=ORG_A, usage=[entry(1)], transaction_id=TX))
    assert rows(str(tmp_path / ".ansible" / "exoscale.partner" / "metering.sqlite3")) == [(TX, "applied")]


def test_journal_from_the_environment(run_module, fake_client, journal, monkeypatch):
    monkeypatch.setenv("EXOSCALE_PARTNER_JOURNAL", journal)
    run_module(main, dict(organization_id=ORG_A, usage=[entry(1)], transaction_id=TX))
    assert rows(journal) == [(TX, "applied")]


def test_the_secret_is_never_in_the_journal(run_module, fake_client, journal):
    fake_client.errors["metering_transaction"] = api_error(
        _client.ExoscaleAPIServerException, 503, "boom %s" % CREDENTIALS["api_secret"], maybe_processed=True
    )
    result = meter(run_module, journal)
    with open(journal, "rb") as handle:
        content = handle.read()
    for suffix in ("-wal",):
        if os.path.exists(journal + suffix):
            with open(journal + suffix, "rb") as handle:
                content += handle.read()
    assert CREDENTIALS["api_secret"].encode() not in content
    assert CREDENTIALS["api_key"].encode() in content  # "who" is the key name
    assert result["transaction"]["state"] == "uncertain"


@pytest.mark.parametrize(
    "setup, match",
    [
        ("missing-folder", "does not exist"),
        ("under-a-file", "is not a folder"),
        ("corrupt", "not a SQLite database"),
        ("newer", "newer than this collection"),
    ],
)
def test_unusable_journal_fails_before_any_call(run_module, fake_client, tmp_path, setup, match):
    path = tmp_path / "journal.sqlite3"
    if setup == "missing-folder":
        path = tmp_path / "absent" / "journal.sqlite3"
    elif setup == "under-a-file":
        (tmp_path / "file").write_text("x")
        path = tmp_path / "file" / "journal.sqlite3"
    elif setup == "corrupt":
        path.write_bytes(b"garbage" * 1000)
    else:
        connection = sqlite3.connect(str(path))
        connection.execute("PRAGMA user_version = 9")
        connection.commit()
        connection.close()
    for check_mode in (True, False):
        result = run_module(
            main, dict(client_id="c1", usage=[entry(1)], transaction_id=TX, journal=str(path)), check_mode=check_mode
        )
        assert result["failed"] is True and match in result["msg"], result["msg"]
        assert fake_client.calls == []


def test_postgresql_journal_without_psycopg(run_module, fake_client, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    result = run_module(
        main,
        dict(organization_id=ORG_A, usage=[entry(1)], transaction_id=TX, journal="postgresql://u:pw-x@127.0.0.1:1/db"),
    )
    assert result["failed"] is True and "psycopg" in result["msg"]
    assert fake_client.calls == []


# -- batches ------------------------------------------------------------------------------------


def batch(n, org=None, client_id=None, quantity=1):
    result = dict(transaction_id="tx-%d" % n, usage=[entry(quantity)])
    if client_id:
        result["client_id"] = client_id
    else:
        result["organization_id"] = org or ORG_A
    return result


def test_batches_one_list_call_all_sent_then_nothing(run_module, fake_client, journal):
    batches = [batch(1, client_id="c1"), batch(2, client_id="c2"), batch(3, org=ORG_B)]
    result = meter(run_module, journal, batches=batches)
    assert result["failed"] is False and result["changed"] is True
    assert result["summary"] == dict(applied=3, already_applied=0, failed=0, uncertain=0)
    assert [b["organization_id"] for b in result["batches"]] == [ORG_A, ORG_B, ORG_B]
    assert operations(fake_client).count("list_distributor_organizations") == 1
    assert operations(fake_client).count("metering_transaction") == 3
    again = meter(run_module, journal, batches=batches)
    assert again["changed"] is False
    assert again["summary"] == dict(applied=0, already_applied=3, failed=0, uncertain=0)
    assert len(fake_client.calls) == 4  # no list call: every batch was known as applied


def test_batches_duplicate_ids_fail_first(run_module, fake_client, journal):
    result = meter(run_module, journal, batches=[batch(1), batch(2, quantity="x"), batch(1)])
    assert result["failed"] is True and "batches[2].transaction_id" in result["msg"]
    assert fake_client.calls == [] and not os.path.exists(journal)


def test_batches_bad_entry_fails_before_anything(run_module, fake_client, journal):
    result = meter(run_module, journal, batches=[batch(1), batch(2, quantity="1.000001")])
    assert result["failed"] is True and "batches[1].usage[0].quantity" in result["msg"]
    assert fake_client.calls == []


def test_batches_unknown_client_id_fails_before_sending(run_module, fake_client, journal):
    result = meter(run_module, journal, batches=[batch(1), batch(2, client_id="nobody")])
    assert result["failed"] is True and "batches[1]" in result["msg"] and "'nobody'" in result["msg"]
    assert operations(fake_client) == ["list_distributor_organizations"]


def test_batches_with_single_batch_options_are_refused(run_module, fake_client, journal):
    result = run_module(main, dict(batches=[batch(1)], organization_id=ORG_A, journal=journal))
    assert result["failed"] is True and "mutually exclusive" in result["msg"]


def test_batches_partial_failure_then_rerun_sends_only_the_rest(run_module, fake_client, journal):
    original = fake_client.metering_transaction

    def failing(organization, usage):
        if organization == ORG_B:
            raise api_error(_client.ExoscaleAPIClientException, 409, "terminated")
        return original(organization=organization, usage=usage)

    fake_client.metering_transaction = failing
    batches = [batch(n, org=ORG_B if n == 3 else ORG_A) for n in range(6)]
    result = meter(run_module, journal, batches=batches, concurrency=3)
    assert result["failed"] is True and "tx-3" in result["msg"]
    assert result["summary"] == dict(applied=5, already_applied=0, failed=1, uncertain=0)
    assert result["batches"][3]["status"] == "failed" and result["batches"][3]["state"] is None
    assert len(fake_client.bodies) == 5
    fake_client.metering_transaction = original
    again = meter(run_module, journal, batches=batches)
    assert again["failed"] is False
    assert again["summary"] == dict(applied=1, already_applied=5, failed=0, uncertain=0)
    assert len(fake_client.bodies) == 6


def test_batches_uncertain_is_counted_and_fails_the_task(run_module, fake_client, journal):
    fake_client.errors["metering_transaction"] = api_error(
        _client.ExoscaleAPIServerException, 502, "bad gateway", maybe_processed=True
    )
    result = meter(run_module, journal, batches=[batch(1)], concurrency=1)
    assert result["failed"] is True
    assert result["summary"]["uncertain"] == 1 and result["batches"][0]["state"] == "uncertain"
    again = meter(run_module, journal, batches=[batch(1)])
    assert again["failed"] is True and again["summary"]["uncertain"] == 1
    assert operations(fake_client) == ["metering_transaction"]


def test_batches_check_mode(run_module, fake_client, journal):
    meter(run_module, journal, batches=[batch(1)])
    calls = len(fake_client.calls)
    preview = meter(run_module, journal, check_mode=True, batches=[batch(1), batch(2)])
    assert preview["changed"] is True
    assert preview["summary"] == dict(applied=1, already_applied=1, failed=0, uncertain=0)
    assert len(fake_client.calls) == calls
    assert rows(journal) == [("tx-1", "applied")]
    assert json.dumps(preview).count(CREDENTIALS["api_secret"]) == 0


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_journal_is_the_default_journal(run_module, fake_client, tmp_path, monkeypatch, blank):
    """AWX injects EXOSCALE_PARTNER_JOURNAL="" when its credential's journal field is left empty."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("EXOSCALE_PARTNER_JOURNAL", blank)
    result = run_module(main, dict(organization_id=ORG_A, usage=[entry(1)], transaction_id=TX))
    assert result["failed"] is False and result["journal_action"] == "send", result
    assert rows(str(tmp_path / ".ansible" / "exoscale.partner" / "metering.sqlite3")) == [(TX, "applied")]
    assert (
        run_module(main, dict(organization_id=ORG_A, usage=[entry(1)], transaction_id=TX, journal=blank))[
            "journal_action"
        ]
        == "already_applied"
    )
