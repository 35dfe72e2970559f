# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`ansible-doc` shows every plugin's OWN documentation (issue 23).

The plugins are found in the tree, whatever their type: every plugins/<folder>/ but the ones that
hold no plugin (module_utils, doc_fragments, plugin_utils) and action plugins (documented by their
module); a new folder of a type ansible-doc cannot document fails here rather than go unchecked.
Roles with argument specs are checked the same way. For each, ansible-doc (run on the tree through a
temporary ansible_collections/exoscale/partner link) must show the short_description written in the
plugin's own DOCUMENTATION (or <name>.yml beside a filter/test file), and `ansible-doc -l` must list
exactly the plugins found in the tree: a filter registered in another filter's file, which would show
that file's documentation, fails too.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest
import yaml
from ansible.constants import DOCUMENTABLE_PLUGINS

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = os.path.join(REPOSITORY_ROOT, "plugins")
COLLECTION = "exoscale.partner"
ANSIBLE_DOC = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
# The folders under plugins/ not named as their ansible-doc plugin type
FOLDER_TYPES = {"modules": "module"}
NOT_PLUGINS = ("module_utils", "doc_fragments", "plugin_utils", "__pycache__")
# Filter and test files may document a plugin with a <name>.yml beside them instead of DOCUMENTATION.
YAML_DOCUMENTED = ("filter", "test")


def own_documentation(path: str) -> dict:
    """The DOCUMENTATION a plugin file itself holds (a .py's DOCUMENTATION string, a .yml's key)."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if path.endswith(".yml"):
        return yaml.safe_load(text)["DOCUMENTATION"]
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and [getattr(target, "id", None) for target in node.targets] == [
            "DOCUMENTATION"
        ]:
            return yaml.safe_load(ast.literal_eval(node.value))
    raise AssertionError(f"{os.path.relpath(path, REPOSITORY_ROOT)} has no DOCUMENTATION")


def plugin_files(folder: str, suffixes: tuple[str, ...] = (".py",)) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(suffixes) and name != "__init__.py")


def plugin_type_of(folder: str) -> str | None:
    """The ansible-doc type of plugins/<folder>/, None for action plugins (their module documents them)."""
    if folder == "action":
        modules = os.path.join(PLUGINS, "modules")
        alone = [
            name
            for name in plugin_files(os.path.join(PLUGINS, folder))
            if not os.path.isfile(os.path.join(modules, name))
        ]
        assert alone == [], f"action plugins without a module of the same name to document them: {alone}"
        return None
    plugin_type = FOLDER_TYPES.get(folder, folder)
    assert plugin_type in DOCUMENTABLE_PLUGINS, f"plugins/{folder}/: ansible-doc knows no plugin type {plugin_type!r}"
    return plugin_type


def role_descriptions() -> dict[str, str]:
    roles = os.path.join(REPOSITORY_ROOT, "roles")
    found = {}
    for name in sorted(os.listdir(roles)) if os.path.isdir(roles) else []:
        specs = os.path.join(roles, name, "meta", "argument_specs.yml")
        if os.path.isfile(specs):
            with open(specs, encoding="utf-8") as handle:
                main = yaml.safe_load(handle)["argument_specs"]["main"]
            found[f"{COLLECTION}.{name}"] = main["short_description"]
    return found


def plugins_in_tree() -> dict[str, dict[str, str]]:
    """{ansible-doc type: {FQCN: the short_description its own file documents}}, roles included."""
    found = {"role": role_descriptions()}
    for folder in sorted(os.listdir(PLUGINS)):
        path = os.path.join(PLUGINS, folder)
        plugin_type = None if folder in NOT_PLUGINS or not os.path.isdir(path) else plugin_type_of(folder)
        if plugin_type:
            suffixes = (".py", ".yml") if plugin_type in YAML_DOCUMENTED else (".py",)
            found[plugin_type] = {
                f"{COLLECTION}.{os.path.splitext(name)[0]}": own_documentation(os.path.join(path, name))[
                    "short_description"
                ]
                for name in plugin_files(path, suffixes)
            }
    return found


TREE = plugins_in_tree()


@pytest.fixture(scope="module")
def doc_env(tmp_path_factory):
    """An environment whose only collection is this tree, as exoscale.partner."""
    root = tmp_path_factory.mktemp("collections")
    (root / "ansible_collections" / "exoscale").mkdir(parents=True)
    os.symlink(REPOSITORY_ROOT, root / "ansible_collections" / "exoscale" / "partner")
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(root),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False",
        ANSIBLE_HOME=str(root / "home"),
        ANSIBLE_NOCOLOR="1",
    )
    return env


def ansible_doc(env: dict, *arguments: str):
    result = subprocess.run(
        [ANSIBLE_DOC, *arguments], env=env, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_tree_has_plugins_of_each_kind_this_collection_ships():
    # the discovery itself can fail: the known plugins must be found
    assert "exoscale.partner.partner_org" in TREE["module"]
    assert "exoscale.partner.partner_orgs" in TREE["inventory"]
    assert "exoscale.partner.usage_report_csv" in TREE["filter"]
    assert "exoscale.partner.usage_report" in TREE["role"]


@pytest.mark.parametrize("plugin_type", sorted(TREE))
def test_ansible_doc_lists_exactly_the_plugins_of_the_tree(plugin_type, doc_env):
    listed = json.loads(ansible_doc(doc_env, "-t", plugin_type, "-l", COLLECTION, "--json"))
    assert sorted(listed) == sorted(TREE[plugin_type])


@pytest.mark.parametrize("plugin_type", sorted(TREE))
def test_ansible_doc_shows_each_plugin_its_own_documentation(plugin_type, doc_env):
    expected = TREE[plugin_type]
    shown = json.loads(ansible_doc(doc_env, "-t", plugin_type, "--json", *sorted(expected)))
    if plugin_type == "role":
        found = {name: doc["entry_points"]["main"]["short_description"] for name, doc in shown.items()}
    else:
        found = {name: doc["doc"]["short_description"] for name, doc in shown.items()}
    assert found == expected
