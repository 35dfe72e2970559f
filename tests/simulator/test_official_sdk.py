# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The official python-exoscale SDK runs all 9 operations against the simulator."""

from __future__ import annotations

import json

import pytest
from exoscale.api.exceptions import ExoscaleAPIAuthException, ExoscaleAPIClientException
from exoscale.api.partner import Client
from sim_support import BILLING, KEY, SECRET


@pytest.fixture
def sdk(sim):
    return Client(KEY, SECRET, url=sim.url)


def test_all_nine_operations(sdk, sim):
    created = sdk.create_distributor_organization(
        display_name="Acme AG", billing_address=BILLING, owner_email="o@acme.example", client_id="acme-1"
    )
    org_id = created["id"]
    assert created == {"id": org_id, "status": "active", "billing-address": BILLING, "client-id": "acme-1"}

    assert sdk.list_distributor_organizations() == {"organizations": [created]}
    assert sdk.get_distributor_organization(id=org_id) == created
    assert sdk.suspend_distributor_organization(id=org_id)["status"] == "suspended"
    assert sdk.activate_distributor_organization(id=org_id)["status"] == "active"

    usage = [
        {"product": "partner", "variable": "license_product", "quantity": 3.1415},
        {"product": "partner", "variable": "commission", "quantity": -42.00005},
    ]
    # Known SDK defect: it parses the bodiless 204 as JSON after the server accepted the batch.
    with pytest.raises(json.JSONDecodeError):
        sdk.metering_transaction(organization=org_id, usage=usage)
    assert sim.admin.metering()[0]["organization"] == org_id
    assert sim.admin.metering()[0]["usage"] == usage

    [record] = sdk.list_distributor_organization_usage(id=org_id)
    metered = {(line["product"], line["variable"]): line["quantity"] for line in record["usage"]}
    assert metered[("partner", "license_product")] == 3.1415
    assert metered[("partner", "commission")] == -42.00005

    assert "terminated" in sdk.terminate_distributor_organization(id=org_id)["message"]
    assert sdk.get_distributor_organization(id=org_id)["status"] == "terminated"
    assert "purge" in sdk.schedule_purge_distributor_organization(id=org_id)["message"]

    operations = [entry["operation"] for entry in sim.admin.requests()]
    assert len(set(operations)) == 9


def test_sdk_sees_documented_errors(sdk, sim):
    with pytest.raises(ExoscaleAPIClientException, match="404"):
        sdk.get_distributor_organization(id="bf9bbc88-71ea-407c-9920-fc1101d86183")
    with pytest.raises(ExoscaleAPIAuthException, match="403"):
        Client(KEY, "wrong", url=sim.url).list_distributor_organizations()
