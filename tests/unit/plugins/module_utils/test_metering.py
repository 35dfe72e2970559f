# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The metering rules without Ansible: planning, the one list call, previews and sends agreeing, the reports."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import decimal

import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import (
    _client,
    _journal,
    _journal_store,
    _lifecycle,
    _metering,
)

ORG_A = "11111111-1111-4111-8111-111111111111"
ORG_B = "22222222-2222-4222-8222-222222222222"
USAGE = [dict(product="partner", variable="license_product", quantity="1.50")]


def requested(transaction_id="tx-1", organization_id=None, client_id=None, usage=None, resolve=None):
    return dict(
        transaction_id=transaction_id,
        organization_id=organization_id,
        client_id=client_id,
        usage=USAGE if usage is None else usage,
        resolve=resolve,
    )


class Client:
    """Counts the calls the rules make; `failure` is raised by the next metering_transaction."""

    def __init__(self, orgs=()):
        self.orgs = [
            dict(id=org_id, status=status, name="n", client_id=client_id) for org_id, status, client_id in orgs
        ]
        self.calls = []
        self.failure = None

    def list_distributor_organizations(self):
        self.calls.append("list")
        return {"organizations": [dict(org) for org in self.orgs]}

    def metering_transaction(self, organization, usage):
        self.calls.append(("metering", organization))
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure


@pytest.fixture
def store(tmp_path):
    opened = _journal_store.open_journal(str(tmp_path / "journal.sqlite3"))
    yield opened
    opened.close()


def test_the_single_form_names_the_top_level_options():
    with pytest.raises(ValueError, match=r"^usage\[0\]\.quantity: at most 5 decimal"):
        _metering.plan([requested(organization_id=ORG_A, usage=[dict(USAGE[0], quantity="1.000001")])], single=True)
    with pytest.raises(ValueError, match=r"^organization_id: expected a UUID"):
        _metering.plan([requested(organization_id="org-1")], single=True)


def test_batches_are_named_by_their_index_and_duplicate_ids_come_first():
    batches = [requested("a", ORG_A), requested("b", ORG_A, usage=[]), requested("a", ORG_B)]
    with pytest.raises(
        ValueError, match=r"^batches\[2\]\.transaction_id: 'a' is also the transaction id of batches\[0\]"
    ):
        _metering.plan(batches, concurrency=2)
    with pytest.raises(ValueError, match=r"^batches\[1\]\.usage: must contain at least one entry"):
        _metering.plan(batches[:2], concurrency=2)
    with pytest.raises(ValueError, match=r"^batches\[0\]: exactly one of organization_id and client_id"):
        _metering.plan([requested("a", ORG_A, client_id="c1")], concurrency=2)
    with pytest.raises(ValueError, match=r"^concurrency: expected a whole number from 1 to 32, got 0"):
        _metering.plan(batches[:1], concurrency=0)


def test_a_plan_holds_named_records_with_canonical_values():
    plan = _metering.plan([requested("a", ORG_A.upper()), requested(None, client_id="c1")], concurrency=3)
    first, second = plan.batches
    assert (first.where, first.transaction_id, first.organization_id) == ("batches[0]", "a", ORG_A)
    assert first.usage[0]["quantity"] == decimal.Decimal("1.50")
    assert (second.client_id, second.organization_id, second.transaction_id) == ("c1", None, None)
    assert plan.concurrency == 3 and plan.uses_journal and not plan.single


def test_client_ids_are_resolved_with_one_list_call_and_only_when_needed(store):
    client = Client([(ORG_A, "terminated", "c1"), (ORG_B, "active", "c1"), (ORG_A[:-1] + "2", "active", "c2")])
    plan = _metering.plan([requested("a", client_id="c1"), requested("b", client_id="c2"), requested("c", ORG_A)], 4)
    resolved = _metering.with_organizations(plan.batches, store, client)
    assert [batch.organization_id for batch in resolved] == [ORG_B, ORG_A[:-1] + "2", ORG_A]
    assert client.calls == ["list"]
    assert _metering.with_organizations(plan.batches[2:], store, client)[0].organization_id == ORG_A
    assert client.calls == ["list"]  # no batch needed a lookup


def test_an_applied_batch_given_by_client_id_needs_no_lookup(store):
    client = Client([(ORG_B, "active", "c1")])
    plan = _metering.plan([requested("a", client_id="c1")], single=True)
    results = _metering.meter(plan, store, client, api_key="EXOkey")
    assert _metering.task_result(plan, results).values["journal_action"] == _journal.SEND
    client.orgs = []  # the lookup would now fail: the journal answers instead
    again = _metering.meter(plan, store, client, api_key="EXOkey")
    task = _metering.task_result(plan, again)
    assert task.failure is None and task.changed is False and task.values["metering"]["organization_id"] == ORG_B
    assert client.calls == ["list", ("metering", ORG_B)]


@pytest.mark.parametrize(
    "orgs, where, match",
    [
        ([], "", r"^client_id 'c1': no organization that is not terminated"),
        ([(ORG_A, "active", "c1"), (ORG_B, "suspended", "c1")], "", r"^client_id 'c1' matches 2 organizations"),
        ([], "batches[0]: ", r"^batches\[0\]: client_id 'c1': no organization"),
    ],
)
def test_an_unresolved_client_id_is_a_plain_refusal_naming_the_batch(store, orgs, where, match):
    single = not where
    plan = _metering.plan([requested("a", client_id="c1")], 1, single=single)
    with pytest.raises(_lifecycle.LifecycleError, match=match) as caught:
        _metering.with_organizations(plan.batches, store, Client(orgs))
    assert not hasattr(caught.value, "ids")  # the module's result gains no organization_ids key


def test_check_mode_and_a_real_run_agree_on_a_conflict_with_an_uncertain_entry(store):
    client = Client()
    client.failure = _client.ExoscaleAPIServerException("HTTP 503", status=503, maybe_processed=True)
    first = _metering.plan([requested("a", ORG_A)], 1)
    assert _metering.meter(first, store, client)[0].status == _metering.STATUS_UNCERTAIN
    other = _metering.plan([requested("a", ORG_B)], 1)
    previewed = _metering.meter(other, store, client, check_mode=True)[0]
    sent = _metering.meter(other, store, client)[0]
    assert previewed.status == sent.status == _metering.STATUS_FAILED  # conflicting, as the summary documents
    assert previewed.outcome.action == sent.outcome.action == _journal.CONFLICT
    assert client.calls == [("metering", ORG_A)]


def test_the_batches_report_counts_and_names_the_failed_ones(store):
    client = Client()
    plan = _metering.plan([requested("a", ORG_A), requested("b", ORG_B)], 2)
    client.failure = _client.ExoscaleAPIClientException("HTTP 400: bad product", status=400, api_message="bad product")
    task = _metering.task_result(plan, _metering.meter(plan, store, client))
    assert task.values["summary"] == dict(applied=1, already_applied=0, failed=1, uncertain=0)
    assert task.values["changed"] is True  # a failed task's values say what it changed
    failed = [row for row in task.values["batches"] if row["error"]]
    assert len(failed) == 1 and "was removed from the journal" in failed[0]["error"]
    assert task.failure.startswith("1 of 2 metering batches failed or are uncertain (%r)" % failed[0]["transaction_id"])


class BrokenStore:
    """A journal that fails on every read, as a full disk or a lost database connection does."""

    def get(self, transaction_id):
        raise _journal.JournalError("journal x: disk full, cannot read %s" % transaction_id)


def test_a_journal_failing_during_a_send_is_reported_as_such():
    client = Client()
    single = _metering.plan([requested("a", ORG_A)], single=True)
    task = _metering.task_result(single, _metering.meter(single, BrokenStore(), client))
    assert (task.failure, task.values) == ("The metering journal failed: journal x: disk full, cannot read a", {})
    batches = _metering.plan([requested("a", ORG_A)], 1)
    values = _metering.task_result(batches, _metering.meter(batches, BrokenStore(), client)).values
    assert values["batches"][0]["error"] == "Cannot use the metering journal: journal x: disk full, cannot read a"
    assert values["summary"]["failed"] == 1 and client.calls == []


def test_without_transaction_id_the_single_batch_is_sent_straight():
    client = Client()
    client.failure = _client.ExoscaleAPITransportException("read timed out", maybe_processed=True)
    plan = _metering.plan([requested(None, ORG_A)], single=True)
    assert not plan.uses_journal
    task = _metering.task_result(plan, _metering.meter(plan, None, client))
    values = task.values
    assert "MAY HAVE BEEN APPLIED" in task.failure and "transaction" not in values
    assert values["maybe_processed"] is True and values["metering"]["usage"][0]["quantity"] == "1.50"
    assert client.calls == [("metering", ORG_A)]
