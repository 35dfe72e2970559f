# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The usage report's HTML page in a real headless Chromium (issue 14).

examples/usage_report.yml runs against the simulator (realistic usage for 6 months, names with
<, &, quotes, non-ASCII and emoji); Chromium opens the page from disk, saves a screenshot under
build/, and the rendered DOM must hold the charts and every organization's name. Chromium's own
network log must list no URL but the page itself (a canary page proves the log would show one).

    .venv/bin/python -m pytest tests/report
"""

from __future__ import annotations

import csv
import datetime
import html.parser
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))
from chromium import CHROMIUM, MISSING, chromium  # noqa: E402

from simulator.control import SimulatorProcess  # noqa: E402

KEY = "EXObrowser000000000000000000"
SECRET = "browser-test-secret-not-real"
SCREENSHOT = os.path.join(ROOT, "build", "usage-report.png")
# A spreadsheet would run these as formulas (CSV injection): the CSV files must not.
HOSTILE_NAME = '=HYPERLINK("http://evil.example","x")'
HOSTILE_CLIENT_ID = "@SUM(1+1)*cmd|' /C calc'!A0"
WITHOUT_USAGE = "No Usage SA"  # no usage in the report month: its row says 0.00
MONEY = re.compile(r"-?[0-9]+\.[0-9]{2,}")
NAMES = [
    'Müller & Söhne <GmbH> "Zürich"',
    "Café 😀 Lausanne",
    "O'Brien, Dublin",
    "</td><script>document.title='pwned'</script>",
    HOSTILE_NAME,
    WITHOUT_USAGE,
] + ["Customer %02d AG" % number for number in range(24)]

if not CHROMIUM:
    pytest.skip(MISSING, allow_module_level=True)


def requested_urls(net_log_path):
    """URLs the page asked for, from Chromium's net log (--log-net-log, capture mode Everything).

    Chromium's own background requests (update checks, account lookups) come from the browser
    process: their initiator is "not an origin" and their network isolation key is not the page's.
    Anything the page loads carries the file:// page as initiator ("null", an opaque origin) and key.
    """
    with open(net_log_path, encoding="utf-8") as handle:
        text = handle.read().rstrip()
    if not text.endswith("}"):  # a log cut short lacks its closing brackets
        text = text.rstrip(",") + "]}"
    log = json.loads(text)
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = set()
    for event in log["events"]:
        params = event.get("params") or {}
        if event["type"] != start_job or "url" not in params:
            continue
        from_page = params.get("initiator") != "not an origin" or "file://" in params.get("network_isolation_key", "")
        if from_page:
            urls.add(params["url"])
    return urls


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.counts, self.names, self.scripts, self.title = {}, [], 0, ""
        self.amounts = []  # (class, text) of every amount of the cards and the table
        self._in = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.counts[tag] = self.counts.get(tag, 0) + 1
        for css in (attrs.get("class") or "").split():
            self.counts["." + css] = self.counts.get("." + css, 0) + 1
        self._in.append((tag, (attrs.get("class") or "").split()))

    def handle_endtag(self, tag):
        while self._in and self._in.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if self._in and "name" in self._in[-1][1] and self._in[-1][0] == "td":
            self.names.append(data)
        if self._in and self._in[-1][0] == "title" and len(self._in) < 4:
            self.title += data
        amount = [css for css in (self._in[-1][1] if self._in else []) if css.startswith("total-")]
        if amount and data.strip():
            self.amounts.append((amount[0], data.strip()))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """Run examples/usage_report.yml against a simulator; return the HTML path and the organizations."""
    scratch = tmp_path_factory.mktemp("report")
    namespace = scratch / "collections" / "ansible_collections" / "exoscale"
    namespace.mkdir(parents=True)
    os.symlink(ROOT, namespace / "partner")
    with SimulatorProcess(key=KEY, secret=SECRET, extra_args=["--seed-usage", "6"]) as sim:
        organizations = [
            sim.admin.seed_org(
                display_name=name,
                client_id=HOSTILE_CLIENT_ID if name == HOSTILE_NAME else "crm-%03d" % number,
                billing_address={
                    "name": name,
                    "street-name": "S",
                    "city": "Zurich",
                    "postal-code": "8001",
                    "country": "CH",
                },
            )
            for number, name in enumerate(NAMES)
        ]
        sim.admin.seed_usage(organizations[NAMES.index(WITHOUT_USAGE)]["id"], previous_month(), [])
        env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(scratch / "collections"),
            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            EXOSCALE_API_KEY=KEY,
            EXOSCALE_API_SECRET=SECRET,
            EXOSCALE_PARTNER_API_URL=sim.url,
        )
        command = [
            os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
            "-i",
            "localhost,",
            "-e",
            "ansible_python_interpreter=%s" % sys.executable,
            "-e",
            "report_dest=%s" % (scratch / "out"),
            os.path.join(ROOT, "examples", "usage_report.yml"),
        ]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=600)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    [page] = [name for name in os.listdir(scratch / "out") if name.endswith(".html")]
    return {"html": str(scratch / "out" / page), "organizations": organizations, "scratch": scratch}


def previous_month():
    """The month the role reports on by default."""
    first = datetime.datetime.now(datetime.timezone.utc).date().replace(day=1)
    return (first - datetime.timedelta(days=1)).strftime("%Y-%m")


def test_screenshot_is_saved_under_build(report, tmp_path):
    os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
    if os.path.exists(SCREENSHOT):
        os.unlink(SCREENSHOT)
    chromium(tmp_path, "shot", "--window-size=1280,2600", "--screenshot=%s" % SCREENSHOT, "file://" + report["html"])
    with open(SCREENSHOT, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.path.getsize(SCREENSHOT) > 20000  # a blank page compresses to a few KiB


def test_rendered_dom_holds_the_charts_and_every_name(report, tmp_path):
    dom = Dom()
    dom.feed(chromium(tmp_path, "dom", "--dump-dom", "file://" + report["html"]))
    currencies = dom.counts.get(".currency-section", 0)
    assert currencies >= 2  # the simulator gives some organizations EUR or USD
    assert dom.counts.get("svg", 0) >= 3 * currencies
    assert dom.counts.get(".chart-top") == dom.counts.get(".chart-products") == currencies
    assert dom.counts.get("rect", 0) >= len(NAMES)  # one bar per organization at least (top charts)
    assert sorted(dom.names) == sorted(NAMES)  # the table, as the browser parsed it: escaping held
    assert dom.counts.get("script", 0) == 0
    assert "pwned" not in dom.title


def test_money_reads_the_same_in_the_cards_and_the_table(report, tmp_path):
    dom = Dom()
    dom.feed(chromium(tmp_path, "money", "--dump-dom", "file://" + report["html"]))
    kinds = {css for css, _text in dom.amounts}
    assert kinds == {"total-excl-vat", "total-incl-vat"}
    assert len(dom.amounts) >= 2 * len(NAMES)  # every row of the table, the cards and the grand totals
    assert [text for _css, text in dom.amounts if not MONEY.fullmatch(text)] == []
    assert ("total-excl-vat", "0.00") in dom.amounts  # the organization without usage


def test_the_csv_files_carry_no_formula(report):
    out = report["scratch"] / "out"
    for name in sorted(os.listdir(out)):
        if name.endswith(".csv"):
            with open(out / name, encoding="utf-8", newline="") as handle:
                rows = list(csv.DictReader(handle))
            [hostile] = {row["name"] for row in rows if HOSTILE_NAME in row["name"]}
            assert hostile == "'" + HOSTILE_NAME, name
            assert {row["client_id"] for row in rows if row["name"] == hostile} == {"'" + HOSTILE_CLIENT_ID}, name
            assert [row["total_excl_vat"] for row in rows if not MONEY.fullmatch(row["total_excl_vat"])] == [], name


def test_the_page_requests_nothing_but_itself(report, tmp_path):
    net_log = tmp_path / "net-log.json"
    page = "file://" + report["html"]
    chromium(tmp_path, "net", "--dump-dom", "--log-net-log=%s" % net_log, "--net-log-capture-mode=Everything", page)
    urls = requested_urls(net_log)
    assert urls <= {page}, "the page requested %s" % sorted(urls - {page})


def test_the_net_log_would_show_a_request(tmp_path):
    """The canary: a page that loads an image from elsewhere shows up in the net log."""
    canary = tmp_path / "canary.html"
    canary.write_text('<html><body><img src="http://127.0.0.1:9/canary.png"></body></html>', encoding="utf-8")
    net_log = tmp_path / "canary-net-log.json"
    chromium(
        tmp_path,
        "canary",
        "--dump-dom",
        "--log-net-log=%s" % net_log,
        "--net-log-capture-mode=Everything",
        "file://%s" % canary,
    )
    assert "http://127.0.0.1:9/canary.png" in requested_urls(net_log)
