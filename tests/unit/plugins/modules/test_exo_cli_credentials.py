# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The modules take their credentials from the exo CLI configuration (api_account, api_config) through _base."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import sys

import pytest
from ansible.module_utils import basic

from ansible_collections.exoscale.partner.plugins.module_utils import _base
from ansible_collections.exoscale.partner.plugins.modules import partner_metering, partner_org_info
from ansible_collections.exoscale.partner.tests.unit.plugins.modules.conftest import make_org
from ansible_collections.exoscale.partner.tests.unit.plugins.modules.test_partner_metering import MeteringFakeClient

FILE_SECRET = "file-secret-bW9kdWxlLXRlc3Q"
COMMAND_SECRET = "command-secret-bW9kdWxlLXRlc3Q"
ORG_ID = "bf9bbc88-71ea-407c-9920-fc1101d86183"


@pytest.fixture
def exo_config(tmp_path):
    path = tmp_path / "exoscale.toml"
    path.write_text(
        'defaultaccount = "main"\n'
        '[[accounts]]\nname = "main"\nkey = "EXOmain"\nsecret = "%s"\n'
        '[[accounts]]\nname = "vault"\nkey = "EXOvault"\nendpoint = "http://127.0.0.1:9/v1.alpha"\n'
        "secretCommand = %s\n" % (FILE_SECRET, json.dumps([sys.executable, "-c", "print(%r)" % COMMAND_SECRET]))
    )
    return path


@pytest.fixture
def built(monkeypatch, run_module, fake_client):
    """The settings build_client() was called with, and the module's no_log values at exit."""
    seen = {}
    exit_as_run_module_does = basic.AnsibleModule.exit_json

    def build_client(params):
        seen["params"] = params
        return fake_client

    def exit_json(self, **result):
        seen["no_log_values"] = set(self.no_log_values)
        exit_as_run_module_does(self, **result)

    monkeypatch.setattr(_base, "build_client", build_client)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    return seen


@pytest.mark.parametrize(
    "args, environ, expected",
    [
        (dict(api_account="main"), {}, ("EXOmain", FILE_SECRET, "https://partner-api.exoscale.com/v1.alpha")),
        ({}, dict(EXOSCALE_ACCOUNT="vault"), ("EXOvault", COMMAND_SECRET, "http://127.0.0.1:9/v1.alpha")),
        ({}, {}, ("EXOmain", FILE_SECRET, "https://partner-api.exoscale.com/v1.alpha")),  # defaultaccount
        (
            dict(api_account="vault", api_url="http://127.0.0.1:8/v1.alpha"),
            dict(EXOSCALE_API_KEY="EXOenv", EXOSCALE_API_SECRET="env-secret"),
            ("EXOvault", COMMAND_SECRET, "http://127.0.0.1:8/v1.alpha"),
        ),
    ],
    ids=["api_account", "EXOSCALE_ACCOUNT", "defaultaccount", "account-wins-over-env-keys"],
)
def test_a_module_uses_the_account(run_module, fake_client, built, exo_config, monkeypatch, args, environ, expected):
    monkeypatch.setenv("EXOSCALE_CONFIG", str(exo_config))
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    fake_client.orgs.append(make_org(client_id="crm-1"))
    result = run_module(partner_org_info.main, dict(args, client_id="crm-1"), credentials=False)
    assert result["failed"] is False, result
    params = built["params"]
    assert (params["api_key"], params["api_secret"], params["api_url"]) == expected
    assert expected[1] in built["no_log_values"]
    assert expected[1] not in json.dumps(result)


def test_api_config_option(run_module, fake_client, built, exo_config):
    result = run_module(
        partner_org_info.main, dict(api_config=str(exo_config), api_account="vault", client_id="x"), credentials=False
    )
    assert result["failed"] is False and built["params"]["api_key"] == "EXOvault"


def test_the_account_with_the_key_options_is_refused(run_module, fake_client, exo_config):
    result = run_module(
        partner_org_info.main, dict(api_config=str(exo_config), api_account="main", client_id="x"), credentials=True
    )
    assert result["failed"] is True
    assert result["msg"].startswith("api_account names an account of the exo CLI configuration, and the api_key")
    assert fake_client.calls == []


def test_a_bad_account_fails_before_any_call(run_module, fake_client, exo_config):
    result = run_module(
        partner_org_info.main, dict(api_config=str(exo_config), api_account="prod", client_id="x"), credentials=False
    )
    assert result["failed"] is True
    assert result[
        "msg"
    ] == "Account 'prod' not found in the exo CLI configuration %s; its accounts: 'main', 'vault'." % (exo_config)
    assert FILE_SECRET not in json.dumps(result) and fake_client.calls == []


def test_the_connection_options_are_checked_first(run_module, fake_client, exo_config, tmp_path):
    """A bad api_timeout fails without running the account's secretCommand."""
    marker = tmp_path / "ran"
    exo_config.write_text(
        '[[accounts]]\nname = "vault"\nkey = "EXOvault"\nsecretCommand = %s\n'
        % json.dumps([sys.executable, "-c", "open(%r, 'w').write('x'); print('s')" % str(marker)])
    )
    result = run_module(
        partner_org_info.main,
        dict(api_config=str(exo_config), api_account="vault", api_timeout=0, client_id="x"),
        credentials=False,
    )
    assert result["msg"] == "api_timeout: must be a number of seconds greater than 0, got 0."
    assert not marker.exists()


def test_the_journal_records_the_account_key(run_module, monkeypatch, exo_config, tmp_path):
    """partner_metering's journal names who sent a batch by the resolved key."""
    client = MeteringFakeClient(orgs=[make_org(id=ORG_ID)])
    monkeypatch.setattr(_base, "build_client", lambda params: client)
    journal = tmp_path / "journal.sqlite"
    result = run_module(
        partner_metering.main,
        dict(
            api_config=str(exo_config),
            api_account="vault",
            organization_id=ORG_ID,
            transaction_id="t-1",
            journal=str(journal),
            usage=[{"product": "p", "variable": "v", "quantity": 1}],
        ),
        credentials=False,
    )
    assert result["failed"] is False, result
    assert b"EXOvault" in journal.read_bytes()
    assert COMMAND_SECRET.encode() not in journal.read_bytes()


def vault_account(config, code):
    config.write_text(
        '[[accounts]]\nname = "vault"\nkey = "EXOvault"\nsecretCommand = %s\n'
        % json.dumps([sys.executable, "-c", code])
    )


def test_a_module_runs_the_secret_command_without_a_shell_or_expansion(run_module, built, exo_config):
    """AnsibleModule.run_command runs it: argv as written ($HOME, ~ and ; stay text)."""
    text = "$HOME;~|*"
    command = [sys.executable, "-c", "import sys; print(sys.argv[1])", text]
    exo_config.write_text('[[accounts]]\nname = "vault"\nkey = "EXOvault"\nsecretCommand = %s\n' % json.dumps(command))
    run_module(partner_org_info.main, dict(api_config=str(exo_config), api_account="vault"), credentials=False)
    assert built["params"]["api_secret"] == text


def test_a_module_stops_a_secret_command_that_hangs(run_module, fake_client, exo_config, monkeypatch):
    monkeypatch.setattr(_base, "SECRET_COMMAND_TIMEOUT", 0.5)
    vault_account(exo_config, "import time; time.sleep(30)")
    result = run_module(partner_org_info.main, dict(api_config=str(exo_config), api_account="vault"), credentials=False)
    assert result["failed"] and "printed no secret (no answer within 0.5 seconds)" in result["msg"], result
    assert fake_client.calls == []


def test_a_module_names_a_secret_command_it_cannot_start(run_module, fake_client, exo_config, tmp_path):
    exo_config.write_text(
        '[[accounts]]\nname = "vault"\nkey = "EXOvault"\nsecretCommand = %s\n' % json.dumps([str(tmp_path / "nope")])
    )
    result = run_module(partner_org_info.main, dict(api_config=str(exo_config), api_account="vault"), credentials=False)
    assert "cannot be run: No such file or directory" in result["msg"], result
    assert fake_client.calls == []
