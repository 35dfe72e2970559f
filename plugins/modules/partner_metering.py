#!/usr/bin/python
# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: partner_metering
short_description: Push billable usage for an Exoscale distributor organization
version_added: 0.1.0
description:
  - Sends one metering batch (a list of product, variable and quantity entries) for one
    sub-organization through the Partner API C(metering:apply) operation.
  - B(Every run bills again.) The API has no idempotency key and no way to tell whether a batch was
    already sent, so this module cannot be idempotent and always reports a change. Guard the task in
    your playbook so it runs once per billing event, see the examples (a marker file written after
    success and checked with C(creates)-like logic, C(run_once), or a C(when) condition).
  - The batch is sent exactly once. It is never retried once it may have reached the server (a
    timeout, a dropped connection after sending, a 5xx answer). In that case the module fails and
    says that the batch B(may) have been applied; check with M(exoscale.partner.partner_org_info)
    O(exoscale.partner.partner_org_info#module:usage=true) before resubmitting. It is retried only when the
    server provably did not process it (HTTP 429, or a connection that never opened).
  - All entries are checked before any API call; the module names the first bad entry, for example
    C(usage[2].quantity).
author:
  - Exoscale (@exoscale)
extends_documentation_fragment:
  - exoscale.partner.api
attributes:
  check_mode:
    support: full
    description:
      - Checks the entries, resolves O(client_id) (one list call), sends nothing and returns the batch
        that would be sent, reporting a change.
  diff_mode:
    support: none
    description: Metering appends to the bill; there is no state to compare.
options:
  organization_id:
    description:
      - UUID of the organization to bill.
      - Exactly one of O(organization_id) and O(client_id) is required.
    type: str
  client_id:
    description:
      - Client ID (your own reference) of the organization to bill.
      - Resolved with one list call. Exactly one organization that is not V(terminated) must have
        this client ID, otherwise the module fails and lists the organizations that matched.
      - Exactly one of O(organization_id) and O(client_id) is required.
    type: str
  usage:
    description:
      - The entries of the batch, at least one.
    type: list
    elements: dict
    required: true
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
seealso:
  - module: exoscale.partner.partner_org_info
    description: Check what was billed (O(exoscale.partner.partner_org_info#module:usage=true)).
"""

EXAMPLES = r"""
- name: Bill one license and a commission credit to an organization
  exoscale.partner.partner_metering:
    api_key: "{{ exoscale_api_key }}"
    api_secret: "{{ exoscale_api_secret }}"
    organization_id: bf9bbc88-71ea-407c-9920-fc1101d86183
    usage:
      - product: partner
        variable: license_product
        quantity: "3.1415"
      - product: partner
        variable: commission
        quantity: "-42.00005"

- name: Bill once per month, guarded by a marker file (every run of this task bills again)
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/exoscale.partner.partner:
      api_key: "{{ lookup('ansible.builtin.env', 'EXOSCALE_API_KEY') }}"
      api_secret: "{{ lookup('ansible.builtin.env', 'EXOSCALE_API_SECRET') }}"
  vars:
    marker: "/var/lib/billing/customer-1234-2026-01.sent"
  tasks:
    - name: Was this month already billed?
      ansible.builtin.stat:
        path: "{{ marker }}"
      register: billed

    - name: Bill the month
      exoscale.partner.partner_metering:
        client_id: customer-1234
        usage:
          - product: partner
            variable: license_product
            quantity: 12
      when: not billed.stat.exists
      run_once: true
      register: metering

    - name: Remember that the month is billed
      ansible.builtin.copy:
        content: "{{ metering.metering | to_nice_json }}"
        dest: "{{ marker }}"
        mode: "0600"
      when: metering is changed

- name: Preview the batch without sending it
  exoscale.partner.partner_metering:
    client_id: customer-1234
    usage:
      - product: partner
        variable: license_product
        quantity: 1
  check_mode: true
  register: preview
"""

RETURN = r"""
metering:
  description:
    - The batch that was sent (or, in check mode or on failure, the batch that would have been
      sent).
    - Also returned when the module fails after the batch was built, with RV(maybe_processed).
  returned: when the entries are valid and the organization is resolved
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
maybe_processed:
  description:
    - Only on failure. V(true) when the batch may have reached the server and been applied (check
      the usage before resubmitting), V(false) when it was certainly not applied.
  returned: when sending the batch failed
  type: bool
"""


from ansible_collections.exoscale.partner.plugins.module_utils._base import TERMINATED, PartnerModule, explain
from ansible_collections.exoscale.partner.plugins.module_utils._client import (
    ExoscaleAPIException,
    validate_usage,
    validate_uuid,
)


def argument_spec():
    return dict(
        organization_id=dict(type="str"),
        client_id=dict(type="str"),
        usage=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                product=dict(type="str", required=True),
                variable=dict(type="str", required=True),
                quantity=dict(type="raw", required=True),
            ),
        ),
    )


def checked_usage(partner):
    """The wire usage entries (quantities as Decimal); a bad entry raises ValueError naming it."""
    params = partner.params
    if params["organization_id"] is not None:
        validate_uuid(params["organization_id"], "organization_id")
    return validate_usage(params["usage"])


def describe(orgs):
    return ", ".join("%s (status %s, name %r)" % (org["id"], org["status"], org["name"]) for org in orgs)


def resolve_client_id(partner, client_id):  # noqa: RET503 (partner.fail exits)
    """The id of the one organization with this client ID that is not terminated, or fail."""
    same_client = partner.find_organizations(client_id=client_id)
    live = [org for org in same_client if org["status"] != TERMINATED]
    if len(live) == 1:
        return live[0]["id"]
    if len(live) > 1:
        partner.fail(
            "client_id %r matches %d organizations that are not terminated: %s. "
            "Use organization_id to choose one." % (client_id, len(live), describe(live))
        )
    terminated = "; only terminated ones: %s" % describe(same_client) if same_client else ""
    partner.fail(
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


def send(partner, organization_id, usage, metering):
    try:
        partner.client.metering_transaction(organization=organization_id, usage=usage)
    except ExoscaleAPIException as exc:
        if exc.maybe_processed:
            outcome = (
                "The batch MAY HAVE BEEN APPLIED: check the usage of organization %s (for example with "
                "exoscale.partner.partner_org_info usage=true) before resubmitting, or it may be billed twice."
                % organization_id
            )
        else:
            outcome = "The batch was not applied; it is safe to resubmit once the cause is fixed."
        partner.fail(
            "Sending the metering batch failed: %s. %s" % (explain(exc).rstrip("."), outcome),
            metering=metering,
            maybe_processed=exc.maybe_processed,
            status=exc.status,
            api_message=exc.api_message,
        )


def apply_metering(partner):
    usage = checked_usage(partner)
    organization_id = partner.params["organization_id"] or resolve_client_id(partner, partner.params["client_id"])
    metering = as_result(organization_id, usage)
    if not partner.check_mode:
        send(partner, organization_id, usage, metering)
    partner.exit(changed=True, metering=metering)


def main():
    partner = PartnerModule(
        argument_spec(),
        uuid_options=("organization_id",),
        mutually_exclusive=[("organization_id", "client_id")],
        required_one_of=[("organization_id", "client_id")],
        supports_check_mode=True,
    )
    partner.run(lambda: apply_metering(partner))


if __name__ == "__main__":
    main()
