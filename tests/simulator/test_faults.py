# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scripted faults for the next N matching requests: each action, counting and matching."""

from __future__ import annotations

import threading

import pytest
import requests
from sim_support import NEW_ORG, UNKNOWN_ID, wait_until

from simulator.control import SimulatorError

LIST = "/distributor/organization"


def operations_and_faults(sim):
    return [(entry["operation"], entry["status"], entry["fault"]) for entry in sim.admin.requests()]


def test_status_with_retry_after_then_normal(call, sim):
    sim.admin.add_fault(operation="list-distributor-organizations", action="status", status=429, retry_after=3)
    limited = call("GET", LIST)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "3"
    assert "429" in limited.json()["message"]
    assert call("GET", LIST).status_code == 200
    assert operations_and_faults(sim) == [
        ("list-distributor-organizations", 429, "status"),
        ("list-distributor-organizations", 200, None),
    ]


def test_status_without_retry_after(call, sim):
    sim.admin.add_fault(action="status", status=503)
    response = call("GET", LIST)
    assert response.status_code == 503
    assert "Retry-After" not in response.headers


def test_count_and_operation_matching(call, sim, org):
    sim.admin.add_fault(operation="get-distributor-organization", action="status", status=500, count=2)
    assert call("GET", LIST).status_code == 200
    assert [call("GET", LIST + "/" + org["id"]).status_code for attempt in range(3)] == [500, 500, 200]
    assert sim.admin.faults() == []


def test_a_fault_for_one_organization_spares_the_others(call, sim):
    first = call("POST", LIST, json=NEW_ORG).json()
    second = call("POST", LIST, json=NEW_ORG).json()
    sim.admin.add_fault(
        operation="suspend-distributor-organization", organization=first["id"].upper(), action="status", count=5
    )
    assert call("PUT", LIST + "/" + second["id"] + ":suspend").status_code == 200
    assert [call("PUT", LIST + "/" + first["id"] + ":suspend").status_code for attempt in range(6)] == [503] * 5 + [200]


def test_a_metering_fault_for_one_organization_spares_the_others(call, sim):
    first = call("POST", LIST, json=NEW_ORG).json()
    second = call("POST", LIST, json=NEW_ORG).json()
    sim.admin.add_fault(operation="metering-transaction", organization=second["id"], action="status", status=503)
    usage = [{"product": "partner", "variable": "license_product", "quantity": 1}]
    statuses = [
        call("POST", "/metering:apply", json={"organization": org["id"], "usage": usage}).status_code
        for org in (first, second, second)
    ]
    assert statuses == [204, 503, 204]
    assert [batch["organization"] for batch in sim.admin.metering()] == [first["id"], second["id"]]


def test_faults_apply_in_order_and_can_be_cleared(call, sim):
    sim.admin.add_fault(action="status", status=502)
    sim.admin.add_fault(action="status", status=504)
    assert [fault["status"] for fault in sim.admin.faults()] == [502, 504]
    assert call("GET", LIST).status_code == 502
    sim.admin.clear_faults()
    assert call("GET", LIST).status_code == 200


def test_drop_closes_without_answer_and_does_not_process(call, sim):
    sim.admin.add_fault(operation="create-distributor-organization", action="drop")
    with pytest.raises(requests.ConnectionError):
        call("POST", LIST, json=NEW_ORG)
    assert call("GET", LIST).json() == {"organizations": []}
    assert operations_and_faults(sim)[0] == ("create-distributor-organization", None, "drop")


def test_reset_breaks_the_answer_midway(call, sim):
    sim.admin.add_fault(action="reset")
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        call("GET", LIST)
    assert call("GET", LIST).status_code == 200


def test_malformed_json(call, sim):
    sim.admin.add_fault(action="malformed")
    response = call("GET", LIST)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_html_proxy_page(call, sim):
    sim.admin.add_fault(action="html")
    response = call("GET", LIST)
    assert response.status_code == 502
    assert response.headers["Content-Type"] == "text/html"
    assert "<html>" in response.text


def test_empty_body(call, sim):
    sim.admin.add_fault(action="empty")
    response = call("GET", LIST)
    assert response.status_code == 200
    assert response.content == b""


def test_process_then_fail_applies_the_change(call, sim):
    sim.admin.add_fault(operation="create-distributor-organization", action="process_then_fail")
    response = call("POST", LIST, json=NEW_ORG)
    assert response.status_code == 503
    [created] = call("GET", LIST).json()["organizations"]
    assert created["client-id"] == NEW_ORG["client-id"]
    assert operations_and_faults(sim)[0] == ("create-distributor-organization", 503, "process_then_fail")


def test_process_then_fail_on_metering_bills(call, sim, org):
    sim.admin.add_fault(operation="metering-transaction", action="process_then_fail")
    batch = {"organization": org["id"], "usage": [{"product": "partner", "variable": "commission", "quantity": 1}]}
    assert call("POST", "/metering:apply", json=batch).status_code == 503
    assert len(sim.admin.metering()) == 1


def test_delay_provokes_a_client_read_timeout_and_still_processes(call, sim):
    # The delay outlasts any client stall; DELETE /_simulator/faults ends it once the client gave up.
    sim.admin.add_fault(operation="create-distributor-organization", action="delay", delay=60)
    with pytest.raises(requests.exceptions.ReadTimeout):
        call("POST", LIST, json=NEW_ORG, timeout=0.2)
    assert sim.admin.requests() == []  # still held: logged once processed
    sim.admin.clear_faults()
    # The server finishes the request after the client gave up: the organization exists.
    wait_until(sim.admin.requests)
    assert operations_and_faults(sim)[0] == ("create-distributor-organization", 200, "delay")
    assert len(call("GET", LIST).json()["organizations"]) == 1


def test_a_delayed_request_does_not_block_others(call, sim):
    sim.admin.add_fault(operation="get-distributor-organization", action="delay", delay=60)
    answers = []
    slow = threading.Thread(target=lambda: answers.append(call("GET", LIST + "/" + UNKNOWN_ID).status_code))
    slow.start()
    wait_until(lambda: sim.admin.faults() == [])  # the slow request took the fault: it is being held
    assert call("GET", LIST).status_code == 200
    assert answers == [] and operations_and_faults(sim) == [("list-distributor-organizations", 200, None)]
    sim.admin.clear_faults()
    slow.join(timeout=30)
    assert not slow.is_alive() and answers == [404]


def test_a_faulted_attempt_is_authenticated_and_validated_first(call, sim):
    """A fault never hides a bad request: it is refused as usual and the fault waits for a valid one."""
    sim.admin.add_fault(operation="create-distributor-organization", action="status", status=503)
    sim.admin.add_fault(operation="list-distributor-organizations", action="process_then_fail")
    invalid = dict(NEW_ORG, **{"billing-address": dict(NEW_ORG["billing-address"], country="CHE")})
    assert call("POST", LIST, json=invalid).status_code == 400
    assert requests.get(sim.url + LIST, timeout=10).status_code == 401
    assert call("GET", LIST, secret="wrong-secret").status_code == 403
    assert len(sim.admin.faults()) == 2
    assert call("POST", LIST, json=NEW_ORG).status_code == 503
    assert call("GET", LIST).status_code == 503
    assert operations_and_faults(sim) == [
        ("create-distributor-organization", 400, None),
        ("list-distributor-organizations", 401, None),
        ("list-distributor-organizations", 403, None),
        ("create-distributor-organization", 503, "status"),
        ("list-distributor-organizations", 503, "process_then_fail"),
    ]
    assert sim.admin.faults() == []


@pytest.mark.parametrize(
    "spec",
    [
        {"action": "explode"},
        {"action": "status", "status": 200},
        {"action": "status", "count": 0},
        {"action": "drop", "operation": "delete-everything"},
        {"action": "delay", "delay": -1},
        {"action": "status", "colour": "red"},
        {"action": "status", "organization": "not-a-uuid"},
    ],
)
def test_invalid_fault_specs_are_refused(sim, spec):
    with pytest.raises(SimulatorError, match="400"):
        sim.admin.add_fault(**spec)
    assert sim.admin.faults() == []
