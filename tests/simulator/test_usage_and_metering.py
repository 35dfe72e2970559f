# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Deterministic usage per organization and period, a metering ledger that usage reflects."""

from __future__ import annotations

import datetime

from sim_support import NEW_ORG, UNKNOWN_ID

from simulator.state import usage_record

THIS_MONTH = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m")


def usage(call, org_id, period=None):
    response = call("GET", "/distributor/organization/%s/usage" % org_id, params={"period": period} if period else None)
    assert response.status_code == 200, response.text
    return response.json()


def meter(call, org_id, *entries):
    usage_list = [
        {"product": product, "variable": variable, "quantity": quantity} for product, variable, quantity in entries
    ]
    return call("POST", "/metering:apply", json={"organization": org_id, "usage": usage_list})


def test_usage_is_deterministic_and_depends_on_org_and_period():
    first = usage_record("0b1c7c3e-68a1-4c55-9c71-64c1a35a4a01", "2026-01", {})
    assert first == usage_record("0b1c7c3e-68a1-4c55-9c71-64c1a35a4a01", "2026-01", {})
    assert first["usage"] != usage_record("0b1c7c3e-68a1-4c55-9c71-64c1a35a4a01", "2026-02", {})["usage"]
    assert first["usage"] != usage_record("5f0b8d67-9f0e-4b4a-8d51-3e2a3b9c8c11", "2026-01", {})["usage"]
    assert (first["start-date"], first["end-date"]) == ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")
    assert usage_record("0b1c7c3e-68a1-4c55-9c71-64c1a35a4a01", "2026-12", {})["end-date"] == "2027-01-01T00:00:00Z"


def test_usage_over_http_has_the_spec_shape(call, org):
    [record] = usage(call, org["id"])
    assert record == usage(call, org["id"], THIS_MONTH)[0]
    assert set(record) == {"code", "currency", "total-excl-vat", "total-incl-vat", "start-date", "end-date", "usage"}
    assert record["currency"] in ("CHF", "EUR", "USD")
    assert record["start-date"].startswith(THIS_MONTH)
    lines = record["usage"]
    assert lines and all(
        set(line) == {"product", "variable", "description", "quantity", "unit", "total-excl-vat", "total-incl-vat"}
        for line in lines
    )
    assert round(sum(line["total-excl-vat"] for line in lines), 2) == record["total-excl-vat"]
    assert record["total-incl-vat"] > record["total-excl-vat"]


def test_periods_outside_the_organization_life_are_empty(call, org):
    assert usage(call, org["id"], "2999-01") == []
    assert usage(call, org["id"], "2000-01") == []


def test_metering_is_ledgered_and_reflected_in_usage(call, sim, org):
    before = {(line["product"], line["variable"]) for line in usage(call, org["id"])[0]["usage"]}
    response = meter(call, org["id"], ("partner", "license_product", 3.1415), ("partner", "commission", -42.00005))
    assert response.status_code == 204
    assert response.content == b""
    assert meter(call, org["id"], ("partner", "license_product", 1)).status_code == 204

    batches = sim.admin.metering()
    assert [batch["usage"] for batch in batches] == [
        [
            {"product": "partner", "variable": "license_product", "quantity": 3.1415},
            {"product": "partner", "variable": "commission", "quantity": -42.00005},
        ],
        [{"product": "partner", "variable": "license_product", "quantity": 1}],
    ]
    assert all(batch["organization"] == org["id"] and batch["period"] == THIS_MONTH for batch in batches)

    lines = {(line["product"], line["variable"]): line for line in usage(call, org["id"])[0]["usage"]}
    assert ("partner", "license_product") not in before
    assert lines[("partner", "license_product")]["quantity"] == 4.1415
    assert lines[("partner", "commission")]["quantity"] == -42.00005
    assert lines[("partner", "commission")]["total-excl-vat"] == -42.0


def test_replayed_batch_bills_twice(call, sim, org):
    for _attempt in range(2):
        assert meter(call, org["id"], ("partner", "commission", 0.1)).status_code == 204
    assert len(sim.admin.metering()) == 2
    lines = {(line["product"], line["variable"]): line for line in usage(call, org["id"])[0]["usage"]}
    assert lines[("partner", "commission")]["quantity"] == 0.2


def test_metering_an_unknown_organization_is_404(call, sim):
    assert meter(call, UNKNOWN_ID, ("partner", "commission", 1)).status_code == 404
    assert sim.admin.metering() == []


def test_metering_a_terminated_organization_is_refused(call, sim):
    org = sim.admin.seed_org(status="terminated", **NEW_ORG)
    response = meter(call, org["id"], ("partner", "commission", 1))
    assert response.status_code == 409
    assert "terminated" in response.json()["message"]
    assert sim.admin.metering() == []


def test_usage_of_an_unknown_organization_is_404(call):
    assert call("GET", "/distributor/organization/%s/usage" % UNKNOWN_ID).status_code == 404
