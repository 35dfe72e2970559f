# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: usage_report_csv
version_added: 0.1.0
short_description: A usage report as RFC 4180 CSV
description:
  - Renders the result of P(exoscale.partner.usage_report#filter) as CSV text for an invoicing
    system or a spreadsheet, following RFC 4180 (comma separated, CRLF line ends, fields with a
    comma, quote or line break quoted, quotes doubled) with a header row.
  - Amounts are the exact decimals of the report, with at least two decimals (V(0.00), V(7.50),
    V(0.00003), never V(3e-05), no rounding).
  - Safe to open in a spreadsheet (OWASP's advice against CSV injection) - a text cell starting with
    V(=), V(+), V(-), V(@), a tab or a carriage return, which a spreadsheet would run as a formula, is
    written with a single quote in front (an organization named V(=HYPERLINK("http://evil.example","x"\))
    gives V('=HYPERLINK("http://evil.example","x"\))). Numbers stay numbers - V(-42.00005) is an amount
    and is written as it is.
  - Write it as UTF-8 (M(ansible.builtin.copy) with O(ansible.builtin.copy#module:content) does).
positional: kind
options:
  _input:
    description: The result of P(exoscale.partner.usage_report#filter).
    type: dict
    required: true
  kind:
    description:
      - V(lines) - one row per organization and usage line; columns C(organization_id), C(client_id),
        C(name), C(product), C(variable), C(description), C(quantity), C(unit), C(total_excl_vat),
        C(total_incl_vat), C(currency).
      - V(organizations) - one row per organization and currency with its totals, then one
        C(Grand total (CUR)) row per currency; columns C(organization_id), C(client_id), C(name),
        C(status), C(currency), C(lines), C(total_excl_vat), C(total_incl_vat), C(usage_error).
    type: str
    choices: [lines, organizations]
    default: lines
author:
  - Exoscale (@exoscale)
seealso:
  - plugin: exoscale.partner.usage_report
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Write the usage lines of the month
  ansible.builtin.copy:
    content: "{{ report | exoscale.partner.usage_report_csv('lines') }}"
    dest: /srv/reports/usage-lines.csv
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The CSV text, header first, CRLF line ends.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.exoscale.partner.plugins.module_utils import _report


def usage_report_csv(report, kind="lines"):
    try:
        return _report.csv_text(report, kind)
    except _report.ReportError as exc:
        raise AnsibleFilterError("usage_report_csv: %s" % exc) from None


class FilterModule(object):
    def filters(self):
        return {"usage_report_csv": usage_report_csv}
