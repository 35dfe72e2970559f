# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: usage_report
version_added: 0.1.0
short_description: Aggregate the usage of organizations into a monthly report, exactly and per currency
description:
  - Turns the organizations returned by M(exoscale.partner.partner_org_info) with
    O(exoscale.partner.partner_org_info#module:usage=true) and
    O(exoscale.partner.partner_org_info#module:periods) into one report with the usage lines, totals per
    organization, grand totals, a per-product breakdown, the top organizations and the monthly trend.
  - Amounts are added up with Python's C(decimal.Decimal), never as floats, and B(never across currencies);
    every total is per currency.
  - Every amount in the result is a string holding the exact decimal in plain notation with at least
    two decimals (V(0.00), V(7.50), V(0.00003), never V(3e-05) or V(0.0); nothing is rounded), so it
    survives JSON, YAML and templating unchanged and reads the same in every file of the report.
  - Used by the P(exoscale.partner.usage_report#role) role; render the result with
    P(exoscale.partner.usage_report_csv#filter) and P(exoscale.partner.usage_report_svg#filter).
positional: period, periods
options:
  _input:
    description:
      - The RV(exoscale.partner.partner_org_info#module:organizations) list, each organization with
        C(usage_by_period) (and C(usage_errors) with
        O(exoscale.partner.partner_org_info#module:on_usage_error=continue)).
      - Amounts may be exact decimal strings (as the module returns them), integers or floats.
    type: list
    elements: dict
    required: true
  period:
    description: The month of the report, V(YYYY-MM).
    type: str
    required: true
  periods:
    description:
      - The months of the trend, V(YYYY-MM) each; the report month is added when missing.
      - Defaults to the report month alone.
    type: list
    elements: str
  top:
    description: How many organizations the RV(_value.top) ranking keeps per currency.
    type: int
    default: 20
author:
  - Exoscale (@exoscale)
seealso:
  - plugin: exoscale.partner.usage_report_csv
    plugin_type: filter
  - plugin: exoscale.partner.usage_report_svg
    plugin_type: filter
  - module: exoscale.partner.partner_org_info
"""

EXAMPLES = r"""
- name: Six months of usage
  exoscale.partner.partner_org_info:
    usage: true
    periods: "{{ months }}"
  register: info

- name: Aggregate it
  ansible.builtin.set_fact:
    report: "{{ info.organizations | exoscale.partner.usage_report(months[-1], months) }}"

- name: Grand totals, one per currency
  ansible.builtin.debug:
    msg: "{{ item.key }}: {{ item.value.total_excl_vat }} excl. VAT"
  loop: "{{ report.totals | dict2items }}"
"""

RETURN = r"""
_value:
  description: The report. Amounts are exact decimal strings with at least two decimals.
  type: dict
  contains:
    period:
      description: The month of the report.
      type: str
    periods:
      description: The months of the trend, ascending.
      type: list
      elements: str
    currencies:
      description: The currencies of the report month, sorted.
      type: list
      elements: str
    totals:
      description: "Per currency: C(total_excl_vat), C(total_incl_vat), C(organizations), C(lines)."
      type: dict
    organizations:
      description:
        - One row per organization and currency of the report month, in the order of the input
          (an organization without usage gets one row with an empty C(currency) and zero totals).
        - Keys C(organization_id), C(client_id), C(name), C(status), C(currency), C(lines),
          C(total_excl_vat), C(total_incl_vat), C(usage_error) (empty unless its usage request failed).
      type: list
      elements: dict
    lines:
      description:
        - Every usage line of the report month. Keys C(organization_id), C(client_id), C(name), C(product),
          C(variable), C(description), C(quantity), C(unit), C(total_excl_vat), C(total_incl_vat), C(currency).
      type: list
      elements: dict
    products:
      description: "Per currency: C(product), C(total_excl_vat), C(total_incl_vat), largest first."
      type: dict
    top:
      description:
        - "Per currency: the largest organizations by total excluding VAT (at most O(top)), with
          C(name), C(organization_id), C(client_id), C(total_excl_vat)."
      type: dict
    trend:
      description: "Per currency: C(period), C(total_excl_vat), C(total_incl_vat) for every month of C(periods)."
      type: dict
    failures:
      description: The usage requests that failed (C(organization_id), C(name), C(period), C(msg), C(status)).
      type: list
      elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.exoscale.partner.plugins.module_utils import _report


def usage_report(organizations, period, periods=None, top=20):
    try:
        return _report.report(organizations, period, periods, top)
    except _report.ReportError as exc:
        raise AnsibleFilterError("usage_report: %s" % exc) from None


class FilterModule(object):
    def filters(self):
        return {"usage_report": usage_report}
