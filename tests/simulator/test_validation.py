# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Requests are validated against the official spec; a 400 names the bad field. Responses are validated too."""

from __future__ import annotations

import copy
import re

import pytest
import requests
from exoscale_auth import ExoscaleV2Auth
from sim_support import BILLING, KEY, NEW_ORG, SECRET, UNKNOWN_ID

from simulator import state


def assert_bad_request(response, *words):
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    for word in words:
        assert word in message, message


def assert_names_field(response, field):
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert re.search(r"(?:^|[\s;])%s: " % re.escape(field), message), message


def with_changes(**changes):
    body = copy.deepcopy(NEW_ORG)
    for key, value in changes.items():
        target = body
        *parents, last = key.split("__")
        for parent in parents:
            target = target[parent.replace("_", "-")]
        if value is None:
            del target[last.replace("_", "-")]
        else:
            target[last.replace("_", "-")] = value
    return body


@pytest.mark.parametrize(
    "path",
    ["/distributor/organization/abc", "/distributor/organization/abc:activate", "/distributor/organization/123/usage"],
)
def test_path_id_must_be_a_uuid(call, path):
    method = "PUT" if ":" in path else "GET"
    assert_bad_request(call(method, path), "path parameter id", "uuid")


@pytest.mark.parametrize("period", ["2025-1", "2025-13", "2025-00", "abcd-ef", "2025/01", "202501"])
def test_usage_period_must_be_a_real_month(call, org, period):
    assert_bad_request(
        call("GET", "/distributor/organization/%s/usage" % org["id"], params={"period": period}), "period"
    )


def test_unknown_query_parameter(call, org):
    assert_bad_request(
        call("GET", "/distributor/organization/%s/usage" % org["id"], params={"month": "2025-01"}), "month", "unknown"
    )


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"display_name": None}, "display-name"),
        ({"display_name": ""}, "display-name"),
        ({"display_name": "x" * 192}, "display-name"),
        ({"owner_email": None}, "owner-email"),
        ({"owner_email": "x" * 76}, "owner-email"),
        ({"billing_address": None}, "billing-address"),
        ({"billing_address__country": "CHE"}, "billing-address.country"),
        ({"billing_address__postal_code": None}, "billing-address.postal-code"),
        ({"billing_address__street_name": None}, "billing-address.street-name"),
        ({"billing_address__city": 8001}, "billing-address.city"),
        ({"client_id": "x" * 192}, "client-id"),
        ({"name": "Acme"}, "name"),
        ({"billing_address__street": "Main"}, "billing-address.street"),
    ],
)
def test_create_body_is_validated(call, sim, changes, field):
    assert_names_field(call("POST", "/distributor/organization", json=with_changes(**changes)), field)
    assert sim.admin.requests()[-1]["status"] == 400
    assert call("GET", "/distributor/organization").json() == {"organizations": []}


def test_body_must_be_json(sim):
    auth = ExoscaleV2Auth(KEY, SECRET)
    broken = requests.post(
        sim.url + "/distributor/organization",
        data=b'{"display-name": ',
        auth=auth,
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    assert_bad_request(broken, "JSON")
    text = requests.post(
        sim.url + "/distributor/organization",
        data=b"display-name=x",
        auth=auth,
        timeout=10,
        headers={"Content-Type": "text/plain"},
    )
    assert_bad_request(text, "mimetype")
    empty = requests.post(sim.url + "/distributor/organization", auth=auth, timeout=10)
    assert_bad_request(empty, "body")


@pytest.mark.parametrize(
    "usage, field",
    [
        ([{"product": "p", "variable": "v", "quantity": "1"}], "usage[0].quantity"),
        ([{"product": "p", "variable": "v", "quantity": 1.123456}], "usage[0].quantity"),
        ([{"product": "p", "variable": "v"}], "usage[0].quantity"),
        ([{"product": "p", "quantity": 1}], "usage[0].variable"),
        ([{"product": "", "variable": "v", "quantity": 1}], "usage[0].product"),
        ([{"product": "p", "variable": "v", "quantity": 1, "unit": "h"}], "usage[0].unit"),
        ([], "usage"),
    ],
)
def test_metering_batch_is_validated(call, sim, org, usage, field):
    assert_names_field(call("POST", "/metering:apply", json={"organization": org["id"], "usage": usage}), field)
    assert sim.admin.metering() == []


def test_metering_organization_is_required_and_a_uuid(call):
    usage = [{"product": "p", "variable": "v", "quantity": 1}]
    assert_bad_request(call("POST", "/metering:apply", json={"usage": usage}), "organization")
    assert_bad_request(
        call("POST", "/metering:apply", json={"organization": "acme", "usage": usage}), "organization", "uuid"
    )


def test_five_decimals_are_accepted(call, org):
    usage = [{"product": "p", "variable": "v", "quantity": -42.00005}]
    assert call("POST", "/metering:apply", json={"organization": org["id"], "usage": usage}).status_code == 204


def test_unknown_endpoint_and_method(call):
    assert call("GET", "/distributor/organizations").status_code == 404
    assert call("GET", "/distributor/organization/%s:activate" % UNKNOWN_ID).status_code == 405
    assert call("PATCH", "/distributor/organization/%s" % UNKNOWN_ID).status_code == 405
    assert "no such endpoint" in call("GET", "/distributor").json()["message"]


def test_paths_outside_the_api_are_not_found(sim):
    assert requests.get(sim.base_url + "/v2/distributor/organization", timeout=10).status_code == 404


def test_request_body_size_is_bounded(sim):
    response = requests.post(
        sim.url + "/distributor/organization",
        data=b"x" * (1024 * 1024 + 1),
        timeout=10,
        auth=ExoscaleV2Auth(KEY, SECRET),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "limit" in response.json()["message"]


def test_response_breaking_the_spec_is_a_500_and_recorded(in_process, monkeypatch):
    """A simulator bug must never reach a client silently."""
    monkeypatch.setattr(
        state, "organization_output", lambda org: {"id": org["id"], "status": "deleted", "billing-address": BILLING}
    )
    simulator = in_process.simulator
    org = {"display-name": "Acme AG", "billing-address": BILLING, "owner-email": "o@acme.example"}
    url = in_process.base_url + "/v1.alpha/distributor/organization"
    response = requests.post(url, json=org, auth=ExoscaleV2Auth(KEY, SECRET), timeout=10)
    assert response.status_code == 500
    assert "simulator bug" in response.json()["message"]
    [error] = requests.get(in_process.base_url + "/_simulator/errors", timeout=10).json()["errors"]
    assert error["operation"] == "create-distributor-organization"
    assert "deleted" in error["problem"]
    assert list(simulator.errors) == [error]


def test_every_organization_of_a_list_answer_is_validated(in_process, monkeypatch):
    """List answers validate each distinct organization once; a bad one still makes the answer a 500."""
    signed = ExoscaleV2Auth(KEY, SECRET)
    url = in_process.base_url + "/v1.alpha/distributor/organization"
    org = {"display-name": "Acme AG", "billing-address": BILLING, "owner-email": "o@acme.example"}
    for _index in range(3):
        assert requests.post(url, json=org, auth=signed, timeout=10).status_code == 200
    assert requests.get(url, auth=signed, timeout=10).status_code == 200
    assert requests.get(url, auth=signed, timeout=10).status_code == 200

    original = state.organization_output
    monkeypatch.setattr(state, "organization_output", lambda org: dict(original(org), status="deleted"))
    response = requests.get(url, auth=signed, timeout=10)
    assert response.status_code == 500
    [error] = requests.get(in_process.base_url + "/_simulator/errors", timeout=10).json()["errors"]
    assert error["operation"] == "list-distributor-organizations"
    assert "organizations[0]" in error["problem"] and "deleted" in error["problem"]


def test_organizations_validated_in_single_answers_are_not_validated_again_in_lists(in_process, monkeypatch):
    """A create/suspend answer is an organization-output, the schema list items are checked against: validated once."""
    signed = ExoscaleV2Auth(KEY, SECRET)
    url = in_process.base_url + "/v1.alpha/distributor/organization"
    org = {"display-name": "Acme AG", "billing-address": BILLING, "owner-email": "o@acme.example"}
    created = [requests.post(url, json=org, auth=signed, timeout=10).json() for _index in range(2)]
    spec = in_process.simulator.spec
    original = spec._unmarshal_errors
    checked = []

    def counting(route, *args):
        checked.append(route.operation_id)
        return original(route, *args)

    monkeypatch.setattr(spec, "_unmarshal_errors", counting)
    assert requests.get(url, auth=signed, timeout=10).status_code == 200
    assert checked == ["list-distributor-organizations"]  # the envelope only
    assert requests.put(url + "/%s:suspend" % created[0]["id"], auth=signed, timeout=10).status_code == 200
    assert requests.get(url, auth=signed, timeout=10).status_code == 200
    assert checked == ["list-distributor-organizations", "suspend-distributor-organization"] + [
        "list-distributor-organizations"
    ]
