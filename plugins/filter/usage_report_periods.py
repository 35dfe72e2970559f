# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: usage_report_periods
version_added: 0.1.0
short_description: The months of a usage report's trend window
description:
  - The O(months) months ending with the month given as input, ascending, each as V(YYYY-MM).
  - An empty input (V(""), V(null)) stands for the previous month (UTC), the month a monthly
    invoicing run usually reports on.
  - Fails naming the problem for a month that is not V(YYYY-MM) with a month from V(01) to V(12).
positional: months
options:
  _input:
    description: The last month, V(YYYY-MM), or empty for the previous month.
    type: str
    required: true
  months:
    description: How many months, from V(1) to V(120).
    type: int
    default: 6
author:
  - Exoscale (@exoscale)
seealso:
  - plugin: exoscale.partner.usage_report
    plugin_type: filter
"""

EXAMPLES = r"""
# ['2025-11', '2025-12', '2026-01']
months: "{{ '2026-01' | exoscale.partner.usage_report_periods(3) }}"

# the six months up to the previous one
window: "{{ '' | exoscale.partner.usage_report_periods }}"
"""

RETURN = r"""
_value:
  description: The months, ascending.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.exoscale.partner.plugins.module_utils import _report


def usage_report_periods(period, months=6):
    try:
        return _report.periods(period, months)
    except _report.ReportError as exc:
        raise AnsibleFilterError("usage_report_periods: %s" % exc) from None


class FilterModule(object):
    def filters(self):
        return {"usage_report_periods": usage_report_periods}
