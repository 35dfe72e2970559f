# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which credentials are used (options, environment, exo CLI configuration), every bad input, secretCommand."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import _client, _credentials
from ansible_collections.exoscale.partner.plugins.module_utils._credentials import CredentialsError
from ansible_collections.exoscale.partner.plugins.plugin_utils import _secret_command

FILE_SECRET = "file-secret-Zm9vYmFyYmF6cXV4"
OTHER_SECRET = "other-secret-cXV4YmF6Zm9vYmFy"
OPTION_SECRET = "option-secret-YmF6cXV4Zm9v"
ENV_SECRET = "env-secret-cXV4Zm9vYmF6"
COMMAND_SECRET = "command-secret-Zm9vcXV4YmF6"
ALL_SECRETS = (FILE_SECRET, OTHER_SECRET, OPTION_SECRET, ENV_SECRET, COMMAND_SECRET)

CONFIG = """\
defaultaccount = "main"

[[accounts]]
  name = "main"
  account = "distributor"
  key = "EXOmain"
  secret = "%(file)s"
  defaultZone = "ch-gva-2"

[[accounts]]
  name = "test"
  key = "EXOtest"
  secret = "%(other)s"
  endpoint = "http://127.0.0.1:8080/v1.alpha"
  environment = "api"
""" % dict(file=FILE_SECRET, other=OTHER_SECRET)


def resolve_credentials(options, environ, run_command=_secret_command.run_secret_command):
    """The resolver as the controller plugins call it: a secretCommand runs through plugin_utils/_secret_command.py."""
    return _credentials.resolve_credentials(options, environ, run_command)


def options(**given):
    """The options as the user gave them: every one of _credentials.OPTIONS, None unless given."""
    return dict(dict.fromkeys(_credentials.OPTIONS), **given)


@pytest.fixture
def home(tmp_path):
    """An empty home directory (no exo CLI configuration yet)."""
    path = tmp_path / "home"
    path.mkdir()
    return path


def write_config(path, text=CONFIG):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def xdg_config(home):
    """The exo CLI's first location, ~/.config/exoscale/exoscale.toml, with CONFIG."""
    return write_config(home / ".config" / "exoscale" / "exoscale.toml")


def env(home, **variables):
    return dict(HOME=str(home), PATH=os.environ.get("PATH", ""), **variables)


def refused(given, environ, match):
    """The CredentialsError for these inputs; it must match and must not contain any secret."""
    with pytest.raises(CredentialsError, match=match) as caught:
        resolve_credentials(given, environ)
    message = str(caught.value)
    assert not any(secret in message for secret in ALL_SECRETS), message
    assert isinstance(caught.value, ValueError)
    return message


def used(result):
    return result["api_key"], result["api_secret"], result["api_url"]


# -- the order ------------------------------------------------------------------------------------


def test_options_as_today(home):
    result = resolve_credentials(options(api_key="EXOopt", api_secret=OPTION_SECRET), env(home))
    assert used(result) == ("EXOopt", OPTION_SECRET, _client.DEFAULT_URL)
    assert result["source"] == "api_key/api_secret"
    assert result["secrets"] == [OPTION_SECRET]


def test_environment_as_today(home):
    result = resolve_credentials(options(), env(home, EXOSCALE_API_KEY="EXOenv", EXOSCALE_API_SECRET=ENV_SECRET))
    assert used(result) == ("EXOenv", ENV_SECRET, _client.DEFAULT_URL)
    assert result["source"] == "EXOSCALE_API_KEY/EXOSCALE_API_SECRET"
    assert result["secrets"] == [ENV_SECRET]


def test_an_option_wins_over_its_environment_variable(home):
    result = resolve_credentials(
        options(api_key="EXOopt"), env(home, EXOSCALE_API_KEY="EXOenv", EXOSCALE_API_SECRET=ENV_SECRET)
    )
    assert used(result)[:2] == ("EXOopt", ENV_SECRET)
    assert result["source"] == "api_key/EXOSCALE_API_SECRET"


def test_keys_win_over_the_default_account(home, xdg_config):
    result = resolve_credentials(options(), env(home, EXOSCALE_API_KEY="EXOenv", EXOSCALE_API_SECRET=ENV_SECRET))
    assert used(result)[:2] == ("EXOenv", ENV_SECRET)


def test_api_account_option(home, xdg_config):
    result = resolve_credentials(options(api_account="test"), env(home))
    assert used(result) == ("EXOtest", OTHER_SECRET, "http://127.0.0.1:8080/v1.alpha")  # its endpoint
    assert result["source"] == "account 'test' of %s" % xdg_config
    assert result["secrets"] == [OTHER_SECRET]


def test_api_account_wins_over_the_environment_keys(home, xdg_config):
    environ = env(home, EXOSCALE_API_KEY="EXOenv", EXOSCALE_API_SECRET=ENV_SECRET)
    assert used(resolve_credentials(options(api_account="main"), environ))[:2] == ("EXOmain", FILE_SECRET)
    environ["EXOSCALE_ACCOUNT"] = "test"
    assert used(resolve_credentials(options(), environ))[:2] == ("EXOtest", OTHER_SECRET)


def test_the_option_wins_over_exoscale_account(home, xdg_config):
    result = resolve_credentials(options(api_account="main"), env(home, EXOSCALE_ACCOUNT="test"))
    assert used(result)[:2] == ("EXOmain", FILE_SECRET)


def test_the_default_account_when_nothing_else_is_set(home, xdg_config):
    result = resolve_credentials(options(), env(home))
    assert used(result) == ("EXOmain", FILE_SECRET, _client.DEFAULT_URL)
    assert result["source"] == "account 'main' of %s" % xdg_config


@pytest.mark.parametrize(
    "given, environ, account",
    [
        (dict(api_account="test"), {}, "test"),
        (dict(api_account="test", api_key="EXOx"), None, None),
        (dict(api_account="main", api_secret=OPTION_SECRET), None, None),
        (dict(api_key="EXOx", api_secret=OPTION_SECRET), dict(EXOSCALE_ACCOUNT="test"), None),
    ],
    ids=["account-alone", "account-and-key", "account-and-secret", "exoscale-account-and-options"],
)
def test_api_account_with_the_key_options_is_refused(home, xdg_config, given, environ, account):
    if account:
        assert used(resolve_credentials(options(**given), env(home, **environ)))[0] == "EXOtest"
        return
    message = refused(options(**given), env(home, **(environ or {})), "contradict each other")
    origin = "EXOSCALE_ACCOUNT" if environ else "api_account"
    assert message.startswith(origin + " names an account")
    assert "Use either the account or api_key and api_secret" in message


def test_configuration_locations_in_order(home, tmp_path):
    legacy = write_config(home / ".exoscale" / "exoscale.toml", CONFIG.replace("EXOmain", "EXOlegacy"))
    assert used(resolve_credentials(options(), env(home)))[0] == "EXOlegacy"
    write_config(home / ".config" / "exoscale" / "exoscale.toml", CONFIG.replace("EXOmain", "EXOxdg"))
    assert used(resolve_credentials(options(), env(home)))[0] == "EXOxdg"
    elsewhere = write_config(tmp_path / "elsewhere.toml", CONFIG.replace("EXOmain", "EXOelsewhere"))
    assert used(resolve_credentials(options(), env(home, EXOSCALE_CONFIG=str(elsewhere))))[0] == "EXOelsewhere"
    result = resolve_credentials(options(api_config=str(legacy)), env(home, EXOSCALE_CONFIG=str(elsewhere)))
    assert used(result)[0] == "EXOlegacy" and result["source"] == "account 'main' of %s" % legacy


def test_api_config_expands_the_home_directory(home, xdg_config, monkeypatch):
    monkeypatch.setenv("HOME", str(home))
    result = resolve_credentials(options(api_config="~/.config/exoscale/exoscale.toml"), env(home))
    assert used(result)[0] == "EXOmain"


@pytest.mark.parametrize(
    "given, environ, expected",
    [
        (dict(api_url="http://option/v1.alpha"), dict(EXOSCALE_PARTNER_API_URL="http://env/v1.alpha"), "option"),
        ({}, dict(EXOSCALE_PARTNER_API_URL="http://env/v1.alpha"), "env"),
        ({}, {}, "endpoint"),
    ],
)
def test_api_url_option_then_environment_then_endpoint(home, xdg_config, given, environ, expected):
    result = resolve_credentials(options(api_account="test", **given), env(home, **environ))
    assert (
        result["api_url"]
        == {
            "option": "http://option/v1.alpha",
            "env": "http://env/v1.alpha",
            "endpoint": "http://127.0.0.1:8080/v1.alpha",
        }[expected]
    )


def test_unknown_fields_are_ignored(home):
    write_config(
        home / ".config" / "exoscale" / "exoscale.toml",
        'defaultaccount = "a"\ncolour = "red"\n[[accounts]]\nname = "a"\nkey = "EXOa"\nsecret = "%s"\n'
        'customHeaders = { x = "y" }\nclientTimeout = 30\n' % FILE_SECRET,
    )
    assert used(resolve_credentials(options(), env(home)))[:2] == ("EXOa", FILE_SECRET)


# -- missing credentials ----------------------------------------------------------------------------


def test_missing_credentials_name_the_files_looked_for(home):
    message = refused(options(), env(home), r"^Missing Exoscale API credentials \(api_key, api_secret\)\. Set the")
    assert "EXOSCALE_API_KEY" in message and "api_account" in message and "EXOSCALE_ACCOUNT" in message
    assert "%s or %s" % (home / ".config/exoscale/exoscale.toml", home / ".exoscale/exoscale.toml") in message


def test_missing_credentials_with_a_file_without_default_account(home, xdg_config):
    xdg_config.write_text(CONFIG.replace('defaultaccount = "main"\n', ""))
    message = refused(options(), env(home), r"^Missing Exoscale API credentials \(api_key, api_secret\)")
    assert "the exo CLI configuration %s has no defaultaccount" % xdg_config in message


@pytest.mark.parametrize(
    "given, environ, missing",
    [
        (dict(api_key="EXOx"), {}, "api_secret"),
        ({}, dict(EXOSCALE_API_SECRET=ENV_SECRET), "api_key"),
        (dict(api_key="  ", api_secret=OPTION_SECRET), {}, "api_key"),
        (dict(api_key="EXOx", api_secret=""), {}, "api_secret"),
        ({}, dict(EXOSCALE_API_KEY="", EXOSCALE_API_SECRET=""), "api_key, api_secret"),
    ],
)
def test_half_or_blank_credentials_are_missing_credentials(home, xdg_config, given, environ, missing):
    """A half-given pair is an error, not a silent switch to the default account."""
    refused(options(**given), env(home, **environ), r"^Missing Exoscale API credentials \(%s\)" % missing)


# -- bad input ---------------------------------------------------------------------------------------


def test_an_unreadable_configuration(home, tmp_path):
    missing = tmp_path / "nowhere.toml"
    message = refused(options(api_account="main", api_config=str(missing)), env(home), "Cannot read")
    assert str(missing) in message and "No such file or directory" in message and "api_config" in message
    refused(options(), env(home, EXOSCALE_CONFIG=str(missing)), "Cannot read the exo CLI configuration")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads every file")
def test_a_configuration_without_read_permission(home, xdg_config):
    xdg_config.chmod(0)
    try:
        refused(options(), env(home), "Cannot read the exo CLI configuration %s: Permission denied" % xdg_config)
    finally:
        xdg_config.chmod(0o600)


def test_no_configuration_for_an_account(home):
    message = refused(options(api_account="main"), env(home), r"^api_account 'main': no exo CLI configuration found")
    assert str(home / ".config/exoscale/exoscale.toml") in message and "EXOSCALE_CONFIG" in message
    refused(options(), env(home, EXOSCALE_ACCOUNT="main"), r"^EXOSCALE_ACCOUNT 'main': no exo CLI configuration")


def test_malformed_toml(home, xdg_config):
    xdg_config.write_text('[[accounts]]\nname = "main"\nkey = "EXOmain"\nsecret = "%s\n' % FILE_SECRET)
    message = refused(options(), env(home), "The exo CLI configuration %s is not valid TOML" % xdg_config)
    assert "line" in message


def test_not_utf8(home, xdg_config):
    xdg_config.write_bytes(b'defaultaccount = "\xff"\n')
    refused(options(), env(home), "is not valid TOML")


@pytest.mark.parametrize(
    "text",
    [
        'defaultaccount = "main"\n',
        'defaultaccount = "main"\naccounts = "main"\n',
        'defaultaccount = "main"\naccounts = []\n',
    ],
    ids=["none", "not-tables", "empty"],
)
def test_no_accounts(home, xdg_config, text):
    xdg_config.write_text(text)
    refused(options(), env(home), r"%s has no \[\[accounts\]\] table" % xdg_config)


def test_an_unknown_account_names_the_accounts_that_exist(home, xdg_config):
    message = refused(options(api_account="prod"), env(home), "Account 'prod' not found")
    assert message.endswith("its accounts: 'main', 'test'.") and str(xdg_config) in message
    refused(options(), env(home, EXOSCALE_ACCOUNT="prod"), "Account 'prod' not found")
    xdg_config.write_text(CONFIG.replace('defaultaccount = "main"', 'defaultaccount = "gone"'))
    refused(options(), env(home), "Account 'gone' not found")


@pytest.mark.parametrize(
    "replace, match",
    [
        ('key = "EXOtest"', "has no key"),
        ('secret = "%s"' % OTHER_SECRET, "has no secret: set its secret or secretCommand"),
        ('secret = "%s"' % OTHER_SECRET, None),
        ('endpoint = "http://127.0.0.1:8080/v1.alpha"', "endpoint must be a URL"),
    ],
    ids=["no-key", "no-secret", "blank-secret", "bad-endpoint"],
)
def test_an_incomplete_account(home, xdg_config, replace, match):
    if match is None:  # a blank secret is no secret
        xdg_config.write_text(CONFIG.replace(replace, 'secret = "  "'))
        match = "has no secret"
    elif match.startswith("endpoint"):
        xdg_config.write_text(CONFIG.replace(replace, "endpoint = 42"))
    else:
        xdg_config.write_text(CONFIG.replace(replace, ""))
    message = refused(options(api_account="test"), env(home), match)
    assert message.startswith("Account 'test' of the exo CLI configuration %s" % xdg_config)


@pytest.mark.parametrize(
    "given, environ, origin",
    [
        (dict(api_account=" "), {}, "api_account"),
        ({}, dict(EXOSCALE_ACCOUNT=""), "EXOSCALE_ACCOUNT"),
        (dict(api_config=""), {}, "api_config"),
        ({}, dict(EXOSCALE_CONFIG=" "), "EXOSCALE_CONFIG"),
    ],
)
def test_blank_account_or_configuration(home, xdg_config, given, environ, origin):
    refused(options(**given), env(home, **environ), r"^%s: must not be empty or blank" % origin)


def test_a_bad_default_account(home, xdg_config):
    xdg_config.write_text(CONFIG.replace('defaultaccount = "main"', "defaultaccount = 1"))
    refused(options(), env(home), "defaultaccount must be the name of an account, got 1")


def test_without_a_toml_library(home, xdg_config, monkeypatch):
    monkeypatch.setattr(_credentials, "tomllib", None)
    refused(options(), env(home), "needs the Python library 'tomli' on Python before 3.11")
    # Only when the file is actually needed:
    result = resolve_credentials(options(api_key="EXOopt", api_secret=OPTION_SECRET), env(home))
    assert used(result)[0] == "EXOopt"


def test_the_file_is_not_read_when_not_needed(home, xdg_config):
    xdg_config.write_text("this is not TOML")
    environ = env(home, EXOSCALE_CONFIG=str(xdg_config), EXOSCALE_API_KEY="EXOenv", EXOSCALE_API_SECRET=ENV_SECRET)
    assert used(resolve_credentials(options(), environ))[0] == "EXOenv"


# -- secretCommand -------------------------------------------------------------------------------------


def command_account(command, secret=None):
    lines = ['defaultaccount = "vault"', "[[accounts]]", 'name = "vault"', 'key = "EXOvault"']
    lines.append("secretCommand = %s" % json.dumps(command))
    if secret is not None:
        lines.append('secret = "%s"' % secret)
    return "\n".join(lines) + "\n"


def python(code, *args):
    return [sys.executable, "-c", code] + list(args)


def test_secret_command_output_stripped_is_the_secret(home, xdg_config):
    xdg_config.write_text(command_account(python("print('  %s  ')" % COMMAND_SECRET)))
    result = resolve_credentials(options(), env(home))
    assert used(result)[:2] == ("EXOvault", COMMAND_SECRET)
    assert result["secrets"] == [COMMAND_SECRET]
    assert result["source"] == "account 'vault' of %s" % xdg_config


def test_secret_command_wins_over_secret(home, xdg_config):
    """As in the exo CLI: a secretCommand, when given, is what provides the secret."""
    xdg_config.write_text(command_account(python("print('%s')" % COMMAND_SECRET), secret=FILE_SECRET))
    assert used(resolve_credentials(options(), env(home)))[1] == COMMAND_SECRET


def test_secret_command_runs_without_a_shell(home, xdg_config):
    xdg_config.write_text(command_account(python("import sys; print(sys.argv[1])", "$HOME;`echo x`|*")))
    assert used(resolve_credentials(options(), env(home)))[1] == "$HOME;`echo x`|*"


def test_secret_command_gets_no_input(home, xdg_config):
    """Its standard input is empty (a module has no terminal): a command waiting for input ends at once."""
    xdg_config.write_text(command_account(python("import sys; print(sys.stdin.read())")))
    refused(options(), env(home), "its secretCommand '%s' printed nothing" % sys.executable)


def test_secret_command_that_fails(home, xdg_config):
    code = "import sys; print('%s'); sys.stderr.write('vault is sealed\\n'); sys.exit(3)" % COMMAND_SECRET
    xdg_config.write_text(command_account(python(code)))
    message = refused(options(), env(home), "failed with exit status 3: vault is sealed")
    assert message.startswith("Account 'vault' of the exo CLI configuration %s" % xdg_config)


def test_secret_command_that_prints_nothing(home, xdg_config):
    xdg_config.write_text(command_account(python("print('   ')")))
    refused(options(), env(home), r"Account 'vault' .*printed nothing; it must print the API secret")


def test_secret_command_not_found(home, xdg_config):
    xdg_config.write_text(command_account([str(home / "no-such-command"), "--secret"]))
    message = refused(options(), env(home), "cannot be run: No such file or directory")
    assert "no-such-command" in message and "--secret" not in message


@pytest.mark.parametrize(
    "command", ["pass show exoscale", [], ["pass", 3], [""]], ids=["string", "empty", "int", "blank"]
)
def test_secret_command_must_be_an_argv_list(home, xdg_config, command):
    xdg_config.write_text(command_account(command))
    refused(options(), env(home), "secretCommand must be a list of strings")


def test_secret_command_timeout(home, xdg_config, monkeypatch):
    monkeypatch.setattr(_secret_command, "TIMEOUT", 0.5)
    xdg_config.write_text(command_account(python("import time; time.sleep(30)")))
    refused(options(), env(home), r"printed no secret \(no answer within 0.5 seconds\)")


def test_secret_command_without_a_way_to_run_it(home, xdg_config):
    """A caller that cannot run commands gets a clear refusal, never an attempt."""
    xdg_config.write_text(command_account(python("print('%s')" % COMMAND_SECRET)))
    with pytest.raises(CredentialsError, match="its secretCommand .* cannot be run here; set its secret instead"):
        _credentials.resolve_credentials(options(), env(home))
