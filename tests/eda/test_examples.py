# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The example rulebooks: valid for ansible-rulebook, arguments the source accepts, playbooks that exist."""

from __future__ import annotations

import glob
import os

import pytest
import yaml
from conftest import KEY, REPOSITORY_ROOT, SECRET

RULEBOOKS = sorted(glob.glob(os.path.join(REPOSITORY_ROOT, "extensions", "eda", "rulebooks", "*.yml")))
SOURCE = "exoscale.partner.partner_events"


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_the_three_examples_are_there():
    assert [os.path.basename(path) for path in RULEBOOKS] == [
        "suspended_customer.yml",
        "unsettled_metering.yml",
        "usage_alert.yml",
    ]


@pytest.mark.parametrize("path", RULEBOOKS, ids=os.path.basename)
def test_rulebook_is_valid_for_ansible_rulebook(path):
    validators = pytest.importorskip("ansible_rulebook.validators")
    validators.Validate.rulebook(load(path))


@pytest.mark.parametrize("path", RULEBOOKS, ids=os.path.basename)
def test_rulebook_arguments_are_accepted_and_its_playbooks_exist(path, source, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # state files are relative to where ansible-rulebook runs
    for ruleset in load(path):
        (arguments,) = [entry[SOURCE] for entry in ruleset["sources"] if SOURCE in entry]
        arguments = dict(arguments)
        if "journal" in arguments:
            arguments["journal"] = str(tmp_path / "metering.sqlite3")
        settings = source.parse_arguments(arguments, {"EXOSCALE_API_KEY": KEY, "EXOSCALE_API_SECRET": SECRET})
        assert settings["credentials"]["api_key"] == KEY
        for rule in ruleset["rules"]:
            playbook = rule["action"].get("run_playbook", {}).get("name")
            if playbook:
                assert os.path.isfile(os.path.join(REPOSITORY_ROOT, playbook)), playbook


def test_documentation_names_exactly_the_arguments_the_source_takes(source):
    documentation = yaml.safe_load(source.DOCUMENTATION)
    assert sorted(documentation["options"]) == sorted(source.CREDENTIAL_ARGS + tuple(source.DEFAULTS))
    for name, default in source.DEFAULTS.items():
        assert documentation["options"][name].get("default") == default, name
    assert documentation["version_added"] == "0.1.0"
    (example,) = yaml.safe_load(source.EXAMPLES)
    (arguments,) = [entry[SOURCE] for entry in example["sources"]]
    assert set(arguments) <= set(documentation["options"])
