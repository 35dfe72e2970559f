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
  - Every amount in the result is a string holding the exact decimal in plain notation (V(0.00003),
    never V(3e-05)), so it survives JSON, YAML and templating unchanged.
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
  description: The report. Amounts are exact decimal strings.
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

import csv
import datetime
import decimal
import io
import re

from ansible.errors import AnsibleFilterError

from ansible_collections.exoscale.partner.plugins.module_utils._client import exact_decimal, validate_period

ZERO = decimal.Decimal(0)
CENT = decimal.Decimal("0.01")
AMOUNTS = ("total_excl_vat", "total_incl_vat")
LINE_COLUMNS = (
    "organization_id",
    "client_id",
    "name",
    "product",
    "variable",
    "description",
    "quantity",
    "unit",
    "total_excl_vat",
    "total_incl_vat",
    "currency",
)
ORGANIZATION_COLUMNS = (
    "organization_id",
    "client_id",
    "name",
    "status",
    "currency",
    "lines",
    "total_excl_vat",
    "total_incl_vat",
    "usage_error",
)
GRAND_TOTAL = "Grand total"


def _context():
    """Enough digits for any sum of amounts: never rounded."""
    return decimal.Context(prec=60, traps=[decimal.InvalidOperation, decimal.Inexact])


def _number(value, where):
    if value is None:
        return ZERO
    try:
        return exact_decimal(value, where)
    except ValueError as exc:
        raise AnsibleFilterError("usage_report: %s" % exc) from None


def _plain(number):
    return format(number, "f")


def _add(totals, key, amounts):
    """totals[key] += amounts (a dict of Decimals), exactly."""
    current = totals.setdefault(key, dict.fromkeys(AMOUNTS, ZERO))
    with decimal.localcontext(_context()):
        for name in AMOUNTS:
            current[name] += amounts[name]
    return current


def _record_amounts(record, where):
    """The record's own totals; the sum of its lines when the API left them out."""
    lines = record.get("usage") or []
    amounts = {}
    for name in AMOUNTS:
        if record.get(name) is not None:
            amounts[name] = _number(record[name], "%s.%s" % (where, name))
        else:
            with decimal.localcontext(_context()):
                amounts[name] = sum(
                    (_number(line.get(name), where) for line in lines),
                    ZERO,
                )
    return amounts


def _period_records(org, period):
    by_period = org.get("usage_by_period")
    if isinstance(by_period, dict):
        return by_period.get(period) or []
    return []


def _failure_text(org, period):
    errors = [error for error in org.get("usage_errors") or [] if error.get("period") in (period, None)]
    return "; ".join(str(error.get("msg")) for error in errors)


def _months(period, periods):
    months = {validate_period(month) for month in (periods or [])}
    months.add(validate_period(period))
    return sorted(months)


def usage_report(organizations, period, periods=None, top=20):
    """The whole report structure (see RETURN); amounts as exact plain decimal strings."""
    if not isinstance(organizations, (list, tuple)):
        raise AnsibleFilterError(
            "usage_report: expected the list of organizations, got %s" % type(organizations).__name__
        )
    try:
        months = _months(period, periods)
    except ValueError as exc:
        raise AnsibleFilterError("usage_report: %s" % exc) from None
    totals, products, trend, tops = {}, {}, {}, {}
    rows, lines, failures = [], [], []
    for index, org in enumerate(organizations):
        identity = {
            "organization_id": org.get("id") or "",
            "client_id": org.get("client_id") or "",
            "name": org.get("name") or "",
        }
        for error in org.get("usage_errors") or []:
            failures.append(
                dict(identity, period=error.get("period"), msg=error.get("msg"), status=error.get("status"))
            )
        for month in months:
            for record in _period_records(org, month):
                currency = record.get("currency") or ""
                _add(trend.setdefault(currency, {}), month, _record_amounts(record, "organizations[%d]" % index))
        org_totals, org_lines = {}, {}
        for record in _period_records(org, period):
            currency = record.get("currency") or ""
            where = "organizations[%d].usage_by_period[%s]" % (index, period)
            _add(org_totals, currency, _record_amounts(record, where))
            for line in record.get("usage") or []:
                amounts = {name: _number(line.get(name), where + "." + name) for name in AMOUNTS}
                quantity = _number(line.get("quantity"), where + ".quantity")
                org_lines[currency] = org_lines.get(currency, 0) + 1
                _add(products.setdefault(currency, {}), line.get("product") or "", amounts)
                lines.append(
                    dict(
                        identity,
                        product=line.get("product") or "",
                        variable=line.get("variable") or "",
                        description=line.get("description") or "",
                        quantity=_plain(quantity),
                        unit=line.get("unit") or "",
                        currency=currency,
                        **{name: _plain(amounts[name]) for name in AMOUNTS},
                    )
                )
        usage_error = _failure_text(org, period)
        if not org_totals:
            rows.append(
                dict(
                    identity,
                    status=org.get("status") or "",
                    currency="",
                    lines=0,
                    usage_error=usage_error,
                    # no usage: zero; usage unknown because its request failed: empty, never a made-up zero
                    total_excl_vat="" if usage_error else "0",
                    total_incl_vat="" if usage_error else "0",
                )
            )
        for currency, amounts in sorted(org_totals.items()):
            grand = _add(totals, currency, amounts)
            grand["organizations"] = grand.get("organizations", 0) + 1
            grand["lines"] = grand.get("lines", 0) + org_lines.get(currency, 0)
            tops.setdefault(currency, []).append(dict(identity, total_excl_vat=amounts["total_excl_vat"]))
            rows.append(
                dict(
                    identity,
                    status=org.get("status") or "",
                    currency=currency,
                    lines=org_lines.get(currency, 0),
                    usage_error=usage_error,
                    **{name: _plain(amounts[name]) for name in AMOUNTS},
                )
            )
    return {
        "period": period,
        "periods": months,
        "currencies": sorted(totals),
        "totals": {
            currency: dict(
                {name: _plain(value[name]) for name in AMOUNTS},
                organizations=value.get("organizations", 0),
                lines=value.get("lines", 0),
            )
            for currency, value in sorted(totals.items())
        },
        "organizations": rows,
        "lines": lines,
        "products": {
            currency: [
                dict(product=product, **{name: _plain(amounts[name]) for name in AMOUNTS})
                for product, amounts in sorted(
                    by_product.items(), key=lambda item: (-item[1]["total_excl_vat"], item[0])
                )
            ]
            for currency, by_product in sorted(products.items())
        },
        "top": {
            currency: [
                dict(entry, total_excl_vat=_plain(entry["total_excl_vat"]))
                for entry in sorted(ranked, key=lambda entry: -entry["total_excl_vat"])[:top]
            ]
            for currency, ranked in sorted(tops.items())
        },
        "trend": {
            currency: [
                dict(
                    period=month,
                    **{name: _plain(by_month.get(month, dict.fromkeys(AMOUNTS, ZERO))[name]) for name in AMOUNTS},
                )
                for month in months
            ]
            for currency, by_month in sorted(trend.items())
        },
        "failures": failures,
    }


def usage_report_periods(period, months=6):
    """The `months` months ending with `period` (V(YYYY-MM)); an empty period means the previous month."""
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
        raise AnsibleFilterError(
            "usage_report_periods: months: expected a whole number from 1 to 120, got %r" % (months,)
        )
    if not period:
        today = datetime.datetime.now(datetime.timezone.utc)
        period = "%04d-%02d" % ((today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12))
    try:
        validate_period(period)
    except ValueError as exc:
        raise AnsibleFilterError("usage_report_periods: %s" % exc) from None
    year, month = (int(part) for part in period.split("-"))
    last = year * 12 + month - 1
    return ["%04d-%02d" % (index // 12, index % 12 + 1) for index in range(last - months + 1, last + 1)]


# ------------------------------------------------------------------------------------------ CSV


def usage_report_csv(report, kind="lines"):
    """RFC 4180 CSV (CRLF, quotes doubled) of the report's lines or organizations (with grand totals)."""
    if kind not in ("lines", "organizations"):
        raise AnsibleFilterError("usage_report_csv: kind must be 'lines' or 'organizations', got %r" % (kind,))
    _check_report(report, "usage_report_csv")
    out = io.StringIO()
    columns = LINE_COLUMNS if kind == "lines" else ORGANIZATION_COLUMNS
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for row in report[kind]:
        writer.writerow({column: _cell(row.get(column)) for column in columns})
    if kind == "organizations":
        for currency, total in sorted(report["totals"].items()):
            writer.writerow(
                {
                    "name": "%s (%s)" % (GRAND_TOTAL, currency),
                    "currency": currency,
                    "lines": total["lines"],
                    "total_excl_vat": total["total_excl_vat"],
                    "total_incl_vat": total["total_incl_vat"],
                }
            )
    return out.getvalue()


def _cell(value):
    return "" if value is None else value


def _check_report(report, who):
    if not isinstance(report, dict) or "organizations" not in report or "totals" not in report:
        raise AnsibleFilterError("%s: expected the result of the exoscale.partner.usage_report filter" % who)


# ------------------------------------------------------------------------------------------ SVG

WIDTH = 760
ROW = 22
LABEL_WIDTH = 250
VALUE_WIDTH = 110
BAR_COLOUR = "#1f6feb"
NAME_LIMIT = 34
# XML 1.0 forbids these characters even when escaped: drop them from names.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text):
    """Text safe in SVG/HTML element content and double-quoted attributes."""
    text = _NOT_XML.sub("", str(text))
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _short(text, limit=NAME_LIMIT):
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _money(value):
    """12345.678 -> '12,345.68' for display (the CSV and JSON keep every decimal)."""
    return "{:,.2f}".format(decimal.Decimal(value).quantize(CENT, rounding=decimal.ROUND_HALF_EVEN))


def _scale(value, largest, length):
    """Pixels for value on a bar of `length` pixels for `largest` (never negative)."""
    value, largest = decimal.Decimal(value), decimal.Decimal(largest)
    if largest <= 0 or value <= 0:
        return "0"
    return _plain((value / largest * length).quantize(decimal.Decimal("0.1")))


def _svg(title, height, body):
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="%d" height="%d" '
        'viewBox="0 0 %d %d" aria-label="%s"><title>%s</title>%s</svg>'
        % (WIDTH, height, WIDTH, height, _xml(title), _xml(title), "".join(body))
    )


def _horizontal_bars(title, entries, currency):
    """entries: (label, full label, amount text); one bar per entry, largest first."""
    if not entries:
        return _svg(title, 40, ['<text x="10" y="25" class="empty">No usage in %s</text>' % _xml(currency)])
    largest = max(decimal.Decimal(amount) for _label, _full, amount in entries)
    length = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20
    body = []
    for index, (label, full, amount) in enumerate(entries):
        y = 10 + index * ROW
        width = _scale(amount, largest, length)
        body.append(
            '<g class="bar"><title>%s: %s %s</title>'
            '<text x="%d" y="%d" text-anchor="end" class="label">%s</text>'
            '<rect x="%d" y="%d" width="%s" height="%d" fill="%s"/>'
            '<text x="%d" y="%d" class="value">%s</text></g>'
            % (
                _xml(full),
                _xml(_money(amount)),
                _xml(currency),
                LABEL_WIDTH - 8,
                y + 15,
                _xml(_short(label)),
                LABEL_WIDTH,
                y + 3,
                width,
                ROW - 6,
                BAR_COLOUR,
                LABEL_WIDTH + int(decimal.Decimal(width)) + 6,
                y + 15,
                _xml(_money(amount)),
            )
        )
    return _svg(title, 20 + len(entries) * ROW, body)


def _trend_chart(title, points, currency):
    """Vertical bars, one per month, labelled with the month and the total."""
    height, top, bottom = 260, 30, 40
    plot = height - top - bottom
    slot = (WIDTH - 40) // max(len(points), 1)
    largest = max([decimal.Decimal(point["total_excl_vat"]) for point in points] + [ZERO])
    body = ['<line x1="20" y1="%d" x2="%d" y2="%d" stroke="#888"/>' % (top + plot, WIDTH - 20, top + plot)]
    for index, point in enumerate(points):
        bar_height = decimal.Decimal(_scale(point["total_excl_vat"], largest, plot))
        x = 20 + index * slot + slot // 6
        body.append(
            '<g class="bar"><title>%s: %s %s</title>'
            '<rect x="%d" y="%s" width="%d" height="%s" fill="%s"/>'
            '<text x="%d" y="%s" text-anchor="middle" class="value">%s</text>'
            '<text x="%d" y="%d" text-anchor="middle" class="label">%s</text></g>'
            % (
                _xml(point["period"]),
                _xml(_money(point["total_excl_vat"])),
                _xml(currency),
                x,
                _plain(top + plot - bar_height),
                slot * 2 // 3,
                _plain(bar_height),
                BAR_COLOUR,
                x + slot // 3,
                _plain(top + plot - bar_height - 6),
                _xml(_money(point["total_excl_vat"])),
                x + slot // 3,
                top + plot + 20,
                _xml(point["period"]),
            )
        )
    return _svg(title, height, body)


def usage_report_svg(report, chart, currency):
    """An inline SVG chart of the report for one currency: 'top', 'products' or 'trend'."""
    _check_report(report, "usage_report_svg")
    if chart == "top":
        entries = [
            (entry["name"] or entry["organization_id"], entry["name"], entry["total_excl_vat"])
            for entry in report["top"].get(currency, [])
        ]
        return _horizontal_bars(
            "Top organizations by total excl. VAT, %s, %s" % (currency, report["period"]), entries, currency
        )
    if chart == "products":
        entries = [
            (entry["product"], entry["product"], entry["total_excl_vat"])
            for entry in report["products"].get(currency, [])
        ]
        return _horizontal_bars("Total excl. VAT per product, %s, %s" % (currency, report["period"]), entries, currency)
    if chart == "trend":
        points = report["trend"].get(currency) or [
            {"period": month, "total_excl_vat": "0", "total_incl_vat": "0"} for month in report["periods"]
        ]
        return _trend_chart(
            "Monthly total excl. VAT, %s, %s to %s" % (currency, report["periods"][0], report["periods"][-1]),
            points,
            currency,
        )
    raise AnsibleFilterError("usage_report_svg: chart must be 'top', 'products' or 'trend', got %r" % (chart,))


class FilterModule(object):
    def filters(self):
        return {
            "usage_report": usage_report,
            "usage_report_periods": usage_report_periods,
            "usage_report_csv": usage_report_csv,
            "usage_report_svg": usage_report_svg,
        }
