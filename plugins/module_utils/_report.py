# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The usage report's rules: exact per-currency sums, the trend window, RFC 4180 CSV, inline SVG charts.

Private to this collection: not a public API, may change in any release.
Pure functions, no Ansible import and no HTTP: the four filters in plugins/filter/ (usage_report,
usage_report_periods, usage_report_csv, usage_report_svg) are thin shells over `report`, `periods`,
`csv_text` and `svg`, turning ReportError into their AnsibleFilterError.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import datetime
import decimal
import io
import re

from ansible_collections.exoscale.partner.plugins.module_utils import _client

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


class ReportError(ValueError):
    """Bad input to the report; the message names what was wrong."""


def _context():
    """Enough digits for any sum of amounts: never rounded."""
    return decimal.Context(prec=60, traps=[decimal.InvalidOperation, decimal.Inexact])


def _number(value, where):
    if value is None:
        return ZERO
    try:
        return _client.exact_decimal(value, where)
    except (ValueError, _client.ExoscaleAPIException) as exc:
        raise ReportError(str(exc)) from None


def _month(value):
    try:
        return _client.validate_period(value)
    except (ValueError, _client.ExoscaleAPIException) as exc:
        raise ReportError(str(exc)) from None


def _plain(number):
    return format(number, "f")


def money(number):
    """An amount as printed everywhere in the report: exact, plain, at least two decimals.

    0 -> '0.00', 7.5 -> '7.50', 0.00003 -> '0.00003', -42.00005 -> '-42.00005' (nothing is rounded).
    """
    number = decimal.Decimal(number)
    if number.is_zero():
        number = ZERO  # no '-0.00'
    if number.as_tuple().exponent > -2:
        with decimal.localcontext(_context()):
            number = number.quantize(CENT)
    return _plain(number)


def _add(totals, key, amounts):
    """totals[key] += amounts (a dict of Decimals), exactly."""
    current = totals.setdefault(key, dict.fromkeys(AMOUNTS, ZERO))
    with decimal.localcontext(_context()):
        for name in AMOUNTS:
            current[name] += amounts[name]
    return current


def _money_fields(amounts):
    return {name: money(amounts[name]) for name in AMOUNTS}


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
    months = {_month(month) for month in (periods or [])}
    months.add(_month(period))
    return sorted(months)


def report(organizations, period, periods=None, top=20):
    """The whole report structure (see the usage_report filter's RETURN); amounts as money() strings."""
    if not isinstance(organizations, (list, tuple)):
        raise ReportError("expected the list of organizations, got %s" % type(organizations).__name__)
    months = _months(period, periods)
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
                        **_money_fields(amounts),
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
                    **dict.fromkeys(AMOUNTS, "" if usage_error else money(ZERO)),
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
                    **_money_fields(amounts),
                )
            )
    return {
        "period": period,
        "periods": months,
        "currencies": sorted(totals),
        "totals": {
            currency: dict(
                _money_fields(value),
                organizations=value.get("organizations", 0),
                lines=value.get("lines", 0),
            )
            for currency, value in sorted(totals.items())
        },
        "organizations": rows,
        "lines": lines,
        "products": {
            currency: [
                dict(product=product, **_money_fields(amounts))
                for product, amounts in sorted(
                    by_product.items(), key=lambda item: (-item[1]["total_excl_vat"], item[0])
                )
            ]
            for currency, by_product in sorted(products.items())
        },
        "top": {
            currency: [
                dict(entry, total_excl_vat=money(entry["total_excl_vat"]))
                for entry in sorted(ranked, key=lambda entry: -entry["total_excl_vat"])[:top]
            ]
            for currency, ranked in sorted(tops.items())
        },
        "trend": {
            currency: [
                dict(period=month, **_money_fields(by_month.get(month, dict.fromkeys(AMOUNTS, ZERO))))
                for month in months
            ]
            for currency, by_month in sorted(trend.items())
        },
        "failures": failures,
    }


def periods(period, months=6):
    """The `months` months ending with `period` ('YYYY-MM'); an empty period means the previous month (UTC)."""
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
        raise ReportError("months: expected a whole number from 1 to 120, got %r" % (months,))
    if not period:
        today = datetime.datetime.now(datetime.timezone.utc)
        period = "%04d-%02d" % ((today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12))
    _month(period)
    year, month = (int(part) for part in period.split("-"))
    last = year * 12 + month - 1
    return ["%04d-%02d" % (index // 12, index % 12 + 1) for index in range(last - months + 1, last + 1)]


def check_report(value):
    if not isinstance(value, dict) or "organizations" not in value or "totals" not in value:
        raise ReportError("expected the result of the exoscale.partner.usage_report filter")


# ------------------------------------------------------------------------------------------ CSV

# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal number is data whatever its sign: the amounts, quantities and line counts.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def csv_cell(value):
    """A CSV cell a spreadsheet shows as the text it is: formula-like text gets a leading single quote.

    Numbers stay numbers: 12, '-42.00005' and '0.00' are written as they are.
    """
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_text(value, kind="lines"):
    """RFC 4180 CSV (CRLF, quotes doubled) of the report's lines or organizations (with grand totals)."""
    if kind not in ("lines", "organizations"):
        raise ReportError("kind must be 'lines' or 'organizations', got %r" % (kind,))
    check_report(value)
    out = io.StringIO()
    columns = LINE_COLUMNS if kind == "lines" else ORGANIZATION_COLUMNS
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    rows = list(value[kind])
    if kind == "organizations":
        rows += [
            {
                "name": "%s (%s)" % (GRAND_TOTAL, currency),
                "currency": currency,
                "lines": total["lines"],
                "total_excl_vat": total["total_excl_vat"],
                "total_incl_vat": total["total_incl_vat"],
            }
            for currency, total in sorted(value["totals"].items())
        ]
    for row in rows:
        writer.writerow({column: csv_cell(row.get(column)) for column in columns})
    return out.getvalue()


# ------------------------------------------------------------------------------------------ SVG

WIDTH = 760
ROW = 22
LABEL_WIDTH = 250
VALUE_WIDTH = 110
BAR_COLOUR = "#1f6feb"
NAME_LIMIT = 34
CHARTS = ("top", "products", "trend")
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


def _cents(value):
    """12345.678 -> '12,345.68' for a chart's labels (the table, CSV and JSON keep every decimal)."""
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
                _xml(_cents(amount)),
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
                _xml(_cents(amount)),
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
                _xml(_cents(point["total_excl_vat"])),
                _xml(currency),
                x,
                _plain(top + plot - bar_height),
                slot * 2 // 3,
                _plain(bar_height),
                BAR_COLOUR,
                x + slot // 3,
                _plain(top + plot - bar_height - 6),
                _xml(_cents(point["total_excl_vat"])),
                x + slot // 3,
                top + plot + 20,
                _xml(point["period"]),
            )
        )
    return _svg(title, height, body)


def svg(value, chart, currency):
    """An inline SVG chart of the report for one currency: 'top', 'products' or 'trend'."""
    check_report(value)
    if chart == "top":
        entries = [
            (entry["name"] or entry["organization_id"], entry["name"], entry["total_excl_vat"])
            for entry in value["top"].get(currency, [])
        ]
        return _horizontal_bars(
            "Top organizations by total excl. VAT, %s, %s" % (currency, value["period"]), entries, currency
        )
    if chart == "products":
        entries = [
            (entry["product"], entry["product"], entry["total_excl_vat"])
            for entry in value["products"].get(currency, [])
        ]
        return _horizontal_bars("Total excl. VAT per product, %s, %s" % (currency, value["period"]), entries, currency)
    if chart == "trend":
        points = value["trend"].get(currency) or [
            dict(period=month, **dict.fromkeys(AMOUNTS, money(ZERO))) for month in value["periods"]
        ]
        return _trend_chart(
            "Monthly total excl. VAT, %s, %s to %s" % (currency, value["periods"][0], value["periods"][-1]),
            points,
            currency,
        )
    raise ReportError("chart must be one of %s, got %r" % (", ".join("'%s'" % name for name in CHARTS), chart))
