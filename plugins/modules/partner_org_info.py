#!/usr/bin/python
# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: partner_org_info
short_description: List Exoscale distributor organizations and their usage
version_added: 0.1.0
description:
  - Reads the sub-organizations of an Exoscale distributor account through the Partner API.
  - Every option narrows the result; without any option all organizations are returned.
  - Never changes anything; runs the same way in check mode.
  - Without O(id) the module makes one list call and filters locally (the API offers no server-side
    filters). With O(id) it makes one call for that organization.
  - With O(usage=true) the module makes B(one additional call per matched organization and period).
    These calls run in parallel, at most O(concurrency) at a time, within the one module run.
author:
  - Exoscale (@exoscale)
extends_documentation_fragment:
  - exoscale.partner.api
attributes:
  check_mode:
    support: full
    description: The module never changes anything.
  diff_mode:
    support: none
    description: The module never changes anything.
options:
  id:
    description:
      - UUID of one organization.
      - If no organization has this UUID, the result is an empty list, not a failure.
    type: str
  client_id:
    description:
      - Keep only the organizations whose client ID (your own reference) is exactly this value.
    type: str
  name:
    description:
      - Keep only the organizations whose name (the billing address name) is exactly this value.
    type: str
  status:
    description:
      - Keep only the organizations in one of these statuses.
    type: list
    elements: str
    choices: [created, active, suspended, terminated]
  usage:
    description:
      - Also fetch the usage records of each matched organization, in RV(organizations[].usage) and
        RV(organizations[].usage_by_period).
      - Costs one API call per matched organization and period.
    type: bool
    default: false
  period:
    description:
      - Month of the usage records, as V(YYYY-MM), for example V(2026-01).
      - Checked before any API call.
      - When neither O(period) nor O(periods) is given, the API chooses the period (its default).
      - Only used with O(usage=true). Mutually exclusive with O(periods).
    type: str
  periods:
    description:
      - Several months of usage records, each as V(YYYY-MM), for example V([2026-01, 2026-02]).
      - All checked before any API call. Duplicates are dropped; the results are in ascending order.
      - Only used with O(usage=true). Mutually exclusive with O(period).
    type: list
    elements: str
    version_added: 0.1.0
  concurrency:
    description:
      - How many usage requests (organizations × periods) may be in flight at the same time, from V(1)
        (one after the other) to V(32).
      - The results do not depend on it; their order is always that of the organizations, then periods.
    type: int
    default: 8
    version_added: 0.1.0
  on_usage_error:
    description:
      - What to do when the usage request of an organization fails (after the client's retries).
      - V(fail) fails the task, naming every organization and period that failed.
      - V(continue) returns every organization anyway; the ones with a failed period carry
        RV(organizations[].usage_errors), and that period is missing from
        RV(organizations[].usage_by_period) (never reported as empty). The task then succeeds with a
        warning per failure; check RV(usage_errors).
    type: str
    choices: [fail, continue]
    default: fail
    version_added: 0.1.0
notes:
  - The Partner API has no pagination and no filters; the whole list is fetched and filtered by the module.
seealso:
  - module: exoscale.partner.partner_org
  - module: exoscale.partner.partner_metering
"""

EXAMPLES = r"""
- name: List all organizations
  exoscale.partner.partner_org_info:
    api_key: "{{ exoscale_api_key }}"
    api_secret: "{{ exoscale_api_secret }}"
  register: all_orgs

- name: Look up one organization by UUID (empty list when it does not exist)
  exoscale.partner.partner_org_info:
    id: 5b3c6a2e-8f47-4a1d-9d0e-2f1b7c3a9e11
  register: one_org

- name: Show the usage of the active organization of one customer for January 2026
  exoscale.partner.partner_org_info:
    client_id: customer-1234
    status: [active]
    usage: true
    period: "2026-01"
  register: january

- name: Six months of usage of every active organization, 16 requests at a time
  exoscale.partner.partner_org_info:
    status: [active]
    usage: true
    periods: ["2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01"]
    concurrency: 16
    on_usage_error: continue
  register: half_year

- name: Fail when a usage request failed, after looking at what was gathered
  ansible.builtin.assert:
    that: half_year.usage_errors | length == 0
    fail_msg: "{{ half_year.usage_errors }}"

- name: Use the credentials once for the whole play
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/exoscale.partner.partner:
      api_key: "{{ lookup('ansible.builtin.env', 'EXOSCALE_API_KEY') }}"
      api_secret: "{{ lookup('ansible.builtin.env', 'EXOSCALE_API_SECRET') }}"
  tasks:
    - name: Suspended organizations
      exoscale.partner.partner_org_info:
        status: [suspended]
      register: suspended

    - name: Print their names
      ansible.builtin.debug:
        msg: "{{ suspended.organizations | map(attribute='name') | list }}"
"""

RETURN = r"""
organizations:
  description:
    - The matched organizations, in the order of the API.
    - Empty when nothing matched, including when O(id) does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: UUID of the organization.
      type: str
      returned: always
      sample: 5b3c6a2e-8f47-4a1d-9d0e-2f1b7c3a9e11
    status:
      description: One of V(created), V(active), V(suspended), V(terminated).
      type: str
      returned: always
      sample: active
    name:
      description: Name of the organization (its billing address name).
      type: str
      returned: always
      sample: Customer Corp
    client_id:
      description: Your own reference for the organization, V(null) when unset.
      type: str
      returned: always
      sample: customer-1234
    address:
      description: Street name of the billing address.
      type: str
      returned: always
      sample: Business Avenue
    building_number:
      description: Building number of the billing address, V(null) when unset.
      type: str
      returned: always
      sample: "123"
    postcode:
      description: Postal code of the billing address.
      type: str
      returned: always
      sample: "8001"
    city:
      description: City of the billing address.
      type: str
      returned: always
      sample: Zurich
    country:
      description: ISO 3166-1 alpha-2 country code of the billing address.
      type: str
      returned: always
      sample: CH
    usage_by_period:
      description:
        - The usage records of the organization per month asked for (O(period) or O(periods)), keyed
          by V(YYYY-MM). Each value is a list shaped like RV(organizations[].usage).
        - A month whose request failed with O(on_usage_error=continue) is missing; see
          RV(organizations[].usage_errors).
      type: dict
      returned: when O(usage=true) and O(period) or O(periods) is given
      sample: {"2026-01": [], "2026-02": []}
      version_added: 0.1.0
    usage_errors:
      description: The usage requests of this organization that failed, with O(on_usage_error=continue).
      type: list
      elements: dict
      returned: when a usage request of this organization failed
      version_added: 0.1.0
      contains:
        period:
          description: The month asked for, V(null) when the API chose it.
          type: str
          returned: always
          sample: "2026-01"
        msg:
          description: What went wrong.
          type: str
          returned: always
        status:
          description: The HTTP status, V(null) when there was no answer.
          type: int
          returned: always
          sample: 503
    usage:
      description:
        - The usage records of the organization when one month is asked for (O(period), a single
          O(periods) entry, or none for the default month of the API).
        - Amounts (C(quantity), C(total_excl_vat), C(total_incl_vat)) are strings holding the exact
          decimal the API sent, in plain notation (V(0.00003), never V(3e-05)); a float would round
          them. Add them up with the P(exoscale.partner.usage_report#filter) filter (exact, per
          currency).
      type: list
      elements: dict
      returned: when O(usage=true) and at most one period is asked for
      contains:
        code:
          description: Usage code.
          type: str
          returned: always
        currency:
          description: V(CHF), V(EUR) or V(USD).
          type: str
          returned: always
          sample: CHF
        total_excl_vat:
          description: Total without VAT, in the currency of the organization; an exact decimal string.
          type: str
          sample: "12.50"
          returned: always
        total_incl_vat:
          description: Total with VAT, in the currency of the organization; an exact decimal string.
          type: str
          sample: "13.51"
          returned: always
        start_date:
          description: Start of the statement (date-time).
          type: str
          returned: always
          sample: "2026-01-01T00:00:00Z"
        end_date:
          description: End of the statement (date-time).
          type: str
          returned: always
          sample: "2026-01-31T23:59:59Z"
        usage:
          description: The usage statements.
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
            description:
              description: Additional information about the statement.
              type: str
              returned: always
            quantity:
              description: Quantity, in RV(organizations[].usage[].usage[].unit); an exact decimal string.
              type: str
              returned: always
              sample: "0.00003"
            unit:
              description: Unit of the quantity.
              type: str
              returned: always
            total_excl_vat:
              description: Amount of the statement without VAT; an exact decimal string.
              type: str
              returned: always
            total_incl_vat:
              description: Amount of the statement with VAT; an exact decimal string.
              type: str
              returned: always
usage_errors:
  description:
    - Every usage request that failed, with O(on_usage_error=continue), in the order of the
      organizations and periods. Empty when all succeeded.
  type: list
  elements: dict
  returned: when O(usage=true)
  version_added: 0.1.0
  contains:
    id:
      description: UUID of the organization.
      type: str
      returned: always
    name:
      description: Name of the organization.
      type: str
      returned: always
    period:
      description: The month asked for, V(null) when the API chose it.
      type: str
      returned: always
    msg:
      description: What went wrong.
      type: str
      returned: always
    status:
      description: The HTTP status, V(null) when there was no answer.
      type: int
      returned: always
"""

from ansible_collections.exoscale.partner.plugins.module_utils import _lifecycle
from ansible_collections.exoscale.partner.plugins.module_utils._base import PartnerModule, explain
from ansible_collections.exoscale.partner.plugins.module_utils._client import ORG_STATUSES


def main():
    partner = PartnerModule(
        argument_spec=dict(
            id=dict(type="str"),
            client_id=dict(type="str"),
            name=dict(type="str"),
            status=dict(type="list", elements="str", choices=list(ORG_STATUSES)),
            usage=dict(type="bool", default=False),
            period=dict(type="str"),
            periods=dict(type="list", elements="str"),
            concurrency=dict(type="int", default=8),
            on_usage_error=dict(type="str", choices=["fail", "continue"], default="fail"),
        ),
        uuid_options=("id",),
        mutually_exclusive=[("period", "periods")],
        supports_check_mode=True,
    )
    partner.run(lambda: _lifecycle.list_organizations(partner.client, partner.params, explain))


if __name__ == "__main__":
    main()
