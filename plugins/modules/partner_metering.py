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
    U(https://github.com/exoscale/ansible-collection-partner/blob/main/docs/docsite/rst/metering.rst).
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

from ansible_collections.exoscale.partner.plugins.module_utils import _journal, _metering
from ansible_collections.exoscale.partner.plugins.module_utils._base import PartnerModule
from ansible_collections.exoscale.partner.plugins.module_utils._journal_module import (
    journal_argument_spec,
    mask_journal_password,
    run_metering,
)

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


def main():
    partner = PartnerModule(
        argument_spec=dict(
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
            **journal_argument_spec(),
        ),
        text_options=SINGLE_BATCH_OPTIONS,  # not journal: blank is the default journal
        mutually_exclusive=[("organization_id", "client_id")] + [("batches", name) for name in SINGLE_BATCH_OPTIONS],
        required_one_of=[("organization_id", "client_id", "batches"), ("usage", "batches")],
        required_by={"resolve": "transaction_id"},
        supports_check_mode=True,
    )
    mask_journal_password(partner)
    params = partner.params
    single = params["batches"] is None  # the single-batch form is a list of one batch
    requested = [{name: params[name] for name in SINGLE_BATCH_OPTIONS}] if single else params["batches"]
    partner.run(lambda: run_metering(partner, _metering.plan(requested, params["concurrency"], single)))


if __name__ == "__main__":
    main()
