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

import html.parser
import json
import os
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
NAMES = [
    'Müller & Söhne <GmbH> "Zürich"',
    "Café 😀 Lausanne",
    "O'Brien, Dublin",
    "</td><script>document.title='pwned'</script>",
] + ["Customer %02d AG" % number for number in range(26)]

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
                client_id="crm-%03d" % number,
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
