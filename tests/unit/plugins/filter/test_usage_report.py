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
from xml.etree import ElementTree

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.exoscale.partner.plugins.filter.usage_report import (
    FilterModule,
    usage_report,
    usage_report_csv,
    usage_report_periods,
    usage_report_svg,
)

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
        ("USD", "2"),
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
    assert [item["total_excl_vat"] for item in report["lines"]] == ["0.1", "0.2", "100"]
    assert report["products"]["CHF"][1]["total_excl_vat"] == "0.2"
    assert report["totals"]["CHF"]["total_excl_vat"] == "100.3"
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
        {"period": "2025-11", "total_excl_vat": "5", "total_incl_vat": "5"},
        {"period": "2025-12", "total_excl_vat": "0", "total_incl_vat": "0"},
        {"period": "2026-01", "total_excl_vat": "7.5", "total_incl_vat": "8"},
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
        total_excl_vat="0",
        total_incl_vat="0",
    )
    assert rows["Org 3"]["total_excl_vat"] == "0"
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
    assert report["totals"]["CHF"]["total_excl_vat"] == "5"


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


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {
        "usage_report",
        "usage_report_periods",
        "usage_report_csv",
        "usage_report_svg",
    }
