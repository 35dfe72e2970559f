# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""examples/use_module_defaults.yml: credentials set once through group/exoscale.partner.partner.

No EXOSCALE_* variable is in the environment, so the modules can only get the credentials and
the URL from the module_defaults group of the installed collection.
"""

from __future__ import annotations

import json
import sys

from awx_helpers import PLAYBOOK, repo_path, run, tool_env

from simulator.control import SimulatorProcess

KEY = "EXOmoduledefaultskey"
SECRET = "module-defaults-secret"


def test_module_defaults_group_supplies_the_credentials(installed_collections, tmp_path):
    with SimulatorProcess(key=KEY, secret=SECRET) as sim:
        extra_vars = tmp_path / "vault.json"
        extra_vars.write_text(
            json.dumps(
                {
                    "exoscale_partner_api_key": KEY,
                    "exoscale_partner_api_secret": SECRET,
                    "exoscale_partner_api_url": sim.url,
                    "ansible_python_interpreter": sys.executable,
                }
            ),
            encoding="utf-8",
        )
        result = run(
            PLAYBOOK + ["-i", "localhost,", "-e", "@%s" % extra_vars, repo_path("examples", "use_module_defaults.yml")],
            env=tool_env(collections_path=installed_collections, ANSIBLE_NOCOLOR="1"),
        )
        operations = [entry["operation"] for entry in sim.admin.requests()]

    assert operations.count("create-distributor-organization") == 1, operations
    assert operations[-1] == "list-distributor-organizations", operations
    assert '"Demo Customer AG"' in result.stdout
    assert "failed=0" in result.stdout
