# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Drive modules in-process against an in-memory fake of the API client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import uuid

import pytest
from ansible.module_utils import basic

from ansible_collections.exoscale.partner.plugins.module_utils import _base, _client

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19

    @contextlib.contextmanager
    def patch_module_args(args):
        previous = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = previous


ORG_KEYS = ("id", "status", "name", "client_id", "address", "building_number", "postcode", "city", "country")
READ_OPERATIONS = (
    "list_distributor_organizations",
    "get_distributor_organization",
    "list_distributor_organization_usage",
)
CREDENTIALS = {"api_key": "EXOkey", "api_secret": "s3cr3t-value", "api_url": "http://127.0.0.1:9/v1.alpha"}


def make_org(**fields):
    org = dict.fromkeys(ORG_KEYS)
    org.update(
        id=str(uuid.uuid4()),
        status="active",
        name="Customer Corp",
        address="Main Street",
        postcode="8001",
        city="Zurich",
        country="CH",
    )
    org.update(fields)
    return org


def api_error(cls, status, message, maybe_processed=False, doing=None):
    """An exception of the client's hierarchy, as the client raises it."""
    return cls(
        "HTTP %s: %s" % (status, message),
        status=status,
        api_message=message,
        maybe_processed=maybe_processed,
        doing=doing,
    )


# What the real client says each operation was doing (its errors carry it, see _client.Client).
DOING = {
    "list_distributor_organizations": lambda kwargs: "list organizations",
    "get_distributor_organization": lambda kwargs: "get organization %s" % kwargs["id"],
    "create_distributor_organization": lambda kwargs: "create organization %r" % kwargs["name"],
    "activate_distributor_organization": lambda kwargs: "activate organization %s" % kwargs["id"],
    "suspend_distributor_organization": lambda kwargs: "suspend organization %s" % kwargs["id"],
    "terminate_distributor_organization": lambda kwargs: "terminate organization %s" % kwargs["id"],
    "schedule_purge_distributor_organization": lambda kwargs: "schedule purge organization %s" % kwargs["id"],
    "list_distributor_organization_usage": lambda kwargs: (
        "list the usage of organization %s%s"
        % (kwargs["id"], "" if kwargs.get("period") is None else " for " + kwargs["period"])
    ),
    "metering_transaction": lambda kwargs: "send the metering batch to organization %s" % kwargs["organization"],
}


def labelled(error, operation, kwargs):
    """The queued error as the real client raises it: labelled with what the operation was doing."""
    if error.doing is not None or operation not in DOING:
        return error
    return type(error)(
        error.message,
        status=error.status,
        api_message=error.api_message,
        maybe_processed=error.maybe_processed,
        doing=DOING[operation](kwargs),
    )


class FakeClient:
    """In-memory stand-in for _client.Client recording every call.

    It plays the server, not the client: a create answers with a wire organization (hyphenated keys,
    as the API sends it) that is either a literal dict the test queued in `create_answers`, or the
    spec's `organization-output` of the body the real client would send (id, status, billing-address,
    client-id; display-name and owner-email are not echoed). The answer goes through the client's own
    wire parser. Nothing here uses `_client.organization_preview`, which check mode uses to predict.
    Transitions the API refuses (as the simulator does) raise 409: terminate twice, activate or
    suspend a terminated organization, purge one that is not terminated.

    `errors` maps an operation name to an exception raised on its next call, labelled as the real
    client labels it (DOING); with `apply_then_fail` the operation is applied first (the server
    processed it, the answer was lost).
    """

    def __init__(self, orgs=(), create_status="active"):
        self.orgs = [dict(org) for org in orgs]
        self.create_status = create_status
        self.create_answers = []  # literal wire answers for the next creates, oldest first
        self.create_bodies = []  # the wire bodies the real client would have sent
        self.calls = []
        self.errors = {}
        self.apply_then_fail = False

    @property
    def mutating_calls(self):
        return [name for name, kwargs in self.calls if name not in READ_OPERATIONS]

    def _record(self, operation, **kwargs):
        self.calls.append((operation, kwargs))
        if operation in self.errors and not self.apply_then_fail:
            raise labelled(self.errors.pop(operation), operation, kwargs)

    def _answer(self, name, value):
        if name in self.errors:
            raise labelled(self.errors.pop(name), name, self.calls[-1][1])
        return value

    def _find(self, id):
        for org in self.orgs:
            if org["id"] == id:
                return org
        raise api_error(_client.ExoscaleAPINotFoundException, 404, "organization %s not found" % id)

    def list_distributor_organizations(self):
        self._record("list_distributor_organizations")
        return {"organizations": [dict(org) for org in self.orgs]}

    def get_distributor_organization(self, id):
        self._record("get_distributor_organization", id=id)
        return dict(self._find(id))

    def create_distributor_organization(self, **fields):
        body = _client.build_organization_input(**fields)  # the real client validates and sends this
        self._record("create_distributor_organization", **fields)
        self.create_bodies.append(body)
        if self.create_answers:
            wire = self.create_answers.pop(0)
        else:
            wire = {"id": str(uuid.uuid4()), "status": self.create_status, "billing-address": body["billing-address"]}
            if "client-id" in body:
                wire["client-id"] = body["client-id"]
        org = _client._org_from_wire(wire)
        self.orgs.append(org)
        return self._answer("create_distributor_organization", dict(org))

    def _set_status(self, name, id, status, answer=None):
        self._record(name, id=id)
        org = self._find(id)
        if org["status"] == "terminated":
            verb = {"active": "activated", "suspended": "suspended", "terminated": "terminated again"}[status]
            raise api_error(
                _client.ExoscaleAPIClientException, 409, "organization %s is terminated and cannot be %s" % (id, verb)
            )
        org["status"] = status
        return self._answer(name, answer or dict(org))

    def activate_distributor_organization(self, id):
        return self._set_status("activate_distributor_organization", id, "active")

    def suspend_distributor_organization(self, id):
        return self._set_status("suspend_distributor_organization", id, "suspended")

    def terminate_distributor_organization(self, id):
        return self._set_status(
            "terminate_distributor_organization", id, "terminated", {"message": "Organization %s terminated." % id}
        )

    def schedule_purge_distributor_organization(self, id):
        self._record("schedule_purge_distributor_organization", id=id)
        org = self._find(id)
        if org["status"] != "terminated":
            raise api_error(
                _client.ExoscaleAPIClientException,
                409,
                "organization %s is %s: only a terminated organization can be scheduled for purge"
                % (id, org["status"]),
            )
        return self._answer("schedule_purge_distributor_organization", {"message": "purge scheduled"})


class ModuleExit(Exception):
    def __init__(self, result):
        super(ModuleExit, self).__init__(result)
        self.result = result


@pytest.fixture
def fake_client(monkeypatch):
    client = FakeClient()
    monkeypatch.setattr(_base, "build_client", lambda params: client)
    return client


@pytest.fixture
def run_module(monkeypatch, fake_client):
    """run_module(main, args, check_mode=False, diff=False) -> result dict (with `failed` on failure)."""

    def exit_json(self, **result):
        raise ModuleExit(dict(result, failed=False))

    def fail_json(self, msg, **result):
        raise ModuleExit(dict(result, msg=msg, failed=True))

    def warn(self, warning):
        self._test_warnings.append(warning)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "warn", warn)
    monkeypatch.delenv("EXOSCALE_API_KEY", raising=False)
    monkeypatch.delenv("EXOSCALE_API_SECRET", raising=False)
    monkeypatch.delenv("EXOSCALE_PARTNER_API_URL", raising=False)

    def run(main, args, check_mode=False, diff=False, credentials=True):
        module_args = dict(CREDENTIALS if credentials else {}, **args)
        module_args.update(_ansible_check_mode=check_mode, _ansible_diff=diff)
        warnings = []
        monkeypatch.setattr(basic.AnsibleModule, "_test_warnings", warnings, raising=False)
        with patch_module_args(module_args), pytest.raises(ModuleExit) as caught:
            main()
        result = caught.value.result
        result["warnings"] = warnings
        return result

    return run
