# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import _client
from ansible_collections.exoscale.partner.plugins.module_utils._lifecycle import plan_actions
from ansible_collections.exoscale.partner.plugins.modules import partner_org
from ansible_collections.exoscale.partner.tests.unit.plugins.modules.conftest import CREDENTIALS, api_error, make_org

STATUSES = (None, "created", "active", "suspended", "terminated")
STATES = ("active", "suspended", "terminated")

# (current status, desired state) -> actions without purge; None = impossible (terminated cannot come back).
EXPECTED_PLAN = {
    (None, "active"): ["create"],
    (None, "suspended"): ["create", "suspend"],
    (None, "terminated"): [],
    ("created", "active"): ["activate"],
    ("created", "suspended"): ["suspend"],
    ("created", "terminated"): ["terminate"],
    ("active", "active"): [],
    ("active", "suspended"): ["suspend"],
    ("active", "terminated"): ["terminate"],
    ("suspended", "active"): ["activate"],
    ("suspended", "suspended"): [],
    ("suspended", "terminated"): ["terminate"],
    ("terminated", "active"): None,
    ("terminated", "suspended"): None,
    ("terminated", "terminated"): [],
}
MUTATION = {
    "create": "create_distributor_organization",
    "activate": "activate_distributor_organization",
    "suspend": "suspend_distributor_organization",
    "terminate": "terminate_distributor_organization",
    "schedule_purge": "schedule_purge_distributor_organization",
}
CREATE_ARGS = dict(
    name="Customer Corp",
    owner_email="admin@customer.example",
    address="Main Street",
    postcode="8001",
    city="Zurich",
    country="ch",
)


def expected_plan(status, state, purge):
    actions = EXPECTED_PLAN[(status, state)]
    if actions and purge and "terminate" in actions:
        actions = actions + ["schedule_purge"]
    return actions


@pytest.mark.parametrize("purge", (False, True))
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("status", STATUSES)
def test_plan(status, state, purge):
    current = make_org(status=status) if status else None
    expected = expected_plan(status, state, purge and state == "terminated")
    if expected is None:
        with pytest.raises(ValueError, match="terminated"):
            plan_actions(current, state, purge)
    else:
        assert plan_actions(current, state, purge and state == "terminated") == expected


def lookup_args(key, org):
    if key == "id":
        return {"id": org["id"]}
    return {key: org[key]}


@pytest.mark.parametrize("check_mode", (False, True))
@pytest.mark.parametrize("key", ("id", "client_id", "name"))
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("status", STATUSES)
def test_lifecycle_matrix(run_module, fake_client, status, state, key, check_mode):
    """Every (current status x desired state x lookup key), real run and check mode."""
    existing = make_org(status=status or "active", client_id="crm-1", name="Customer Corp")
    if status:
        fake_client.orgs.append(existing)
    args = dict(lookup_args(key, existing), state=state, **dict(CREATE_ARGS, client_id="crm-1"))
    if key == "id":
        args.pop("client_id")
    result = run_module(partner_org.main, args, check_mode=check_mode)

    if key == "id" and status is None:
        assert result["failed"] and "No organization with id" in result["msg"]
        assert fake_client.mutating_calls == []
        return
    if status == "terminated" and state != "terminated":
        if key == "id":
            assert result["failed"] and "terminated" in result["msg"] and existing["id"] in result["msg"]
            assert fake_client.mutating_calls == []
            return
        expected = expected_plan(None, state, False)  # terminated ones are ignored: a new org is created
    else:
        expected = expected_plan(status, state, False)

    assert not result["failed"], result
    assert result["actions"] == expected
    assert result["changed"] == bool(expected)
    assert fake_client.mutating_calls == ([] if check_mode else [MUTATION[a] for a in expected])
    reads = [name for name, kwargs in fake_client.calls if name not in fake_client.mutating_calls]
    assert len(reads) == 1
    if state == "terminated" and status is None:
        assert result["organization"] is None
    else:
        assert result["organization"]["status"] == state
        assert result["organization"]["client_id"] == ("crm-1" if key != "id" or status else None)


def test_created_org_is_activated_when_api_returns_created(run_module, fake_client):
    fake_client.create_status = "created"
    result = run_module(partner_org.main, dict(CREATE_ARGS, client_id="crm-1"))
    assert result["actions"] == ["create", "activate"]
    assert result["organization"]["status"] == "active"
    assert fake_client.orgs[0]["status"] == "active"


def test_create_sends_fields_and_returns_org(run_module, fake_client):
    result = run_module(
        partner_org.main,
        dict(CREATE_ARGS, client_id="crm-1", building_number="12b", display_name="Alias Corp", postal_code="1000"),
    )
    assert result["changed"] and result["actions"] == ["create"]
    org = result["organization"]
    assert (org["name"], org["postcode"], org["country"], org["building_number"]) == ("Alias Corp", "1000", "CH", "12b")
    created = fake_client.calls[-1][1]
    assert created["owner_email"] == "admin@customer.example" and created["client_id"] == "crm-1"


def test_check_mode_predicts_created_org(run_module, fake_client):
    result = run_module(
        partner_org.main, dict(CREATE_ARGS, client_id="crm-1", state="suspended"), check_mode=True, diff=True
    )
    assert result["changed"] and result["actions"] == ["create", "suspend"]
    org = result["organization"]
    assert org["id"] is None and org["status"] == "suspended" and org["name"] == "Customer Corp"
    assert org["country"] == "CH"
    assert result["diff"]["before"] == {} and result["diff"]["after"] == org
    assert fake_client.orgs == [] and fake_client.mutating_calls == []


def test_terminate_and_purge(run_module, fake_client):
    org = make_org(client_id="crm-1")
    fake_client.orgs.append(org)
    result = run_module(partner_org.main, dict(client_id="crm-1", state="terminated", purge=True))
    assert result["actions"] == ["terminate", "schedule_purge"]
    assert result["organization"]["status"] == "terminated"
    assert fake_client.calls[-1] == ("schedule_purge_distributor_organization", {"id": org["id"]})
    rerun = run_module(partner_org.main, dict(client_id="crm-1", state="terminated", purge=True))
    assert rerun["changed"] is False and rerun["actions"] == []
    assert rerun["organization"]["id"] == org["id"]


def test_purge_requires_terminated(run_module, fake_client):
    result = run_module(partner_org.main, dict(client_id="crm-1", purge=True))
    assert result["failed"] and "state=terminated" in result["msg"]
    assert fake_client.calls == []


@pytest.mark.parametrize("key", ("client_id", "name"))
def test_several_matches_fail_listing_ids(run_module, fake_client, key):
    orgs = [make_org(client_id="crm-1"), make_org(client_id="crm-1")]
    fake_client.orgs.extend(orgs)
    result = run_module(partner_org.main, {key: orgs[0][key], "state": "suspended"})
    assert result["failed"]
    assert orgs[0]["id"] in result["msg"] and orgs[1]["id"] in result["msg"]
    assert sorted(result["organization_ids"]) == sorted(o["id"] for o in orgs)
    assert fake_client.mutating_calls == []


def test_terminated_twins_are_ignored(run_module, fake_client):
    live = make_org(client_id="crm-1", status="suspended")
    fake_client.orgs.extend([make_org(client_id="crm-1", status="terminated"), live])
    result = run_module(partner_org.main, dict(client_id="crm-1", state="active"))
    assert result["actions"] == ["activate"] and result["organization"]["id"] == live["id"]


def test_several_terminated_count_as_terminated(run_module, fake_client):
    fake_client.orgs.extend([make_org(client_id="crm-1", status="terminated") for dummy in range(2)])
    result = run_module(partner_org.main, dict(client_id="crm-1", state="terminated", purge=True))
    assert not result["failed"] and result["changed"] is False and result["actions"] == []
    assert fake_client.mutating_calls == []


def test_missing_create_fields_are_named_before_any_mutation(run_module, fake_client):
    result = run_module(partner_org.main, dict(client_id="crm-1", name="X", city="Bern"))
    assert result["failed"]
    for field in ("owner_email", "address", "postcode", "country"):
        assert field in result["msg"]
    assert "city" not in result["msg"]
    assert fake_client.mutating_calls == []


def test_invalid_field_fails_naming_it(run_module, fake_client):
    result = run_module(partner_org.main, dict(CREATE_ARGS, client_id="crm-1", owner_email="not-an-email"))
    assert result["failed"] and "owner_email" in result["msg"]
    assert fake_client.mutating_calls == []


def test_drift_warns_without_change(run_module, fake_client):
    fake_client.orgs.append(make_org(client_id="crm-1", name="Old Name", address="Old Street"))
    result = run_module(partner_org.main, dict(CREATE_ARGS, client_id="crm-1"))
    assert result["changed"] is False and result["actions"] == []
    assert result["drift"] == {
        "name": {"current": "Old Name", "desired": "Customer Corp"},
        "address": {"current": "Old Street", "desired": "Main Street"},
    }
    assert any("address, name" in w for w in result["warnings"])
    assert fake_client.mutating_calls == []


def test_no_drift_key_when_matching(run_module, fake_client):
    fake_client.orgs.append(make_org(client_id="crm-1"))
    result = run_module(partner_org.main, dict(CREATE_ARGS, client_id="crm-1"))
    assert "drift" not in result and result["warnings"] == []


def test_diff_mode_shows_status_change(run_module, fake_client):
    org = make_org(client_id="crm-1", status="active")
    fake_client.orgs.append(org)
    result = run_module(partner_org.main, dict(client_id="crm-1", state="suspended"), diff=True)
    assert result["diff"]["before"]["status"] == "active"
    assert result["diff"]["after"]["status"] == "suspended"


def test_ambiguous_create_failure_recovers_by_client_id(run_module, fake_client):
    fake_client.apply_then_fail = True
    fake_client.errors["create_distributor_organization"] = api_error(
        _client.ExoscaleAPIServerException, 502, "bad gateway", maybe_processed=True
    )
    result = run_module(partner_org.main, dict(CREATE_ARGS, client_id="crm-1"))
    assert not result["failed"] and result["changed"] and result["actions"] == ["create"]
    assert len(fake_client.orgs) == 1 and result["organization"]["id"] == fake_client.orgs[0]["id"]
    assert [name for name, dummy in fake_client.calls].count("list_distributor_organizations") == 2


def test_ambiguous_create_failure_not_found_fails(run_module, fake_client):
    fake_client.errors["create_distributor_organization"] = api_error(
        _client.ExoscaleAPITransportException, None, "read timed out", maybe_processed=True
    )
    result = run_module(partner_org.main, dict(CREATE_ARGS, client_id="crm-1"))
    assert result["failed"] and "0 organizations with client_id 'crm-1'" in result["msg"]
    assert fake_client.mutating_calls == ["create_distributor_organization"]


def test_ambiguous_create_without_client_id_warns_of_duplicates(run_module, fake_client):
    fake_client.errors["create_distributor_organization"] = api_error(
        _client.ExoscaleAPIServerException, 500, "internal error", maybe_processed=True
    )
    result = run_module(partner_org.main, dict(CREATE_ARGS))
    assert result["failed"] and "duplicate" in result["msg"] and "client_id" in result["msg"]
    assert result["status"] == 500


def test_client_error_reports_status_and_message(run_module, fake_client):
    fake_client.errors["create_distributor_organization"] = api_error(
        _client.ExoscaleAPIClientException, 400, "owner-email already used"
    )
    result = run_module(partner_org.main, dict(CREATE_ARGS, client_id="crm-1"))
    assert result["failed"] and result["status"] == 400
    assert result["api_message"] == "owner-email already used"
    assert "create organization 'Customer Corp'" in result["msg"]


def test_expired_signature_mentions_clock(run_module, fake_client):
    fake_client.errors["list_distributor_organizations"] = api_error(
        _client.ExoscaleAPIAuthException, 403, "request expired"
    )
    result = run_module(partner_org.main, dict(client_id="crm-1"))
    assert result["failed"] and "clock" in result["msg"] and result["status"] == 403
    assert "list organizations" in result["msg"]
    assert CREDENTIALS["api_secret"] not in repr(result)


def test_missing_credentials_name_options_and_env(run_module, fake_client):
    result = run_module(partner_org.main, dict(client_id="crm-1"), credentials=False)
    assert result["failed"]
    for word in ("api_key", "api_secret", "EXOSCALE_API_KEY", "EXOSCALE_API_SECRET"):
        assert word in result["msg"]
    assert fake_client.calls == []


def test_credentials_from_environment(run_module, fake_client, monkeypatch):
    monkeypatch.setenv("EXOSCALE_API_KEY", "EXOenv")
    monkeypatch.setenv("EXOSCALE_API_SECRET", "envsecret")
    fake_client.orgs.append(make_org(client_id="crm-1"))
    result = run_module(partner_org.main, dict(client_id="crm-1"), credentials=False)
    assert not result["failed"] and result["changed"] is False


def test_lookup_key_required(run_module, fake_client):
    result = run_module(partner_org.main, dict(state="active"))
    assert result["failed"] and "id" in result["msg"] and "client_id" in result["msg"]


def test_missing_requests_library_fails_cleanly(run_module, fake_client, monkeypatch):
    monkeypatch.setattr(_client, "HAS_REQUESTS", False)
    monkeypatch.setattr(_client, "REQUESTS_IMPORT_ERROR", "ImportError: No module named 'requests'")
    result = run_module(partner_org.main, dict(client_id="crm-1"))
    assert result["failed"] and "requests" in result["msg"]
    assert "No module named" in result["exception"]
    assert fake_client.calls == []


# The server's answers, written out as the API sends them (hyphenated keys, organization-output only).
CREATED_ID = "5b0e3c4a-8f1d-4e2b-9c7a-1d2e3f4a5b6c"
CREATE_REQUEST_WIRE = {
    "display-name": "Customer Corp",
    "billing-address": {
        "name": "Customer Corp",
        "street-name": "Main Street",
        "building-number": "12b",
        "city": "Zurich",
        "postal-code": "8001",
        "country": "CH",
    },
    "owner-email": "admin@customer.example",
    "client-id": "crm-1",
}
CREATE_ANSWER_WIRE = {
    "id": CREATED_ID,
    "status": "active",
    "client-id": "crm-1",
    "billing-address": {
        "name": "Customer Corp",
        "street-name": "Main Street",
        "building-number": "12b",
        "city": "Zurich",
        "postal-code": "8001",
        "country": "CH",
    },
}


def test_check_mode_prediction_matches_the_literal_server_answer(run_module, fake_client):
    args = dict(CREATE_ARGS, client_id="crm-1", building_number="12b")
    predicted = run_module(partner_org.main, args, check_mode=True)["organization"]
    fake_client.create_answers.append(CREATE_ANSWER_WIRE)

    created = run_module(partner_org.main, args)["organization"]

    assert fake_client.create_bodies == [CREATE_REQUEST_WIRE]
    assert created == {
        "id": CREATED_ID,
        "status": "active",
        "name": "Customer Corp",
        "client_id": "crm-1",
        "address": "Main Street",
        "building_number": "12b",
        "postcode": "8001",
        "city": "Zurich",
        "country": "CH",
    }
    assert predicted == dict(created, id=None)


def test_created_status_from_a_literal_answer_is_activated(run_module, fake_client):
    fake_client.create_answers.append(dict(CREATE_ANSWER_WIRE, status="created"))

    result = run_module(partner_org.main, dict(CREATE_ARGS, client_id="crm-1", building_number="12b"))

    assert result["actions"] == ["create", "activate"]
    assert fake_client.mutating_calls == ["create_distributor_organization", "activate_distributor_organization"]
    assert fake_client.calls[-1] == ("activate_distributor_organization", {"id": CREATED_ID})
    assert result["organization"]["status"] == "active"


def test_duplicate_safe_create_that_finds_a_created_org_activates_it(run_module, fake_client):
    fake_client.create_status = "created"
    fake_client.apply_then_fail = True
    fake_client.errors["create_distributor_organization"] = api_error(
        _client.ExoscaleAPIServerException, 503, "unavailable", maybe_processed=True
    )

    result = run_module(partner_org.main, dict(CREATE_ARGS, client_id="crm-1"))

    assert not result["failed"], result
    assert result["actions"] == ["create", "activate"]
    assert [org["status"] for org in fake_client.orgs] == ["active"]
    assert fake_client.mutating_calls == ["create_distributor_organization", "activate_distributor_organization"]


@pytest.mark.parametrize(
    "status, operation",
    [
        ("terminated", "terminate_distributor_organization"),
        ("terminated", "activate_distributor_organization"),
        ("terminated", "suspend_distributor_organization"),
        ("active", "schedule_purge_distributor_organization"),
        ("suspended", "schedule_purge_distributor_organization"),
    ],
)
def test_the_fake_refuses_what_the_api_refuses(fake_client, status, operation):
    org = make_org(status=status)
    fake_client.orgs.append(org)

    with pytest.raises(_client.ExoscaleAPIClientException) as caught:
        getattr(fake_client, operation)(id=org["id"])

    assert caught.value.status == 409
    assert fake_client.orgs[0]["status"] == status
