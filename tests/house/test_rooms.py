# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The repository keeps the import rules of tests/house/rooms.py, and the checker catches a broken one."""

from __future__ import annotations

import textwrap

import pytest
from rooms import MODULE_UTILS, REPOSITORY_ROOT, RULES, covered_files, python_files, violations


def test_the_repository_keeps_the_import_rules():
    assert violations() == []


@pytest.mark.parametrize("rule", RULES, ids=[rule.room for rule in RULES])
def test_every_rule_covers_files(rule):
    assert covered_files(rule, python_files(REPOSITORY_ROOT)), f"the {rule.room} rule matches no file: fix its globs"


BAD_HOUSE = {
    "plugins/module_utils/_client.py": "import json\nfrom ansible.module_utils.basic import AnsibleModule\n",
    "plugins/module_utils/_base.py": "from ansible.module_utils.basic import AnsibleModule\n",
    "plugins/module_utils/_lifecycle.py": """
        from ansible_collections.exoscale.partner.plugins.module_utils import _base
        from ansible_collections.exoscale.partner.plugins.module_utils import _client
    """,
    "plugins/module_utils/_journal.py": "def f():\n    import ansible.errors\n",
    "plugins/modules/bad_module.py": """
        from __future__ import absolute_import
        import json
        import requests
        from ansible.module_utils.basic import AnsibleModule
        from ansible.plugins.inventory import BaseInventoryPlugin
        from ansible_collections.exoscale.partner.plugins.module_utils._base import PartnerModule
    """,
    "plugins/inventory/bad_inventory.py": "from ansible.errors import AnsibleError\nfrom simulator import control\n",
    "plugins/filter/bad_filter.py": """
        import tools.headers
        from ansible_collections.exoscale.partner.bench import run
        from ansible_collections.exoscale.partner.plugins.module_utils import _client
    """,
    "extensions/eda/plugins/event_source/bad_source.py": """
        import requests
        from ansible_collections.exoscale.partner.plugins.module_utils import _base, _client
    """,
    "simulator/__init__.py": "",
    "simulator/server.py": """
        from . import spec
        from ansible_collections.exoscale.partner.plugins.module_utils import _client
    """,
    "simulator/spec.py": "from ..plugins.module_utils import _client\n",
}


def test_the_checker_reports_each_broken_rule(tmp_path):
    for relative, text in BAD_HOUSE.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    found = violations(root=str(tmp_path))
    reported = sorted({(line.split(" imports ")[0], line.split(" imports ")[1].split(":")[0]) for line in found})
    assert reported == [
        ("extensions/eda/plugins/event_source/bad_source.py:1", "requests"),
        ("extensions/eda/plugins/event_source/bad_source.py:2", MODULE_UTILS + "._base"),
        ("plugins/filter/bad_filter.py:1", "tools.headers"),
        ("plugins/filter/bad_filter.py:2", "ansible_collections.exoscale.partner.bench.run"),
        ("plugins/filter/bad_filter.py:3", "ansible_collections.exoscale.partner.plugins.module_utils._client"),
        ("plugins/inventory/bad_inventory.py:2", "simulator.control"),
        ("plugins/module_utils/_client.py:2", "ansible.module_utils.basic.AnsibleModule"),
        ("plugins/module_utils/_journal.py:2", "ansible.errors"),
        ("plugins/module_utils/_lifecycle.py:1", "ansible_collections.exoscale.partner.plugins.module_utils._base"),
        ("plugins/modules/bad_module.py:3", "requests"),
        ("plugins/modules/bad_module.py:5", "ansible.plugins.inventory.BaseInventoryPlugin"),
        ("simulator/server.py:2", "ansible_collections.exoscale.partner.plugins.module_utils._client"),
        ("simulator/spec.py:1", "plugins.module_utils._client"),
    ]
    assert any("breaks the wire rule" in line for line in found)


def test_the_journal_protocol_and_its_storage_stay_apart(tmp_path):
    bad = {
        "plugins/module_utils/_journal.py": "import sqlite3\n",
        "plugins/module_utils/_journal_store.py": "from . import _metering\n",
    }
    for relative, text in bad.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    found = violations(root=str(tmp_path))
    assert sorted(line.split(": breaks the ")[1].split(" rule")[0] for line in found) == [
        "journal protocol",
        "journal storage",
    ]
