# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the AWX / execution environment tests.

Every tool runs as ``sys.executable -m ...`` so the tests use the venv that runs pytest, and a
missing tool fails the test (ModuleNotFoundError, non-zero exit) instead of skipping it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPOSITORY_ROOT not in sys.path:
    sys.path.insert(0, REPOSITORY_ROOT)

GALAXY = [sys.executable, "-m", "ansible.cli.galaxy"]
BUILDER = [sys.executable, "-m", "ansible_builder"]
RUNNER = [sys.executable, "-m", "ansible_runner"]
PLAYBOOK = [sys.executable, "-m", "ansible.cli.playbook"]


def repo_path(*parts):
    return os.path.join(REPOSITORY_ROOT, *parts)


def run(command, cwd=None, env=None, timeout=120):
    """Run a command; fail the test with its output when it exits non-zero."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, "%s exited %d\nstdout:\n%s\nstderr:\n%s" % (
        " ".join(command),
        result.returncode,
        result.stdout[-4000:],
        result.stderr[-4000:],
    )
    return result


def tool_env(collections_path=None, **extra):
    """The environment for Ansible tools: this venv first on PATH, no Exoscale credentials, optional collections."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    for name in ("EXOSCALE_API_KEY", "EXOSCALE_API_SECRET", "EXOSCALE_PARTNER_API_URL"):
        env.pop(name, None)
    if collections_path:
        # Only this path: collections found through sys.path (e.g. a PYTHONPATH for unit tests) must not count.
        env["ANSIBLE_COLLECTIONS_PATH"] = str(collections_path)
        env["ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"] = "False"
    env.update(extra)
    return env


def load_client_module():
    """The collection's wire client (plugins/module_utils/_client.py imports no Ansible code)."""
    spec = importlib.util.spec_from_file_location("_client", repo_path("plugins", "module_utils", "_client.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
