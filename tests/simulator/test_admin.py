# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The /_simulator admin hooks."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests
from exoscale_auth import ExoscaleV2Auth
from sim_support import BILLING, KEY, NEW_ORG, OTHER_KEY, OTHER_SECRET, SECRET, wait_until

from simulator import server
from simulator.control import Admin, SimulatorError

LIST = "/distributor/organization"


def test_request_log_oldest_first_and_clearable(call, sim, org):
    call("GET", LIST)
    call("GET", LIST + "/" + org["id"], params=None)
    call("GET", LIST + "/%s/usage" % org["id"], params={"period": "2026-01"})
    log = sim.admin.requests()
    assert [(entry["method"], entry["operation"], entry["status"]) for entry in log] == [
        ("GET", "list-distributor-organizations", 200),
        ("GET", "get-distributor-organization", 200),
        ("GET", "list-distributor-organization-usage", 200),
    ]
    assert log[1]["path"] == "/v1.alpha/distributor/organization/" + org["id"]
    assert log[2]["query"] == "period=2026-01"
    sim.admin.clear_requests()
    assert sim.admin.requests() == []


def test_admin_calls_are_not_logged(sim):
    sim.admin.config()
    sim.admin.metering()
    assert sim.admin.requests() == []


def test_reset_drops_everything_and_restores_config(call, sim, org):
    call(
        "POST",
        "/metering:apply",
        json={"organization": org["id"], "usage": [{"product": "p", "variable": "v", "quantity": 1}]},
    )
    sim.admin.add_fault(action="drop")
    sim.admin.config(create_status="created", latency=0.01)
    sim.admin.reset()
    assert sim.admin.faults() == []
    assert sim.admin.requests() == []
    assert sim.admin.metering() == []
    assert sim.admin.config() == {"create_status": "active", "latency": 0.0}
    assert call("GET", LIST).json() == {"organizations": []}


def test_seed_with_id_status_and_snake_case_keys(call, sim):
    org_id = "0b1c7c3e-68a1-4c55-9c71-64c1a35a4a01"
    seeded = sim.admin.seed_org(
        id=org_id,
        status="suspended",
        display_name="Seeded",
        billing_address=dict(BILLING, name="Seeded"),
        client_id="s-1",
    )
    assert seeded == {
        "id": org_id,
        "status": "suspended",
        "billing-address": dict(BILLING, name="Seeded"),
        "client-id": "s-1",
    }
    assert call("GET", LIST + "/" + org_id).json() == seeded


@pytest.mark.parametrize(
    "spec, word",
    [
        ({"billing-address": BILLING}, "display-name"),
        ({"display-name": "x", "billing-address": dict(BILLING, country="Switzerland")}, "billing-address.country"),
        (dict(NEW_ORG, status="deleted"), "status"),
        (dict(NEW_ORG, id="acme"), "id"),
        (dict(NEW_ORG, colour="red"), "colour"),
    ],
)
def test_seed_is_validated(sim, spec, word):
    with pytest.raises(SimulatorError, match="400") as raised:
        sim.admin.seed_org(**spec)
    assert word in str(raised.value)


def test_seed_twice_with_the_same_id_conflicts(sim):
    spec = dict(NEW_ORG, id="0b1c7c3e-68a1-4c55-9c71-64c1a35a4a01")
    sim.admin.seed_org(**spec)
    with pytest.raises(SimulatorError, match="409"):
        sim.admin.seed_org(**spec)


def test_provider_sets_any_status_without_an_api_request(call, sim, org):
    call("DELETE", LIST + "/%s:terminate" % org["id"])
    changed = sim.admin.set_status(org["id"].upper(), "suspended")  # even out of terminated, unlike the API
    assert changed == dict(org, status="suspended")
    assert call("GET", LIST + "/" + org["id"]).json()["status"] == "suspended"
    assert [entry["operation"] for entry in sim.admin.requests()] == [
        "terminate-distributor-organization",
        "get-distributor-organization",
    ]


@pytest.mark.parametrize("changes", [{"status": "deleted"}, {"status": "active", "colour": "red"}, {}])
def test_provider_status_is_validated(sim, org, changes):
    with pytest.raises(SimulatorError, match="400"):
        sim.admin.call("PATCH", "/organizations/%s" % org["id"], changes)
    assert sim.admin.set_status(org["id"], "active")["status"] == "active"


def test_removed_organization_is_gone_with_its_seeded_usage(call, sim, org):
    other = sim.admin.seed_org(**NEW_ORG)
    sim.admin.seed_usage(org["id"], "2026-01", [])
    assert sim.admin.remove_org(org["id"]) == {"message": "organization %s removed" % org["id"]}
    assert [item["id"] for item in call("GET", LIST).json()["organizations"]] == [other["id"]]
    assert call("GET", LIST + "/" + org["id"]).status_code == 404
    assert sim.admin.seeded_usage()["usage"] == []
    for hook in (lambda: sim.admin.remove_org(org["id"]), lambda: sim.admin.set_status(org["id"], "active")):
        with pytest.raises(SimulatorError, match="404"):
            hook()
    with pytest.raises(SimulatorError, match="400"):
        sim.admin.remove_org("acme")


def test_config_is_validated(sim):
    for changes in ({"create_status": "terminated"}, {"latency": -1}, {"colour": "red"}):
        with pytest.raises(SimulatorError, match="400"):
            sim.admin.config(**changes)
    assert sim.admin.config() == {"create_status": "active", "latency": 0.0}


def test_latency_config_delays_api_answers_not_admin_ones(call, sim):
    sim.admin.config(latency=0.3)
    started = time.monotonic()
    assert call("GET", LIST).status_code == 200
    assert time.monotonic() - started >= 0.3
    # While an API answer is held by a long latency, admin hooks still answer; resetting releases it.
    sim.admin.config(latency=60)
    answers = []
    held = threading.Thread(target=lambda: answers.append(call("GET", LIST).status_code))
    held.start()
    wait_until(lambda: len(sim.admin.requests()) == 2)  # logged, now waiting out the latency
    assert sim.admin.config()["latency"] == 60 and answers == []
    sim.admin.reset()
    held.join(timeout=30)
    assert not held.is_alive() and answers == [200]


def test_unknown_hook_and_bad_json(sim):
    assert requests.get(sim.admin_url + "/nothing", timeout=10).status_code == 404
    response = requests.post(sim.admin_url + "/faults", data=b"{", timeout=10)
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]


def test_admin_accepts_any_url_of_the_server(sim):
    for url in (sim.base_url, sim.url, sim.admin_url + "/"):
        assert Admin(url).config() == {"create_status": "active", "latency": 0.0}


def test_request_log_is_bounded(in_process):
    admin = Admin(in_process.base_url)
    url = in_process.base_url + "/v1.alpha/distributor/organization"
    for _attempt in range(7):
        assert requests.get(url, auth=ExoscaleV2Auth(KEY, SECRET), timeout=10).status_code == 200
    assert len(admin.requests()) == 5
    assert in_process.simulator.log.maxlen == 5


def test_request_log_keeps_the_bodies_as_sent(call, sim, org):
    batch = {"organization": org["id"], "usage": [{"product": "partner", "variable": "commission", "quantity": 1.5}]}
    assert call("POST", LIST, json=NEW_ORG).status_code == 200
    assert call("POST", "/metering:apply", json=batch).status_code == 204
    assert call("GET", LIST).status_code == 200
    created, metered, listed = sim.admin.requests()
    assert json.loads(created["body"]) == NEW_ORG and created["body_truncated"] is False
    assert json.loads(metered["body"]) == batch
    assert listed["body"] is None


def test_logged_bodies_are_bounded(in_process, monkeypatch):
    """Each body is cut at LOG_BODY_BYTES; beyond LOG_BODIES_BYTES in all, the oldest bodies are dropped."""
    monkeypatch.setattr(server, "LOG_BODY_BYTES", 40)
    monkeypatch.setattr(server, "LOG_BODIES_BYTES", 100)
    simulator = in_process.simulator  # its log keeps 5 entries
    for number in range(7):
        simulator.record({"number": number}, b"%d" % number * 50)
    entries = simulator.requests()["requests"]
    assert [entry["number"] for entry in entries] == [2, 3, 4, 5, 6]
    assert [entry["body"] for entry in entries] == [None, None, None, "5" * 40, "6" * 40]
    assert all(entry["body_truncated"] for entry in entries)
    assert simulator.logged_body_bytes == 80

    monkeypatch.setattr(server, "LOG_BODIES_BYTES", 10**6)
    simulator.clear_requests()
    for number in range(7):
        simulator.record({"number": number}, b"%d" % number * 10)
    assert [entry["body"] for entry in simulator.requests()["requests"]] == ["%d" % n * 10 for n in range(2, 7)]
    assert simulator.logged_body_bytes == 50 and len(simulator.logged_bodies) == 5


def test_request_log_names_the_api_key_never_the_secret(call, sim):
    """Which credentials signed each request (tests of credential selection read it); the secret never shows."""
    assert call("GET", LIST).status_code == 200
    assert call("GET", LIST, key=OTHER_KEY, secret=OTHER_SECRET).status_code == 200
    assert call("GET", LIST, key="EXOunknown", secret="nope").status_code == 403
    assert requests.get(sim.url + LIST, timeout=10).status_code == 401
    assert [entry["key"] for entry in sim.admin.requests()] == [KEY, OTHER_KEY, "EXOunknown", None]
    assert SECRET not in json.dumps(sim.admin.requests())
