# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: usage_report_svg
version_added: 0.1.0
short_description: An inline SVG chart of a usage report
description:
  - Draws one chart of the result of P(exoscale.partner.usage_report#filter) for one currency, as
    an C(<svg>) element to put inline in an HTML page (no script, no external reference).
  - Every text is escaped (names with C(<), C(&), quotes, non-ASCII characters and emoji are shown
    as they are; characters XML cannot carry are dropped). Long names are shortened, with the full
    name in the bar's tooltip.
positional: chart, currency
options:
  _input:
    description: The result of P(exoscale.partner.usage_report#filter).
    type: dict
    required: true
  chart:
    description:
      - V(top) - horizontal bars of the largest organizations by total excluding VAT.
      - V(products) - horizontal bars of the total excluding VAT per product.
      - V(trend) - one vertical bar per month of the trend window.
    type: str
    choices: [top, products, trend]
    required: true
  currency:
    description: The currency to draw; amounts of other currencies are never mixed in.
    type: str
    required: true
author:
  - Exoscale (@exoscale)
seealso:
  - plugin: exoscale.partner.usage_report
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Page with the top 20 organizations in CHF
  ansible.builtin.copy:
    content: "<html><body>{{ report | exoscale.partner.usage_report_svg('top', 'CHF') }}</body></html>"
    dest: /srv/reports/top.html
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The C(<svg>) element.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.exoscale.partner.plugins.module_utils import _report


def usage_report_svg(report, chart, currency):
    try:
        return _report.svg(report, chart, currency)
    except _report.ReportError as exc:
        raise AnsibleFilterError("usage_report_svg: %s" % exc) from None


class FilterModule(object):
    def filters(self):
        return {"usage_report_svg": usage_report_svg}
