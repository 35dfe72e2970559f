# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One name, one thing (issue 20): in the product files (plugins/, extensions/) no top-level name is defined
twice, no client method is looked up by name, and no attribute is stamped onto a caught exception."""

from __future__ import annotations

import ast
import collections
import os
import textwrap

from rooms import REPOSITORY_ROOT
from rooms import product_files as all_product_files

# What Ansible (or ansible-rulebook) requires under the same name in every plugin file of a kind.
REQUIRED_BY_ANSIBLE = frozenset(
    {
        "DOCUMENTATION",
        "EXAMPLES",
        "RETURN",
        "main",  # modules; ansible-rulebook's event sources
        "ModuleDocFragment",
        "FilterModule",
        "InventoryModule",
        "__metaclass__",
        "absolute_import",
        "division",
        "print_function",
    }
)


def product_files(root=REPOSITORY_ROOT):
    return [f for f in all_product_files(root) if f.endswith(".py")]


def _tree(root, relative):
    with open(os.path.join(root, relative), encoding="utf-8") as handle:
        return ast.parse(handle.read(), filename=relative)


def top_level_names(statements):
    """The names a module body defines: functions, classes, assignments (also inside top-level if/try)."""
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                yield from (name.id for name in ast.walk(target) if isinstance(name, ast.Name))
        elif isinstance(node, ast.If):
            yield from top_level_names(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            handlers = [statement for handler in node.handlers for statement in handler.body]
            yield from top_level_names(node.body + handlers + node.orelse + node.finalbody)


def names_defined_twice(root=REPOSITORY_ROOT):
    """{name: [files]} for every top-level name that more than one product file defines."""
    where = collections.defaultdict(set)
    for relative in product_files(root):
        for name in top_level_names(_tree(root, relative).body):
            if name not in REQUIRED_BY_ANSIBLE:
                where[name].add(relative)
    return {name: sorted(files) for name, files in sorted(where.items()) if len(files) > 1}


def _is_call_to(node, functions):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions and node.args


def _stamped_attributes(handler):
    """The attributes the body of `except ... as name:` sets on `name` (by assignment or setattr)."""
    for node in ast.walk(ast.Module(body=handler.body, type_ignores=[])):
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and ast.unparse(target.value) == handler.name:
                yield node.lineno, target.attr
        if _is_call_to(node, ("setattr",)) and ast.unparse(node.args[0]) == handler.name:
            yield node.lineno, "<setattr>"


def side_channels(root=REPOSITORY_ROOT):
    """'path:line ...' for getattr/setattr on anything named like a client, and for an attribute set on an
    exception caught with `except ... as name`."""
    found = []
    for relative in product_files(root):
        for node in ast.walk(_tree(root, relative)):
            if _is_call_to(node, ("getattr", "setattr")) and "client" in ast.unparse(node.args[0]).lower():
                found.append("%s:%d %s on the client" % (relative, node.lineno, node.func.id))
            if isinstance(node, ast.ExceptHandler) and node.name:
                found += [
                    "%s:%d sets %s.%s on a caught exception" % (relative, line, node.name, attribute)
                    for line, attribute in _stamped_attributes(node)
                ]
    return sorted(found, key=lambda text: (text.split(":")[0], int(text.split(":")[1].split()[0])))


def test_no_top_level_name_is_defined_in_two_product_files():
    assert names_defined_twice() == {}, "give each its own name, saying what differs (or make one serve both)"


def test_no_client_call_by_name_and_no_attribute_stamped_on_a_caught_exception():
    assert side_channels() == []


BAD_TREE = {
    "plugins/module_utils/_one.py": """
        try:
            import json
            HAVE = True
        except ImportError:
            HAVE = False
        DOCUMENTATION = ''
        def helper():
            pass
        def call(client, name):
            return getattr(client, name)()
        def label(work):
            try:
                work()
            except ValueError as exc:
                exc.doing = "work"
                raise
    """,
    "plugins/module_utils/_two.py": """
        __metaclass__ = type
        HAVE = True
        class helper:
            pass
        def stamp(self):
            try:
                pass
            except Exception as error:
                setattr(error, "doing", "x")
                raise
            getattr(self.client, "list_distributor_organizations")
    """,
    "extensions/eda/plugins/event_source/source.py": "__metaclass__ = type\nDOCUMENTATION = ''\nhelper = None\n",
    "plugins/modules/__init__.py": "helper = 1\n",
    "tools/helper.py": "HAVE = 1\n",
}


def test_the_checks_find_a_name_defined_twice_and_each_side_channel(tmp_path):
    for relative, text in BAD_TREE.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    assert names_defined_twice(str(tmp_path)) == {
        "HAVE": ["plugins/module_utils/_one.py", "plugins/module_utils/_two.py"],
        "helper": [
            "extensions/eda/plugins/event_source/source.py",
            "plugins/module_utils/_one.py",
            "plugins/module_utils/_two.py",
        ],
    }
    assert side_channels(str(tmp_path)) == [
        "plugins/module_utils/_one.py:10 getattr on the client",
        "plugins/module_utils/_one.py:15 sets exc.doing on a caught exception",
        "plugins/module_utils/_two.py:9 sets error.<setattr> on a caught exception",
        "plugins/module_utils/_two.py:11 getattr on the client",
    ]
