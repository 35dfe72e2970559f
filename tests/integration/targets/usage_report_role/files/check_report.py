# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check a usage report against what the simulator served, computed independently of the collection.

check_report.py ADMIN_URL REPORT_DIR PERIOD ORG_ID... [--failed ORG_ID]
Reads the seeded usage from GET ADMIN_URL/usage, adds it up per currency with Decimal, and checks the
two CSV files, the JSON file and the HTML page. Prints one line per check; exits 1 on the first mismatch.
"""

import csv
import decimal
import html.parser
import io
import json
import sys
import urllib.request

D = decimal.Decimal


def fail(message):
    print("MISMATCH: " + message)
    sys.exit(1)


def expect(label, got, wanted):
    if got != wanted:
        fail("%s: got %r, expected %r" % (label, got, wanted))
    print("ok %s" % label)


def served(admin_url, period, org_ids):
    """{org id: [records]} of the month, and the totals per currency (records and lines summed apart)."""
    with urllib.request.urlopen(admin_url + "/usage", timeout=10) as answer:
        seeded = json.loads(answer.read(), parse_float=D)["usage"]
    records = {entry["organization"]: entry["records"] for entry in seeded if entry["period"] == period}
    by_record, by_line, per_org = {}, {}, {}
    for org_id in org_ids:
        for record in records.get(org_id, []):
            currency = record["currency"]
            key = (org_id, currency)
            per_org[key] = per_org.get(key, D(0)) + D(record["total-excl-vat"])
            by_record[currency] = by_record.get(currency, D(0)) + D(record["total-excl-vat"])
            for line in record["usage"]:
                by_line[currency] = by_line.get(currency, D(0)) + D(line["total-excl-vat"])
    return records, by_record, by_line, per_org


class Page(html.parser.HTMLParser):
    """Collects the text of the grand total cells and of every td.name."""

    def __init__(self):
        super().__init__()
        self.stack, self.cards, self.grand, self.names, self.failures_text = [], {}, {}, [], ""
        self.currency = None
        self.in_failures = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if "card" in classes or "grand-total" in classes:
            self.currency = (attrs.get("data-currency"), "card" if "card" in classes else "grand")
        elif tag in ("tr", "section"):
            self.currency = None  # an organization's row or another section: not a total
        if attrs.get("id") == "failures":
            self.in_failures = True
        self.stack.append((tag, classes))

    def handle_endtag(self, tag):
        while self.stack:
            popped, classes = self.stack.pop()
            if popped == "section":
                self.in_failures = False
            if popped == tag:
                break

    def handle_data(self, data):
        if self.in_failures:
            self.failures_text += data
        if not self.stack:
            return
        _tag, classes = self.stack[-1]
        if "name" in classes:
            self.names.append(data)
        if "total-excl-vat" in classes and self.currency:
            currency, where = self.currency
            (self.cards if where == "card" else self.grand)[currency] = data.strip()


def main(argv):
    admin_url, folder, period = argv[1:4]
    rest = argv[4:]
    failed = rest[rest.index("--failed") + 1] if "--failed" in rest else None
    org_ids = rest[: rest.index("--failed")] if failed else rest
    records, by_record, by_line, per_org = served(admin_url, period, [i for i in org_ids if i != failed])
    if failed:
        records.pop(failed, None)
    expect("something was seeded for the period", bool(by_record), True)
    expect("records and lines agree in the simulator", by_record, by_line)

    with open("%s/usage-%s-lines.csv" % (folder, period), encoding="utf-8", newline="") as handle:
        text = handle.read()
    lines = list(csv.DictReader(io.StringIO(text, newline="")))
    expect("lines CSV ends every record with CRLF", text.count("\r\n"), len(lines) + 1)
    sums = {}
    for row in lines:
        sums[row["currency"]] = sums.get(row["currency"], D(0)) + D(row["total_excl_vat"])
        if "e" in row["quantity"].lower() or "e" in row["total_excl_vat"].lower():
            fail("exponent form in %r" % row)
    expect("lines CSV totals per currency", sums, by_line)
    expect(
        "lines CSV line count",
        len(lines),
        sum(len(record["usage"]) for org_id in org_ids if org_id != failed for record in records.get(org_id, [])),
    )
    served_quantities = sorted(
        format(D(line["quantity"]), "f")
        for org_id in org_ids
        if org_id != failed
        for record in records.get(org_id, [])
        for line in record["usage"]
    )
    expect("lines CSV quantities exactly as served", sorted(row["quantity"] for row in lines), served_quantities)

    with open("%s/usage-%s-organizations.csv" % (folder, period), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    grand = {row["currency"]: D(row["total_excl_vat"]) for row in rows if row["name"].startswith("Grand total")}
    expect("organizations CSV grand totals", grand, by_record)
    org_rows = [row for row in rows if row["organization_id"]]
    expect(
        "organizations CSV per organization",
        {(row["organization_id"], row["currency"]): D(row["total_excl_vat"]) for row in org_rows if row["currency"]},
        per_org,
    )
    expect(
        "organizations CSV lists every organization",
        sorted({row["organization_id"] for row in org_rows}),
        sorted(org_ids),
    )
    if failed:
        [failed_row] = [row for row in org_rows if row["organization_id"] == failed]
        expect(
            "failed organization flagged, no made-up total",
            (bool(failed_row["usage_error"]), failed_row["total_excl_vat"]),
            (True, ""),
        )

    with open("%s/usage-%s.json" % (folder, period), encoding="utf-8") as handle:
        document = json.load(handle)
    expect("JSON totals", {c: D(t["total_excl_vat"]) for c, t in document["totals"].items()}, by_record)

    page = Page()
    with open("%s/usage-%s.html" % (folder, period), encoding="utf-8") as handle:
        source = handle.read()
    page.feed(source)
    expect("HTML headline totals", {c: D(v) for c, v in page.cards.items()}, by_record)
    expect("HTML grand totals", {c: D(v) for c, v in page.grand.items()}, by_record)
    expect("HTML table lists every organization", len(page.names), len(org_rows))
    for name in {row["name"] for row in org_rows}:
        if name not in page.names:
            fail("HTML misses the name %r" % name)
    print("ok HTML has every name, unescaped by the parser")
    for needle in ("http://", "https://", "<script", "src=", "@import", "url("):
        if needle in source.replace("http://www.w3.org/2000/svg", ""):
            fail("HTML is not self-contained: %r" % needle)
    print("ok HTML self-contained")
    if failed:
        if failed not in page.failures_text:
            fail("HTML does not list the failed organization %s" % failed)
        print("ok HTML lists the failure")


if __name__ == "__main__":
    main(sys.argv)
