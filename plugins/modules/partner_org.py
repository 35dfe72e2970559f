#!/usr/bin/python
# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: partner_org
short_description: Manage the lifecycle of an organization of an Exoscale distributor
version_added: 0.1.0
description:
  - Create, activate, suspend, terminate and purge a customer organization linked to your
    Exoscale distributor organization, through the Exoscale Partner API.
  - The module makes the fewest API calls that reach the desired O(state). A run that changes
    nothing makes exactly one GET request.
  - The organization is found by O(id), else by O(client_id), else by O(name). When it is looked up by
    O(client_id) or O(name), terminated organizations are ignored for O(state=active) and
    O(state=suspended) (a new one is created), and count as already terminated for O(state=terminated).
  - When several organizations match, the module fails and lists their ids; it never guesses.
  - The Partner API cannot update an existing organization. When the billing details of the
    organization found differ from the options, the module warns and reports them in RV(drift),
    without reporting a change.
author:
  - Exoscale (@exoscale)
extends_documentation_fragment:
  - exoscale.partner.api
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Returns the planned RV(actions) and the predicted organization without any mutating request.
  diff_mode:
    support: full
  platform:
    platforms: all
options:
  id:
    description:
      - The UUID of the organization.
      - When set, the organization must exist; the module never creates an organization when O(id) is given.
      - Mutually exclusive with O(client_id). An organization is addressed by one key, so that a
        conflicting pair fails before any request instead of acting on the wrong organization.
    type: str
  client_id:
    description:
      - Your own reference of the organization (at most 191 characters), stored by the API.
      - The natural key to make creation idempotent. Strongly recommended when creating organizations.
    type: str
  name:
    description:
      - The display name of the organization (at most 191 characters), also its billing address name.
      - Required to create an organization; used to find it when neither O(id) nor O(client_id) is set.
    type: str
    aliases: [display_name]
  owner_email:
    description:
      - Email address of the owner of the organization (at most 75 characters). Required to create.
    type: str
  address:
    description:
      - Street name of the billing address. Required to create.
    type: str
  building_number:
    description:
      - Building number of the billing address.
    type: str
  postcode:
    description:
      - Postal code of the billing address. Required to create.
    type: str
    aliases: [postal_code]
  city:
    description:
      - City of the billing address. Required to create.
    type: str
  country:
    description:
      - Country of the billing address, as an ISO 3166-1 alpha-2 code (upper-cased). Required to create.
    type: str
  state:
    description:
      - The desired status of the organization.
      - V(terminated) cannot be undone; a terminated organization addressed by O(id) cannot become
        V(active) or V(suspended) again.
    type: str
    choices: [active, suspended, terminated]
    default: active
  purge:
    description:
      - Schedule the purge of the organization right after terminating it.
      - Only with O(state=terminated). An organization that is already terminated is left alone.
    type: bool
    default: false
notes:
  - Whether the API returns a new organization as V(created) or V(active) is not documented. The
    module activates (or suspends) it only when the returned status differs from O(state). Check mode
    assumes the API returns V(active).
  - Every option given is validated (UUID, lengths, country code, email) before any request is sent.
  - If a creation request fails in a way where the API may still have processed it (timeout, server
    error), the module looks the organization up by O(client_id) again instead of creating a duplicate.
seealso:
  - module: exoscale.partner.partner_org_info
"""

EXAMPLES = r"""
- name: Provision a customer organization
  exoscale.partner.partner_org:
    client_id: crm-1234
    name: Customer Corp
    owner_email: admin@customer.example
    address: Business Avenue
    building_number: "123"
    postcode: "8001"
    city: Zurich
    country: CH

- name: Suspend it (creation fields are not needed once it exists)
  exoscale.partner.partner_org:
    client_id: crm-1234
    state: suspended

- name: Terminate it and schedule its purge
  exoscale.partner.partner_org:
    client_id: crm-1234
    state: terminated
    purge: true

- name: Set the credentials once for every module of the collection
  module_defaults:
    group/exoscale.partner.partner:
      api_key: "{{ vault_exoscale_api_key }}"
      api_secret: "{{ vault_exoscale_api_secret }}"
  block:
    - name: Make sure an organization known by its id is active
      exoscale.partner.partner_org:
        id: 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
        state: active
"""

RETURN = r"""
organization:
  description:
    - The organization after the run; in check mode, as predicted.
    - V(null) when no organization exists and O(state=terminated).
  returned: always
  type: dict
  contains:
    id:
      description: UUID of the organization (V(null) for an organization that check mode would create).
      type: str
      sample: 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
    status:
      description: Status of the organization.
      type: str
      sample: active
    name:
      description: Display name (billing address name).
      type: str
      sample: Customer Corp
    client_id:
      description: Your own reference of the organization.
      type: str
      sample: crm-1234
    address:
      description: Street name of the billing address.
      type: str
      sample: Business Avenue
    building_number:
      description: Building number of the billing address.
      type: str
      sample: "123"
    postcode:
      description: Postal code of the billing address.
      type: str
      sample: "8001"
    city:
      description: City of the billing address.
      type: str
      sample: Zurich
    country:
      description: Country code of the billing address.
      type: str
      sample: CH
actions:
  description:
    - The API operations done, in order; in check mode, the ones that would be done.
    - Each is one of V(create), V(activate), V(suspend), V(terminate), V(schedule_purge).
  returned: always
  type: list
  elements: str
  sample: [create, activate]
drift:
  description:
    - Billing details of the existing organization that differ from the options. The Partner API
      cannot update them; change them in the Exoscale portal or recreate the organization.
    - Keys are option names; values hold the V(current) and the V(desired) value.
  returned: when some detail differs
  type: dict
  sample: {"name": {"current": "Customer Corp", "desired": "Customer Corporation"}}
"""

from ansible_collections.exoscale.partner.plugins.module_utils import _lifecycle
from ansible_collections.exoscale.partner.plugins.module_utils._base import PartnerModule, organization_options


def main():
    partner = PartnerModule(
        argument_spec=organization_options(),
        text_options=(),  # _lifecycle.validate_entry checks every option once
        required_one_of=[("id", "client_id", "name")],
        mutually_exclusive=[("id", "client_id")],
        supports_check_mode=True,
    )
    partner.run(lambda: _lifecycle.ensure_organization(partner.client, partner.params, partner.check_mode))


if __name__ == "__main__":
    main()
