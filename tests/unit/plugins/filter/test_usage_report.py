# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import datetime
import decimal
import io
import random
import re
from xml.etree import ElementTree

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.exoscale.partner.plugins.filter import usage_report as report_plugin
from ansible_collections.exoscale.partner.plugins.filter import usage_report_csv as csv_plugin
from ansible_collections.exoscale.partner.plugins.filter import usage_report_periods as periods_plugin
from ansible_collections.exoscale.partner.plugins.filter import usage_report_svg as svg_plugin

usage_report = report_plugin.usage_report
usage_report_csv = csv_plugin.usage_report_csv
usage_report_periods = periods_plugin.usage_report_periods
usage_report_svg = svg_plugin.usage_report_svg

SVG = "{http://www.w3.org/2000/svg}"
NASTY_NAMES = [
    "Müller & Söhne <GmbH> \"quoted\" 'single'",
    "Café 😀 🚀 東京",
    "Line\nbreak, and comma",
    "</svg><script>alert(1)</script>",
    "control\x01\x08chars",
    "x" * 120,
]


def line(product, quantity, excl, incl, variable="v"):
    return dict(
        product=product,
        variable=variable,
        description="about " + product,
        quantity=quantity,
        unit="unit",
        total_excl_vat=excl,
        total_incl_vat=incl,
    )


def record(currency, lines, excl=None, incl=None):
    def total(key):
        return str(sum((decimal.Decimal(str(item[key])) for item in lines), decimal.Decimal(0)))

    return dict(
        code="U",
        currency=currency,
        total_excl_vat=total("total_excl_vat") if excl is None else excl,
        total_incl_vat=total("total_incl_vat") if incl is None else incl,
        start_date="s",
        end_date="e",
        usage=lines,
    )


def org(number, by_period, name=None, **extra):
    return dict(
        id="00000000-0000-4000-8000-%012d" % number,
        name="Org %d" % number if name is None else name,
        client_id="crm-%d" % number,
        status="active",
        usage_by_period=by_period,
        **extra,
    )


def test_totals_are_per_currency_and_never_summed_across():
    orgs = [
        org(1, {"2026-01": [record("CHF", [line("compute", "1", "10.10", "10.92")])]}),
        org(2, {"2026-01": [record("EUR", [line("compute", "2", "20.20", "21.84")])]}),
        org(3, {"2026-01": [record("CHF", [line("sos", "3", "0.05", "0.05")])]}),
    ]
    report = usage_report(orgs, "2026-01")
    assert report["currencies"] == ["CHF", "EUR"]
    assert report["totals"] == {
        "CHF": {"total_excl_vat": "10.15", "total_incl_vat": "10.97", "organizations": 2, "lines": 2},
        "EUR": {"total_excl_vat": "20.20", "total_incl_vat": "21.84", "organizations": 1, "lines": 1},
    }
    assert [(row["name"], row["currency"]) for row in report["organizations"]] == [
        ("Org 1", "CHF"),
        ("Org 2", "EUR"),
        ("Org 3", "CHF"),
    ]
    assert [entry["product"] for entry in report["products"]["CHF"]] == ["compute", "sos"]
    assert report["products"]["EUR"] == [{"product": "compute", "total_excl_vat": "20.20", "total_incl_vat": "21.84"}]


def test_an_organization_with_two_currencies_gets_one_row_per_currency():
    orgs = [
        org(
            1, {"2026-01": [record("CHF", [line("a", "1", "1.00", "1.08")]), record("USD", [line("b", "1", "2", "2")])]}
        )
    ]
    report = usage_report(orgs, "2026-01")
    assert [(row["currency"], row["total_excl_vat"]) for row in report["organizations"]] == [
        ("CHF", "1.00"),
        ("USD", "2.00"),
    ]
    assert report["totals"]["CHF"]["organizations"] == report["totals"]["USD"]["organizations"] == 1


def test_amounts_stay_exact_whatever_their_form():
    lines = [
        line("a", "3e-05", "0.1", "0.1"),
        line("b", 1e-05, 0.2, 0.2),  # floats: their shortest round-tripping decimal, never 0.30000000000000004
        line("c", "123456789012.123456789", "1E+2", "100.000"),
    ]
    report = usage_report([org(1, {"2026-01": [record("CHF", lines, excl="100.3", incl=100.3)]})], "2026-01")
    assert [item["quantity"] for item in report["lines"]] == ["0.00003", "0.00001", "123456789012.123456789"]
    assert [item["total_excl_vat"] for item in report["lines"]] == ["0.10", "0.20", "100.00"]
    assert report["products"]["CHF"][1]["total_excl_vat"] == "0.20"
    assert report["totals"]["CHF"]["total_excl_vat"] == "100.30"
    assert "e" not in usage_report_csv(report, "lines").lower().split("\r\n", 1)[1].replace("about", "")


def test_a_record_without_totals_is_the_sum_of_its_lines():
    lines = [line("a", "1", "0.10", "0.11"), line("b", "1", "0.20", "0.22")]
    report = usage_report(
        [org(1, {"2026-01": [dict(record("EUR", lines), total_excl_vat=None, total_incl_vat=None)]})], "2026-01"
    )
    assert report["totals"]["EUR"]["total_excl_vat"] == "0.30"
    assert report["totals"]["EUR"]["total_incl_vat"] == "0.33"


def test_empty_months_and_an_organization_without_usage():
    orgs = [
        org(
            1,
            {
                "2025-11": [record("CHF", [line("a", "1", "5", "5")])],
                "2025-12": [],
                "2026-01": [record("CHF", [line("a", "1", "7.5", "8")])],
            },
        ),
        org(2, {"2025-11": [], "2025-12": [], "2026-01": []}),
        org(3, {}),
    ]
    report = usage_report(orgs, "2026-01", ["2025-11", "2025-12", "2026-01"])
    assert report["trend"]["CHF"] == [
        {"period": "2025-11", "total_excl_vat": "5.00", "total_incl_vat": "5.00"},
        {"period": "2025-12", "total_excl_vat": "0.00", "total_incl_vat": "0.00"},
        {"period": "2026-01", "total_excl_vat": "7.50", "total_incl_vat": "8.00"},
    ]
    rows = {row["name"]: row for row in report["organizations"]}
    assert rows["Org 2"] == dict(
        organization_id=orgs[1]["id"],
        client_id="crm-2",
        name="Org 2",
        status="active",
        currency="",
        lines=0,
        usage_error="",
        total_excl_vat="0.00",
        total_incl_vat="0.00",
    )
    assert rows["Org 3"]["total_excl_vat"] == "0.00"
    assert report["totals"]["CHF"]["organizations"] == 1
    # a month with no usage at all: no currency, no line, but a valid report
    empty = usage_report(orgs, "2025-12", ["2025-12"])
    assert empty["currencies"] == [] and empty["lines"] == [] and empty["totals"] == {}
    assert len(empty["organizations"]) == 3


def test_a_failed_usage_request_is_listed_and_never_shown_as_zero():
    orgs = [
        org(1, {"2026-01": [record("CHF", [line("a", "1", "5", "5")])]}),
        org(2, {}, usage_errors=[{"period": "2026-01", "msg": "HTTP 503: down", "status": 503}]),
    ]
    report = usage_report(orgs, "2026-01")
    assert report["failures"] == [
        {
            "organization_id": orgs[1]["id"],
            "client_id": "crm-2",
            "name": "Org 2",
            "period": "2026-01",
            "msg": "HTTP 503: down",
            "status": 503,
        }
    ]
    failed = report["organizations"][1]
    assert (failed["usage_error"], failed["total_excl_vat"], failed["currency"]) == ("HTTP 503: down", "", "")
    assert report["totals"]["CHF"]["total_excl_vat"] == "5.00"


def test_a_thousand_organizations_add_up_to_an_independent_sum():
    rng = random.Random(14)
    expected = {"CHF": decimal.Decimal(0), "EUR": decimal.Decimal(0)}
    orgs = []
    for number in range(1000):
        currency = "EUR" if number % 7 == 0 else "CHF"
        cents = [rng.randint(0, 10**7) for _index in range(3)]
        lines = [
            line("p%d" % index, "%d.%05d" % (value, value % 100000), "%d.%02d" % divmod(value, 100), "0")
            for index, value in enumerate(cents)
        ]
        expected[currency] += sum(decimal.Decimal(value) / 100 for value in cents)
        orgs.append(org(number, {"2026-01": [record(currency, lines)]}))
    report = usage_report(orgs, "2026-01")
    assert {
        currency: decimal.Decimal(total["total_excl_vat"]) for currency, total in report["totals"].items()
    } == expected
    assert report["totals"]["CHF"]["organizations"] + report["totals"]["EUR"]["organizations"] == 1000
    assert len(report["lines"]) == 3000
    top = report["top"]["CHF"]
    assert len(top) == 20
    amounts = [decimal.Decimal(entry["total_excl_vat"]) for entry in top]
    assert amounts == sorted(amounts, reverse=True)
    chf_rows = [decimal.Decimal(row["total_excl_vat"]) for row in report["organizations"] if row["currency"] == "CHF"]
    assert amounts[0] == max(chf_rows) and amounts[-1] == sorted(chf_rows, reverse=True)[19]


def nasty_report():
    orgs = [
        org(
            number,
            {
                "2026-01": [
                    record(
                        "CHF" if number % 2 else "EUR",
                        [line("pröduct <%d>" % number, "1", "%d.25" % (number + 1), "1")],
                    )
                ]
            },
            name=name,
        )
        for number, name in enumerate(NASTY_NAMES)
    ]
    return orgs, usage_report(orgs, "2026-01", ["2025-12", "2026-01"])


@pytest.mark.parametrize("chart", ["top", "products", "trend"])
@pytest.mark.parametrize("currency", ["CHF", "EUR", "USD"])
def test_svg_is_well_formed_with_every_name_escaped(chart, currency):
    orgs, report = nasty_report()
    svg = usage_report_svg(report, chart, currency)
    root = ElementTree.fromstring(svg.encode("utf-8"))
    assert root.tag == SVG + "svg"
    assert not root.findall(".//" + SVG + "script") and "<script" not in svg
    texts = " ".join(element.text or "" for element in root.iter())
    if chart == "top" and currency != "USD":
        for name in [row["name"] for row in report["top"][currency]]:
            clean = name.replace("\x01", "").replace("\x08", "")
            assert clean in texts  # the full name, in the bar's title
        assert len(root.findall(".//" + SVG + "rect")) == len(report["top"][currency])
    if chart == "trend" and currency != "USD":
        assert [label.text for label in root.iter(SVG + "text") if label.get("class") == "label"] == [
            "2025-12",
            "2026-01",
        ]


def test_svg_bars_are_proportional():
    orgs = [
        org(n, {"2026-01": [record("CHF", [line("a", "1", str(amount), "0")])]})
        for n, amount in enumerate([100, 50, 25])
    ]
    root = ElementTree.fromstring(usage_report_svg(usage_report(orgs, "2026-01"), "top", "CHF"))
    widths = [float(rect.get("width")) for rect in root.iter(SVG + "rect")]
    assert widths[0] == 2 * widths[1] == 4 * widths[2] > 0


@pytest.mark.parametrize("kind", ["lines", "organizations"])
def test_csv_round_trips_through_the_csv_module(kind):
    orgs, report = nasty_report()
    text = usage_report_csv(report, kind)
    assert text.endswith("\r\n") and "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    expected = [{key: str(value) for key, value in row.items()} for row in report[kind]]
    assert rows[: len(expected)] == [{key: row[key] for key in rows[0]} for row in expected]
    if kind == "organizations":
        grand = rows[len(expected) :]
        assert [(row["name"], row["total_excl_vat"]) for row in grand] == [
            ("Grand total (%s)" % currency, report["totals"][currency]["total_excl_vat"]) for currency in ("CHF", "EUR")
        ]
        assert sum(
            decimal.Decimal(row["total_excl_vat"]) for row in rows[: len(expected)] if row["currency"] == "CHF"
        ) == decimal.Decimal(grand[0]["total_excl_vat"])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: usage_report([], "2025-13"), "2025-13"),
        (lambda: usage_report([], "2026-01", ["2026-1"]), "2026-1"),
        (lambda: usage_report({"not": "a list"}, "2026-01"), "list of organizations"),
        (
            lambda: usage_report([org(1, {"2026-01": [record("CHF", [line("a", "many", "1", "1")])]})], "2026-01"),
            "quantity",
        ),
        (lambda: usage_report_csv({"x": 1}, "lines"), "usage_report filter"),
        (lambda: usage_report_csv(usage_report([], "2026-01"), "invoices"), "kind"),
        (lambda: usage_report_svg(usage_report([], "2026-01"), "pie", "CHF"), "chart"),
        (lambda: usage_report_periods("2025-13", 6), "2025-13"),
        (lambda: usage_report_periods("2026-01", 0), "months"),
    ],
)
def test_bad_input_fails_naming_the_problem(call, message):
    with pytest.raises(AnsibleFilterError, match=message):
        call()


def test_periods_window():
    assert usage_report_periods("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]
    assert usage_report_periods("2026-01", 1) == ["2026-01"]
    today = datetime.datetime.now(datetime.timezone.utc)
    previous = (today.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    assert usage_report_periods("", 2)[-1] == previous == usage_report_periods(None)[-1]
    assert len(usage_report_periods(None)) == 6


@pytest.mark.parametrize("plugin", [report_plugin, csv_plugin, periods_plugin, svg_plugin])
def test_each_file_registers_the_one_filter_it_documents(plugin):
    documented = yaml.safe_load(plugin.DOCUMENTATION)["name"]
    assert plugin.__name__.rsplit(".", 1)[1] == documented
    assert plugin.FilterModule().filters() == {documented: getattr(plugin, documented)}


AMOUNTS = ("total_excl_vat", "total_incl_vat")
MONEY = re.compile(r"-?[0-9]+\.[0-9]{2,}")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def every_amount(report):
    """(where, amount text) of every amount in the report."""
    found = []
    for kind in ("organizations", "lines"):
        found += [("%s[%d]" % (kind, index), row[key]) for index, row in enumerate(report[kind]) for key in AMOUNTS]
    for currency, total in report["totals"].items():
        found += [("totals." + currency, total[key]) for key in AMOUNTS]
    for part in ("products", "trend"):
        for currency, entries in report[part].items():
            found += [("%s.%s" % (part, currency), entry[key]) for entry in entries for key in AMOUNTS]
    found += [("top." + currency, entry["total_excl_vat"]) for currency, top in report["top"].items() for entry in top]
    return found


@pytest.mark.parametrize(
    "amount, printed",
    [
        ("0", "0.00"),
        ("0.0", "0.00"),
        ("-0.0", "0.00"),
        (0, "0.00"),
        ("7.5", "7.50"),
        (7.5, "7.50"),
        ("12", "12.00"),
        ("1E+2", "100.00"),
        ("0.30", "0.30"),
        ("0.00003", "0.00003"),
        ("3e-05", "0.00003"),
        ("-42.00005", "-42.00005"),
        ("12345678901234567890123.4", "12345678901234567890123.40"),
    ],
)
def test_money_is_printed_exactly_with_at_least_two_decimals_everywhere(amount, printed):
    orgs = [
        org(1, {"2026-01": [record("CHF", [line("a", "1", amount, amount)])]}),
        org(2, {"2026-01": []}),  # no usage: its row says 0.00, never 0 or 0.0
    ]
    report = usage_report(orgs, "2026-01", ["2025-12", "2026-01"])
    amounts = every_amount(report)
    assert [where for where, _text in amounts if not MONEY.fullmatch(_text)] == []
    assert report["lines"][0]["total_excl_vat"] == report["totals"]["CHF"]["total_incl_vat"] == printed
    assert report["trend"]["CHF"] == [
        {"period": "2025-12", "total_excl_vat": "0.00", "total_incl_vat": "0.00"},
        {"period": "2026-01", "total_excl_vat": printed, "total_incl_vat": printed},
    ]
    assert report["organizations"][1]["total_excl_vat"] == "0.00"
    rows = list(csv.DictReader(io.StringIO(usage_report_csv(report, "organizations"), newline="")))
    assert [(row["name"], row["total_excl_vat"], row["total_incl_vat"]) for row in rows] == [
        ("Org 1", printed, printed),
        ("Org 2", "0.00", "0.00"),
        ("Grand total (CHF)", printed, printed),
    ]


HOSTILE = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "-",
    "=",
]


def hostile_report():
    orgs = [
        dict(
            org(
                number,
                {
                    "2026-01": [
                        record(
                            "CHF",
                            [
                                dict(
                                    line(text, "-3", "-42.00005", "-45.36005", variable=text),
                                    description=text,
                                    unit=text,
                                )
                            ],
                        )
                    ]
                },
                name=text,
            ),
            client_id=text,
        )
        for number, text in enumerate(HOSTILE)
    ]
    orgs.append(org(99, {}, name="Safe 'quoted' name", usage_errors=[{"period": "2026-01", "msg": "-1: failed"}]))
    return usage_report(orgs, "2026-01")


@pytest.mark.parametrize("kind", ["lines", "organizations"])
def test_csv_text_that_a_spreadsheet_would_run_gets_a_leading_quote(kind):
    report = hostile_report()
    rows = list(csv.DictReader(io.StringIO(usage_report_csv(report, kind), newline="")))
    text_columns = ["client_id", "name"] + (["product", "variable", "description", "unit"] if kind == "lines" else [])
    for row, hostile in zip(rows, HOSTILE):
        assert [row[column] for column in text_columns] == ["'" + hostile] * len(text_columns)
    for row, source in zip(rows, report[kind]):
        # numbers stay numbers: negative amounts and quantities are written as they are
        assert [row[column] for column in AMOUNTS] == [source[column] for column in AMOUNTS]
        assert row["organization_id"] == source["organization_id"]
    assert rows[0]["total_excl_vat"] == "-42.00005"
    if kind == "lines":
        assert {row["quantity"] for row in rows} == {"-3"}
    else:
        assert rows[len(HOSTILE)]["name"] == "Safe 'quoted' name"
        assert rows[len(HOSTILE)]["usage_error"] == "'-1: failed"
        assert rows[-1]["name"] == "Grand total (CHF)"
        assert rows[-1]["total_excl_vat"] == report["totals"]["CHF"]["total_excl_vat"] == "-336.00040"
    starts = ("=", "+", "-", "@", "\t", "\r")
    formula_like = [cell for row in rows for cell in row.values() if cell.startswith(starts)]
    assert [cell for cell in formula_like if not NUMBER.fullmatch(cell)] == []
