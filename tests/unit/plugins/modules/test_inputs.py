# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Inputs every module must treat alike: upper-case ids, blank text, connection options, non-ASCII text."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import _base, _client
from ansible_collections.exoscale.partner.plugins.modules import partner_metering, partner_org, partner_org_info
from ansible_collections.exoscale.partner.tests.unit.plugins.modules.conftest import FakeClient, make_org

ORG_ID = "abcdef12-3456-4789-8abc-def123456789"
ORG_ID_UPPER = ORG_ID.upper()
CREATE_ARGS = dict(
    name="Customer Corp",
    owner_email="admin@customer.example",
    address="Main Street",
    postcode="8001",
    city="Zurich",
    country="CH",
)
USAGE = [dict(product="partner", variable="license_product", quantity=1)]
MODULES = {
    "partner_org": (partner_org.main, dict(CREATE_ARGS, client_id="crm-1")),
    "partner_org_info": (partner_org_info.main, dict(client_id="crm-1")),
    "partner_metering": (partner_metering.main, dict(client_id="crm-1", usage=USAGE)),
}


class MeteringFake(FakeClient):
    """The shared fake plus metering; `batches` holds what was sent."""

    def __init__(self, **kwargs):
        super(MeteringFake, self).__init__(**kwargs)
        self.batches = []

    def metering_transaction(self, organization, usage):
        self._record("metering_transaction", organization=organization, usage=usage)
        self._find(organization)
        self.batches.append(_client.build_metering_batch(organization=organization, usage=usage))
        return self._answer("metering_transaction", {"ok": True})


@pytest.fixture
def fake_client(monkeypatch):
    client = MeteringFake()
    monkeypatch.setattr(_base, "build_client", lambda params: client)
    return client


# Upper-case ids (UUIDs are case-insensitive; the API answers in lower case)


@pytest.mark.parametrize("state", ("active", "suspended", "terminated"))
def test_partner_org_with_an_upper_case_id_acts_on_the_organization(run_module, fake_client, state):
    fake_client.orgs.append(make_org(id=ORG_ID, status="active"))

    result = run_module(partner_org.main, dict(id=ORG_ID_UPPER, state=state))

    assert not result["failed"], result
    assert result["organization"]["id"] == ORG_ID and result["organization"]["status"] == state
    assert all(kwargs.get("id") == ORG_ID for _name, kwargs in fake_client.calls)
    assert result["changed"] is (state != "active")


def test_partner_org_with_an_upper_case_id_reports_no_drift_and_no_change(run_module, fake_client):
    fake_client.orgs.append(make_org(id=ORG_ID, status="active"))

    result = run_module(partner_org.main, dict(CREATE_ARGS, id=ORG_ID_UPPER))

    assert result["changed"] is False and "drift" not in result and result["warnings"] == []
    assert fake_client.calls == [("get_distributor_organization", {"id": ORG_ID})]


def test_partner_metering_with_an_upper_case_organization_id_sends_the_canonical_id(run_module, fake_client):
    fake_client.orgs.append(make_org(id=ORG_ID))

    result = run_module(partner_metering.main, dict(organization_id=ORG_ID_UPPER, usage=USAGE))

    assert not result["failed"], result
    assert result["metering"]["organization_id"] == ORG_ID
    assert [batch["organization"] for batch in fake_client.batches] == [ORG_ID]


# Blank text: refused before any request (before the fix a blank client_id was sent as a key)


@pytest.mark.parametrize("blank", ("", "  ", "\t\n"))
@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_blank_client_id_is_refused_before_any_request(run_module, fake_client, module, blank):
    main, args = MODULES[module]
    fake_client.orgs.append(make_org(client_id=blank))

    result = run_module(main, dict(args, client_id=blank))

    assert result["failed"] is True
    assert "client_id" in result["msg"] and "blank" in result["msg"]
    assert fake_client.calls == []


@pytest.mark.parametrize("field", ("name", "address", "building_number", "postcode", "city", "owner_email"))
def test_partner_org_refuses_a_blank_text_option_before_any_request(run_module, fake_client, field):
    result = run_module(partner_org.main, dict(CREATE_ARGS, client_id="crm-1", **{field: "   "}))

    assert result["failed"] is True
    assert field in result["msg"] and "blank" in result["msg"]
    assert fake_client.calls == []


def test_partner_org_info_refuses_a_blank_name_before_any_request(run_module, fake_client):
    result = run_module(partner_org_info.main, dict(name=" "))

    assert result["failed"] is True and "name" in result["msg"]
    assert fake_client.calls == []


@pytest.mark.parametrize("field", ("product", "variable"))
def test_partner_metering_refuses_a_blank_product_or_variable(run_module, fake_client, field):
    usage = [dict(USAGE[0], **{field: "  "})]

    result = run_module(partner_metering.main, dict(organization_id=ORG_ID, usage=usage))

    assert result["failed"] is True and "usage[0].%s" % field in result["msg"]
    assert fake_client.calls == []


@pytest.mark.parametrize("field", ("api_key", "api_secret"))
def test_blank_credentials_are_missing_credentials(run_module, fake_client, field):
    result = run_module(partner_org_info.main, {field: "  "})

    assert result["failed"] is True
    assert "Missing Exoscale API credentials (%s)" % field in result["msg"]
    assert fake_client.calls == []


def test_the_client_refuses_a_blank_client_id_itself():
    """The wire room's own check, for callers that are not modules."""
    with pytest.raises(ValueError, match=r"^client_id: must not be empty or blank"):
        _client.build_organization_input(client_id="  ", **CREATE_ARGS)


# Connection options: checked before any request


@pytest.mark.parametrize("timeout", (0, -1))
@pytest.mark.parametrize("module", sorted(MODULES))
def test_api_timeout_must_be_positive(run_module, fake_client, module, timeout):
    main, args = MODULES[module]

    result = run_module(main, dict(args, api_timeout=timeout))

    assert result["failed"] is True
    assert result["msg"] == "api_timeout: must be a number of seconds greater than 0, got %d." % timeout
    assert fake_client.calls == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_api_retries_must_not_be_negative(run_module, fake_client, module):
    main, args = MODULES[module]

    result = run_module(main, dict(args, api_retries=-1))

    assert result["failed"] is True
    assert result["msg"] == "api_retries: must be 0 (no retry) or more, got -1."
    assert fake_client.calls == []


def test_api_retries_zero_is_allowed(run_module, fake_client):
    fake_client.orgs.append(make_org(client_id="crm-1"))

    result = run_module(partner_org_info.main, dict(client_id="crm-1", api_retries=0, api_timeout=1))

    assert not result["failed"] and len(result["organizations"]) == 1


# Non-ASCII names and client ids (German, Japanese, emoji)

NON_ASCII = (
    ("Müller & Söhne GmbH", "kunde-müller-ß"),
    ("株式会社テスト", "顧客-東京-1"),
    ("Rocket 🚀 Ltd", "client-🚀-1"),
)


@pytest.mark.parametrize("name, client_id", NON_ASCII)
def test_non_ascii_create_then_rerun_finds_it_without_drift(run_module, fake_client, name, client_id):
    args = dict(CREATE_ARGS, name=name, client_id=client_id, city="Zürich")

    created = run_module(partner_org.main, args)
    rerun = run_module(partner_org.main, args)
    by_name = run_module(partner_org.main, dict(args, client_id=None))

    assert created["changed"] and created["organization"]["name"] == name
    assert fake_client.create_bodies[0]["billing-address"]["name"] == name
    assert fake_client.create_bodies[0]["client-id"] == client_id
    for again in (rerun, by_name):
        assert again["changed"] is False and "drift" not in again and again["warnings"] == []
    assert fake_client.mutating_calls == ["create_distributor_organization"]


@pytest.mark.parametrize("name, client_id", NON_ASCII)
def test_non_ascii_drift_names_the_field(run_module, fake_client, name, client_id):
    fake_client.orgs.append(make_org(client_id=client_id, name=name))

    result = run_module(partner_org.main, dict(CREATE_ARGS, client_id=client_id, name=name + "!"))

    assert result["drift"] == {"name": {"current": name, "desired": name + "!"}}
    assert fake_client.mutating_calls == []


@pytest.mark.parametrize("name, client_id", NON_ASCII)
def test_non_ascii_lookup_and_metering_by_client_id(run_module, fake_client, name, client_id):
    fake_client.orgs.extend([make_org(id=ORG_ID, client_id=client_id, name=name), make_org(client_id="other")])

    info = run_module(partner_org_info.main, dict(client_id=client_id))
    by_name = run_module(partner_org_info.main, dict(name=name))
    metered = run_module(partner_metering.main, dict(client_id=client_id, usage=USAGE))

    assert [org["id"] for org in info["organizations"]] == [ORG_ID]
    assert [org["id"] for org in by_name["organizations"]] == [ORG_ID]
    assert metered["metering"]["organization_id"] == ORG_ID
