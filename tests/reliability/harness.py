# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the collection's modules in-process against a real simulator (used by its tests and soak.py).

A module run goes through the whole module code path (AnsibleModule argument parsing, the module, _base,
the real _client over HTTP to the simulator); only the AnsiballZ wrapper and the process start are skipped,
so a run costs milliseconds. Every run records the raw keyword arguments given to exit_json/fail_json
(before Ansible masks no_log values) and any uncaught exception with its traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import tempfile
import traceback

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE_PACKAGE = "ansible_collections.exoscale.partner.plugins.modules."
CREDENTIAL_ENV = (
    "EXOSCALE_API_KEY",
    "EXOSCALE_API_SECRET",
    "EXOSCALE_PARTNER_API_URL",
    "EXOSCALE_ACCOUNT",
    "EXOSCALE_CONFIG",
)
# Small backoff so that retries take milliseconds; Retry-After from the server is still honoured as given.
TEST_BACKOFF_BASE = 0.02
TEST_BACKOFF_MAX = 0.1


def collections_root():
    """A folder holding ansible_collections/exoscale/partner pointing at this repository."""
    parts = REPOSITORY_ROOT.split(os.sep)
    if parts[-3:-1] == ["ansible_collections", "exoscale"] and parts[-1] == "partner":
        return os.sep.join(parts[:-3])
    root = os.path.join(tempfile.gettempdir(), "exoscale-partner-reliability-%d" % os.getuid())
    link = os.path.join(root, "ansible_collections", "exoscale", "partner")
    if os.path.realpath(link) != REPOSITORY_ROOT:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        temporary = "%s.%d" % (link, os.getpid())
        os.symlink(REPOSITORY_ROOT, temporary)
        os.replace(temporary, link)
    return root


def make_importable():
    root = collections_root()
    if root not in sys.path:
        sys.path.insert(0, root)
    if REPOSITORY_ROOT not in sys.path:
        sys.path.insert(0, REPOSITORY_ROOT)  # for `simulator.control`
    return root


class ModuleRun:
    """The outcome of one module run."""

    def __init__(self, result, raw, output, error, sleeps):
        self.result = result  # the JSON the module printed (as Ansible would read it), or {}
        self.raw = raw  # kwargs given to exit_json/fail_json, before no_log masking
        self.output = output  # everything printed
        self.error = error  # traceback text of an uncaught exception, or None
        self.sleeps = sleeps  # the client's retry waits, in seconds

    @property
    def failed(self):
        return bool(self.result.get("failed"))

    @property
    def msg(self):
        return self.result.get("msg", "")

    def text(self):
        """Everything readable about the run, for leak and traceback checks."""
        return "\n".join([self.output, repr(self.raw), self.error or ""])

    def __repr__(self):
        return "ModuleRun(result=%r, error=%r, sleeps=%r)" % (self.result, self.error, self.sleeps)


@contextlib.contextmanager
def _patched(obj, name, value):
    original = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield original
    finally:
        setattr(obj, name, original)


def run_module(name, args, check_mode=False, diff=False, env=None, backoff_base=TEST_BACKOFF_BASE):
    """Run module ``name`` (e.g. "partner_org") with ``args``; never raises for a module failure.

    The EXOSCALE_* variables of the environment are hidden during the run; ``env`` sets some instead.
    """
    make_importable()
    from ansible.module_utils import basic
    from ansible.module_utils.testing import patch_module_args

    from ansible_collections.exoscale.partner.plugins.module_utils import _base

    module = importlib.import_module(MODULE_PACKAGE + name)
    raw, sleeps = {}, []
    build_client = _base.build_client

    def fast_client(params):
        client = build_client(params)
        client.backoff_base, client.backoff_max = backoff_base, max(backoff_base, TEST_BACKOFF_MAX)
        real_sleep = client.sleep

        def sleep(seconds):
            sleeps.append(seconds)
            real_sleep(seconds)

        client.sleep = sleep
        return client

    def recording(original, kind):
        def method(self, *a, **kwargs):
            raw.setdefault(kind, dict(kwargs, args=a))
            return original(self, *a, **kwargs)

        return method

    output, error = io.StringIO(), None
    module_args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    env = env or {}
    saved_env = {key: os.environ.pop(key) for key in CREDENTIAL_ENV if key in os.environ}
    os.environ.update(env)
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(_patched(_base, "build_client", fast_client))
            stack.enter_context(
                _patched(basic.AnsibleModule, "exit_json", recording(basic.AnsibleModule.exit_json, "exit_json"))
            )
            stack.enter_context(
                _patched(basic.AnsibleModule, "fail_json", recording(basic.AnsibleModule.fail_json, "fail_json"))
            )
            stack.enter_context(patch_module_args(module_args))
            stack.enter_context(contextlib.redirect_stdout(output))
            try:
                module.main()
            except SystemExit:
                pass
            except Exception:  # an escaped exception is exactly what these tests look for
                error = traceback.format_exc()
    finally:
        for key in env:
            os.environ.pop(key, None)
        os.environ.update(saved_env)
    text = output.getvalue()
    try:
        result = json.loads(text) if text.strip() else {}
    except ValueError:
        result = {}
        error = error or "module printed something that is not JSON:\n" + text
    return ModuleRun(result, raw, text, error, sleeps)


# Credentials and helpers shared by the tests/reliability suites.

KEY = "EXOreliabilitykey"
# Recognisable, and long enough for the client to scrub it from error texts.
SECRET = "rel-SECRET-5f3a9c7e1d"


class Api:
    """The simulator seen by a test: module runs with its credentials, and what the simulator recorded."""

    def __init__(self, sim):
        self.sim = sim
        self.admin = sim.admin
        self.runs = []

    def args(self, **args):
        return dict(dict(api_key=KEY, api_secret=SECRET, api_url=self.sim.url, api_retries=2, api_timeout=5), **args)

    def run(self, module, check_mode=False, env=None, credentials=True, **args):
        """Run a module with this simulator's credentials; the run must never leak or crash."""
        run = run_module(module, self.args(**args) if credentials else args, check_mode=check_mode, env=env)
        self.runs.append(run)
        assert_clean(run)
        return run

    def requests(self, operation=None):
        log = self.admin.requests()
        return [entry for entry in log if operation is None or entry["operation"] == operation]

    def mutations(self):
        return [entry for entry in self.admin.requests() if entry["method"] != "GET"]

    def organizations(self, client_id=None):
        orgs = run_module("partner_org_info", self.args(**({"client_id": client_id} if client_id else {})))
        assert not orgs.failed, orgs
        return orgs.result["organizations"]

    def seed(self, client_id="seeded-1", status="active", name="Seeded Corp"):
        return self.admin.seed_org(
            **{
                "display-name": name,
                "client-id": client_id,
                "status": status,
                "billing-address": {
                    "name": name,
                    "street-name": "Main Street",
                    "city": "Zurich",
                    "postal-code": "8001",
                    "country": "CH",
                },
            }
        )


def assert_clean(run):
    """No escaped exception, no Python traceback, no secret anywhere, no masked value in messages."""
    assert run.error is None, run.error
    text = run.text()
    assert "Traceback (most recent call last)" not in text, text
    assert SECRET not in text, "the API secret leaked: %s" % text
    assert "EXO2-HMAC-SHA256" not in text, "the Authorization header leaked: %s" % text
    for kind in ("exit_json", "fail_json"):
        kwargs = dict(run.raw.get(kind, {}))
        kwargs.pop("invocation", None)
        assert "********" not in repr(kwargs), "a no_log value had to be masked: %r" % kwargs
    if run.failed:
        assert run.msg, run.result
