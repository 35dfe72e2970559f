# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's own wire client (plugins/module_utils/_client.py) runs all 9 operations against the simulator."""

from __future__ import annotations

import pytest
from sim_support import BILLING, KEY, SECRET, UNKNOWN_ID

from ansible_collections.exoscale.partner.plugins.module_utils import _client


@pytest.fixture
def client(sim):
    return _client.Client(KEY, SECRET, url=sim.url, timeout=5, retries=0)


def test_all_nine_operations(client, sim):
    created = client.create_distributor_organization(
        display_name="Acme AG", billing_address=BILLING, owner_email="o@acme.example", client_id="acme-1"
    )
    org_id = created["id"]
    assert created["status"] == "active"
    assert created["name"] == "Acme AG"
    assert created["client_id"] == "acme-1"
    assert created["city"] == "Zurich"

    assert [org["id"] for org in client.list_distributor_organizations()["organizations"]] == [org_id]
    assert client.get_distributor_organization(id=org_id) == created
    assert client.suspend_distributor_organization(id=org_id)["status"] == "suspended"
    assert client.activate_distributor_organization(id=org_id)["status"] == "active"

    assert client.metering_transaction(
        organization=org_id, usage=[{"product": "partner", "variable": "commission", "quantity": "0.3"}]
    ) == {"ok": True}
    assert sim.admin.metering()[0]["usage"] == [{"product": "partner", "variable": "commission", "quantity": 0.3}]

    [record] = client.list_distributor_organization_usage(id=org_id)
    assert ("partner", "commission", "0.3") in [
        (line["product"], line["variable"], line["quantity"]) for line in record["usage"]
    ]
    assert set(record) == {"code", "currency", "total_excl_vat", "total_incl_vat", "start_date", "end_date", "usage"}

    assert client.terminate_distributor_organization(id=org_id)["message"]
    assert client.get_distributor_organization(id=org_id)["status"] == "terminated"
    assert client.schedule_purge_distributor_organization(id=org_id)["message"]

    log = sim.admin.requests()
    assert len({entry["operation"] for entry in log}) == 9
    assert all(entry["status"] < 400 for entry in log)


def test_client_maps_simulator_errors(client, sim):
    with pytest.raises(_client.ExoscaleAPINotFoundException) as raised:
        client.get_distributor_organization(id=UNKNOWN_ID)
    assert raised.value.status == 404
    assert UNKNOWN_ID in raised.value.api_message
    with pytest.raises(_client.ExoscaleAPIAuthException):
        _client.Client(KEY, "wrong", url=sim.url, retries=0).list_distributor_organizations()
