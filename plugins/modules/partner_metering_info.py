#!/usr/bin/python
# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: partner_metering_info
short_description: List the metering journal of exoscale.partner.partner_metering
version_added: 0.1.0
description:
  - Lists the transactions that M(exoscale.partner.partner_metering) recorded in its journal (O(journal)),
    oldest first, filtered by state, transaction ID, organization and time.
  - This is how an operator finds what needs O(exoscale.partner.partner_metering#module:resolve) after an
    incident (O(state=[uncertain, pending])). See
    U(https://github.com/exoscale/ansible-collection-partner/blob/main/docs/docsite/rst/metering.rst).
  - Reads only the journal; makes no Partner API call and needs no API credentials. Creates nothing
    (a journal that does not exist yet lists nothing).
  - It belongs to the C(exoscale.partner.partner) action group, so it accepts the API options that
    C(module_defaults) set for the group (O(api_key), O(api_secret), ...), and ignores them.
author:
  - Exoscale (@exoscale)
extends_documentation_fragment:
  - exoscale.partner.api
  - exoscale.partner.journal
attributes:
  check_mode:
    support: full
    description: The module only reads; it behaves the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed.
options:
  state:
    description:
      - Only transactions in these states. V(uncertain) and V(pending) need a person to check the usage and
        settle them with O(exoscale.partner.partner_metering#module:resolve).
    type: list
    elements: str
    choices: [pending, applied, uncertain]
  transaction_id:
    description: Only the transaction with this exact ID.
    type: str
  transaction_prefix:
    description:
      - Only transactions whose ID starts with this text, for example V(customer-1234/) or the month in
        your ID scheme. Compared literally (no wildcards).
    type: str
  organization_id:
    description: Only transactions of the organization with this UUID.
    type: str
  since:
    description:
      - Only transactions last sent at or after this time, an ISO 8601 date or date-time (UTC unless it
        has an offset), for example V(2026-02-01) or V(2026-02-01T06:00:00Z).
    type: str
seealso:
  - module: exoscale.partner.partner_metering
    description: Sends metering batches through the journal, and settles uncertain ones (resolve).
"""

EXAMPLES = r"""
- name: What needs a decision after the incident?
  exoscale.partner.partner_metering_info:
    state: [uncertain, pending]
  register: unsettled

- name: Everything billed to one customer this year, in a shared journal
  exoscale.partner.partner_metering_info:
    journal: postgresql://billing@db.example.com/billing
    transaction_prefix: "customer-1234/"
    since: "2026-01-01"
"""

RETURN = r"""
transactions:
  description: The journal entries that match, oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    transaction_id:
      description: The transaction ID.
      type: str
      returned: always
      sample: customer-1234/2026-01
    state:
      description:
        - V(applied), V(uncertain) (may have been applied) or V(pending) (a run was sending it and did not
          record the outcome).
      type: str
      returned: always
      sample: uncertain
    organization_id:
      description: UUID of the billed organization.
      type: str
      returned: always
    client_id:
      description: The client ID the task named the organization by, or V(null) when it gave O(organization_id).
      type: str
      returned: always
    usage:
      description: The entries of the batch (quantities as exact decimal strings).
      type: list
      elements: dict
      returned: always
    api_key:
      description: The API key (its public name, never the secret) of the run that sent it.
      type: str
      returned: always
    first_sent_at:
      description: When it was first sent, ISO 8601 UTC.
      type: str
      returned: always
    last_sent_at:
      description:
        - When it was last sent (differs after O(exoscale.partner.partner_metering#module:resolve=not_applied)).
      type: str
      returned: always
    applied_at:
      description: When it was recorded as applied, or V(null).
      type: str
      returned: always
    updated_at:
      description: When the entry last changed.
      type: str
      returned: always
    attempts:
      description:
        - How many times it was sent (1, plus one per
          O(exoscale.partner.partner_metering#module:resolve=not_applied)).
      type: int
      returned: always
    last_error:
      description: The error of the last attempt that left it uncertain, or V(null).
      type: str
      returned: always
counts:
  description: How many of the listed transactions are in each state.
  returned: always
  type: dict
  sample: {applied: 498, uncertain: 1, pending: 1}
"""

from ansible_collections.exoscale.partner.plugins.module_utils import _journal
from ansible_collections.exoscale.partner.plugins.module_utils._base import PartnerModule
from ansible_collections.exoscale.partner.plugins.module_utils._journal_module import (
    journal_argument_spec,
    list_journal,
    mask_journal_password,
)


def main():
    partner = PartnerModule(
        argument_spec=dict(
            state=dict(type="list", elements="str", choices=list(_journal.TRANSACTION_STATES)),
            transaction_id=dict(type="str"),
            transaction_prefix=dict(type="str"),
            organization_id=dict(type="str"),
            since=dict(type="str"),
            **journal_argument_spec(),
        ),
        uses_api=False,  # reads only the journal; the api_* options are accepted for module_defaults
        text_options=(),  # a blank filter filters nothing out, a blank journal is the default one
        mutually_exclusive=[("transaction_id", "transaction_prefix")],
        supports_check_mode=True,
    )
    mask_journal_password(partner)
    params = partner.params

    def work():
        filters = _journal.journal_filters(
            states=params["state"],
            transaction_id=params["transaction_id"],
            prefix=params["transaction_prefix"],
            organization_id=params["organization_id"],
            since=params["since"],
        )
        return list_journal(partner, filters)

    partner.run(work)


if __name__ == "__main__":
    main()
