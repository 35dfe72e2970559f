# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import _client
from ansible_collections.exoscale.partner.plugins.modules import partner_orgs
from ansible_collections.exoscale.partner.tests.unit.plugins.modules.conftest import api_error, make_org

READS = ("list_distributor_organizations", "get_distributor_organization")


def customer(number, **fields):
    result = dict(
        client_id="crm-%03d" % number,
        name="Customer %d" % number,
        owner_email="owner%d@customer.example" % number,
        address="Main Street",
        postcode="8001",
        city="Zurich",
        country="ch",
    )
    result.update(fields)
    return result


def reads(fake_client):
    return [name for name, dummy in fake_client.calls if name in READS]


def test_creates_the_whole_list_with_one_get(run_module, fake_client):
    result = run_module(partner_orgs.main, dict(organizations=[customer(n) for n in range(20)]))
    assert not result["failed"] and result["changed"]
    assert reads(fake_client) == ["list_distributor_organizations"]
    assert fake_client.mutating_calls == ["create_distributor_organization"] * 20
    assert [r["key"] for r in result["organizations"]] == [{"client_id": "crm-%03d" % n} for n in range(20)]
    assert all(r["actions"] == ["create"] and r["error"] is None for r in result["organizations"])
    assert result["summary"] == dict(
        created=20, activated=0, suspended=0, terminated=0, purged=0, unchanged=0, failed=0
    )

    rerun = run_module(partner_orgs.main, dict(organizations=[customer(n) for n in range(20)]))
    assert rerun["changed"] is False and rerun["summary"]["unchanged"] == 20
    assert fake_client.mutating_calls == ["create_distributor_organization"] * 20
    assert reads(fake_client) == ["list_distributor_organizations"] * 2


def test_every_transition_in_one_run(run_module, fake_client):
    fake_client.orgs.extend(
        [
            make_org(client_id="crm-001", status="suspended"),
            make_org(client_id="crm-002", status="active"),
            make_org(client_id="crm-003", status="active"),
        ]
    )
    fake_client.create_status = "created"
    result = run_module(
        partner_orgs.main,
        dict(
            organizations=[
                customer(0, state="suspended"),
                dict(client_id="crm-001", state="active"),
                dict(client_id="crm-002", state="suspended"),
                dict(client_id="crm-003", state="terminated", purge=True),
            ],
            concurrency=3,
        ),
    )
    assert not result["failed"], result["msg"] if result["failed"] else None
    assert [r["actions"] for r in result["organizations"]] == [
        ["create", "suspend"],
        ["activate"],
        ["suspend"],
        ["terminate", "schedule_purge"],
    ]
    assert [r["organization"]["status"] for r in result["organizations"]] == [
        "suspended",
        "active",
        "suspended",
        "terminated",
    ]
    assert result["summary"] == dict(created=1, activated=1, suspended=2, terminated=1, purged=1, unchanged=0, failed=0)
    assert reads(fake_client) == ["list_distributor_organizations"]


def test_check_mode_is_the_plan_and_sends_nothing(run_module, fake_client):
    existing = make_org(client_id="crm-001", status="active")
    other = make_org(client_id="other", status="active")
    fake_client.orgs.extend([existing, other])
    result = run_module(
        partner_orgs.main,
        dict(organizations=[customer(0), dict(client_id="crm-001", state="suspended")], unlisted="suspend"),
        check_mode=True,
        diff=True,
    )
    assert result["changed"] and fake_client.mutating_calls == []
    assert [r["actions"] for r in result["organizations"]] == [["create"], ["suspend"]]
    assert result["organizations"][0]["organization"]["id"] is None
    assert [u["organization"]["id"] for u in result["unlisted"]] == [other["id"]]
    assert result["unlisted"][0]["organization"]["status"] == "suspended"
    assert [(d["before"].get("status"), d["after"]["status"]) for d in result["diff"]] == [
        (None, "active"),
        ("active", "suspended"),
        ("active", "suspended"),
    ]
    assert result["diff"][1]["before_header"] == "organizations[1] (client_id 'crm-001')"


def test_unlisted_suspend_touches_only_unlisted_live_ones(run_module, fake_client):
    listed = make_org(client_id="crm-000", status="active")
    unlisted_active = make_org(client_id="gone-1", status="active")
    unlisted_suspended = make_org(client_id="gone-2", status="suspended")
    dead = make_org(client_id="gone-3", status="terminated")
    fake_client.orgs.extend([listed, unlisted_active, unlisted_suspended, dead])
    result = run_module(partner_orgs.main, dict(organizations=[customer(0)], unlisted="suspend"))
    assert fake_client.mutating_calls == ["suspend_distributor_organization"]
    assert fake_client.calls[-1][1] == {"id": unlisted_active["id"]}
    assert [(u["organization"]["id"], u["actions"]) for u in result["unlisted"]] == [
        (unlisted_active["id"], ["suspend"])
    ]
    assert result["summary"]["suspended"] == 1 and result["summary"]["unchanged"] == 1


def test_unlisted_terminate_needs_confirmation(run_module, fake_client):
    fake_client.orgs.append(make_org(client_id="gone"))
    refused = run_module(partner_orgs.main, dict(organizations=[], unlisted="terminate"))
    assert refused["failed"] and "unlisted_confirm" in refused["msg"] and fake_client.calls == []
    done = run_module(partner_orgs.main, dict(organizations=[], unlisted="terminate", unlisted_confirm=True))
    assert done["changed"] and fake_client.mutating_calls == ["terminate_distributor_organization"]
    assert done["summary"]["terminated"] == 1


def test_a_bad_entry_fails_naming_it_before_any_request(run_module, fake_client):
    entries = [customer(n) for n in range(20)]
    entries[17]["country"] = "Switzerland"
    entries[3]["owner_email"] = "nobody"
    result = run_module(partner_orgs.main, dict(organizations=entries))
    assert result["failed"] and fake_client.calls == []
    assert "organizations[17].country: expected a 2-letter" in result["msg"]
    assert "organizations[3].owner_email" in result["msg"]


def test_long_lists_of_problems_are_cut_in_the_message_not_in_the_result(run_module, fake_client):
    entries = [customer(n, country="Switzerland") for n in range(15)]
    result = run_module(partner_orgs.main, dict(organizations=entries))
    assert result["failed"] and "organizations[9].country" in result["msg"]
    assert "organizations[10]" not in result["msg"] and "(and 5 more, see the result)" in result["msg"]
    assert len(result["errors"]) == 15 and fake_client.calls == []


@pytest.mark.parametrize(
    "second, message",
    [
        (dict(client_id="crm-000"), "organizations[1]: client_id 'crm-000' is already given by organizations[0]"),
        (dict(client_id="x", id="0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"), "organizations[1]: id and client_id"),
        (dict(client_id="x", purge=True), "organizations[1]: purge=true requires state=terminated"),
        (dict(client_id="x", state="gone"), "state"),
        (dict(client_id=" ", state="suspended"), "organizations[1].client_id: must not be empty or blank"),
    ],
)
def test_invalid_lists_send_nothing(run_module, fake_client, second, message):
    result = run_module(partner_orgs.main, dict(organizations=[customer(0), second]))
    assert result["failed"] and message in result["msg"] and fake_client.calls == []


@pytest.mark.parametrize("concurrency", (0, 33))
def test_concurrency_bounds(run_module, fake_client, concurrency):
    result = run_module(partner_orgs.main, dict(organizations=[customer(0)], concurrency=concurrency))
    assert result["failed"] and "concurrency" in result["msg"] and fake_client.calls == []


def test_upper_case_id_is_made_canonical(run_module, fake_client):
    existing = make_org(status="active")
    fake_client.orgs.append(existing)
    result = run_module(partner_orgs.main, dict(organizations=[dict(id=existing["id"].upper(), state="suspended")]))
    assert result["organizations"][0]["key"] == {"id": existing["id"]}
    assert fake_client.mutating_calls == ["suspend_distributor_organization"]


def test_unplannable_entries_fail_after_the_get_without_mutation(run_module, fake_client):
    twins = [make_org(client_id="twin"), make_org(client_id="twin")]
    fake_client.orgs.extend(twins)
    result = run_module(
        partner_orgs.main,
        dict(
            organizations=[customer(0), dict(client_id="twin", state="suspended"), dict(client_id="new", name="X")],
            unlisted="suspend",
        ),
    )
    assert result["failed"] and fake_client.mutating_calls == []
    assert "organizations[1] (client_id 'twin')" in result["msg"] and twins[0]["id"] in result["msg"]
    assert "organizations[2] (client_id 'new'): No organization matches, and creating one requires" in result["msg"]
    assert [bool(r["error"]) for r in result["organizations"]] == [False, True, True]


def test_one_failure_does_not_stop_the_others(run_module, fake_client):
    fake_client.orgs.extend([make_org(client_id="crm-%03d" % n, status="active") for n in range(5)])
    fake_client.errors["suspend_distributor_organization"] = api_error(
        _client.ExoscaleAPIServerException, 503, "busy", maybe_processed=True
    )
    entries = [dict(client_id="crm-%03d" % n, state="suspended") for n in range(5)]
    result = run_module(partner_orgs.main, dict(organizations=entries, concurrency=1))
    assert result["failed"] and result["changed"]
    assert fake_client.mutating_calls == ["suspend_distributor_organization"] * 5
    failed = [r for r in result["organizations"] if r["error"]]
    assert len(failed) == 1 and failed[0]["key"] == {"client_id": "crm-000"}
    assert "Failed to suspend organization" in failed[0]["error"] and "HTTP 503: busy" in failed[0]["error"]
    assert "1 of 5 organizations failed" in result["msg"] and "organizations[0]" in result["msg"]
    assert result["summary"]["suspended"] == 4 and result["summary"]["failed"] == 1
    assert [o["status"] for o in fake_client.orgs] == ["active"] + ["suspended"] * 4

    rerun = run_module(partner_orgs.main, dict(organizations=entries, concurrency=1))
    assert not rerun["failed"] and rerun["summary"]["suspended"] == 1 and rerun["summary"]["unchanged"] == 4


def test_duplicate_safe_create(run_module, fake_client):
    fake_client.apply_then_fail = True
    fake_client.errors["create_distributor_organization"] = api_error(
        _client.ExoscaleAPIServerException, 502, "bad gateway", maybe_processed=True
    )
    result = run_module(partner_orgs.main, dict(organizations=[customer(0)]))
    assert not result["failed"] and result["organizations"][0]["actions"] == ["create"]
    assert len(fake_client.orgs) == 1 and result["organizations"][0]["organization"]["id"] == fake_client.orgs[0]["id"]


def test_drift_is_warned_once_and_not_a_change(run_module, fake_client):
    fake_client.orgs.extend([make_org(client_id="crm-%03d" % n, name="Old %d" % n) for n in range(3)])
    result = run_module(partner_orgs.main, dict(organizations=[customer(n) for n in range(3)]))
    assert result["changed"] is False and fake_client.mutating_calls == []
    assert result["organizations"][2]["drift"]["name"] == {"current": "Old 2", "desired": "Customer 2"}
    assert len(result["warnings"]) == 1 and "3 organizations differ" in result["warnings"][0]


def test_aliases_and_non_ascii_names(run_module, fake_client):
    entry = customer(0, display_name="Müller & Söhne 株式会社 🚀", postal_code="1010")
    del entry["name"], entry["postcode"]
    result = run_module(partner_orgs.main, dict(organizations=[entry]))
    org = result["organizations"][0]["organization"]
    assert (org["name"], org["postcode"], org["country"]) == ("Müller & Söhne 株式会社 🚀", "1010", "CH")


def test_real_threads_converge_every_entry(run_module, fake_client):
    result = run_module(partner_orgs.main, dict(organizations=[customer(n) for n in range(40)], concurrency=8))
    assert result["summary"]["created"] == 40 and len(fake_client.orgs) == 40
    assert sorted(o["client_id"] for o in fake_client.orgs) == ["crm-%03d" % n for n in range(40)]
    assert [r["organization"]["client_id"] for r in result["organizations"]] == ["crm-%03d" % n for n in range(40)]
