# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every lifecycle transition, allowed and refused, and the shape of organizations."""

from __future__ import annotations

import pytest
from sim_support import BILLING, NEW_ORG, UNKNOWN_ID

ACTIONS = {
    "activate": ("PUT", ":activate"),
    "suspend": ("PUT", ":suspend"),
    "terminate": ("DELETE", ":terminate"),
    "schedule-purge": ("PUT", ":schedule-purge"),
}
# (status before, action) -> (HTTP status, status after)
TRANSITIONS = {
    ("created", "activate"): (200, "active"),
    ("created", "suspend"): (200, "suspended"),
    ("created", "terminate"): (200, "terminated"),
    ("created", "schedule-purge"): (409, "created"),
    ("active", "activate"): (200, "active"),
    ("active", "suspend"): (200, "suspended"),
    ("active", "terminate"): (200, "terminated"),
    ("active", "schedule-purge"): (409, "active"),
    ("suspended", "activate"): (200, "active"),
    ("suspended", "suspend"): (200, "suspended"),
    ("suspended", "terminate"): (200, "terminated"),
    ("suspended", "schedule-purge"): (409, "suspended"),
    ("terminated", "activate"): (409, "terminated"),
    ("terminated", "suspend"): (409, "terminated"),
    ("terminated", "terminate"): (409, "terminated"),
    ("terminated", "schedule-purge"): (202, "terminated"),
}


def act(call, org_id, action):
    method, suffix = ACTIONS[action]
    return call(method, "/distributor/organization/%s%s" % (org_id, suffix))


@pytest.mark.parametrize("before, action", sorted(TRANSITIONS))
def test_transition(call, sim, before, action):
    org = sim.admin.seed_org(status=before, **NEW_ORG)
    expected_code, after = TRANSITIONS[(before, action)]
    response = act(call, org["id"], action)
    assert response.status_code == expected_code, response.text
    assert call("GET", "/distributor/organization/%s" % org["id"]).json()["status"] == after
    body = response.json()
    if expected_code >= 400:
        assert before in body["message"] or "terminated" in body["message"]
    elif action in ("activate", "suspend"):
        assert body == dict(org, status=after)
    else:
        assert list(body) == ["message"] and org["id"] in body["message"]


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_unknown_organization_is_404(call, action):
    response = act(call, UNKNOWN_ID, action)
    assert response.status_code == 404
    assert UNKNOWN_ID in response.json()["message"]


def test_get_unknown_organization_is_404(call):
    response = call("GET", "/distributor/organization/%s" % UNKNOWN_ID)
    assert response.status_code == 404
    assert set(response.json()) == {"message"}


@pytest.mark.parametrize("create_status", ["active", "created"])
def test_create_status_is_configurable(call, sim, create_status):
    sim.admin.config(create_status=create_status)
    created = call("POST", "/distributor/organization", json=NEW_ORG).json()
    assert created["status"] == create_status


def test_output_carries_only_the_spec_fields(call):
    created = call("POST", "/distributor/organization", json=NEW_ORG).json()
    assert set(created) == {"id", "status", "billing-address", "client-id"}
    assert created["billing-address"] == BILLING
    without_client_id = {key: value for key, value in NEW_ORG.items() if key != "client-id"}
    assert set(call("POST", "/distributor/organization", json=without_client_id).json()) == {
        "id",
        "status",
        "billing-address",
    }


def test_display_name_is_the_billing_address_name(call):
    body = dict(NEW_ORG, **{"display-name": "Acme Holding", "billing-address": dict(BILLING, name="Acme Billing")})
    assert call("POST", "/distributor/organization", json=body).json()["billing-address"]["name"] == "Acme Holding"


def test_client_id_is_not_unique(call):
    first = call("POST", "/distributor/organization", json=NEW_ORG).json()
    second = call("POST", "/distributor/organization", json=NEW_ORG).json()
    assert first["id"] != second["id"]
    orgs = call("GET", "/distributor/organization").json()["organizations"]
    assert [org["client-id"] for org in orgs] == ["acme-1", "acme-1"]


def test_uppercase_uuid_finds_the_organization(call, org):
    assert call("GET", "/distributor/organization/%s" % org["id"].upper()).json() == org
