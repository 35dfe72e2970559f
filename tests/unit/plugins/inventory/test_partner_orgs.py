# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The partner_orgs inventory plugin against the local Partner API simulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest
from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

from ansible_collections.exoscale.partner.plugins.inventory.partner_orgs import hostnames_for, safe_hostname

COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
sys.path.insert(0, COLLECTION_ROOT)
from simulator.control import SimulatorProcess  # noqa: E402  (the simulator ships at the collection root)

KEY = "EXOinventory0000000000000000"
SECRET = "inventory-test-secret-not-real"
LIST = ("GET", "/v1.alpha/distributor/organization")


@pytest.fixture
def simulator():
    # Function scope: ansible-test units runs every test in a forked child, where a module-scoped
    # fixture would never be torn down and would leave a simulator process behind.
    with SimulatorProcess(key=KEY, secret=SECRET) as sim:
        yield sim


@pytest.fixture
def sim(simulator, monkeypatch, tmp_path):
    simulator.admin.reset()
    for name in (
        "EXOSCALE_API_KEY",
        "EXOSCALE_API_SECRET",
        "EXOSCALE_PARTNER_API_URL",
        "EXOSCALE_ACCOUNT",
        "EXOSCALE_CONFIG",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no exo CLI configuration of whoever runs the tests
    return simulator


def seed(sim, name, client_id=None, status="active", country="CH"):
    wire = {
        "display-name": name,
        "status": status,
        "billing-address": {
            "name": name,
            "street-name": "Main Street",
            "city": "Zurich",
            "postal-code": "8001",
            "country": country,
        },
    }
    if client_id is not None:
        wire["client-id"] = client_id
    return sim.admin.seed_org(**wire)


def api_calls(sim):
    return [(entry["method"], entry["path"]) for entry in sim.admin.requests()]


def run_inventory(tmp_path, sim, read_cache=True, filename="test.partner_orgs.yml", credentials=True, **config):
    """Parse a configuration file with the plugin; returns the InventoryData.

    ``read_cache=False`` is what ``--flush-cache`` does; ``config`` are the plugin's options.
    """
    settings = {"plugin": "exoscale.partner.partner_orgs", "api_url": sim.url, "api_timeout": 5, "api_retries": 0}
    if credentials:
        settings.update(api_key=KEY, api_secret=SECRET)
    settings.update(config)
    path = tmp_path / filename
    path.write_text(json.dumps(settings))
    plugin = inventory_loader.get("exoscale.partner.partner_orgs")
    assert plugin.verify_file(str(path))
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=read_cache)
    if config.get("cache"):
        plugin.update_cache_if_changed()  # what ansible's InventoryManager does after parse
    return inventory


def hostvars(inventory, host):
    return inventory.get_host(host).get_vars()


def group_hosts(inventory, group):
    return sorted(host.name for host in inventory.groups[group].get_hosts())


def test_one_list_call_makes_each_live_org_a_local_host(tmp_path, sim):
    active = seed(sim, "Alpha", client_id="crm-1")
    seed(sim, "Beta", client_id="crm-2", status="suspended")
    created = seed(sim, "Gamma", status="created")
    seed(sim, "Old Alpha", client_id="crm-1", status="terminated")
    sim.admin.clear_requests()

    inventory = run_inventory(tmp_path, sim)

    assert api_calls(sim) == [LIST]
    assert sorted(inventory.hosts) == sorted(["crm-1", "crm-2", created["id"]])
    assert hostvars(inventory, "crm-1")["ansible_connection"] == "local"
    assert hostvars(inventory, "crm-1")["partner_org"] == {
        "id": active["id"],
        "status": "active",
        "name": "Alpha",
        "client_id": "crm-1",
        "address": "Main Street",
        "building_number": None,
        "postcode": "8001",
        "city": "Zurich",
        "country": "CH",
    }


def test_statuses_selects_the_hosts(tmp_path, sim):
    seed(sim, "Alpha", client_id="crm-1")
    seed(sim, "Old", client_id="crm-0", status="terminated")
    inventory = run_inventory(tmp_path, sim, statuses=["terminated"])
    assert sorted(inventory.hosts) == ["crm-0"]


def test_hostnames_priority_sanitising_and_collisions(tmp_path, sim):
    named = seed(sim, "Acme Corp / EU", client_id="crm-1")
    twin_a = seed(sim, "Twin", client_id="t-a")
    twin_b = seed(sim, "Twin", client_id="t-b", status="suspended")
    inventory = run_inventory(tmp_path, sim, hostnames=["name", "client_id"])
    assert sorted(inventory.hosts) == sorted(["Acme_Corp___EU", "Twin_" + twin_a["id"], "Twin_" + twin_b["id"]])
    assert hostvars(inventory, "Acme_Corp___EU")["partner_org"]["id"] == named["id"]
    assert hostvars(inventory, "Twin_" + twin_b["id"])["partner_org"]["status"] == "suspended"


def test_hostnames_fall_back_to_the_id():
    orgs = [
        {"id": "1", "client_id": None, "name": "N"},
        {"id": "2", "client_id": "c", "name": None},
        {"id": "3", "client_id": "", "name": None},
    ]
    assert hostnames_for(orgs, ["client_id"]) == ({"1": "1", "2": "c", "3": "3"}, [])
    assert hostnames_for(orgs, ["name"]) == ({"1": "N", "2": "2", "3": "3"}, [])


def test_collisions_after_sanitising_rename_every_colliding_org():
    orgs = [{"id": "b", "client_id": "a b"}, {"id": "a", "client_id": "a_b"}, {"id": "c", "client_id": "x{{y}}"}]
    names, collided = hostnames_for(orgs, ["client_id"])
    assert names == {"b": "a_b_b", "a": "a_b_a", "c": "x__y__"}
    assert collided == ["a_b"]
    assert safe_hostname("crm:1,2*[3]!~") == "crm_1_2__3___"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("kunde-müller-ß", "kunde-müller-ß"),
        ("kunde-mu\u0308ller", "kunde-müller"),  # a combining accent is composed first
        ("顧客-東京-1", "顧客-東京-1"),
        ("client-🚀-1", "client-_-1"),
        ("Müller & Söhne 株式会社 🚀", "Müller___Söhne_株式会社__"),
    ],
)
def test_host_names_keep_letters_of_every_script(value, expected):
    """Before: every non-ASCII letter became "_", so "顧客-東京-1" and "顧客-大阪-1" collided as "__-__-1"."""
    assert safe_hostname(value) == expected


def test_non_ascii_client_ids_do_not_collide():
    orgs = [{"id": "1", "client_id": "顧客-東京-1"}, {"id": "2", "client_id": "顧客-大阪-1"}]
    assert hostnames_for(orgs, ["client_id"]) == ({"1": "顧客-東京-1", "2": "顧客-大阪-1"}, [])


def test_constructed_groups_keyed_groups_and_compose(tmp_path, sim):
    seed(sim, "Alpha", client_id="crm-1", country="CH")
    seed(sim, "Beta", client_id="crm-2", status="suspended", country="AT")
    seed(sim, "Gamma", client_id="crm-3", country="AT")
    inventory = run_inventory(
        tmp_path,
        sim,
        keyed_groups=[
            {"key": "partner_org.status", "prefix": "status"},
            {"key": "partner_org.country | lower", "prefix": "country"},
        ],
        groups={"swiss": "partner_org.country == 'CH'"},
        compose={"org_label": "partner_org.name ~ ' (' ~ partner_org.status ~ ')'"},
    )
    assert group_hosts(inventory, "status_active") == ["crm-1", "crm-3"]
    assert group_hosts(inventory, "status_suspended") == ["crm-2"]
    assert group_hosts(inventory, "country_at") == ["crm-2", "crm-3"]
    assert group_hosts(inventory, "swiss") == ["crm-1"]
    assert hostvars(inventory, "crm-2")["org_label"] == "Beta (suspended)"


def test_credentials_and_url_from_the_environment(tmp_path, sim, monkeypatch):
    seed(sim, "Alpha", client_id="crm-1")
    monkeypatch.setenv("EXOSCALE_API_KEY", KEY)
    monkeypatch.setenv("EXOSCALE_API_SECRET", SECRET)
    monkeypatch.setenv("EXOSCALE_PARTNER_API_URL", sim.url)
    path = tmp_path / "env.partner_orgs.yaml"
    path.write_text("plugin: exoscale.partner.partner_orgs\n")
    plugin = inventory_loader.get("exoscale.partner.partner_orgs")
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=False)
    assert list(inventory.hosts) == ["crm-1"]


def test_missing_credentials_fail_before_any_request(tmp_path, sim):
    with pytest.raises(
        AnsibleError, match=r"Missing Exoscale API credentials \(api_key, api_secret\).*EXOSCALE_API_KEY"
    ):
        run_inventory(tmp_path, sim, credentials=False)
    assert api_calls(sim) == []


def test_api_errors_name_the_failure_without_the_secret(tmp_path, sim):
    with pytest.raises(AnsibleError) as caught:
        run_inventory(tmp_path, sim, api_secret="wrong-secret-" + SECRET)
    assert "Failed to list the organizations of the distributor" in str(caught.value)
    assert "HTTP 403" in str(caught.value)  # the simulator answers a bad signature with 403
    assert SECRET not in str(caught.value)


def test_a_bad_secret_says_what_to_check(tmp_path, sim):
    with pytest.raises(AnsibleError, match="Check api_key and api_secret"):
        run_inventory(tmp_path, sim, api_secret="wrong-secret")


def test_an_expired_signature_says_to_check_the_clock(tmp_path):
    # The server's clock runs 700 s ahead: every signature (valid 600 s) has expired on arrival.
    skewed = SimulatorProcess(key=KEY, secret=SECRET, extra_args=["--clock-offset", "700"])
    with skewed, pytest.raises(AnsibleError, match="check that this host's clock is correct"):
        run_inventory(tmp_path, skewed)


def test_only_partner_orgs_files_are_accepted(tmp_path):
    plugin = inventory_loader.get("exoscale.partner.partner_orgs")
    for name in ("inventory.yml", "partner_orgs.json", "x.partner_orgs.yml.bak"):
        (tmp_path / name).write_text("plugin: exoscale.partner.partner_orgs\n")
        assert not plugin.verify_file(str(tmp_path / name))


def test_cache_serves_reruns_without_requests_and_never_stores_the_secret(tmp_path, sim):
    seed(sim, "Alpha", client_id="crm-1")
    cache_dir = tmp_path / "cache"
    cached = dict(cache=True, cache_plugin="ansible.builtin.jsonfile", cache_connection=str(cache_dir))
    assert list(run_inventory(tmp_path, sim, **cached).hosts) == ["crm-1"]
    seed(sim, "Beta", client_id="crm-2")
    sim.admin.clear_requests()

    assert list(run_inventory(tmp_path, sim, **cached).hosts) == ["crm-1"]
    assert api_calls(sim) == []
    assert sorted(run_inventory(tmp_path, sim, read_cache=False, **cached).hosts) == ["crm-1", "crm-2"]  # --flush-cache
    assert api_calls(sim) == [LIST]
    stored = "".join(path.read_text() for path in cache_dir.iterdir())
    assert "crm-2" in stored and SECRET not in stored and KEY not in stored


def exo_config(tmp_path):
    path = tmp_path / "exoscale.toml"
    path.write_text(
        'defaultaccount = "other"\n[[accounts]]\nname = "other"\nkey = "EXOother"\nsecret = "other-secret-value"\n'
        '[[accounts]]\nname = "distributor"\nkey = "%s"\nsecret = "%s"\n' % (KEY, SECRET)
    )
    return path


def test_credentials_from_an_exo_cli_account(tmp_path, sim, monkeypatch):
    seed(sim, "Alpha", client_id="crm-1")
    sim.admin.clear_requests()
    monkeypatch.setenv("EXOSCALE_CONFIG", str(exo_config(tmp_path)))
    monkeypatch.setenv("EXOSCALE_API_KEY", "EXOenvironment")  # the account wins over the environment's keys
    monkeypatch.setenv("EXOSCALE_API_SECRET", "environment-secret")
    inventory = run_inventory(tmp_path, sim, credentials=False, api_account="distributor")
    assert sorted(inventory.hosts) == ["crm-1"]
    assert [entry["key"] for entry in sim.admin.requests()] == [KEY]
    monkeypatch.setenv("EXOSCALE_ACCOUNT", "distributor")
    run_inventory(tmp_path, sim, credentials=False)
    assert [entry["key"] for entry in sim.admin.requests()] == [KEY, KEY]


def test_an_exo_cli_account_with_keys_in_the_file_is_refused(tmp_path, sim, monkeypatch):
    monkeypatch.setenv("EXOSCALE_CONFIG", str(exo_config(tmp_path)))
    with pytest.raises(AnsibleError, match="api_account names an account .* and the api_key and api_secret options"):
        run_inventory(tmp_path, sim, api_account="distributor")
    with pytest.raises(AnsibleError, match="Account 'nope' not found in the exo CLI configuration .*'distributor'"):
        run_inventory(tmp_path, sim, credentials=False, api_account="nope")
    assert api_calls(sim) == []
