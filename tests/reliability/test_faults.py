# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault matrix: each module against the simulator's scripted faults.

Every case checks the module result AND the simulator's request log (how many requests of the faulted
operation were sent) AND what was really applied (organizations, statuses, metering ledger).

The client's retry policy (docs/architecture.md): GET/PUT/DELETE retried on connection errors,
timeouts, 429, 500, 502, 503, 504; POST only on 429 or a connection that never opened. Backoff is shrunk
to milliseconds by the harness; Retry-After is honoured as sent.
"""

from __future__ import annotations

import socket
import time

import pytest

CREATE = dict(
    client_id="crm-rel-1",
    name="Reliable Corp",
    owner_email="owner@reliable.example",
    address="Main Street",
    postcode="8001",
    city="Zurich",
    country="CH",
)
USAGE = [dict(product="partner", variable="license_product", quantity="3.14159")]
KINDS = ("create", "suspend", "terminate", "info", "get", "metering")
OPERATION = {
    "create": "create-distributor-organization",
    "suspend": "suspend-distributor-organization",
    "terminate": "terminate-distributor-organization",
    "info": "list-distributor-organization-usage",
    "get": "get-distributor-organization",
    "metering": "metering-transaction",
}
METHOD = {"create": "POST", "metering": "POST", "suspend": "PUT", "terminate": "DELETE", "info": "GET", "get": "GET"}


def prepare(api, kind):
    """(module, args) for one kind of task; seeds the organization it acts on."""
    if kind == "create":
        return "partner_org", dict(CREATE)
    org = api.seed(client_id="crm-seeded")
    return {
        "suspend": ("partner_org", dict(id=org["id"], state="suspended")),
        "terminate": ("partner_org", dict(id=org["id"], state="terminated")),
        "info": ("partner_org_info", dict(client_id="crm-seeded", usage=True)),
        "get": ("partner_org_info", dict(id=org["id"])),
        "metering": ("partner_metering", dict(organization_id=org["id"], usage=USAGE)),
    }[kind]


def applied(api, kind):
    """How many times the change of this kind of task is visible on the server (reads: 0)."""
    if kind == "create":
        return len(api.organizations(client_id=CREATE["client_id"]))
    if kind == "metering":
        return len(api.admin.metering())
    if kind in ("suspend", "terminate"):
        status = {"suspend": "suspended", "terminate": "terminated"}[kind]
        return len([org for org in api.organizations(client_id="crm-seeded") if org["status"] == status])
    return 0


def attempts(api, kind):
    return api.requests(OPERATION[kind])


# Held far longer than any api_timeout here, so the client always times out however loaded the machine is;
# release_held() ends the wait once the module has given up (no race against a short delay).
HELD = 60


def release_held(api, kind, count, timeout=30.0):
    """End the pending delays, then wait until ``count`` requests of ``kind`` are answered (logged); fail loudly."""
    api.admin.clear_faults()
    deadline = time.monotonic() + timeout
    while len(attempts(api, kind)) < count:
        assert time.monotonic() < deadline, "only %d of %d %s requests answered within %s s: %s" % (
            len(attempts(api, kind)),
            count,
            kind,
            timeout,
            api.requests(),
        )
        time.sleep(0.05)


@pytest.mark.parametrize("kind, retry_after", [("create", 1), ("info", 1), ("suspend", 0), ("metering", 0)])
def test_429_is_retried_after_retry_after_and_applied_once(api, kind, retry_after):
    module, args = prepare(api, kind)
    api.admin.add_fault(operation=OPERATION[kind], action="status", status=429, retry_after=retry_after)
    run = api.run(module, **args)
    assert not run.failed, run
    sent = attempts(api, kind)
    assert [entry["status"] for entry in sent][0] == 429 and len(sent) == 2, sent
    assert run.sleeps == [float(retry_after)]
    assert sent[1]["time"] - sent[0]["time"] >= retry_after * 0.9
    assert applied(api, kind) == (0 if kind == "info" else 1)
    assert len([m for m in api.mutations() if m["status"] < 300]) == (0 if kind == "info" else 1)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("kind", ["info", "get", "suspend", "terminate"])
def test_transient_5xx_on_idempotent_requests_is_retried(api, kind, status):
    module, args = prepare(api, kind)
    api.admin.add_fault(operation=OPERATION[kind], action="status", status=status)
    run = api.run(module, **args)
    assert not run.failed, run
    assert [entry["status"] for entry in attempts(api, kind)][0] == status
    assert len(attempts(api, kind)) == 2 and len(run.sleeps) == 1
    assert applied(api, kind) == (0 if kind in ("info", "get") else 1)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("kind", ["info", "get", "suspend", "terminate"])
def test_persistent_5xx_fails_clearly_after_retries(api, kind, status):
    module, args = prepare(api, kind)
    api.admin.add_fault(operation=OPERATION[kind], action="status", status=status, count=10)
    run = api.run(module, api_retries=2, **args)
    assert run.failed and run.result["status"] == status
    assert "HTTP %d" % status in run.msg and run.msg.startswith("Failed to ")
    assert len(attempts(api, kind)) == 3 and len(run.sleeps) == 2
    assert applied(api, kind) == 0
    assert "exception" not in run.result


def test_processed_then_503_on_create_ends_with_one_org(api):
    api.admin.add_fault(operation=OPERATION["create"], action="process_then_fail")
    run = api.run("partner_org", **CREATE)
    assert not run.failed and run.result["changed"], run
    assert len(attempts(api, "create")) == 1
    orgs = api.organizations(client_id=CREATE["client_id"])
    assert len(orgs) == 1 and run.result["organization"]["id"] == orgs[0]["id"]

    api.admin.clear_requests()
    rerun = api.run("partner_org", **CREATE)
    assert not rerun.failed and not rerun.result["changed"] and api.mutations() == []
    assert rerun.result["organization"]["id"] == orgs[0]["id"]


def test_processed_then_503_on_create_without_client_id_fails_then_rerun_finds_it(api):
    args = dict(CREATE)
    del args["client_id"]
    api.admin.add_fault(operation=OPERATION["create"], action="process_then_fail")
    run = api.run("partner_org", **args)
    assert run.failed and "may have created it anyway" in run.msg and "client_id" in run.msg
    rerun = api.run("partner_org", **args)
    assert not rerun.failed and not rerun.result["changed"], rerun
    assert len(attempts(api, "create")) == 1
    assert len([org for org in api.organizations() if org["name"] == args["name"]]) == 1


@pytest.mark.parametrize(
    "fault",
    [
        dict(action="process_then_fail"),
        dict(action="delay", delay=HELD),
    ],
)
def test_metering_that_may_have_been_applied_is_never_replayed(api, fault):
    module, args = prepare(api, "metering")
    api.admin.add_fault(operation=OPERATION["metering"], **fault)
    run = api.run(module, api_timeout=1, **args)
    release_held(api, "metering", 1)
    assert run.failed and run.result["maybe_processed"] is True
    assert "MAY HAVE BEEN APPLIED" in run.msg and "before resubmitting" in run.msg
    assert run.result["metering"]["usage"][0]["quantity"] == "3.14159"
    assert len(attempts(api, "metering")) == 1 and run.sleeps == []
    assert len(api.admin.metering()) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_metering_5xx_is_not_replayed(api, status):
    module, args = prepare(api, "metering")
    api.admin.add_fault(operation=OPERATION["metering"], action="status", status=status)
    run = api.run(module, **args)
    assert run.failed and run.result["maybe_processed"] is True and "MAY HAVE BEEN APPLIED" in run.msg
    assert len(attempts(api, "metering")) == 1 and api.admin.metering() == []


def closed_port_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return "http://127.0.0.1:%d/v1.alpha" % port


@pytest.mark.parametrize("kind", ["create", "suspend", "info", "metering"])
def test_connection_refused_fails_clearly(api, kind):
    module, args = prepare(api, kind)
    api.admin.clear_requests()
    run = api.run(module, api_url=closed_port_url(), api_retries=1, **args)
    assert run.failed and "cannot connect to 127.0.0.1" in run.msg
    assert len(run.sleeps) == 1  # never connected: even a POST may be retried
    assert api.requests() == []
    if kind == "metering":
        assert run.result["maybe_processed"] is False and "not applied" in run.msg


# (fault, words in the message, retried for GET/PUT?, the faulted request was processed?)
TRANSPORT_FAULTS = {
    "drop": (dict(action="drop"), "connection to 127.0.0.1", True, False),
    "reset": (dict(action="reset"), "connection to 127.0.0.1", True, False),
    "timeout": (dict(action="delay", delay=HELD), "no answer from 127.0.0.1", True, True),
    "malformed": (dict(action="malformed"), "unexpected answer (HTTP 200)", False, False),
    "html": (dict(action="html"), "HTML page: 502 Bad Gateway", True, False),
    "empty": (dict(action="empty"), "unexpected answer (HTTP 200)", False, False),
}


@pytest.mark.parametrize("kind", ["create", "suspend", "info", "metering"])
@pytest.mark.parametrize("name", sorted(TRANSPORT_FAULTS))
def test_transport_faults_fail_clearly(api, request, kind, name):
    fault, words, retried, processed = TRANSPORT_FAULTS[name]
    module, args = prepare(api, kind)
    api.admin.add_fault(operation=OPERATION[kind], count=10, **fault)
    run = api.run(module, api_retries=1, api_timeout=1, **args)
    expected = 2 if retried and METHOD[kind] != "POST" else 1
    if name == "timeout":
        release_held(api, kind, expected)
    assert run.failed, run
    assert words in run.msg, run.msg
    assert "exception" not in run.result
    assert len(attempts(api, kind)) == expected
    assert applied(api, kind) == (1 if processed and kind != "info" else 0)
    if kind == "metering":
        assert run.result["maybe_processed"] is True  # every one of these may have reached the server


def test_processed_then_503_on_create_finds_a_created_org_and_activates_it(api):
    """Duplicate-safe create when the API creates organizations in status `created`: found, then activated."""
    api.admin.config(create_status="created")
    api.admin.add_fault(operation=OPERATION["create"], action="process_then_fail")
    run = api.run("partner_org", **CREATE)
    assert not run.failed and run.result["actions"] == ["create", "activate"], run
    assert [(m["operation"], m["status"]) for m in api.mutations()] == [
        ("create-distributor-organization", 503),
        ("activate-distributor-organization", 200),
    ]
    [org] = api.organizations(client_id=CREATE["client_id"])
    assert org["status"] == "active" and run.result["organization"] == org
