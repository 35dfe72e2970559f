# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which Exoscale API credentials to use: options, environment, or an account of the exo CLI's configuration.

Private to this collection: not a public API, may change in any release. Rules room: standard library only,
no Ansible import. Every plugin taking credentials (modules, inventory, event source) calls
resolve_credentials(), so they all choose the same way:

1. ``api_account`` (option, else EXOSCALE_ACCOUNT): that account of the configuration file. It wins over
   EXOSCALE_API_KEY/EXOSCALE_API_SECRET; together with the api_key/api_secret options it is refused.
2. else ``api_key``/``api_secret`` (option, else EXOSCALE_API_KEY/EXOSCALE_API_SECRET);
3. else the file's ``defaultaccount``;
4. else CredentialsError, naming the file(s) looked for.

The file (``api_config``, else EXOSCALE_CONFIG, else the exo CLI's own locations) is read only when needed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.exoscale.partner.plugins.module_utils import _client

try:
    import tomllib  # Python 3.11+
except ImportError:
    try:
        import tomli as tomllib
    except ImportError:
        tomllib = None

OPTIONS = ("api_key", "api_secret", "api_url", "api_account", "api_config")
ENV_KEY = "EXOSCALE_API_KEY"
ENV_SECRET = "EXOSCALE_API_SECRET"
ENV_URL = "EXOSCALE_PARTNER_API_URL"
ENV_ACCOUNT = "EXOSCALE_ACCOUNT"
ENV_CONFIG = "EXOSCALE_CONFIG"
# The exo CLI's locations, in its order, relative to the home directory.
DEFAULT_CONFIG_PATHS = (
    os.path.join(".config", "exoscale", "exoscale.toml"),
    os.path.join(".exoscale", "exoscale.toml"),
)

CREDENTIALS_HELP = (
    "Set the api_key and api_secret options, or the EXOSCALE_API_KEY and EXOSCALE_API_SECRET environment variables, "
    "or name an account of the exo CLI configuration with api_account (or EXOSCALE_ACCOUNT)."
)


class CredentialsError(ValueError):
    """The credentials cannot be determined; the message names the file or account and what to do, never a secret."""


def resolve_credentials(options, environ, run_command=None):
    """The credentials to use, as a dict: api_key, api_secret, api_url, source (a short text, no secret) and
    secrets (the secret strings, for no_log).

    ``options``: api_key, api_secret, api_url, api_account, api_config as the user gave them (None when not
    given, not resolved from the environment). ``environ``: a mapping like os.environ. ``run_command(argv)``
    runs an account's secretCommand: (exit status, stdout, stderr) as text, OSError when it cannot be started,
    TimeoutError when it does not finish (modules: AnsibleModule.run_command; controller plugins:
    plugin_utils/_secret_command.py). Raises CredentialsError.
    """
    account, account_origin = _setting(options, environ, "api_account", ENV_ACCOUNT)
    if account is not None:
        given = [name for name in ("api_key", "api_secret") if options.get(name) is not None]
        if given:
            raise CredentialsError(
                "%s names an account of the exo CLI configuration, and the %s option%s given too: these contradict "
                "each other. Use either the account or api_key and api_secret."
                % (account_origin, " and ".join(given), "s are" if len(given) > 1 else " is")
            )
        path = _config_path(options, environ, needed_by="%s %r" % (account_origin, account))
        return _from_account(options, environ, path, _read_config(path), account, run_command)
    key = _first(options.get("api_key"), environ.get(ENV_KEY))
    secret = _first(options.get("api_secret"), environ.get(ENV_SECRET))
    if key is not None or secret is not None:
        missing = [name for name, value in (("api_key", key), ("api_secret", secret)) if not (value or "").strip()]
        if missing:
            raise CredentialsError("Missing Exoscale API credentials (%s). %s" % (", ".join(missing), CREDENTIALS_HELP))
        source = "%s/%s" % (
            "api_key" if options.get("api_key") is not None else ENV_KEY,
            "api_secret" if options.get("api_secret") is not None else ENV_SECRET,
        )
        return _result(key, secret, _api_url(options, environ), source)
    path = _config_path(options, environ)
    config = None if path is None else _read_config(path)
    default = None if config is None else config.get("defaultaccount")
    if default is not None:
        if not isinstance(default, str) or not default.strip():
            raise CredentialsError("%s: defaultaccount must be the name of an account, got %r." % (path, default))
        return _from_account(options, environ, path, config, default, run_command)
    if path is None:
        looked = "no exo CLI configuration found at %s" % " or ".join(default_config_paths(environ))
    else:
        looked = "the exo CLI configuration %s has no defaultaccount" % path
    raise CredentialsError(
        "Missing Exoscale API credentials (api_key, api_secret). %s (%s)." % (CREDENTIALS_HELP, looked)
    )


def default_config_paths(environ):
    """The exo CLI's configuration locations under the home directory of ``environ``, in the order it tries them."""
    home = environ.get("HOME") or os.path.expanduser("~")
    return [os.path.join(home, path) for path in DEFAULT_CONFIG_PATHS]


def _setting(options, environ, option, env):
    """(value, where it came from) of an option with an environment fallback; blank is refused."""
    if options.get(option) is not None:
        value, origin = options[option], option
    elif environ.get(env) is not None:
        value, origin = environ[env], env
    else:
        return None, None
    if not isinstance(value, str) or not value.strip():
        raise CredentialsError("%s: must not be empty or blank, got %r." % (origin, value))
    return value, origin


def _first(*values):
    return next((value for value in values if value is not None), None)


def _config_path(options, environ, needed_by=None):
    """The configuration file: api_config, else EXOSCALE_CONFIG, else the first exo CLI location that exists.

    None when no default location exists and nothing ``needed_by`` it; a CredentialsError when something does.
    """
    path, origin = _setting(options, environ, "api_config", ENV_CONFIG)
    if path is not None:
        return os.path.expanduser(path)
    candidates = default_config_paths(environ)
    found = next((candidate for candidate in candidates if os.path.isfile(candidate)), None)
    if found is None and needed_by:
        raise CredentialsError(
            "%s: no exo CLI configuration found at %s. Create it with 'exo config', or give its path with "
            "api_config (or EXOSCALE_CONFIG)." % (needed_by, " or ".join(candidates))
        )
    return found


def _read_config(path):
    """The parsed TOML document of ``path``; CredentialsError when it cannot be read or parsed."""
    if tomllib is None:
        raise CredentialsError(
            "Reading the exo CLI configuration %s needs the Python library 'tomli' on Python before 3.11 "
            "(pip install tomli), or use api_key and api_secret instead." % path
        )
    try:
        with open(path, "rb") as config:
            return tomllib.load(config)
    except OSError as exc:
        raise CredentialsError(
            "Cannot read the exo CLI configuration %s: %s. Check api_config (or EXOSCALE_CONFIG)."
            % (path, exc.strerror or exc)
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        # tomllib's messages give the position only, never the content.
        raise CredentialsError("The exo CLI configuration %s is not valid TOML: %s." % (path, exc)) from None


def _from_account(options, environ, path, config, name, run_command):
    accounts = config.get("accounts")
    if not isinstance(accounts, list) or not all(isinstance(account, dict) for account in accounts) or not accounts:
        raise CredentialsError(
            "The exo CLI configuration %s has no [[accounts]] table: add one with 'exo config' "
            "(name, key, secret or secretCommand)." % path
        )
    matching = [account for account in accounts if account.get("name") == name]
    if not matching:
        names = [account["name"] for account in accounts if isinstance(account.get("name"), str)]
        raise CredentialsError(
            "Account %r not found in the exo CLI configuration %s; its accounts: %s."
            % (name, path, ", ".join(repr(known) for known in names) or "none with a name")
        )
    account = matching[0]
    where = "Account %r of the exo CLI configuration %s" % (name, path)
    key = account.get("key")
    if not isinstance(key, str) or not key.strip():
        raise CredentialsError("%s has no key: set its key (the API key, EXO...)." % where)
    command = account.get("secretCommand")
    if command is not None:
        secret = _run_secret_command(command, where, run_command)
    else:
        secret = account.get("secret")
        if not isinstance(secret, str) or not secret.strip():
            raise CredentialsError("%s has no secret: set its secret or secretCommand." % where)
    endpoint = account.get("endpoint")
    if endpoint is not None and (not isinstance(endpoint, str) or not endpoint.strip()):
        raise CredentialsError("%s: endpoint must be a URL, got %r." % (where, endpoint))
    return _result(key, secret, _api_url(options, environ, endpoint), "account %r of %s" % (name, path))


def _run_secret_command(command, where, run_command):
    """The stripped standard output of the account's secretCommand (an argv list, run without a shell)."""
    if not isinstance(command, list) or not command or not all(isinstance(part, str) and part for part in command):
        raise CredentialsError(
            "%s: secretCommand must be a list of strings, the command and its arguments "
            '(for example ["pass", "show", "exoscale"]), got %s.' % (where, type(command).__name__)
        )
    program = command[0]
    if run_command is None:
        raise CredentialsError(
            "%s: its secretCommand %r cannot be run here; set its secret instead." % (where, program)
        )
    try:
        returncode, stdout, stderr = run_command(command)
    except TimeoutError as exc:
        raise CredentialsError("%s: its secretCommand %r printed no secret (%s)." % (where, program, exc)) from None
    except OSError as exc:
        raise CredentialsError(
            "%s: its secretCommand %r cannot be run: %s." % (where, program, exc.strerror or exc)
        ) from None
    if returncode != 0:
        detail = _client.shorten(stderr)
        raise CredentialsError(
            "%s: its secretCommand %r failed with exit status %d%s."
            % (where, program, returncode, ": " + detail if detail else "")
        )
    secret = stdout.strip()
    if not secret:
        raise CredentialsError(
            "%s: its secretCommand %r printed nothing; it must print the API secret." % (where, program)
        )
    return secret


def _api_url(options, environ, endpoint=None):
    return _first(options.get("api_url"), environ.get(ENV_URL), endpoint, _client.DEFAULT_URL)


def _result(key, secret, api_url, source):
    return {"api_key": key, "api_secret": secret, "api_url": api_url, "source": source, "secrets": [secret]}
