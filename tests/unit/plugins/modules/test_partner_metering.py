# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import _base, _client
from ansible_collections.exoscale.partner.plugins.modules.partner_metering import main
from ansible_collections.exoscale.partner.tests.unit.plugins.modules.conftest import (
    CREDENTIALS,
    FakeClient,
    api_error,
    make_org,
)

ORG_A = "11111111-1111-4111-8111-111111111111"
ORG_B = "22222222-2222-4222-8222-222222222222"
ORG_C = "33333333-3333-4333-8333-333333333333"


def entry(quantity, product="partner", variable="license_product"):
    return dict(product=product, variable=variable, quantity=quantity)


class MeteringFakeClient(FakeClient):
    """The shared fake plus metering: `bodies` holds the exact JSON the real client would send."""

    def __init__(self, **kwargs):
        super(MeteringFakeClient, self).__init__(**kwargs)
        self.bodies = []

    def metering_transaction(self, organization, usage):
        self._record("metering_transaction", organization=organization, usage=usage)
        body = _client.build_metering_batch(organization=organization, usage=usage)
        self.bodies.append(_client.dump_json(body))
        return self._answer("metering_transaction", {"ok": True})


@pytest.fixture
def fake_client(monkeypatch):
    client = MeteringFakeClient()
    monkeypatch.setattr(_base, "build_client", lambda params: client)
    return client


def operations(client):
    return [call[0] for call in client.calls]


def test_one_post_with_organization_id(run_module, fake_client):
    usage = [entry(1), entry("-42.00005", variable="commission")]
    result = run_module(main, dict(organization_id=ORG_A, usage=usage))
    assert result["failed"] is False
    assert result["changed"] is True
    assert result["metering"] == {
        "organization_id": ORG_A,
        "usage": [entry("1"), entry("-42.00005", variable="commission")],
    }
    assert operations(fake_client) == ["metering_transaction"]
    assert fake_client.bodies == [
        '{"organization":"%s","usage":[{"product":"partner","variable":"license_product","quantity":1},'
        '{"product":"partner","variable":"commission","quantity":-42.00005}]}' % ORG_A
    ]


@pytest.mark.parametrize(
    "quantity, exact",
    [
        (0.3, "0.3"),  # a YAML float: never 0.30000000000000004
        (0.1 + 0.2, None),  # that float noise itself has too many decimals
        ("0.30000", "0.30000"),  # a string keeps the decimals as written
        (-42.00005, "-42.00005"),
        ("3.1415", "3.1415"),
        (" 7 ", "7"),
        (12, "12"),
        (-3, "-3"),
        ("-0.00001", "-0.00001"),
        (1e-05, "0.00001"),  # repr is 1e-05: sent in plain notation
        ("1E+2", "100"),
        (123456789012345678, "123456789012345678"),
    ],
)
def test_quantities_are_sent_and_returned_exactly(run_module, fake_client, quantity, exact):
    result = run_module(main, dict(organization_id=ORG_A, usage=[entry(quantity)]))
    if exact is None:
        assert result["failed"] is True
        assert "usage[0].quantity" in result["msg"]
        assert fake_client.calls == []
        return
    assert result["metering"]["usage"][0]["quantity"] == exact
    assert fake_client.bodies == [
        '{"organization":"%s","usage":[{"product":"partner","variable":"license_product","quantity":%s}]}'
        % (ORG_A, exact)
    ]


@pytest.mark.parametrize(
    "quantity",
    [
        True,
        False,
        "NaN",
        "nan",
        "inf",
        "-Infinity",
        float("nan"),
        float("inf"),
        "1.000001",
        0.123456,
        "abc",
        "",
        "1,5",
        [1],
        {"a": 1},
    ],
)
def test_bad_quantity_fails_before_any_call_naming_the_entry(run_module, fake_client, quantity):
    fake_client.orgs = [make_org(id=ORG_A, client_id="c1")]
    result = run_module(main, dict(client_id="c1", usage=[entry(1), entry(2), entry(quantity)]))
    assert result["failed"] is True
    assert "usage[2].quantity" in result["msg"]
    assert fake_client.calls == []


def test_unknown_key_in_an_entry_is_rejected(run_module, fake_client):
    result = run_module(main, dict(organization_id=ORG_A, usage=[dict(entry(1), unit="hours")]))
    assert result["failed"] is True
    assert "unit" in result["msg"]
    assert fake_client.calls == []


@pytest.mark.parametrize("missing", ["product", "variable", "quantity"])
def test_missing_key_in_an_entry_is_rejected(run_module, fake_client, missing):
    usage = [entry(1)]
    del usage[0][missing]
    result = run_module(main, dict(organization_id=ORG_A, usage=usage))
    assert result["failed"] is True
    assert missing in result["msg"]
    assert fake_client.calls == []


def test_empty_product_is_rejected_naming_the_entry(run_module, fake_client):
    result = run_module(main, dict(organization_id=ORG_A, usage=[entry(1), entry(1, product="")]))
    assert result["failed"] is True
    assert "usage[1].product" in result["msg"]
    assert fake_client.calls == []


@pytest.mark.parametrize("args", [dict(organization_id=ORG_A, usage=[]), dict(organization_id=ORG_A)])
def test_usage_is_required_and_not_empty(run_module, fake_client, args):
    result = run_module(main, args)
    assert result["failed"] is True
    assert "usage" in result["msg"]
    assert fake_client.calls == []


def test_invalid_organization_id_fails_before_any_call(run_module, fake_client):
    result = run_module(main, dict(organization_id="bf9bbc88", usage=[entry(1)]))
    assert result["failed"] is True
    assert "organization_id: expected a UUID" in result["msg"]
    assert fake_client.calls == []


@pytest.mark.parametrize("args", [dict(), dict(organization_id=ORG_A, client_id="c1")])
def test_exactly_one_of_organization_id_and_client_id(run_module, fake_client, args):
    result = run_module(main, dict(args, usage=[entry(1)]))
    assert result["failed"] is True
    assert "organization_id" in result["msg"] and "client_id" in result["msg"]
    assert fake_client.calls == []


def test_client_id_resolves_the_one_live_org_with_one_list_call(run_module, fake_client):
    fake_client.orgs = [
        make_org(id=ORG_A, status="terminated", client_id="c1"),
        make_org(id=ORG_B, status="active", client_id="c1"),
        make_org(id=ORG_C, status="active", client_id="c2"),
    ]
    result = run_module(main, dict(client_id="c1", usage=[entry(5)]))
    assert result["changed"] is True
    assert result["metering"]["organization_id"] == ORG_B
    assert operations(fake_client) == ["list_distributor_organizations", "metering_transaction"]
    assert fake_client.calls[1][1]["organization"] == ORG_B


@pytest.mark.parametrize("status", ["created", "suspended"])
def test_client_id_accepts_any_status_but_terminated(run_module, fake_client, status):
    fake_client.orgs = [make_org(id=ORG_A, status=status, client_id="c1")]
    result = run_module(main, dict(client_id="c1", usage=[entry(5)]))
    assert result["metering"]["organization_id"] == ORG_A


def test_client_id_matching_several_live_orgs_fails_listing_them(run_module, fake_client):
    fake_client.orgs = [
        make_org(id=ORG_A, status="active", client_id="c1"),
        make_org(id=ORG_B, status="suspended", client_id="c1"),
        make_org(id=ORG_C, status="active", client_id="c2"),
    ]
    result = run_module(main, dict(client_id="c1", usage=[entry(5)]))
    assert result["failed"] is True
    assert ORG_A in result["msg"] and ORG_B in result["msg"] and ORG_C not in result["msg"]
    assert "organization_id" in result["msg"]
    assert operations(fake_client) == ["list_distributor_organizations"]


def test_client_id_matching_only_terminated_orgs_fails_listing_them(run_module, fake_client):
    fake_client.orgs = [
        make_org(id=ORG_A, status="terminated", client_id="c1"),
        make_org(id=ORG_C, status="active", client_id="c2"),
    ]
    result = run_module(main, dict(client_id="c1", usage=[entry(5)]))
    assert result["failed"] is True
    assert ORG_A in result["msg"] and "terminated" in result["msg"] and ORG_C not in result["msg"]
    assert operations(fake_client) == ["list_distributor_organizations"]


def test_client_id_matching_nothing_fails(run_module, fake_client):
    fake_client.orgs = [make_org(id=ORG_C, status="active", client_id="c2")]
    result = run_module(main, dict(client_id="c1", usage=[entry(5)]))
    assert result["failed"] is True
    assert "'c1'" in result["msg"] and ORG_C not in result["msg"]
    assert operations(fake_client) == ["list_distributor_organizations"]


def test_check_mode_sends_nothing_and_returns_the_batch(run_module, fake_client):
    fake_client.orgs = [make_org(id=ORG_B, status="active", client_id="c1")]
    usage = [entry("0.30000"), entry(-1, variable="commission")]
    result = run_module(main, dict(client_id="c1", usage=usage), check_mode=True)
    assert result["changed"] is True
    assert result["metering"] == {
        "organization_id": ORG_B,
        "usage": [entry("0.30000"), entry("-1", variable="commission")],
    }
    assert operations(fake_client) == ["list_distributor_organizations"]
    assert fake_client.bodies == []


def test_check_mode_with_organization_id_makes_no_call(run_module, fake_client):
    result = run_module(main, dict(organization_id=ORG_A, usage=[entry(2)]), check_mode=True)
    assert result["changed"] is True
    assert result["metering"]["usage"] == [entry("2")]
    assert fake_client.calls == []


def test_check_mode_still_rejects_bad_entries(run_module, fake_client):
    result = run_module(main, dict(organization_id=ORG_A, usage=[entry("1.000001")]), check_mode=True)
    assert result["failed"] is True
    assert "usage[0].quantity" in result["msg"]


def test_failure_that_may_have_been_applied_says_so(run_module, fake_client):
    fake_client.errors["metering_transaction"] = api_error(
        _client.ExoscaleAPIServerException, 503, "unavailable", maybe_processed=True
    )
    result = run_module(main, dict(organization_id=ORG_A, usage=[entry("1.5")]))
    assert result["failed"] is True
    assert "MAY HAVE BEEN APPLIED" in result["msg"]
    assert "partner_org_info" in result["msg"] and ORG_A in result["msg"]
    assert "unavailable" in result["msg"]
    assert result["maybe_processed"] is True
    assert result["status"] == 503
    assert result["metering"] == {"organization_id": ORG_A, "usage": [entry("1.5")]}
    assert operations(fake_client) == ["metering_transaction"]
    assert CREDENTIALS["api_secret"] not in json.dumps(result)


def test_timeout_after_the_server_applied_says_it_may_have_been_applied(run_module, fake_client):
    fake_client.apply_then_fail = True
    fake_client.errors["metering_transaction"] = api_error(
        _client.ExoscaleAPITransportException, None, "read timed out", maybe_processed=True
    )
    result = run_module(main, dict(organization_id=ORG_A, usage=[entry(2)]))
    assert result["failed"] is True
    assert "MAY HAVE BEEN APPLIED" in result["msg"]
    assert len(fake_client.bodies) == 1
    assert operations(fake_client) == ["metering_transaction"]


def test_failure_that_was_not_applied_says_so(run_module, fake_client):
    fake_client.errors["metering_transaction"] = api_error(_client.ExoscaleAPIClientException, 400, "bad product")
    result = run_module(main, dict(organization_id=ORG_A, usage=[entry(1)]))
    assert result["failed"] is True
    assert "MAY" not in result["msg"]
    assert "not applied" in result["msg"]
    assert result["maybe_processed"] is False
    assert result["status"] == 400
    assert operations(fake_client) == ["metering_transaction"]


def test_list_failure_while_resolving_client_id_sends_nothing(run_module, fake_client):
    fake_client.errors["list_distributor_organizations"] = api_error(_client.ExoscaleAPIAuthException, 403, "denied")
    result = run_module(main, dict(client_id="c1", usage=[entry(1)]))
    assert result["failed"] is True
    assert "list organizations" in result["msg"]
    assert operations(fake_client) == ["list_distributor_organizations"]
