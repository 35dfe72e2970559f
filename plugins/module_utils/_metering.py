# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The metering rules: plan batches, preview or send them through the journal, report what happened.

Private to this collection: not a public API, may change in any release.
No Ansible import and no HTTP detail: the client's methods are called directly, the journal store
(_journal_store.py) is handed in. There is one path: partner_metering's single batch is a list of
one batch (`single=True` names its fields as the module's top-level options, and its result is the
module's `metering`, `transaction` and `journal_action`). Only the single form may omit the
transaction id: that batch is sent straight, without the journal, and every run bills again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections

from ansible_collections.exoscale.partner.plugins.module_utils import _client, _journal, _lifecycle, _parallel

# A batch's `status` in the batches form, and the keys of the summary.
STATUS_APPLIED = "applied"  # sent and applied by this run (in check mode: would be sent)
STATUS_ALREADY_APPLIED = "already_applied"
STATUS_FAILED = "failed"  # refused, conflicting, or the journal failed: not applied
STATUS_UNCERTAIN = "uncertain"  # may have been applied, needs resolve
STATUSES = (STATUS_APPLIED, STATUS_ALREADY_APPLIED, STATUS_FAILED, STATUS_UNCERTAIN)


class Batch(collections.namedtuple("Batch", "where transaction_id organization_id client_id usage resolve")):
    """One validated batch; `where` names it in messages ('' for the single form, else 'batches[3]')."""

    __slots__ = ()


class MeteringPlan(collections.namedtuple("MeteringPlan", "batches concurrency single")):
    """The validated batches of one task, how many are sent at a time, and whether it is the single form."""

    __slots__ = ()

    @property
    def uses_journal(self):
        return any(batch.transaction_id is not None for batch in self.batches)


class BatchResult(collections.namedtuple("BatchResult", "batch outcome problem crash", defaults=(None, None))):
    """What happened to one batch: the journal's TransactionOutcome and the failure text (None if it
    went well), or `crash`, the exception that stopped it (then `outcome` is None)."""

    __slots__ = ()

    @property
    def state(self):
        entry = self.outcome.entry if self.outcome is not None else None
        return entry["state"] if entry else None

    @property
    def changed(self):
        return self.outcome is not None and self.outcome.changed

    @property
    def status(self):
        if self.problem is None:
            return STATUS_ALREADY_APPLIED if self.outcome.action == _journal.ALREADY_APPLIED else STATUS_APPLIED
        if self.outcome is not None and self.outcome.action in _journal.FAILING_ACTIONS:
            return STATUS_UNCERTAIN if self.outcome.action == _journal.NEEDS_RESOLVE else STATUS_FAILED
        return STATUS_UNCERTAIN if self.state in _journal.UNSETTLED else STATUS_FAILED


def _field(where, name):
    return "%s.%s" % (where, name) if where else name


def _prefixed(where, text):
    return "%s: %s" % (where, text) if where else text


# -- planning: everything is checked before any API call ----------------------------------------


def plan(requested, concurrency=1, single=False):
    """The MeteringPlan of `requested` (dicts with the options of one batch); ValueError naming the bad field.

    Transaction ids first (valid, unique in the task), then for each batch exactly one of
    organization_id and client_id, the organization id and the entries.
    """
    if not single:
        _parallel.validate_concurrency(concurrency)
    wheres = [""] if single else ["batches[%d]" % index for index in range(len(requested))]
    transaction_ids = _checked_transaction_ids(wheres, requested)
    batches = [_checked_batch(*each) for each in zip(wheres, transaction_ids, requested)]
    return MeteringPlan(batches, concurrency if not single else 1, single)


def _checked_transaction_ids(wheres, requested):
    checked, seen = [], {}
    for where, batch in zip(wheres, requested):
        transaction_id = batch["transaction_id"]
        if transaction_id is not None:
            field = _field(where, "transaction_id")
            transaction_id = _journal.validate_transaction_id(transaction_id, field)
            if transaction_id in seen:
                raise ValueError(
                    "%s: %r is also the transaction id of %s; each batch needs its own."
                    % (field, transaction_id, seen[transaction_id])
                )
            seen[transaction_id] = where
        checked.append(transaction_id)
    return checked


def _checked_batch(where, transaction_id, batch):
    if (batch["organization_id"] is None) == (batch["client_id"] is None):
        raise ValueError(_prefixed(where, "exactly one of organization_id and client_id is required"))
    organization_id = batch["organization_id"]
    if organization_id is not None:
        organization_id = _client.validate_uuid(organization_id, _field(where, "organization_id"))
    try:
        usage = _client.validate_usage(batch["usage"])
    except ValueError as exc:
        raise ValueError(_field(where, str(exc))) from None
    return Batch(where, transaction_id, organization_id, batch["client_id"], usage, batch.get("resolve"))


def with_organizations(batches, store, client):
    """The batches with every client id resolved by ONE list call, made only when a batch needs it.

    A batch the journal records as applied for the same client id and entries takes its organization
    from the journal, so a rerun of applied batches makes no API call at all.
    """
    known = [_resolved(batch, lambda each: _journal_organization(each, store)) for batch in batches]
    if all(batch.organization_id is not None for batch in known):
        return known
    orgs = client.list_distributor_organizations()["organizations"]
    return [_resolved(batch, lambda each: _live_organization_id(orgs, each)) for batch in known]


def _resolved(batch, find_organization_id):
    return batch if batch.organization_id is not None else batch._replace(organization_id=find_organization_id(batch))


def _journal_organization(batch, store):
    """The organization of the journal's applied entry for this client id and entries, or None."""
    if batch.transaction_id is None:
        return None
    entry = store.get(batch.transaction_id)
    return entry["organization_id"] if _journal.applied_for_client_id(entry, batch.client_id, batch.usage) else None


def _live_organization_id(orgs, batch):
    try:
        return _lifecycle.live_organization_by_client_id(orgs, batch.client_id)["id"]
    except _lifecycle.LifecycleError as exc:
        raise _lifecycle.LifecycleError(_prefixed(batch.where, str(exc))) from None


# -- previewing and sending ---------------------------------------------------------------------


def meter(metering_plan, store, client, api_key=None, scrub=None, explain_error=str, check_mode=False):
    """Resolve the client ids, then preview (check mode) or send every batch; a BatchResult per batch, in order.

    `store` is the open journal (None when no batch has a transaction id); `explain_error(exc)` is the
    text of a client error. Every batch is attempted, `concurrency` at a time; none stops the others.
    """
    batches = with_organizations(metering_plan.batches, store, client)
    if check_mode:
        return [preview(batch, store) for batch in batches]

    def send_batch(batch):
        return send(batch, store, client, api_key, scrub, explain_error)

    attempts = _parallel.run_each(send_batch, batches, metering_plan.concurrency)
    return [attempt.value if attempt.ok else _crashed(attempt.item, attempt.error) for attempt in attempts]


def preview(batch, store):
    """Check mode: what sending would do, from the journal alone; nothing is sent or written."""
    if batch.transaction_id is None:
        return BatchResult(batch, _journal.TransactionOutcome(None, None, True))
    action, entry = _journal.preview_transaction(store, batch.transaction_id, _canonical(batch), batch.resolve)
    changed = action not in _journal.FAILING_ACTIONS and action != _journal.ALREADY_APPLIED
    outcome = _journal.TransactionOutcome(action, entry, changed)
    return BatchResult(batch, outcome, _problem(batch, outcome))


def send(batch, store, client, api_key, scrub=None, explain_error=str):
    """Send one batch (in a worker thread: never exits): through the journal protocol, or straight
    when it has no transaction id."""

    def post():
        client.metering_transaction(organization=batch.organization_id, usage=batch.usage)

    if batch.transaction_id is None:
        try:
            post()
            outcome = _journal.TransactionOutcome(None, None, True)
        except _client.ExoscaleAPIException as exc:
            outcome = _journal.TransactionOutcome(None, None, exc.maybe_processed, exc)
    else:
        outcome = _journal.run_transaction(
            store,
            batch.transaction_id,
            batch.organization_id,
            _canonical(batch),
            api_key,
            post,
            resolve=batch.resolve,
            scrub=scrub,
            client_id=batch.client_id,
        )
    return BatchResult(batch, outcome, _problem(batch, outcome, explain_error))


def _canonical(batch):
    return _journal.canonical_batch(batch.organization_id, batch.usage)


def _crashed(batch, error):
    if isinstance(error, _journal.JournalError):
        text = "Cannot use the metering journal: %s" % error
    else:
        text = "%s: %s" % (type(error).__name__, error)
    return BatchResult(batch, None, text, error)


def _problem(batch, outcome, explain_error=str):
    """The failure text of an outcome, or None when it went well."""
    if outcome.action in _journal.FAILING_ACTIONS:
        return _journal.refusal_text(outcome.action, batch.transaction_id, outcome.entry)
    if outcome.state_error is not None:
        sent = "was applied" if outcome.error is None else "may have been applied"
        return (
            "The batch %s, but the journal could not record it: %s. Transaction %r stays PENDING, so nothing "
            "will send it again; once the journal works, check the usage of organization %s and settle it with "
            "resolve." % (sent, outcome.state_error, batch.transaction_id, batch.organization_id)
        )
    if outcome.error is None:
        return None
    if isinstance(outcome.error, _client.ExoscaleAPIException):
        return sending_failure_text(explain_error(outcome.error), outcome.error.maybe_processed, batch)
    return "Sending transaction %r failed: %s. It is recorded as UNCERTAIN." % (batch.transaction_id, outcome.error)


def sending_failure_text(cause, maybe_processed, batch):
    """What to say about a failed POST (`cause`: the client error's text): whether it may have been
    applied, and what to do."""
    text = "Sending the metering batch failed: %s." % cause.rstrip(".")
    transaction_id, organization_id = batch.transaction_id, batch.organization_id
    if not maybe_processed:
        if transaction_id is None:
            return text + " The batch was not applied; it is safe to resubmit once the cause is fixed."
        return text + (
            " The batch was not applied; transaction %r was removed from the journal, so a rerun sends it once "
            "the cause is fixed." % transaction_id
        )
    if transaction_id is None:
        return text + (
            " The batch MAY HAVE BEEN APPLIED: check the usage of organization %s (for example with "
            "exoscale.partner.partner_org_info usage=true) before resubmitting, or it may be billed twice."
            % organization_id
        )
    return text + (
        " The batch MAY HAVE BEEN APPLIED: transaction %r is recorded as UNCERTAIN and will not be sent again. "
        "Check the usage of organization %s (exoscale.partner.partner_org_info usage=true), then rerun with "
        "resolve=applied if the batch is there or resolve=not_applied if it is not. See docs/docsite/rst/metering.rst."
        % (transaction_id, organization_id)
    )


# -- results ------------------------------------------------------------------------------------


def task_result(metering_plan, results):
    """The task's _lifecycle.TaskResult, in the form it was asked in."""
    return single_report(results[0]) if metering_plan.single else batches_report(results)


def single_report(result):
    """The single form: `metering`, and with a transaction id `transaction` and `journal_action`."""
    if result.crash is not None:
        if isinstance(result.crash, _journal.JournalError):
            return _lifecycle.TaskResult({}, failure="The metering journal failed: %s" % result.crash)
        return _lifecycle.TaskResult({}, failure=result.problem)
    batch, outcome = result.batch, result.outcome
    values = dict(metering=metering_result(batch))
    if batch.transaction_id is not None:
        values.update(
            transaction=_journal.transaction_summary(batch.transaction_id, outcome.entry),
            journal_action=outcome.action,
        )
    if result.problem is None:
        return _lifecycle.TaskResult(values, changed=outcome.changed)
    error = outcome.error
    if isinstance(error, _client.ExoscaleAPIException):
        values.update(maybe_processed=error.maybe_processed, status=error.status, api_message=error.api_message)
    return _lifecycle.TaskResult(values, failure=result.problem)


def metering_result(batch):
    """The batch as returned to the user: quantities as strings of the exact decimal sent."""
    return dict(
        organization_id=batch.organization_id,
        usage=[
            dict(product=entry["product"], variable=entry["variable"], quantity=format(entry["quantity"], "f"))
            for entry in batch.usage
        ],
    )


def batches_report(results):
    """The batches form: one `batches` entry per batch and the `summary`; fails if any batch has a problem."""
    rows = [batch_row(result) for result in results]
    summary = dict.fromkeys(STATUSES, 0)
    for row in rows:
        summary[row["status"]] += 1
    changed = any(row["changed"] for row in rows)
    failed = [row for row in rows if row["error"]]
    if not failed:
        return _lifecycle.TaskResult(dict(batches=rows, summary=summary), changed=changed)
    return _lifecycle.TaskResult(
        dict(changed=changed, batches=rows, summary=summary),  # a failed task still says what it changed
        failure="%d of %d metering batches failed or are uncertain (%s); the others were handled. First problem: %s"
        % (len(failed), len(rows), ", ".join(repr(row["transaction_id"]) for row in failed[:10]), failed[0]["error"]),
    )


def batch_row(result):
    return dict(
        transaction_id=result.batch.transaction_id,
        organization_id=result.batch.organization_id,
        state=result.state,
        changed=result.changed,
        error=result.problem,
        status=result.status,
    )
