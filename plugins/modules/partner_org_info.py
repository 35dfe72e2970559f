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
  - With O(usage=true) the module makes B(one additional call per matched organization), so narrow
    the selection when you have many organizations.
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
      - Also fetch the usage records of each matched organization, in RV(organizations[].usage).
      - Costs one API call per matched organization.
    type: bool
    default: false
  period:
    description:
      - Month of the usage records, as V(YYYY-MM), for example V(2026-01).
      - Checked before any API call.
      - When omitted, the API chooses the period (its default).
      - Only used with O(usage=true).
    type: str
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
    usage:
      description: The usage records of the organization for O(period).
      type: list
      elements: dict
      returned: when O(usage=true)
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
          description: Total without VAT, in the currency of the organization.
          type: float
          returned: always
        total_incl_vat:
          description: Total with VAT, in the currency of the organization.
          type: float
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
              description: Quantity, in RV(organizations[].usage[].usage[].unit).
              type: float
              returned: always
              sample: 3.1415
            unit:
              description: Unit of the quantity.
              type: str
              returned: always
            total_excl_vat:
              description: Amount of the statement without VAT.
              type: float
              returned: always
            total_incl_vat:
              description: Amount of the statement with VAT.
              type: float
              returned: always
"""

from ansible_collections.exoscale.partner.plugins.module_utils._base import PartnerModule
from ansible_collections.exoscale.partner.plugins.module_utils._client import (
    ORG_STATUSES,
    ExoscaleAPINotFoundException,
    validate_period,
    validate_uuid,
)


def argument_spec():
    return dict(
        id=dict(type="str"),
        client_id=dict(type="str"),
        name=dict(type="str"),
        status=dict(type="list", elements="str", choices=list(ORG_STATUSES)),
        usage=dict(type="bool", default=False),
        period=dict(type="str"),
    )


def candidates(partner, org_id):
    """The organization with this id ([] when it does not exist), or all of them."""
    if org_id is None:
        return partner.call("list organizations", "list_distributor_organizations")["organizations"]
    try:
        return [partner.call("get organization %s" % org_id, "get_distributor_organization", id=org_id)]
    except ExoscaleAPINotFoundException:
        return []


def matches(org, params):
    for field in ("id", "client_id", "name"):
        if params[field] is not None and org[field] != params[field]:
            return False
    return not params["status"] or org["status"] in params["status"]


def gather(partner):
    params = partner.params
    if params["id"] is not None:
        validate_uuid(params["id"], "id")
    if params["period"] is not None:
        validate_period(params["period"])
    organizations = [org for org in candidates(partner, params["id"]) if matches(org, params)]
    if params["usage"]:
        for org in organizations:
            org["usage"] = partner.call(
                "list the usage of organization %s" % org["id"],
                "list_distributor_organization_usage",
                id=org["id"],
                period=params["period"],
            )
    partner.exit(changed=False, organizations=organizations)


def main():
    partner = PartnerModule(argument_spec(), uuid_options=("id",), supports_check_mode=True)
    partner.run(lambda: gather(partner))


if __name__ == "__main__":
    main()
