# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Realistic usage loaded through /_simulator/usage and --seed-usage (issue 14)."""

from __future__ import annotations

import datetime
import decimal

import pytest
from sim_support import KEY, NEW_ORG, SECRET, UNKNOWN_ID

from simulator.control import SimulatorError, SimulatorProcess
from simulator.state import period_before

THIS_MONTH = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m")
RECORD = {
    "code": "U-1",
    "currency": "EUR",
    "total-excl-vat": 10.5,
    "total-incl-vat": 11.35,
    "start-date": "2025-01-01T00:00:00Z",
    "end-date": "2025-02-01T00:00:00Z",
    "usage": [
        {
            "product": "sos",
            "variable": "storage",
            "description": "Simple <Object> Storage & co",
            "quantity": 0.00003,
            "unit": "GiB",
            "total-excl-vat": 10.5,
            "total-incl-vat": 11.35,
        }
    ],
}


def usage(call, org_id, period):
    response = call("GET", "/distributor/organization/%s/usage" % org_id, params={"period": period})
    assert response.status_code == 200, response.text
    return response


def test_seeded_records_are_served_exactly_and_listed(sim, call, org):
    sim.admin.seed_usage(org["id"], "2025-01", [RECORD])
    response = usage(call, org["id"], "2025-01")
    assert b'"quantity": 3e-05' in response.content  # exponent form on the wire, as a real JSON encoder does
    assert response.json() == [RECORD]
    seeded = sim.admin.seeded_usage()
    assert seeded["usage"] == [{"organization": org["id"], "period": "2025-01", "records": [RECORD]}]
    # other months keep the simulator's usual behaviour (before the organization existed: nothing)
    assert usage(call, org["id"], "2025-02").json() == []
    sim.admin.clear_seeded_usage()
    assert usage(call, org["id"], "2025-01").json() == []


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"period": "2025-01", "records": []}, 400, "missing: organization"),
        ({"organization": "x", "period": "2025-01", "records": []}, 400, "not a UUID"),
        ({"organization": UNKNOWN_ID, "period": "2025-01", "records": []}, 404, "not found"),
        ({"organization": None, "period": "2025-13", "records": []}, 400, "period"),
        ({"organization": None, "period": "2025-01", "records": [dict(RECORD, currency="EURO")]}, 400, "spec"),
        (
            {"organization": None, "period": "2025-01", "records": [dict(RECORD, **{"total-excl-vat": "1"})]},
            400,
            "spec",
        ),
        ({"history_months": 0}, 400, "history_months"),
    ],
)
def test_bad_seeds_are_refused_naming_the_problem(sim, org, body, status, message):
    if body.get("organization", "") is None:
        body = dict(body, organization=org["id"])
    with pytest.raises(SimulatorError) as error:
        sim.admin.call("POST", "/usage", body)
    assert "HTTP %d" % status in str(error.value) and message in str(error.value)


def test_history_gives_realistic_spec_valid_usage_for_past_months(sim, call, org):
    sim.admin.seed_usage_history(6)
    periods = [period_before(THIS_MONTH, age) for age in range(1, 7)]
    seeded = sim.admin.seeded_usage()
    assert seeded["history_months"] == 6
    assert sorted(entry["period"] for entry in seeded["usage"]) == sorted(periods)
    for period in periods:
        [record] = usage(call, org["id"], period).json()
        assert record["currency"] in ("CHF", "EUR", "USD")
        lines = record["usage"]
        assert len({line["product"] for line in lines}) >= 4
        total = sum(decimal.Decimal(repr(line["total-excl-vat"])) for line in lines)
        assert decimal.Decimal(repr(record["total-excl-vat"])) == total
        assert any(0 < line["quantity"] < 0.0001 for line in lines)  # sent as 1e-05 .. 9e-05
    # a created organization gets its history too, and the current month keeps the usual statement
    created = call("POST", "/distributor/organization", json=NEW_ORG).json()
    assert len(usage(call, created["id"], periods[0]).json()) == 1
    assert usage(call, created["id"], THIS_MONTH).json()[0]["code"].startswith("USG-")


def test_seed_usage_option_and_currencies_across_organizations():
    with SimulatorProcess(key=KEY, secret=SECRET, extra_args=["--seed-usage", "3"]) as process:
        currencies = set()
        for number in range(40):
            org = process.admin.seed_org(
                display_name="Org %d" % number,
                billing_address={"name": "x", "street-name": "S", "city": "Z", "postal-code": "1", "country": "CH"},
            )
            mine = [entry for entry in process.admin.seeded_usage()["usage"] if entry["organization"] == org["id"]]
            assert len(mine) == 3
            currencies.add(mine[0]["records"][0]["currency"])
        assert {"CHF", "EUR"} <= currencies


def test_seeded_usage_survives_a_restart_with_a_state_file(tmp_path):
    state = tmp_path / "state.json"
    with SimulatorProcess(key=KEY, secret=SECRET, state=state) as process:
        org = process.admin.seed_org(
            display_name="Kept",
            billing_address={"name": "x", "street-name": "S", "city": "Z", "postal-code": "1", "country": "CH"},
        )
        process.admin.seed_usage(org["id"], "2025-01", [RECORD])
    with SimulatorProcess(key=KEY, secret=SECRET, state=state) as process:
        assert process.admin.seeded_usage()["usage"] == [
            {"organization": org["id"], "period": "2025-01", "records": [RECORD]}
        ]
