# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn a Markdown guide (docs/NAME.md) into a docsite extra doc (docs/docsite/rst/NAME.rst), once.

    python3 tools/guide_to_rst.py docs/metering.md [docs/awx.md ...]

A one-time step per guide, not part of any build: it needs pandoc (Debian package `pandoc`), which
nothing else in the project does. For each guide it

- converts GitHub Markdown to RST with pandoc, through a filter on pandoc's document tree:
  the title gets the page label `ansible_collections.exoscale.partner.docsite.NAME` and every other
  section `...docsite.NAME.SLUG` (SLUG is GitHub's anchor of the heading), the labels
  `antsibull-docs lint-collection-docs` wants; a link to a section (`#slug`) or to another guide
  that is already RST or converted in the same run (`other.md#slug`) becomes a `:ref:`; a link to
  another repository file (`../examples/`, a guide still in Markdown) becomes its GitHub URL;
  Markdown tables become list-tables;
- writes docs/docsite/rst/NAME.rst and removes docs/NAME.md (one source per guide);
- says what is left to do by hand: add NAME to docs/docsite/extra-docs.yml, point the links of
  README.md, CONTRIBUTING.md and the other guides at the RST page, then `make docsite`.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUIDES = os.path.join(ROOT, "docs", "docsite", "rst")
LABEL_PREFIX = "ansible_collections.exoscale.partner.docsite."
REPOSITORY = "https://github.com/exoscale/ansible-collection-partner"
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto:, ...


def label(guide: str, slug: str | None = None) -> str:
    return LABEL_PREFIX + guide + (f".{slug}" if slug else "")


def plain_text(inlines: list) -> str:
    """The text of pandoc inline elements, as a reader sees it (code without its backticks)."""
    parts = []
    for node in inlines:
        kind, content = node["t"], node.get("c")
        if kind in ("Str", "Code"):
            parts.append(content if kind == "Str" else content[1])
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif isinstance(content, list):
            parts.append(plain_text(content[-1] if kind in ("Link", "Image", "Span") else content))
    return "".join(parts)


def link_target(guide: str, url: str, converting: frozenset = frozenset()) -> tuple[str, str]:
    """("ref", label) for a section of this guide or of a guide in RST (or converting); ("url", url) otherwise."""
    if EXTERNAL.match(url):
        return "url", url
    path, _hash, slug = url.partition("#")
    if not path:
        return "ref", label(guide, slug or None)
    target = posixpath.normpath(posixpath.join("docs", path))
    name = posixpath.basename(target)[: -len(".md")] if target.endswith(".md") else None
    in_rst = name in converting or os.path.isfile(os.path.join(GUIDES, f"{name}.rst"))
    if name and posixpath.dirname(target) == "docs" and in_rst:
        return "ref", label(name, slug or None)
    kind = "tree" if path.endswith("/") or os.path.isdir(os.path.join(ROOT, target)) else "blob"
    return "url", f"{REPOSITORY}/{kind}/main/{target}" + (f"#{slug}" if slug else "")


def raw_rst(text: str, block: bool = False) -> dict:
    return {"t": "RawBlock" if block else "RawInline", "c": ["rst", text]}


class Rewriter:
    """The pandoc tree with labels before the headings, links fixed and tables set aside.

    Pandoc writes Markdown tables as grid tables, which cut long literals and references across
    lines; each table is replaced by a placeholder and written as a list-table afterwards.
    """

    def __init__(self, guide: str, converting: frozenset):
        self.guide, self.converting = guide, converting
        self.tables: list[tuple[int, list[list[list]]]] = []  # (header rows, rows of cells' blocks)

    def __call__(self, node):
        if isinstance(node, list):
            result = []
            for item in node:
                if isinstance(item, dict) and item.get("t") == "Header":
                    level, (slug, _classes, _attrs), _text = item["c"]
                    result.append(raw_rst(f".. _{label(self.guide, None if level == 1 else slug)}:", block=True))
                    item = dict(item, c=[level, ["", [], []], item["c"][2]])  # no second label from pandoc
                result.append(self(item))
            return result
        if not isinstance(node, dict):
            return node
        if node.get("t") == "Link":
            _attr, inlines, (url, _title) = node["c"]
            kind, target = link_target(self.guide, url, self.converting)
            if kind == "ref":
                return raw_rst(f":ref:`{plain_text(inlines)} <{target}>`")
            return dict(node, c=[node["c"][0], self(inlines), [target, ""]])
        if node.get("t") == "Table":
            return self.set_aside(node)
        return {key: self(value) for key, value in node.items()}

    def set_aside(self, table: dict) -> dict:
        _attr, _caption, _columns, (_head_attr, head_rows), bodies, _foot = table["c"]
        rows = list(head_rows) + [row for body in bodies for row in list(body[2]) + list(body[3])]
        cells = [[self(cell[4]) for cell in row[1]] for row in rows]
        self.tables.append((len(head_rows), cells))
        return raw_rst(table_placeholder(len(self.tables) - 1), block=True)


def table_placeholder(number: int) -> str:
    return f"@@TABLE{number}@@"


def pandoc_rst(blocks: list, api_version: list, wrap: str = "preserve") -> str:
    document = {"pandoc-api-version": api_version, "meta": {}, "blocks": blocks}
    command = ["pandoc", "--from", "json", "--to", "rst", "--wrap", wrap, "--columns", "100"]
    return subprocess.run(command, input=json.dumps(document).encode(), check=True, capture_output=True).stdout.decode()


def list_tables(tables: list[tuple[int, list[list[list]]]], api_version: list) -> list[str]:
    """Each table as an RST list-table; all cells rendered by one pandoc run, one line each."""
    marker = "@@CELL@@"
    blocks = []
    for _header_rows, rows in tables:
        for row in rows:
            for cell in row:
                blocks += [{"t": "Para", "c": [{"t": "Str", "c": marker}]}, *cell]
    rendered = iter(part.strip() for part in pandoc_rst(blocks, api_version, wrap="none").split(marker)[1:])
    written = []
    for header_rows, rows in tables:
        lines = [".. list-table::", f"   :header-rows: {header_rows}", "   :widths: auto", ""]
        for row in rows:
            for index, _cell in enumerate(row):
                text = next(rendered).replace("\n", "\n     ")
                lines.append(("   * - " if index == 0 else "     - ") + text)
        written.append("\n".join(lines))
    return written


def convert(markdown_path: str, converting: frozenset = frozenset()) -> str:
    """The RST of a Markdown guide; converting: the names of the guides converted in the same run."""
    guide = os.path.basename(markdown_path)[: -len(".md")]
    read = ["pandoc", "--from", "gfm", "--to", "json", markdown_path]
    tree = json.loads(subprocess.run(read, check=True, capture_output=True).stdout)
    rewriter = Rewriter(guide, converting)
    rst = pandoc_rst(rewriter(tree["blocks"]), tree["pandoc-api-version"])
    for number, table in enumerate(list_tables(rewriter.tables, tree["pandoc-api-version"])):
        rst = rst.replace(table_placeholder(number), table + "\n")
    # pandoc puts no blank line after a raw block, which RST needs after a label and a table
    rst = re.sub(r"^(\.\. _%s[^\n]*:)\n(?!\n)" % re.escape(LABEL_PREFIX), "\\1\n\n", rst, flags=re.M)
    rst = re.sub(r"\n\n\n+", "\n\n", rst)
    return rst.replace(".. code:: ", ".. code-block:: ")


def main(argv: list[str]) -> int:
    if not argv or any(not path.endswith(".md") for path in argv):
        print(__doc__)
        return 2
    if not shutil.which("pandoc"):
        print("guide_to_rst: pandoc is needed (apt-get install pandoc); it is used only for this one-time step")
        return 1
    os.makedirs(GUIDES, exist_ok=True)
    converting = frozenset(os.path.basename(path)[: -len(".md")] for path in argv)
    for markdown_path in argv:
        guide = os.path.basename(markdown_path)[: -len(".md")]
        destination = os.path.join(GUIDES, guide + ".rst")
        with open(destination, "w", encoding="utf-8") as handle:
            handle.write(convert(markdown_path, converting))
        os.remove(markdown_path)
        print(f"guide_to_rst: wrote {os.path.relpath(destination, ROOT)}, removed {markdown_path}")
    print(
        "guide_to_rst: now add the guides to docs/docsite/extra-docs.yml, point the links to them (README.md, "
        "CONTRIBUTING.md, other guides: grep -rn 'NAME.md') at the RST pages, and run make docsite"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
