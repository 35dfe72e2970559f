#!/usr/bin/python
# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: partner_metering
short_description: Push billable usage for Exoscale distributor organizations, at most once per transaction ID
version_added: 0.1.0
description:
  - Sends metering batches (lists of product, variable and quantity entries) for sub-organizations through
    the Partner API C(metering:apply) operation. The API has no idempotency key, so every call it accepts
    bills again.
  - B(With O(transaction_id), a batch is sent at most once per transaction ID, ever.) The module records
    every transaction in a journal (O(journal), a SQLite file or a PostgreSQL database shared by several
    controllers) B(before) it sends, so a rerun, an AWX relaunch or a second controller never bills the
    same batch twice. A rerun of an applied transaction reports no change and makes no API call.
  - A transaction whose outcome is unknown (timeout, dropped connection, 5xx, the run was killed) is
    recorded as C(uncertain) (or stays C(pending)) and is B(never resent automatically). Every later run
    fails for it, naming it, until a person checks the organization's usage and reruns with
    O(resolve=applied) or O(resolve=not_applied). The incident runbook is in
    U(https://github.com/exoscale/ansible-collection-partner/blob/main/docs/metering.md).
  - O(batches) sends many batches (a month's billing for hundreds of customers) in one task, with bounded
    concurrency, each through the same journal protocol.
  - B(Without O(transaction_id) every run bills again)
    and the module always reports a change.
  - A batch is never retried once it may have reached the server; it is retried only when the server
    provably did not process it (HTTP 429, or a connection that never opened).
  - All entries of all batches are checked before any API call; the module names the first bad entry, for
    example C(usage[2].quantity) or C(batches[3].usage[0].quantity).
author:
  - Exoscale (@exoscale)
extends_documentation_fragment:
  - exoscale.partner.api
  - exoscale.partner.journal
attributes:
  check_mode:
    support: full
    description:
      - Checks the entries, resolves client IDs (one list call), reads the journal and says what would
        happen (RV(journal_action)); sends nothing and writes nothing (a SQLite journal file is not even
        created).
  diff_mode:
    support: none
    description: Metering appends to the bill; there is no state to compare.
options:
  organization_id:
    description:
      - UUID of the organization to bill.
      - Exactly one of O(organization_id), O(client_id) and O(batches) is required.
    type: str
  client_id:
    description:
      - Client ID (your own reference) of the organization to bill.
      - Resolved with one list call. Exactly one organization that is not V(terminated) must have
        this client ID, otherwise the module fails and lists the organizations that matched.
      - Exactly one of O(organization_id), O(client_id) and O(batches) is required.
    type: str
  usage:
    description:
      - The entries of the batch, at least one. Required unless O(batches) is used.
    type: list
    elements: dict
    suboptions:
      product:
        description: Name of the product, for example V(partner).
        type: str
        required: true
      variable:
        description: Variable of the product, for example V(license_product).
        type: str
        required: true
      quantity:
        description:
          - Quantity to bill, in the unit of the product. May be negative and may have up to five
            decimal places.
          - A number or a numeric string. Booleans, V(NaN), infinities and more than five decimals are
            rejected.
          - To be sure of the exact decimal sent, quote it (V("0.30000")). Unquoted YAML decimals are
            floats; they are sent as their shortest exact decimal form (V(0.3), never
            V(0.30000000000000004)).
        type: raw
        required: true
  transaction_id:
    description:
      - Your own key for this batch, at most 255 characters, for example
        V({{ client_id }}/{{ period }}/licences). The batch is sent at most once per transaction ID, ever.
      - The same ID with a different batch (another organization, other entries or quantities) fails before
        any API call. Quantities are compared as numbers (V(1.50) equals V(1.5)).
      - Without it no journal is used and every run bills again.
    type: str
  resolve:
    description:
      - Settles a transaction that is C(uncertain) or C(pending), after you checked the organization's usage
        (M(exoscale.partner.partner_org_info) with O(exoscale.partner.partner_org_info#module:usage=true)).
      - V(applied) records it as applied and sends nothing.
      - V(not_applied) sends it now, once, through the same protocol. A C(pending) transaction younger than
        15 minutes may still be in flight in another run and is not taken over.
      - Fails when the journal has no entry for the transaction. For an applied transaction it changes nothing.
      - Requires O(transaction_id).
    type: str
    choices: [applied, not_applied]
  batches:
    description:
      - Many batches in one task, instead of O(organization_id), O(client_id), O(usage) and O(transaction_id).
      - All batches are checked, duplicate transaction IDs refused and all client IDs resolved (one list call)
        before anything is sent. Then every batch is attempted, O(concurrency) at a time, each through the
        journal protocol. The task fails at the end if any batch failed or is uncertain, and returns
        RV(batches) and RV(summary) either way. A rerun sends only what was not applied.
      - To settle uncertain batches after an incident, use a task with O(transaction_id) and O(resolve) per
        transaction (M(exoscale.partner.partner_metering_info) lists them).
    type: list
    elements: dict
    suboptions:
      transaction_id:
        description: The transaction ID of this batch, unique in the list. See O(transaction_id).
        type: str
        required: true
      organization_id:
        description: UUID of the organization. Exactly one of O(batches[].organization_id) and O(batches[].client_id).
        type: str
      client_id:
        description: Client ID of the organization, resolved as O(client_id).
        type: str
      usage:
        description: The entries of this batch, as O(usage).
        type: list
        elements: dict
        required: true
        suboptions:
          product:
            description: Name of the product.
            type: str
            required: true
          variable:
            description: Variable of the product.
            type: str
            required: true
          quantity:
            description: Quantity to bill, as O(usage[].quantity).
            type: raw
            required: true
  concurrency:
    description:
      - How many batches of O(batches) are sent at the same time, from 1 to 32.
    type: int
    default: 4
seealso:
  - module: exoscale.partner.partner_metering_info
    description: List the journal, for example the transactions that need O(resolve).
  - module: exoscale.partner.partner_org_info
    description: Check what was billed (O(exoscale.partner.partner_org_info#module:usage=true)).
"""

EXAMPLES = r"""
- name: Bill the licences of January once, whatever happens to this playbook
  exoscale.partner.partner_metering:
    client_id: customer-1234
    transaction_id: customer-1234/2026-01/licences
    usage:
      - product: partner
        variable: license_product
        quantity: 12

- name: Monthly billing, one batch per customer, in one task (a rerun after a failure sends only what is missing)
  hosts: localhost
  gather_facts: false
  vars:
    period: "2026-01"
    customers:  # for example from your CRM
      - {client_id: customer-1234, licences: 12}
      - {client_id: customer-5678, licences: 3}
  tasks:
    - name: One batch per customer, the transaction ID names customer and month
      ansible.builtin.set_fact:
        billing_batches: "{{ billing_batches | default([]) + [batch] }}"
      vars:
        batch:
          transaction_id: "{{ item.client_id }}/{{ period }}"
          client_id: "{{ item.client_id }}"
          usage:
            - {product: partner, variable: license_product, quantity: "{{ item.licences }}"}
      loop: "{{ customers }}"

    - name: Bill the month
      exoscale.partner.partner_metering:
        journal: postgresql://billing@db.example.com/billing
        batches: "{{ billing_batches }}"
        concurrency: 8
      register: billing

    - name: Show what happened
      ansible.builtin.debug:
        var: billing.summary

- name: After an incident, the batch is in the usage (checked with partner_org_info usage=true)
  exoscale.partner.partner_metering:
    client_id: customer-1234
    transaction_id: customer-1234/2026-01/licences
    resolve: applied
    usage:
      - product: partner
        variable: license_product
        quantity: 12

- name: Preview the batch without sending it or writing the journal
  exoscale.partner.partner_metering:
    organization_id: bf9bbc88-71ea-407c-9920-fc1101d86183
    transaction_id: bf9bbc88/2026-01
    usage:
      - product: partner
        variable: license_product
        quantity: "3.1415"
  check_mode: true
  register: preview

- name: No transaction ID, no journal - every run of this task bills again
  exoscale.partner.partner_metering:
    organization_id: bf9bbc88-71ea-407c-9920-fc1101d86183
    usage:
      - product: partner
        variable: commission
        quantity: "-42.00005"
"""

RETURN = r"""
metering:
  description:
    - The batch that was sent (or, in check mode, on failure or when already applied, the batch of the
      task).
    - Also returned when the module fails after the batch was built, with RV(maybe_processed).
  returned: when the entries are valid and the organization is resolved, without O(batches)
  type: dict
  contains:
    organization_id:
      description: UUID of the billed organization.
      type: str
      returned: always
      sample: bf9bbc88-71ea-407c-9920-fc1101d86183
    usage:
      description: The entries, in the order given.
      type: list
      elements: dict
      returned: always
      contains:
        product:
          description: Name of the product.
          type: str
          returned: always
          sample: partner
        variable:
          description: Variable of the product.
          type: str
          returned: always
          sample: license_product
        quantity:
          description:
            - The quantity as a B(string) holding the exact decimal number written in the request
              body, in plain notation, so no precision is lost.
            - For example V(0.3) for the YAML float V(0.3), V(0.30000) for the string V("0.30000"),
              V(100) for V("1E+2").
          type: str
          returned: always
          sample: "-42.00005"
transaction:
  description:
    - The journal entry of O(transaction_id) after the run (in check mode, before it).
  returned: with O(transaction_id), once the journal was read
  type: dict
  contains:
    id:
      description: The transaction ID.
      type: str
      returned: always
      sample: customer-1234/2026-01
    state:
      description:
        - V(applied), V(uncertain) (may have been applied, needs O(resolve)), V(pending) (a run was sending it
          and did not record the outcome), or V(null) when the journal has no entry (never sent, or
          definitely refused).
      type: str
      returned: always
      sample: applied
    organization_id:
      description: UUID of the organization of the journal entry.
      type: str
      returned: always
    first_sent_at:
      description: When the batch was first sent, ISO 8601 UTC.
      type: str
      returned: always
      sample: "2026-02-01T06:00:12Z"
    applied_at:
      description: When the batch was recorded as applied, ISO 8601 UTC, or V(null).
      type: str
      returned: always
      sample: "2026-02-01T06:00:13Z"
journal_action:
  description:
    - What the module did (in check mode, would do) with the transaction. V(send) (sent now),
      V(resend) (O(resolve=not_applied)), V(record_applied) (O(resolve=applied)), V(already_applied) (nothing to
      do), or on failure V(conflict), V(needs_resolve), V(in_flight), V(nothing_to_resolve).
  returned: with O(transaction_id)
  type: str
  sample: already_applied
batches:
  description: One result per batch of O(batches), in the order given.
  returned: with O(batches), also on failure
  type: list
  elements: dict
  contains:
    transaction_id:
      description: The transaction ID of the batch.
      type: str
      returned: always
    organization_id:
      description: UUID of the organization.
      type: str
      returned: always
    state:
      description: The journal state after the run (before it in check mode), as RV(transaction.state).
      type: str
      returned: always
    changed:
      description: Whether the batch was sent (would be sent in check mode).
      type: bool
      returned: always
    status:
      description: V(applied) (sent now), V(already_applied), V(failed) or V(uncertain).
      type: str
      returned: always
    error:
      description: What went wrong and what to do, or V(null).
      type: str
      returned: always
summary:
  description: How many batches of O(batches) were applied now, already applied, failed or are uncertain.
  returned: with O(batches), also on failure
  type: dict
  contains:
    applied:
      description: Batches sent and applied by this run (in check mode, that would be sent).
      type: int
      returned: always
    already_applied:
      description: Batches the journal records as applied; nothing was sent for them.
      type: int
      returned: always
    failed:
      description: Batches refused by the API (not applied; a rerun sends them), or conflicting.
      type: int
      returned: always
    uncertain:
      description: Batches that may have been applied and need O(resolve).
      type: int
      returned: always
maybe_processed:
  description:
    - Only on failure. V(true) when the batch may have reached the server and been applied (check
      the usage before resubmitting), V(false) when it was certainly not applied.
  returned: when sending the batch failed
  type: bool
"""


from ansible_collections.exoscale.partner.plugins.module_utils import _journal, _lifecycle
from ansible_collections.exoscale.partner.plugins.module_utils._base import PartnerModule, explain
from ansible_collections.exoscale.partner.plugins.module_utils._client import (
    ExoscaleAPIException,
    validate_usage,
    validate_uuid,
)
from ansible_collections.exoscale.partner.plugins.module_utils._journal_module import (
    journal_argument_spec,
    mask_journal_password,
    open_journal,
    scrubber,
)
from ansible_collections.exoscale.partner.plugins.module_utils._parallel import run_each, validate_concurrency

SINGLE_BATCH_OPTIONS = ("organization_id", "client_id", "usage", "transaction_id", "resolve")


def usage_spec():
    return dict(
        type="list",
        elements="dict",
        options=dict(
            product=dict(type="str", required=True),
            variable=dict(type="str", required=True),
            quantity=dict(type="raw", required=True),
        ),
    )


def argument_spec():
    spec = dict(
        organization_id=dict(type="str"),
        client_id=dict(type="str"),
        usage=usage_spec(),
        transaction_id=dict(type="str"),
        resolve=dict(type="str", choices=list(_journal.RESOLUTIONS)),
        batches=dict(
            type="list",
            elements="dict",
            options=dict(
                transaction_id=dict(type="str", required=True),
                organization_id=dict(type="str"),
                client_id=dict(type="str"),
                usage=dict(usage_spec(), required=True),
            ),
        ),
        concurrency=dict(type="int", default=4),
    )
    spec.update(journal_argument_spec())
    return spec


# -- pure rules ---------------------------------------------------------------------------------


def describe(orgs):
    return ", ".join("%s (status %s, name %r)" % (org["id"], org["status"], org["name"]) for org in orgs)


def organization_for_client_id(orgs, client_id):
    """The id of the one organization of `orgs` with this client ID that is not terminated; ValueError otherwise."""
    same_client = _lifecycle.matching(orgs, "client_id", client_id)
    live = _lifecycle.live(same_client)
    if len(live) == 1:
        return live[0]["id"]
    if len(live) > 1:
        raise ValueError(
            "client_id %r matches %d organizations that are not terminated: %s. "
            "Use organization_id to choose one." % (client_id, len(live), describe(live))
        )
    terminated = "; only terminated ones: %s" % describe(same_client) if same_client else ""
    raise ValueError(
        "client_id %r: no organization that is not terminated has this client ID%s. "
        "Check the client ID or use organization_id." % (client_id, terminated)
    )


def as_result(organization_id, usage):
    """The batch as returned to the user: quantities as strings of the exact decimal sent."""
    return dict(
        organization_id=organization_id,
        usage=[
            dict(product=entry["product"], variable=entry["variable"], quantity=format(entry["quantity"], "f"))
            for entry in usage
        ],
    )


def checked_batches(batches):
    """Validate every batch (duplicate transaction ids first); [(transaction_id, organization_id or None,
    client_id or None, usage)] or ValueError naming the batch."""
    seen = {}
    for index, batch in enumerate(batches):
        transaction_id = _journal.validate_transaction_id(batch["transaction_id"], "batches[%d].transaction_id" % index)
        if transaction_id in seen:
            raise ValueError(
                "batches[%d].transaction_id: %r is also the transaction id of batches[%d]; each batch needs its own."
                % (index, transaction_id, seen[transaction_id])
            )
        seen[transaction_id] = index
    checked = []
    for index, batch in enumerate(batches):
        where = "batches[%d]" % index
        if (batch["organization_id"] is None) == (batch["client_id"] is None):
            raise ValueError("%s: exactly one of organization_id and client_id is required" % where)
        organization_id = None
        if batch["organization_id"] is not None:
            organization_id = validate_uuid(batch["organization_id"], where + ".organization_id")
        try:
            usage = validate_usage(batch["usage"])
        except ValueError as exc:
            raise ValueError("%s.%s" % (where, exc)) from None
        checked.append((batch["transaction_id"], organization_id, batch["client_id"], usage))
    return checked


# -- sending ------------------------------------------------------------------------------------


def failure_text(exc, organization_id, transaction_id=None):
    """What to say about a failed POST: whether it may have been applied, and what to do."""
    cause = "Sending the metering batch failed: %s." % explain(exc).rstrip(".")
    if not exc.maybe_processed:
        if transaction_id is None:
            return cause + " The batch was not applied; it is safe to resubmit once the cause is fixed."
        return cause + (
            " The batch was not applied; transaction %r was removed from the journal, so a rerun sends it once "
            "the cause is fixed." % transaction_id
        )
    if transaction_id is None:
        return cause + (
            " The batch MAY HAVE BEEN APPLIED: check the usage of organization %s (for example with "
            "exoscale.partner.partner_org_info usage=true) before resubmitting, or it may be billed twice."
            % organization_id
        )
    return cause + (
        " The batch MAY HAVE BEEN APPLIED: transaction %r is recorded as UNCERTAIN and will not be sent again. "
        "Check the usage of organization %s (exoscale.partner.partner_org_info usage=true), then rerun with "
        "resolve=applied if the batch is there or resolve=not_applied if it is not. See docs/metering.md."
        % (transaction_id, organization_id)
    )


def send_without_journal(partner, organization_id, usage, metering):
    try:
        partner.client.metering_transaction(organization=organization_id, usage=usage)
    except ExoscaleAPIException as exc:
        partner.fail(
            failure_text(exc, organization_id),
            metering=metering,
            maybe_processed=exc.maybe_processed,
            status=exc.status,
            api_message=exc.api_message,
        )


def journal_send(partner, store, transaction_id, organization_id, usage, client_id=None, resolve=None):
    """Run the journal protocol for one batch (any thread); a _journal.Outcome."""
    canonical = _journal.canonical_batch(organization_id, usage)

    def send():
        partner.client.metering_transaction(organization=organization_id, usage=usage)

    return _journal.run_transaction(
        store,
        transaction_id,
        organization_id,
        canonical,
        partner.connection["api_key"],
        send,
        resolve=resolve,
        scrub=scrubber(partner),
        client_id=client_id,
    )


def outcome_problem(outcome, transaction_id, organization_id):
    """The failure message of an outcome, or None when it succeeded."""
    if outcome.action in _journal.FAILING_ACTIONS:
        return _journal.explain(outcome.action, transaction_id, outcome.entry)
    if outcome.state_error is not None:
        sent = "was applied" if outcome.error is None else "may have been applied"
        return (
            "The batch %s, but the journal could not record it: %s. Transaction %r stays PENDING, so nothing "
            "will send it again; once the journal works, check the usage of organization %s and settle it with "
            "resolve." % (sent, outcome.state_error, transaction_id, organization_id)
        )
    if outcome.error is not None:
        if isinstance(outcome.error, ExoscaleAPIException):
            return failure_text(outcome.error, organization_id, transaction_id)
        return "Sending transaction %r failed: %s. It is recorded as UNCERTAIN." % (transaction_id, outcome.error)
    return None


def outcome_state(outcome):
    return outcome.entry["state"] if outcome.entry else None


# -- the two forms of the task ------------------------------------------------------------------


def meter_one(partner):
    params = partner.params
    usage = validate_usage(params["usage"])
    transaction_id = params["transaction_id"]
    if transaction_id is None:
        organization_id = params["organization_id"] or lookup_client_id(partner, params["client_id"])
        metering = as_result(organization_id, usage)
        if not partner.check_mode:
            send_without_journal(partner, organization_id, usage, metering)
        partner.exit(changed=True, metering=metering)
    _journal.validate_transaction_id(transaction_id)
    store = open_journal(partner, read_only=partner.check_mode)  # before any API call
    try:
        organization_id = params["organization_id"]
        if organization_id is None:
            exit_if_applied_for_client_id(partner, store, transaction_id, usage)
            organization_id = lookup_client_id(partner, params["client_id"])
        if partner.check_mode:
            preview_one(partner, store, transaction_id, organization_id, usage)
        outcome = journal_send(
            partner, store, transaction_id, organization_id, usage, params["client_id"], params["resolve"]
        )
        report_one(partner, outcome, transaction_id, organization_id, usage)
    finally:
        store.close()


def lookup_client_id(partner, client_id):
    orgs = partner.client.list_distributor_organizations()["organizations"]
    try:
        return organization_for_client_id(orgs, client_id)
    except ValueError as exc:
        return partner.fail(str(exc))


def exit_if_applied_for_client_id(partner, store, transaction_id, usage):
    """A rerun of an applied transaction given by client_id: no API call at all, not even the lookup."""
    known = store.get(transaction_id)
    if _journal.applied_for_client_id(known, partner.params["client_id"], usage):
        partner.exit(
            changed=False,
            metering=as_result(known["organization_id"], usage),
            transaction=_journal.transaction_summary(transaction_id, known),
            journal_action=_journal.ALREADY_APPLIED,
        )


def preview_one(partner, store, transaction_id, organization_id, usage):
    """Check mode: say what would happen, from the journal alone."""
    metering = as_result(organization_id, usage)
    canonical = _journal.canonical_batch(organization_id, usage)
    action, entry = _journal.preview_transaction(store, transaction_id, canonical, partner.params["resolve"])
    transaction = _journal.transaction_summary(transaction_id, entry)
    if action in _journal.FAILING_ACTIONS:
        partner.fail(
            _journal.explain(action, transaction_id, entry),
            metering=metering,
            transaction=transaction,
            journal_action=action,
        )
    changed = action != _journal.ALREADY_APPLIED
    partner.exit(changed=changed, metering=metering, transaction=transaction, journal_action=action)


def report_one(partner, outcome, transaction_id, organization_id, usage):
    result = dict(
        metering=as_result(organization_id, usage),
        transaction=_journal.transaction_summary(transaction_id, outcome.entry),
        journal_action=outcome.action,
    )
    problem = outcome_problem(outcome, transaction_id, organization_id)
    if problem:
        error = outcome.error
        if isinstance(error, ExoscaleAPIException):
            result.update(maybe_processed=error.maybe_processed, status=error.status, api_message=error.api_message)
        partner.fail(problem, **result)
    partner.exit(changed=outcome.changed, **result)


def meter_batches(partner):
    params = partner.params
    concurrency = validate_concurrency(params["concurrency"])
    checked = checked_batches(params["batches"])
    store = open_journal(partner, read_only=partner.check_mode)  # before any API call
    try:
        checked = with_organization_ids(partner, store, checked)
        if partner.check_mode:
            results = [preview_batch(store, *batch) for batch in checked]
        else:
            outcomes = run_each(lambda batch: send_batch(partner, store, *batch), checked, concurrency)
            results = [
                outcome.value if outcome.ok else crashed_batch(outcome.item, outcome.error) for outcome in outcomes
            ]
    finally:
        store.close()
    summary = summarize(results)
    changed = any(result["changed"] for result in results)
    failed = [result for result in results if result["error"]]
    if failed:
        partner.fail(
            "%d of %d metering batches failed or are uncertain (%s); the others were handled. First problem: %s"
            % (
                len(failed),
                len(results),
                ", ".join(repr(r["transaction_id"]) for r in failed[:10]),
                failed[0]["error"],
            ),
            changed=changed,
            batches=results,
            summary=summary,
        )
    partner.exit(changed=changed, batches=results, summary=summary)


def with_organization_ids(partner, store, checked):
    """The batches with every client_id resolved by ONE list call, made only if a batch needs it.

    A batch the journal already records as applied for the same client ID and entries needs no lookup.
    """
    resolved, lookups = [], []
    for transaction_id, organization_id, client_id, usage in checked:
        if organization_id is None:
            known = store.get(transaction_id)
            if _journal.applied_for_client_id(known, client_id, usage):
                organization_id = known["organization_id"]
            else:
                lookups.append(len(resolved))
        resolved.append([transaction_id, organization_id, client_id, usage])
    if lookups:
        orgs = partner.client.list_distributor_organizations()["organizations"]
        for index in lookups:
            try:
                resolved[index][1] = organization_for_client_id(orgs, resolved[index][2])
            except ValueError as exc:
                partner.fail("batches[%d]: %s" % (index, exc))
    return [tuple(batch) for batch in resolved]


def batch_result(transaction_id, organization_id, state, changed, error=None, status=None):
    return dict(
        transaction_id=transaction_id,
        organization_id=organization_id,
        state=state,
        changed=changed,
        error=error,
        status=status,
    )


def preview_batch(store, transaction_id, organization_id, client_id, usage):
    canonical = _journal.canonical_batch(organization_id, usage)
    action, entry = _journal.preview_transaction(store, transaction_id, canonical)
    state = entry["state"] if entry else None
    if action in _journal.FAILING_ACTIONS:
        status = "uncertain" if action == _journal.NEEDS_RESOLVE else "failed"
        return batch_result(
            transaction_id, organization_id, state, False, _journal.explain(action, transaction_id, entry), status
        )
    if action == _journal.ALREADY_APPLIED:
        return batch_result(transaction_id, organization_id, state, False, status="already_applied")
    return batch_result(transaction_id, organization_id, state, True, status="applied")


def send_batch(partner, store, transaction_id, organization_id, client_id, usage):
    """One batch through the journal protocol (in a worker thread: never exits)."""
    outcome = journal_send(partner, store, transaction_id, organization_id, usage, client_id)
    state = outcome_state(outcome)
    problem = outcome_problem(outcome, transaction_id, organization_id)
    if problem:
        unsettled = state in _journal.UNSETTLED
        return batch_result(
            transaction_id, organization_id, state, outcome.changed, problem, "uncertain" if unsettled else "failed"
        )
    if outcome.action == _journal.ALREADY_APPLIED:
        return batch_result(transaction_id, organization_id, state, False, status="already_applied")
    return batch_result(transaction_id, organization_id, state, outcome.changed, status="applied")


def crashed_batch(batch, error):
    transaction_id, organization_id = batch[0], batch[1]
    if isinstance(error, _journal.JournalError):
        text = "Cannot use the metering journal: %s" % error
    else:
        text = "%s: %s" % (type(error).__name__, error)
    return batch_result(transaction_id, organization_id, None, False, text, "failed")


def summarize(results):
    counts = dict(applied=0, already_applied=0, failed=0, uncertain=0)
    for result in results:
        counts[result["status"]] += 1
    return counts


def apply_metering(partner):
    try:
        if partner.params["batches"] is not None:
            meter_batches(partner)
        else:
            meter_one(partner)
    except _journal.JournalError as exc:  # the journal failed in the middle of the run
        partner.fail("The metering journal failed: %s" % exc)


def main():
    partner = PartnerModule(
        argument_spec(),
        uuid_options=("organization_id",),
        mutually_exclusive=[("organization_id", "client_id")] + [("batches", name) for name in SINGLE_BATCH_OPTIONS],
        required_one_of=[("organization_id", "client_id", "batches"), ("usage", "batches")],
        required_by={"resolve": "transaction_id"},
        supports_check_mode=True,
    )
    mask_journal_password(partner)
    partner.run(lambda: apply_metering(partner))


if __name__ == "__main__":
    main()
