# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Ansible glue shared by every module: common options, credentials, errors, check and diff mode.

Private to this collection: not a public API, may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import threading

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.exoscale.partner.plugins.module_utils import _client, _credentials, _lifecycle

DOING_UNKNOWN = "talk to the Exoscale Partner API"

CLOCK_HELP = "Requests are signed with an expiry time: check that this host's clock is correct (for example with NTP)."
AUTH_HELP = "Check api_key and api_secret, and that the key may use the Partner API."
# Beyond this difference between the API's Date header and this host's clock, a refusal is blamed on the clock.
CLOCK_SKEW_TOLERANCE = 300
SECRET_COMMAND_TIMEOUT = 120  # seconds an exo CLI secretCommand may take (a password manager may be slow to unlock)


def api_argument_spec():
    """The options every module of the collection shares (documented by the exoscale.partner.api fragment).

    The credential options have no environment fallback here: _credentials.resolve_credentials() weighs
    options, environment and the exo CLI configuration together (see connection_settings).
    """
    return dict(
        api_key=dict(type="str", no_log=False),
        api_secret=dict(type="str", no_log=True),
        api_url=dict(type="str"),
        api_account=dict(type="str"),
        api_config=dict(type="path"),
        api_timeout=dict(type="int", default=30),
        api_retries=dict(type="int", default=5),
        validate_certs=dict(type="bool", default=True),
    )


def explain(exc):
    """The text of a client error, plus what to check for an authentication failure (clock or credentials).

    The clock is blamed when the API's message speaks of expiry, or when its Date header is more than
    CLOCK_SKEW_TOLERANCE seconds away from this host's clock (the real API's wording is not documented).
    """
    if not isinstance(exc, _client.ExoscaleAPIAuthException):
        return str(exc)
    expired = "expire" in (exc.api_message or str(exc)).lower()
    skew = exc.clock_skew
    if skew is None or abs(skew) <= CLOCK_SKEW_TOLERANCE:
        return "%s. %s" % (exc, CLOCK_HELP if expired else AUTH_HELP)
    # The API's Date header shows the clocks apart: say so whatever the API's wording.
    measured = "The API's clock is %d seconds %s this host's." % (abs(skew), "ahead of" if skew > 0 else "behind")
    return " ".join(["%s." % exc, CLOCK_HELP, measured] + ([] if expired else [AUTH_HELP]))


def failure_text(exc):
    """'Failed to <what was being done>: <the error>' for a client error (the client labels its errors)."""
    return "Failed to %s: %s" % (exc.doing or DOING_UNKNOWN, explain(exc))


def organization_options():
    """The options of one organization: partner_org's top-level options, partner_orgs' list entries."""
    return dict(
        id=dict(type="str"),
        client_id=dict(type="str"),
        name=dict(type="str", aliases=["display_name"]),
        owner_email=dict(type="str"),
        address=dict(type="str"),
        building_number=dict(type="str"),
        postcode=dict(type="str", aliases=["postal_code"]),
        city=dict(type="str"),
        country=dict(type="str"),
        state=dict(type="str", default="active", choices=list(_lifecycle.DESIRED_STATES)),
        purge=dict(type="bool", default=False),
    )


def connection_settings(params, environ, run_command):
    """(the common options with api_key, api_secret and api_url resolved, the secrets to keep out of the output).

    ``params``: the options as given (modules: AnsibleModule.params; inventory: its configuration).
    ``run_command``: how an account's secretCommand runs (see _credentials.resolve_credentials).
    Raises ValueError (_credentials.CredentialsError for the credentials) with the failure message.
    """
    timeout, retries = params.get("api_timeout"), params.get("api_retries")
    if timeout is not None and timeout <= 0:
        raise ValueError("api_timeout: must be a number of seconds greater than 0, got %s." % timeout)
    if retries is not None and retries < 0:
        raise ValueError("api_retries: must be 0 (no retry) or more, got %s." % retries)
    options = {name: params.get(name) for name in _credentials.OPTIONS}
    credentials = _credentials.resolve_credentials(options, environ, run_command)
    resolved = dict(params, **{name: credentials[name] for name in ("api_key", "api_secret", "api_url")})
    return resolved, credentials["secrets"]


def blank_options(argument_spec, params, names=None):
    """The text options (of `names`, default all) given as an empty or whitespace-only string (never a
    valid key, name or id)."""
    return sorted(
        name
        for name, option in argument_spec.items()
        if (names is None or name in names)
        and option.get("type", "str") == "str"
        and isinstance(params.get(name), str)
        and not params[name].strip()
    )


def build_client(params, component="module"):
    """Build the API client from the resolved common options (connection_settings; tests replace this function)."""
    return _client.Client(
        params["api_key"],
        params["api_secret"],
        url=params["api_url"],
        timeout=params["api_timeout"],
        retries=params["api_retries"],
        validate_certs=params["validate_certs"],
        user_agent="ansible-collection-exoscale.partner %s ansible-core/%s" % (component, ANSIBLE_VERSION),
    )


class PartnerModule:
    """An AnsibleModule with the common options, a lazily built client and API error handling."""

    def __init__(self, argument_spec, uuid_options=(), text_options=None, uses_api=True, **ansible_module_kwargs):
        """`uuid_options`: the options that take an organization id; validated and lower-cased here.

        `text_options`: the text options refused here when blank (default: every one); () when a rule
        validates them all (partner_org's _lifecycle.validate_entry).
        `uses_api=False`: the api_* options are accepted (so that the action group's module_defaults
        apply) but not used: no credentials are required and there is no client.
        """
        spec = api_argument_spec()
        spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=spec, **ansible_module_kwargs)
        self.uses_api = uses_api
        self.params = dict(self.module.params)  # a copy: the module's own params stay as given
        blank = blank_options(argument_spec, self.params, text_options)
        if blank:
            self.fail("Invalid parameters: %s: must not be empty or blank." % ", ".join(blank))
        for name in uuid_options:
            if self.params.get(name) is not None:
                try:
                    self.params[name] = _client.validate_uuid(self.params[name], name)
                except ValueError as exc:
                    self.fail("Invalid parameters: %s" % exc)
        self._client = None
        if not uses_api:
            return
        if not _client.HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=_client.REQUESTS_IMPORT_ERROR)
        try:
            self.connection, secrets = connection_settings(self.params, os.environ, self.run_secret_command)
        except ValueError as exc:
            self.fail(str(exc))
        self.module.no_log_values.update(secrets)

    def run_secret_command(self, argv):
        """An exo CLI secretCommand through AnsibleModule.run_command: no shell, no ~ or $VAR expansion, killed
        after SECRET_COMMAND_TIMEOUT seconds (TimeoutError); OSError when it cannot be started."""
        timers, expired = [], []

        def kill(process):
            expired.append(True)
            process.kill()

        def start_timer(process):
            timers.append(threading.Timer(SECRET_COMMAND_TIMEOUT, kill, (process,)))
            timers[0].start()

        try:
            returncode, stdout, stderr = self.module.run_command(
                argv, expand_user_and_vars=False, handle_exceptions=False, before_communicate_callback=start_timer
            )
        finally:
            for timer in timers:
                timer.cancel()
        if expired:
            raise TimeoutError("no answer within %g seconds" % SECRET_COMMAND_TIMEOUT)
        return returncode, stdout, stderr

    @property
    def client(self):
        if not self.uses_api:
            raise RuntimeError("this module does not use the API (uses_api=False): it has no client")
        if self._client is None:
            self._client = build_client(self.connection)
        return self._client

    @property
    def check_mode(self):
        return self.module.check_mode

    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=msg, **kwargs)

    def warn(self, msg):
        self.module.warn(msg)

    def fail_api(self, exc):
        """Fail with the API's status and message, saying what was being done."""
        self.fail(failure_text(exc), status=exc.status, api_message=exc.api_message)

    def exit(self, changed, before=None, after=None, diffs=None, **values):
        """Exit successfully (through finish); in diff mode add the before/after of the managed object.

        `diffs`: several objects, a list of {before, after, before_header, after_header} (diff mode only).
        """
        diff = diffs or None
        if diff is None and (before is not None or after is not None):
            diff = dict(before=before or {}, after=after or {})
        self.finish(_lifecycle.TaskResult(values, changed, diff=diff))

    def finish(self, result):
        """Report a _lifecycle.TaskResult: its warnings, then its failure or its values (and diff)."""
        for warning in result.warnings:
            self.warn(warning)
        if result.failure is not None:
            self.fail(result.failure, **result.values)
        values = dict(result.values)
        if self.module._diff and result.diff:
            values["diff"] = result.diff
        self.module.exit_json(changed=result.changed, **values)

    def run(self, work):
        """Call work() and report the TaskResult it returns (once); every client or rule error becomes a
        clean failure."""
        try:
            result = work()
        except _client.ExoscaleAPIInvalidInput as exc:
            # Refused before any request (also a ValueError): the same message as the other bad input.
            self.fail("Invalid parameters: %s" % exc)
        except _client.ExoscaleAPIException as exc:
            self.fail_api(exc)
        except _lifecycle.AmbiguousOrganization as exc:
            self.fail(str(exc), organization_ids=exc.ids)
        except _lifecycle.LifecycleError as exc:
            self.fail(str(exc))
        except ValueError as exc:
            # The client's builders name the bad field in the message.
            self.fail("Invalid parameters: %s" % exc)
        if result is not None:
            self.finish(result)
