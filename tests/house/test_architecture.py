# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/architecture.md stays true to the code: its rooms table names every product file in the room
tests/house/rooms.py puts it in, the signatures and simulator admin hooks it shows are the code's, every
tests/ folder is in its test layout, and every module is a declaration of at most 60 code lines after RETURN."""

from __future__ import annotations

import ast
import os
import re

import pytest
from rooms import REPOSITORY_ROOT, ROOMS, RULES, product_files, room_of

MAX_MODULE_CODE_LINES = 60


def read(relative):
    with open(os.path.join(REPOSITORY_ROOT, relative), encoding="utf-8") as handle:
        return handle.read()


def rooms_table(page):
    """[(room, [files named])] of the table under '## Rooms', in order."""
    section = page.split("\n## Rooms\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]  # after the header and |---|
    table = []
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        table.append((cells[0], re.findall(r"`([^`]+)`", cells[1])))
    return table


def table_problems(page, root=REPOSITORY_ROOT):
    """What is wrong with the rooms table: rooms not those of rooms.py, files missing, unknown or misplaced."""
    table = rooms_table(page)
    problems = []
    if [room for room, _files in table] != [room for room, _patterns in ROOMS]:
        problems.append("rooms %s, rooms.py has %s" % ([row[0] for row in table], [room[0] for room in ROOMS]))
    named = {path: room for room, files in table for path in files}
    products = product_files(root)
    problems += ["%s is in no room of the table" % path for path in products if path not in named]
    for path, room in named.items():
        if path not in products:
            problems.append("%s (room %s) is not a product file of the repository" % (path, room))
        elif room_of(path) != room:
            problems.append("%s is in room %s of the table, rooms.py puts it in %s" % (path, room, room_of(path)))
    return problems


def test_the_rooms_table_names_every_product_file_in_its_room():
    assert table_problems(read("docs/architecture.md")) == []


def test_the_table_check_fails_for_a_missing_an_unknown_and_a_misplaced_file():
    page = read("docs/architecture.md")
    page = page.replace("`plugins/filter/usage_report_csv.py`, ", "")
    page = page.replace("`plugins/inventory/partner_orgs.py`", "`plugins/inventory/gone.py`")
    page = page.replace("`plugins/module_utils/_parallel.py`, ", "").replace(
        "`plugins/doc_fragments/journal.py`", "`plugins/doc_fragments/journal.py`, `plugins/module_utils/_parallel.py`"
    )
    assert sorted(table_problems(page)) == [
        "plugins/filter/usage_report_csv.py is in no room of the table",
        "plugins/inventory/gone.py (room inventory) is not a product file of the repository",
        "plugins/inventory/partner_orgs.py is in no room of the table",
        "plugins/module_utils/_parallel.py is in room glue of the table, rooms.py puts it in rules",
    ]
    assert table_problems(page.replace("| role |", "| roles |"))[0].startswith("rooms [")


def test_every_import_rule_is_a_room_or_a_house():
    rooms = {room for room, _patterns in ROOMS} | {"simulator", "plugins"}
    assert sorted({rule.room for rule in RULES} - rooms) == []


def parameters(function):
    """[(name, default source or None)] of a def, without self."""
    arguments = function.args
    names = [a.arg for a in arguments.args + arguments.kwonlyargs]
    defaults = [None] * (len(arguments.args) - len(arguments.defaults)) + [ast.unparse(d) for d in arguments.defaults]
    defaults += [None if d is None else ast.unparse(d) for d in arguments.kw_defaults]
    return [(name, default) for name, default in zip(names, defaults) if name != "self"]


def init_of(relative, class_name):
    tree = ast.parse(read(relative))
    cls = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == class_name)
    return next(node for node in cls.body if isinstance(node, ast.FunctionDef) and node.name == "__init__")


def shown_signature(page, class_name):
    """The parameters of `ClassName(...)` as the page's code block shows it."""
    shown = re.search(r"^%s\((.*?)\)\n" % class_name, page, re.MULTILINE | re.DOTALL).group(1)
    return parameters(ast.parse("def f(%s): pass" % shown).body[0])


@pytest.mark.parametrize(
    "relative, class_name",
    [("plugins/module_utils/_client.py", "Client"), ("simulator/control.py", "SimulatorProcess")],
)
def test_the_signatures_shown_are_the_code_s(relative, class_name):
    assert shown_signature(read("docs/architecture.md"), class_name) == parameters(init_of(relative, class_name))


def test_the_test_layout_names_every_tests_folder():
    page = read("docs/architecture.md")
    layout = page.split("\n## Test layout\n", 1)[1]
    folders = ["tests/%s/" % name for name in os.listdir(os.path.join(REPOSITORY_ROOT, "tests"))]
    folders += [
        "tests/unit/plugins/%s/" % name for name in os.listdir(os.path.join(REPOSITORY_ROOT, "tests/unit/plugins"))
    ]
    folders = [f for f in folders if os.path.isdir(os.path.join(REPOSITORY_ROOT, f)) and "__pycache__" not in f]
    folders = [f for f in folders if f not in ("tests/output/", "tests/unit/")]  # generated; the parent of plugins/
    assert sorted(f for f in folders if "`%s" % f not in layout) == []


def code_lines_after_return(text):
    tree = ast.parse(text)
    returned = next(n for n in tree.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "RETURN")
    after = text.splitlines()[returned.end_lineno :]
    return sum(1 for line in after if line.strip() and not line.strip().startswith("#"))


@pytest.mark.parametrize("module", sorted(f for f in product_files() if f.startswith("plugins/modules/")))
def test_every_module_is_a_declaration(module):
    assert code_lines_after_return(read(module)) <= MAX_MODULE_CODE_LINES, "move its logic to a rule in module_utils"


HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def admin_hooks_in_code():
    """(method, path) of every fixed admin hook: the ("METHOD", "/path") keys in the simulator's hook tables."""
    hooks = set()
    for relative in ("simulator/server.py", "simulator/usage_hooks.py"):
        for node in ast.walk(ast.parse(read(relative))):
            constants = [e.value for e in getattr(node, "elts", ()) if isinstance(e, ast.Constant)]
            if isinstance(node, ast.Tuple) and len(node.elts) == len(constants) == 2 and constants[0] in HTTP_METHODS:
                hooks.add(tuple(constants))
    return hooks


def admin_hooks_on_page(page):
    """(method, path) of the page's 'Admin hooks' paragraph, written `GET`/`DELETE /requests`."""
    paragraph = page.split("\nAdmin hooks", 1)[1].split("\n\n", 1)[0]
    return {
        (method, path)
        for methods, path in re.findall(r"`((?:[A-Z]+`/`)*[A-Z]+) (/[A-Za-z/]+)`", paragraph)
        for method in methods.split("`/`")
    }


def test_the_page_lists_every_admin_hook():
    by_id = {("PATCH", "/organizations/ID"), ("DELETE", "/organizations/ID")}  # simulator.organization_hooks
    page = read("docs/architecture.md")
    assert by_id <= admin_hooks_on_page(page)
    assert sorted(admin_hooks_on_page(page) - by_id) == sorted(admin_hooks_in_code())
    assert ("GET", "/errors") not in admin_hooks_on_page(page.replace("`GET /errors`", "errors"))
