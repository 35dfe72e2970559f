# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX credential type: what it asks for, what it injects, and that the AWX guide shows the same."""

from __future__ import annotations

import re
import textwrap

from awx_credential import credential_type, injected_env, parse_yaml
from awx_helpers import load_client_module, repo_path


def test_inputs_mark_the_secret_and_require_key_and_secret():
    inputs = credential_type()["inputs"]
    fields = {field["id"]: field for field in inputs["fields"]}
    assert set(fields) == {"api_key", "api_secret", "api_url", "journal"}
    assert fields["api_secret"].get("secret") is True
    assert fields["journal"].get("secret") is True  # a PostgreSQL URL may hold a password
    assert not fields["api_key"].get("secret") and not fields["api_url"].get("secret")
    assert sorted(inputs["required"]) == ["api_key", "api_secret"]


def test_injects_the_environment_the_modules_read():
    env = injected_env(
        {
            "api_key": "EXOkey",
            "api_secret": "s3cret",
            "api_url": "http://127.0.0.1:1/v1.alpha",
            "journal": "postgresql://billing:pw@db/billing",
        }
    )
    assert env == {
        "EXOSCALE_API_KEY": "EXOkey",
        "EXOSCALE_API_SECRET": "s3cret",
        "EXOSCALE_PARTNER_API_URL": "http://127.0.0.1:1/v1.alpha",
        "EXOSCALE_PARTNER_JOURNAL": "postgresql://billing:pw@db/billing",
    }


def test_empty_journal_injects_an_empty_variable():
    """The modules treat an empty EXOSCALE_PARTNER_JOURNAL as unset (the default SQLite file)."""
    env = injected_env({"api_key": "EXOkey", "api_secret": "s3cret", "api_url": "", "journal": ""})
    assert env["EXOSCALE_PARTNER_JOURNAL"] == ""


def test_empty_url_injects_the_production_endpoint():
    """AWX renders an unset field as an empty string; an empty URL must not reach the modules."""
    env = injected_env({"api_key": "EXOkey", "api_secret": "s3cret", "api_url": ""})
    assert env["EXOSCALE_PARTNER_API_URL"] == load_client_module().DEFAULT_URL


GUIDE = "docs/docsite/rst/awx.rst"


def docs_code_blocks():
    """The text of each `.. code-block:: yaml` of the guide, as it shows it (without the RST indentation)."""
    with open(repo_path(*GUIDE.split("/")), encoding="utf-8") as handle:
        guide = handle.read()
    blocks = re.findall(r"^\.\. code-block:: yaml\n\n((?:(?: {3}.*)?\n)+)", guide, re.M)
    return [textwrap.dedent(block).strip("\n") + "\n" for block in blocks]


def docs_yaml_blocks():
    return [parse_yaml(block) for block in docs_code_blocks()]


def test_docs_show_the_same_credential_type():
    blocks = docs_yaml_blocks()
    example = credential_type()
    assert example["inputs"] in blocks, f"{GUIDE} lacks the input configuration of examples/awx/credential_type.yml"
    assert example["injectors"] in blocks, (
        f"{GUIDE} lacks the injector configuration of examples/awx/credential_type.yml"
    )


def test_docs_show_the_execution_environment_files():
    with open(repo_path("meta", "execution-environment.yml"), encoding="utf-8") as handle:
        assert parse_yaml(handle.read()) in docs_yaml_blocks(), f"{GUIDE} does not show meta/execution-environment.yml"
    for name in ("execution-environment.yml", "requirements.yml"):
        with open(repo_path("examples", "awx", "ee", name), encoding="utf-8") as handle:
            shown = without_licence_header(handle.read())
        assert shown in docs_code_blocks(), (
            f"{GUIDE} does not show examples/awx/ee/{name} verbatim (its licence header aside)"
        )


# The third line's tag is spelled in two pieces so that REUSE does not read this line as a licence.
LICENCE_HEADER = re.compile(
    r"^# (Copyright \(c\) |GNU General Public License |SPDX" + r"-License-Identifier: ).*\n", re.M
)


def without_licence_header(text):
    """The file as the guide shows it: the SPDX header lines every file carries are not repeated there."""
    return LICENCE_HEADER.sub("", text)
