# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's docsite (issue 23): built offline with no warning, and looked at in real Chromium.

tools/docsite.py (`make docsite`) builds it once into a scratch folder. Chromium opens the
collection's index page and must find a working link to every plugin and role ansible-doc knows
and to every guide of docs/docsite/extra-docs.yml; a guide page must render its title, tables, code
and cross-references. A copy with a broken guide proves that a warning fails the build and that
`antsibull-docs lint-collection-docs` checks the guides. Screenshots go to build/.

    .venv/bin/python -m pytest tests/docsite
"""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from chromium import CHROMIUM, MISSING, chromium  # noqa: E402

BIN = os.path.dirname(sys.executable)
GUIDES = os.path.join(ROOT, "docs", "docsite", "rst")
PAGES = ("collections", "exoscale", "partner")
SCREENSHOTS = os.path.join(ROOT, "build")
# What a copy of the collection needs for its docsite: its metadata, plugins, roles and docsite sources.
DOCSITE_INPUTS = ("galaxy.yml", "meta", "plugins", "roles", os.path.join("docs", "docsite"))

if not CHROMIUM:
    pytest.skip(MISSING, allow_module_level=True)


def build(collection, dest):
    command = [sys.executable, os.path.join(ROOT, "tools", "docsite.py"), "--collection", collection, "--dest", dest]
    return subprocess.run(command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL, timeout=900)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    dest = tmp_path_factory.mktemp("docsite")
    result = build(ROOT, str(dest))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return {"html": dest / "html", "output": result.stdout + result.stderr}


def guide_names():
    with open(os.path.join(ROOT, "docs", "docsite", "extra-docs.yml"), encoding="utf-8") as handle:
        index = yaml.safe_load(handle)
    return [entry for section in index["sections"] for entry in section["toctree"]]


def guide_title(name):
    """The title of docs/docsite/rst/NAME.rst (the first line underlined with '='), as a page shows it."""
    with open(os.path.join(GUIDES, name + ".rst"), encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    title = next(line for line, under in zip(lines, lines[1:]) if line.strip() and re.fullmatch(r"=+", under))
    return re.sub(r"``(.+?)``", r"\1", title)


def documented_content():
    """{(ansible-doc type, short name)} of the collection's plugins and roles, as ansible-doc sees them."""
    with tempfile.TemporaryDirectory() as scratch:
        os.makedirs(os.path.join(scratch, "ansible_collections", "exoscale"))
        os.symlink(ROOT, os.path.join(scratch, "ansible_collections", "exoscale", "partner"))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=scratch, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False")
        command = [os.path.join(BIN, "ansible-doc"), "--metadata-dump", "--no-fail-on-errors", "exoscale.partner"]
        dump = json.loads(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout)
    return {
        (plugin_type, name.split(".")[-1])
        for plugin_type, plugins in dump["all"].items()
        for name in plugins
        if name.startswith("exoscale.partner.")
    }


class Links(html.parser.HTMLParser):
    """Every <a href> of a page with its text; the ids, tags and classes seen; the <h1> text."""

    def __init__(self):
        super().__init__()
        self.links, self.ids, self.counts, self.h1 = [], set(), {}, ""
        self._open = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.counts[tag] = self.counts.get(tag, 0) + 1
        for css in (attrs.get("class") or "").split():
            self.counts["." + css] = self.counts.get("." + css, 0) + 1
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append([attrs["href"], ""])
        self._open.append(tag)

    def handle_endtag(self, tag):
        while self._open and self._open.pop() != tag:
            pass

    def handle_data(self, data):
        if "a" in self._open and self.links:
            self.links[-1][1] += data
        if "h1" in self._open:
            self.h1 += data


def rendered(tmp_path, page, name):
    dom = Links()
    dom.feed(chromium(tmp_path, name, "--dump-dom", page.as_uri()))
    return dom


def resolves(page, href):
    target = (page.parent / href.split("#")[0]).resolve() if not href.startswith("#") else page
    return target.is_file()


def test_it_builds_with_no_warning(site):
    assert "build succeeded" in site["output"]
    assert "WARNING" not in site["output"]
    assert "intersphinx inventory 'ansible_devel' from ../ansible_devel.inv" in site["output"]  # local, no download


def test_the_collection_index_links_every_plugin_role_and_guide(site, tmp_path):
    page = site["html"].joinpath(*PAGES, "index.html")
    dom = rendered(tmp_path, page, "index")
    texts = {}  # href -> the texts of the links to it (the page's own link, "Next", ...)
    for href, text in dom.links:
        texts.setdefault(href.split("#")[0], set()).add(" ".join(text.split()))
    content = documented_content()
    assert {plugin_type for plugin_type, _name in content} >= {"module", "inventory", "filter", "role"}
    for plugin_type, name in sorted(content):
        href = f"{name}_{plugin_type}.html"
        assert f"{name} {plugin_type}" in texts.get(href, ()), f"no link to {name} ({plugin_type}): {sorted(texts)}"
        assert resolves(page, href)
    guides = guide_names()
    assert guides, "docs/docsite/extra-docs.yml lists no guide"
    for guide in guides:
        href = f"docsite/{guide}.html"
        assert guide_title(guide) in texts.get(href, ()), f"no link {guide_title(guide)!r} to {href}: {texts}"
        assert resolves(page, href)
    chromium(tmp_path, "index-shot", "--window-size=1280,2400", "--screenshot=%s" % screenshot("index"), page.as_uri())


def screenshot(name):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    return os.path.join(SCREENSHOTS, f"docsite-{name}.png")


def test_a_guide_page_renders(site, tmp_path):
    with open(os.path.join(GUIDES, "simulator.rst"), encoding="utf-8") as handle:
        source = handle.read()
    page = site["html"].joinpath(*PAGES, "docsite", "simulator.html")
    dom = rendered(tmp_path, page, "guide")
    assert " ".join(dom.h1.split()).rstrip("¶\uf0c1 ")  # the theme's link icon == guide_title("simulator")
    assert dom.counts.get("table", 0) == source.count(".. list-table::") > 0
    assert dom.counts.get(".highlight", 0) == source.count(".. code-block::") > 0
    internal = [href for href, _text in dom.links if href.startswith("#")]
    assert "#realistic-usage-for-reports" in internal and "realistic-usage-for-reports" in dom.ids
    shot = screenshot("guide")
    if os.path.exists(shot):
        os.unlink(shot)
    chromium(tmp_path, "guide-shot", "--window-size=1280,2400", "--screenshot=%s" % shot, page.as_uri())
    assert os.path.getsize(shot) > 20000  # a blank page compresses to a few KiB


def test_one_source_per_guide():
    sources = sorted(name[: -len(".rst")] for name in os.listdir(GUIDES) if name.endswith(".rst"))
    assert sorted(guide_names()) == sources, "docs/docsite/extra-docs.yml must list exactly docs/docsite/rst/*.rst"
    twins = [name for name in sources if os.path.exists(os.path.join(ROOT, "docs", name + ".md"))]
    assert not twins, f"guides both in Markdown and RST: {twins}; the RST one is the source, remove docs/NAME.md"
    assert not os.path.exists(os.path.join(ROOT, "docs", "modules")), "generated plugin pages are not committed"


def broken_copy(folder, addition):
    """A copy of the collection's docsite inputs in folder, with addition at the end of the simulator guide."""
    copy = folder / "partner"
    copy.mkdir()
    for name in DOCSITE_INPUTS:
        (shutil.copytree if os.path.isdir(os.path.join(ROOT, name)) else shutil.copy)(
            os.path.join(ROOT, name), copy / name
        )
    guide = copy / "docs" / "docsite" / "rst" / "simulator.rst"
    guide.write_text(guide.read_text(encoding="utf-8") + addition, encoding="utf-8")
    return str(copy)


def test_a_warning_fails_the_build(tmp_path):
    dangling = "\nSee :ref:`nowhere <ansible_collections.exoscale.partner.docsite.nowhere>`.\n"
    result = build(broken_copy(tmp_path, dangling), str(tmp_path / "site"))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "docsite/simulator.rst" in output and "undefined label" in output, output[-3000:]


@pytest.mark.parametrize("broken", [False, True])
def test_lint_collection_docs_checks_the_guides(broken, tmp_path):
    """A label in a guide must carry the collection's prefix; lint-collection-docs says so."""
    path = broken_copy(tmp_path, "\n.. _simulator_bad_label:\n\nA section\n---------\n") if broken else ROOT
    command = [os.path.join(BIN, "antsibull-docs"), "lint-collection-docs", path]
    result = subprocess.run(command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    output = result.stdout + result.stderr
    assert (result.returncode != 0) == broken, output
    assert ("simulator_bad_label" in output) == broken, output
