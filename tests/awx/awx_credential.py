# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The credential type of examples/awx/credential_type.yml, and what AWX would inject from it."""

from __future__ import annotations

import yaml
from awx_helpers import repo_path
from jinja2.sandbox import ImmutableSandboxedEnvironment


class _PlaybookLoader(yaml.SafeLoader):
    """Reads playbooks; `!unsafe` strings (templates Ansible must not render) become plain strings."""


_PlaybookLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def parse_yaml(text):
    return yaml.load(text, Loader=_PlaybookLoader)  # nosec B506 - a SafeLoader subclass


def load_playbook(*parts):
    with open(repo_path(*parts), encoding="utf-8") as handle:
        return parse_yaml(handle.read())


def credential_type():
    """The `awx.awx.credential_type` task arguments from the example playbook."""
    tasks = load_playbook("examples", "awx", "credential_type.yml")[0]["tasks"]
    return next(task["awx.awx.credential_type"] for task in tasks if "awx.awx.credential_type" in task)


def injected_env(inputs):
    """Render the env injectors the way AWX does: sandboxed Jinja, fields left empty are undefined."""
    namespace = {field: value for field, value in inputs.items() if value}
    sandbox = ImmutableSandboxedEnvironment()
    injectors = credential_type()["injectors"]["env"]
    return {name: sandbox.from_string(template).render(**namespace) for name, template in injectors.items()}
