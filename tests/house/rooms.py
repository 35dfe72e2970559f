# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The import rules between the project's rooms (docs/architecture.md), as data, and their checker.

A rule names the files it covers (glob patterns from the repository root) and either the imports
they must not make (`forbidden`) or the only ones they may make besides the standard library
(`only`). Names are dotted and matched by whole components: "ansible" covers "ansible.errors"
but not "ansible_collections". The collection's own files are known by their import names:
plugins/x.py is "ansible_collections.exoscale.partner.plugins.x".

To add a rule, add a Rule to RULES; tests/house/test_rooms.py checks the repository against them.
ROOMS says which room each product file is in: the rooms table of docs/architecture.md lists the same
rooms, in the same order, with every product file (tests/house/test_architecture.py).
"""

from __future__ import annotations

import ast
import dataclasses
import fnmatch
import os
import sys

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTION = "ansible_collections.exoscale.partner"
MODULE_UTILS = COLLECTION + ".plugins.module_utils"
PLUGIN_UTILS = COLLECTION + ".plugins.plugin_utils"


@dataclasses.dataclass(frozen=True)
class Rule:
    room: str
    files: tuple[str, ...]
    why: str
    excluding: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    only: tuple[str, ...] | None = None


# The product's rooms, in the order of docs/architecture.md's rooms table, and the files each holds
# (room_of). Product files: plugins/**/*.py (not __init__.py), extensions/**/*.py, roles/*/.
ROOMS = (
    ("wire", ("plugins/module_utils/_client.py",)),
    ("rules", ("plugins/module_utils/*.py",)),
    ("journal protocol", ("plugins/module_utils/_journal.py",)),
    ("journal storage", ("plugins/module_utils/_journal_store.py",)),
    (
        "glue",
        ("plugins/module_utils/_base.py", "plugins/module_utils/_journal_module.py", "plugins/doc_fragments/*.py"),
    ),
    ("controller utils", ("plugins/plugin_utils/*.py",)),
    ("modules", ("plugins/modules/*.py",)),
    ("inventory", ("plugins/inventory/*.py",)),
    ("filters", ("plugins/filter/*.py",)),
    ("eda", ("extensions/eda/*",)),
    ("role", ("roles/*/",)),
)
# A file matching several rooms' patterns is in the more specific room: these are tried first.
SPECIFIC_FIRST = ("wire", "journal protocol", "journal storage", "glue")

HOUSES = ("tools", "bench", "simulator")
RULES = (
    Rule(
        room="wire",
        files=("plugins/module_utils/_client.py",),
        forbidden=("ansible", COLLECTION),
        why="the wire knows URLs, JSON and signing, nothing of Ansible or the rooms above it",
    ),
    Rule(
        room="rules",
        files=("plugins/module_utils/*.py",),
        # the glue: _base.py, and _journal_module.py (the journal's options and AnsibleModule side)
        excluding=("plugins/module_utils/*_base*.py", "plugins/module_utils/_journal_module.py"),
        forbidden=("ansible", MODULE_UTILS + "._base"),
        why="rules (_parallel, _lifecycle, _metering, _journal and its storage _journal_store, ...) are pure and "
        "unit-tested without Ansible; only the glue (_base.py, _journal_module.py) talks to Ansible",
    ),
    Rule(
        room="journal protocol",
        files=("plugins/module_utils/_journal.py",),
        forbidden=("sqlite3", "psycopg", MODULE_UTILS + "._journal_store"),
        why="the journal's protocol decides; where the rows are kept (SQL, drivers) is _journal_store.py's job",
    ),
    Rule(
        room="journal storage",
        files=("plugins/module_utils/_journal_store.py",),
        only=(MODULE_UTILS + "._journal", "psycopg"),
        why="the stores keep rows for the protocol; they know no metering, lifecycle or API rule",
    ),
    Rule(
        room="modules",
        files=("plugins/modules/*.py",),
        only=("ansible.module_utils", MODULE_UTILS),
        why="a module is documentation plus a declaration; its logic lives in module_utils",
    ),
    Rule(
        room="controller utils",
        files=("plugins/plugin_utils/*.py",),
        only=(),
        why="what only controller-side plugins (the inventory, the event source) run, such as an exo CLI "
        "secretCommand (modules run it with AnsibleModule.run_command): standard library only",
    ),
    Rule(
        room="inventory",
        files=("plugins/inventory/*.py",),
        only=("ansible", MODULE_UTILS, PLUGIN_UTILS),
        why="the inventory is a shell over the collection's client and credential rules: no HTTP client of its own",
    ),
    Rule(
        room="filters",
        files=("plugins/filter/*.py",),
        only=("ansible.errors", MODULE_UTILS + "._report"),
        why="a filter is its documentation plus a thin shell over the report's rules (module_utils/_report.py): "
        "no HTTP, no module glue",
    ),
    Rule(
        room="eda",
        files=("extensions/eda/plugins/*/*.py",),
        only=(MODULE_UTILS, PLUGIN_UTILS),
        forbidden=("ansible", MODULE_UTILS + "._base", MODULE_UTILS + "._journal_module"),
        why="an event source is an asyncio shell over the collection's client and rules (module_utils without "
        "the Ansible glue) and the standard library: no Ansible import, no second HTTP client",
    ),
    Rule(
        room="simulator",
        files=("simulator/*.py", "simulator/**/*.py"),
        forbidden=(COLLECTION, "plugins"),
        why="the simulator stands in for the real API and must not share the client's code or mistakes",
    ),
    Rule(
        room="plugins",
        files=("plugins/*/*.py", "plugins/**/*.py"),
        forbidden=HOUSES + tuple(f"{COLLECTION}.{house}" for house in HOUSES),
        why="tools/, bench/ and simulator/ are houses of their own; the shipped plugins never import them",
    ),
)


def import_name(relative_path: str) -> str:
    """The dotted name a repository file is imported as."""
    parts = relative_path[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    if parts[0] == "plugins":
        parts = COLLECTION.split(".") + parts
    return ".".join(parts)


def imports_of(path: str, relative_path: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in a file, relative ones resolved; `from a import b` gives a.b."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), filename=path)
    package = import_name(relative_path).split(".")
    if not relative_path.endswith("__init__.py"):
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            if base == "__future__":
                continue
            found += [(node.lineno, f"{base}.{alias.name}" if alias.name != "*" else base) for alias in node.names]
    return found


def covers(prefix: str, name: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def is_standard_library(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names


def matches(relative_path: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(relative_path, pattern) for pattern in patterns)


def python_files(root: str) -> list[str]:
    names = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if not d.startswith(".") and d not in ("__pycache__", "output", "build")]
        names += [os.path.relpath(os.path.join(directory, f), root) for f in files if f.endswith(".py")]
    return sorted(name.replace(os.sep, "/") for name in names)


def room_of(relative_path: str) -> str | None:
    """The room of a product file (ROOMS), None for a file of no room."""
    rooms = dict(ROOMS)
    for room in SPECIFIC_FIRST + tuple(name for name, _patterns in ROOMS if name not in SPECIFIC_FIRST):
        if matches(relative_path, rooms[room]):
            return room
    return None


def product_files(root: str = REPOSITORY_ROOT) -> list[str]:
    """plugins/**/*.py (not __init__.py), extensions/**/*.py, and each role as roles/NAME/."""
    found = [
        f for f in python_files(root) if f.startswith(("plugins/", "extensions/")) and not f.endswith("__init__.py")
    ]
    roles = os.path.join(root, "roles")
    if os.path.isdir(roles):
        found += ["roles/%s/" % name for name in sorted(os.listdir(roles)) if os.path.isdir(os.path.join(roles, name))]
    return found


def covered_files(rule: Rule, files: list[str]) -> list[str]:
    return [f for f in files if matches(f, rule.files) and not matches(f, rule.excluding)]


def violations(rules=RULES, root: str = REPOSITORY_ROOT) -> list[str]:
    """Every import that breaks a rule, as 'path:line imports name: room rule (why)'."""
    files = python_files(root)
    found = []
    for rule in rules:
        for relative in covered_files(rule, files):
            for line, name in imports_of(os.path.join(root, relative), relative):
                if any(covers(prefix, name) for prefix in rule.forbidden) or (
                    rule.only is not None
                    and not is_standard_library(name)
                    and not any(covers(prefix, name) for prefix in rule.only)
                ):
                    found.append(f"{relative}:{line} imports {name}: breaks the {rule.room} rule ({rule.why})")
    return found
