#!/usr/bin/python
# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: partner_orgs
short_description: Converge a whole list of organizations of an Exoscale distributor in one task
version_added: 0.1.0
description:
  - Create, activate, suspend, terminate and purge many customer organizations of your Exoscale
    distributor organization in B(one) module run, through the Exoscale Partner API.
  - Each entry of O(organizations) takes the options of M(exoscale.partner.partner_org), with the same
    aliases and the same rules (lookup order, terminated organizations ignored for O(organizations[].state=active)
    and O(organizations[].state=suspended), ambiguity refused, drift warned and never reported as a change,
    duplicate-safe creation).
  - The module reads the organizations with exactly one GET request, whatever the size of the list, then
    sends only the mutating requests needed, up to O(concurrency) at the same time. A run that changes
    nothing makes exactly one request.
  - The whole list is validated before any request. A bad entry fails the task, naming it
    (for example C(organizations[17].country)), and nothing is sent. Entries that cannot be planned once
    the organizations are read (several matches, unknown O(organizations[].id), a terminated organization
    asked to come back, missing creation fields, two entries designating the same organization) also fail
    the task before any mutating request.
  - Every organization is attempted; one that fails (for example a persistent server error on its suspend)
    does not stop the others. The task fails at the end if any failed, and returns what was done for each.
  - O(unlisted) makes the list exclusive (as C(state=overridden) does in network resource modules); the
    organizations of the distributor that no entry designates are suspended or terminated.
  - This module and the P(exoscale.partner.partner_orgs#inventory) inventory plugin share a name but are
    different plugin types; C(ansible-doc exoscale.partner.partner_orgs) shows this module,
    C(ansible-doc -t inventory exoscale.partner.partner_orgs) the inventory plugin.
author:
  - Exoscale (@exoscale)
extends_documentation_fragment:
  - exoscale.partner.api
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Returns the plan for the whole list (the same return values, organizations as predicted) without
      any mutating request.
  diff_mode:
    support: full
    details: One before/after per organization that changes.
  platform:
    platforms: all
options:
  organizations:
    description:
      - The desired organizations. Each entry is found by O(organizations[].id), else
        O(organizations[].client_id), else O(organizations[].name).
      - Two entries with the same O(organizations[].id) or O(organizations[].client_id) (or, for entries
        found by name, the same O(organizations[].name)) are refused.
    type: list
    elements: dict
    required: true
    suboptions:
      id:
        description:
          - The UUID of the organization. It must exist; an entry with O(organizations[].id) never creates one.
          - Mutually exclusive with O(organizations[].client_id).
        type: str
      client_id:
        description:
          - Your own reference of the organization (at most 191 characters), stored by the API.
          - The natural key to make creation idempotent. Strongly recommended when creating organizations.
        type: str
      name:
        description:
          - The display name of the organization (at most 191 characters), also its billing address name.
          - Required to create an organization; used to find it when neither O(organizations[].id)
            nor O(organizations[].client_id) is set.
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
          - V(terminated) cannot be undone.
        type: str
        choices: [active, suspended, terminated]
        default: active
      purge:
        description:
          - Schedule the purge of the organization right after terminating it.
          - Only with O(organizations[].state=terminated).
        type: bool
        default: false
  unlisted:
    description:
      - What to do with the organizations of the distributor that no entry of O(organizations) designates.
      - V(keep) leaves them alone.
      - V(suspend) suspends those that are not suspended yet.
      - V(terminate) terminates them; it requires O(unlisted_confirm=true).
      - Terminated organizations are never touched.
    type: str
    choices: [keep, suspend, terminate]
    default: keep
  unlisted_confirm:
    description:
      - Confirm O(unlisted=terminate). Terminating cannot be undone, and an incomplete list would
        terminate every customer it misses.
    type: bool
    default: false
  concurrency:
    description:
      - How many API requests run at the same time (from 1 to 32).
      - The list is always read with one request first; only the mutating requests run in parallel.
    type: int
    default: 8
notes:
  - Whether the API returns a new organization as V(created) or V(active) is not documented. The
    module activates (or suspends) it only when the returned status differs from the desired state.
    Check mode assumes the API returns V(active).
  - If a creation request fails in a way where the API may still have processed it (timeout, server
    error), the module lists the organizations again and looks the new one up by its client ID instead of
    creating a duplicate. That is the only case with a second GET.
  - Failed requests are retried as configured by O(api_retries) before the organization counts as failed.
seealso:
  - module: exoscale.partner.partner_org
  - module: exoscale.partner.partner_org_info
  - plugin: exoscale.partner.partner_orgs
    plugin_type: inventory
"""

EXAMPLES = r"""
- name: Converge every customer organization in one task
  exoscale.partner.partner_orgs:
    organizations:
      - client_id: crm-0001
        name: Alpine Analytics AG
        owner_email: it@alpine-analytics.example
        address: Bahnhofstrasse
        building_number: "10"
        postcode: "8001"
        city: Zurich
        country: CH
      - client_id: crm-0002
        name: Lac Léman Logistique SA
        owner_email: admin@lacleman-logistique.example
        address: Rue du Rhône
        postcode: "1204"
        city: Genève
        country: CH
        state: suspended
  register: converged

- name: Converge the customers of a CSV file and suspend every other organization
  exoscale.partner.partner_orgs:
    organizations: "{{ customers.list }}"
    unlisted: suspend
    concurrency: 16

- name: Terminate the organizations that are no longer customers
  exoscale.partner.partner_orgs:
    organizations: "{{ customers.list }}"
    unlisted: terminate
    unlisted_confirm: true

- name: Show what failed, if anything
  ansible.builtin.debug:
    msg: "{{ converged.organizations | selectattr('error') | list }}"
"""

RETURN = r"""
organizations:
  description:
    - One entry per entry of O(organizations), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: The option the organization was looked up by, and its value.
      type: dict
      sample: {"client_id": "crm-0001"}
    organization:
      description:
        - The organization after the run, as M(exoscale.partner.partner_org) returns it; in check mode,
          as predicted (C(id) V(null) for one that would be created).
        - V(null) when no organization exists and the entry has O(organizations[].state=terminated), or
          when the entry could not be planned.
      type: dict
      sample: {"id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "status": "active", "name": "Customer Corp",
               "client_id": "crm-0001", "address": "Business Avenue", "building_number": "123",
               "postcode": "8001", "city": "Zurich", "country": "CH"}
    actions:
      description:
        - The API operations done for this organization, in order (in check mode, the ones that would be done).
        - Each is one of V(create), V(activate), V(suspend), V(terminate), V(schedule_purge).
      type: list
      elements: str
      sample: [create]
    drift:
      description:
        - Billing details of the existing organization that differ from the entry; the Partner API cannot
          update them. Keys are option names; values hold the V(current) and the V(desired) value.
      type: dict
      sample: {"name": {"current": "Customer Corp", "desired": "Customer Corporation"}}
    error:
      description: Why this organization failed or could not be planned; V(null) when it did not fail.
      type: str
      sample: "Failed to suspend organization 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d: HTTP 503: busy"
unlisted:
  description:
    - The organizations acted on because no entry designates them (see O(unlisted)).
  returned: always
  type: list
  elements: dict
  contains:
    organization:
      description: The organization after the run (in check mode, as predicted).
      type: dict
    actions:
      description: The API operations done (V(suspend) or V(terminate)).
      type: list
      elements: str
    error:
      description: Why it failed; V(null) when it did not fail.
      type: str
summary:
  description:
    - How many organizations were created, activated, suspended, terminated, purged (entries and
      unlisted ones), how many entries needed no change, and how many organizations failed.
  returned: always
  type: dict
  sample: {"created": 2, "activated": 0, "suspended": 1, "terminated": 0, "purged": 0, "unchanged": 57, "failed": 0}
"""

from ansible_collections.exoscale.partner.plugins.module_utils import _lifecycle
from ansible_collections.exoscale.partner.plugins.module_utils._base import (
    PartnerModule,
    failure_text,
    organization_options,
)


def main():
    partner = PartnerModule(
        argument_spec=dict(
            organizations=dict(type="list", elements="dict", required=True, options=organization_options()),
            unlisted=dict(type="str", default="keep", choices=list(_lifecycle.UNLISTED_ACTIONS)),
            unlisted_confirm=dict(type="bool", default=False),
            concurrency=dict(type="int", default=8),
        ),
        supports_check_mode=True,
    )
    partner.run(
        lambda: _lifecycle.converge_organizations(partner.client, partner.params, partner.check_mode, failure_text)
    )


if __name__ == "__main__":
    main()
