# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every operation on the wire (against a local fake server), and request signing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import decimal
import hashlib
import hmac
import itertools
import json
import types

import exoscale_auth
import pytest
import requests

from ansible_collections.exoscale.partner.plugins.module_utils import _client
from ansible_collections.exoscale.partner.plugins.module_utils._client import (
    DEFAULT_URL,
    Client,
    ExoscaleAPITransportException,
    sign_request,
)

KEY = "EXOa1b2c3d4e5f6a7b8c9d0e1f2"
SECRET = "s3cr3t-Zm9vYmFyYmF6cXV4LXRoaXMtaXMtbm90LXJlYWw"
NOW = 1700000000
ORG_ID = "bf9bbc88-71ea-407c-9920-fc1101d86183"

CURRENT_ORG = {
    "id": ORG_ID,
    "status": "active",
    "client-id": "c-1",
    "billing-address": {
        "name": "Acme",
        "street-name": "Main St",
        "building-number": "12",
        "city": "Bern",
        "postal-code": "3000",
        "country": "CH",
    },
}
LEGACY_ORG = {  # the 2025-10 flat schema the seed documents
    "id": ORG_ID,
    "status": "suspended",
    "name": "Acme",
    "address": "Main St",
    "city": "Bern",
    "postcode": "3000",
    "country": "CH",
    "owner-email": "a@b.example",
    "client-id": "c-1",
}
SNAKE_ORG = {
    "id": ORG_ID,
    "status": "active",
    "name": "Acme",
    "client_id": "c-1",
    "address": "Main St",
    "building_number": "12",
    "postcode": "3000",
    "city": "Bern",
    "country": "CH",
}
USAGE = [
    {
        "code": "U-1",
        "currency": "CHF",
        "total-excl-vat": 10.5,
        "total-incl-vat": 11.35,
        "start-date": "2025-01-01T00:00:00Z",
        "end-date": "2025-01-31T23:59:59Z",
        "usage": [
            {
                "product": "partner",
                "variable": "license_product",
                "description": "licences",
                "quantity": 3.1415,
                "unit": "unit",
                "total-excl-vat": 10.5,
                "total-incl-vat": 11.35,
            }
        ],
    }
]
ORG_FIELDS = dict(
    name="Acme",
    address="Main St",
    building_number="12",
    city="Bern",
    postcode="3000",
    country="ch",
    owner_email="a@b.example",
    client_id="c-1",
)


def reply(status=200, **kwargs):
    """One scripted answer of the fake server (see conftest.Reply)."""
    return dict(status=status, **kwargs)


def make_client(api, **kwargs):
    kwargs.setdefault("clock", lambda: NOW)
    kwargs.setdefault("sleep", lambda seconds: None)
    return Client(KEY, SECRET, url=api.url, **kwargs)


# Each case: the call, the scripted answer, the expected method, path, query, JSON body and result.
OPERATIONS = [
    (
        "list",
        lambda c: c.list_distributor_organizations(),
        reply(json_body={"organizations": [CURRENT_ORG]}),
        "GET",
        "/v1.alpha/distributor/organization",
        [],
        None,
        {"organizations": [SNAKE_ORG]},
    ),
    (
        "get",
        lambda c: c.get_distributor_organization(id=ORG_ID),
        reply(json_body=CURRENT_ORG),
        "GET",
        "/v1.alpha/distributor/organization/" + ORG_ID,
        [],
        None,
        SNAKE_ORG,
    ),
    (
        "create",
        lambda c: c.create_distributor_organization(**ORG_FIELDS),
        reply(json_body=CURRENT_ORG),
        "POST",
        "/v1.alpha/distributor/organization",
        [],
        {
            "display-name": "Acme",
            "owner-email": "a@b.example",
            "client-id": "c-1",
            "billing-address": {
                "name": "Acme",
                "street-name": "Main St",
                "building-number": "12",
                "city": "Bern",
                "postal-code": "3000",
                "country": "CH",
            },
        },
        SNAKE_ORG,
    ),
    (
        "activate",
        lambda c: c.activate_distributor_organization(id=ORG_ID),
        reply(json_body=CURRENT_ORG),
        "PUT",
        "/v1.alpha/distributor/organization/%s:activate" % ORG_ID,
        [],
        None,
        SNAKE_ORG,
    ),
    (
        "suspend",
        lambda c: c.suspend_distributor_organization(id=ORG_ID),
        reply(json_body=dict(CURRENT_ORG, status="suspended")),
        "PUT",
        "/v1.alpha/distributor/organization/%s:suspend" % ORG_ID,
        [],
        None,
        dict(SNAKE_ORG, status="suspended"),
    ),
    (
        "terminate",
        lambda c: c.terminate_distributor_organization(id=ORG_ID),
        reply(json_body={"message": "terminated"}),
        "DELETE",
        "/v1.alpha/distributor/organization/%s:terminate" % ORG_ID,
        [],
        None,
        {"message": "terminated"},
    ),
    (
        "purge",
        lambda c: c.schedule_purge_distributor_organization(id=ORG_ID),
        reply(202, json_body={"message": "scheduled"}),
        "PUT",
        "/v1.alpha/distributor/organization/%s:schedule-purge" % ORG_ID,
        [],
        None,
        {"message": "scheduled"},
    ),
    (
        "usage",
        lambda c: c.list_distributor_organization_usage(id=ORG_ID),
        reply(json_body=USAGE),
        "GET",
        "/v1.alpha/distributor/organization/%s/usage" % ORG_ID,
        [],
        None,
        None,
    ),
    (
        "usage-period",
        lambda c: c.list_distributor_organization_usage(id=ORG_ID, period="2025-01"),
        reply(json_body=[]),
        "GET",
        "/v1.alpha/distributor/organization/%s/usage" % ORG_ID,
        [("period", "2025-01")],
        None,
        [],
    ),
    (
        "metering",
        lambda c: c.metering_transaction(
            organization=ORG_ID,
            usage=[
                {"product": "partner", "variable": "license_product", "quantity": 3.1415},
                {"product": "partner", "variable": "commission", "quantity": decimal.Decimal("-42.00005")},
            ],
        ),
        reply(204),
        "POST",
        "/v1.alpha/metering:apply",
        [],
        {
            "organization": ORG_ID,
            "usage": [
                {"product": "partner", "variable": "license_product", "quantity": 3.1415},
                {"product": "partner", "variable": "commission", "quantity": -42.00005},
            ],
        },
        {"ok": True},
    ),
]


@pytest.mark.parametrize(
    "name, call, reply, method, path, query, body, result", OPERATIONS, ids=[case[0] for case in OPERATIONS]
)
def test_operation_on_the_wire(fake_api, spec_check, name, call, reply, method, path, query, body, result):
    fake_api.script(reply)
    answer = call(make_client(fake_api))
    (received,) = fake_api.received
    assert (received.method, received.path, received.query) == (method, path, query)
    assert received.headers["Accept"] == "application/json"
    if body is None:
        assert received.body == b""
    else:
        assert received.headers["Content-Type"] == "application/json"
        assert json.loads(received.body) == body
    spec_check(received)
    if result is not None:
        assert answer == result


def test_usage_answer_is_snake_case(fake_api):
    fake_api.script(reply(json_body=USAGE))
    (record,) = make_client(fake_api).list_distributor_organization_usage(id=ORG_ID)
    assert record["total_excl_vat"] == "10.5" and record["start_date"] == "2025-01-01T00:00:00Z"
    assert record["usage"][0] == {
        "product": "partner",
        "variable": "license_product",
        "description": "licences",
        "quantity": "3.1415",
        "unit": "unit",
        "total_excl_vat": "10.5",
        "total_incl_vat": "11.35",
    }


def test_usage_amounts_keep_the_exact_decimals_sent_in_plain_notation(fake_api):
    body = (
        b'[{"code": "U", "currency": "EUR", "total-excl-vat": 12.50, "total-incl-vat": 1E+2,'
        b' "usage": [{"product": "p", "variable": "v", "quantity": 3e-05, "unit": "GiB",'
        b' "total-excl-vat": 123456789012.123456789, "total-incl-vat": 0}]}]'
    )
    fake_api.script(reply(body=body, headers={"Content-Type": "application/json"}))
    (record,) = make_client(fake_api).list_distributor_organization_usage(id=ORG_ID)
    assert (record["total_excl_vat"], record["total_incl_vat"]) == ("12.50", "100")
    line = record["usage"][0]
    assert (line["quantity"], line["total_excl_vat"], line["total_incl_vat"]) == (
        "0.00003",
        "123456789012.123456789",
        "0",
    )


@pytest.mark.parametrize(
    "value, text", [(0.1, "0.1"), (3e-05, "0.00003"), ("1E+2", "100"), (decimal.Decimal("0.30"), "0.30"), (-7, "-7")]
)
def test_plain_decimal(value, text):
    assert _client.plain_decimal(value) == text


@pytest.mark.parametrize("value", [True, "abc", float("nan"), "Infinity", None, [1]])
def test_plain_decimal_refuses_what_is_not_a_finite_number(value):
    with pytest.raises(ValueError, match="where"):
        _client.plain_decimal(value, "where")


def test_seed_organization_dict_is_sent_in_the_current_schema(fake_api, spec_check):
    fake_api.script(reply(json_body=CURRENT_ORG))
    make_client(fake_api).create_distributor_organization(
        organization={
            "name": "Customer Corp",
            "address": "123 Business Ave",
            "city": "Zurich",
            "postcode": "8001",
            "country": "CH",
            "owner-email": "admin@customer.com",
            "client-id": "internal-1234",
        }
    )
    sent = json.loads(fake_api.received[0].body)
    assert sent["display-name"] == sent["billing-address"]["name"] == "Customer Corp"
    spec_check(fake_api.received[0])


def test_invalid_input_never_reaches_the_network(fake_api):
    client = make_client(fake_api)
    bad_email = dict(ORG_FIELDS)
    bad_email["owner_email"] = "nobody"
    with pytest.raises(ValueError, match="owner_email"):
        client.create_distributor_organization(**bad_email)
    with pytest.raises(ValueError, match="id"):
        client.get_distributor_organization(id="../metering:apply")
    with pytest.raises(ValueError, match="period"):
        client.list_distributor_organization_usage(id=ORG_ID, period="2025-1")
    with pytest.raises(ValueError, match=r"usage\[0\]\.quantity"):
        client.metering_transaction(
            organization=ORG_ID, usage=[{"product": "p", "variable": "v", "quantity": 0.1 + 0.2}]
        )
    assert fake_api.received == []


def test_methods_take_keyword_arguments_only(fake_api):
    with pytest.raises(TypeError):
        make_client(fake_api).get_distributor_organization(ORG_ID)  # pylint: disable=missing-kwoa,too-many-function-args


@pytest.mark.parametrize(
    "quantity, exact",
    [
        (decimal.Decimal("0.3"), b"0.3"),
        (0.3, b"0.3"),
        ("0.30000", b"0.30000"),
        (-42.00005, b"-42.00005"),
        (7, b"7"),
    ],
)
def test_metering_quantities_exact_bytes(fake_api, spec_check, quantity, exact):
    fake_api.script(reply(204))
    make_client(fake_api).metering_transaction(
        organization=ORG_ID, usage=[{"product": "p", "variable": "v", "quantity": quantity}]
    )
    body = fake_api.received[0].body
    assert (
        body
        == b'{"organization":"'
        + ORG_ID.encode()
        + b'","usage":[{"product":"p","variable":"v","quantity":'
        + exact
        + b"}]}"
    )
    spec_check(fake_api.received[0])


@pytest.mark.parametrize(
    "reply, expected",
    [
        (reply(204), {"ok": True}),
        (reply(200, json_body={"ok": True}), {"ok": True}),
        (reply(200, json_body={}), {"ok": True}),
    ],
)
def test_metering_answers(fake_api, reply, expected):
    fake_api.script(reply)
    assert (
        make_client(fake_api).metering_transaction(
            organization=ORG_ID, usage=[{"product": "p", "variable": "v", "quantity": 1}]
        )
        == expected
    )


@pytest.mark.parametrize(
    "answer, words",
    [
        (reply(200), "empty answer (HTTP 200)"),
        (reply(200, json_body={"ok": False}), '{"ok": false}'),
    ],
)
def test_metering_answers_that_do_not_prove_success_fail(fake_api, answer, words):
    """An empty 200 (a proxy swallowing the batch) or ok=false is no proof the batch was billed."""
    fake_api.script(answer)
    with pytest.raises(ExoscaleAPITransportException) as caught:
        make_client(fake_api).metering_transaction(
            organization=ORG_ID, usage=[{"product": "p", "variable": "v", "quantity": 1}]
        )
    assert words in str(caught.value) and caught.value.maybe_processed is True
    assert len(fake_api.received) == 1


@pytest.mark.parametrize(
    "wire, expected",
    [
        (CURRENT_ORG, SNAKE_ORG),
        (LEGACY_ORG, dict(SNAKE_ORG, status="suspended", building_number=None)),
        (dict(CURRENT_ORG, status="archived", extra={"x": [1]}), dict(SNAKE_ORG, status="archived")),
        ({"id": ORG_ID, "status": "created"}, dict(dict.fromkeys(SNAKE_ORG), id=ORG_ID, status="created")),
    ],
)
def test_both_wire_generations_and_unknown_fields(fake_api, wire, expected):
    fake_api.script(reply(json_body={"organizations": [wire], "next": None}), reply(json_body=wire))
    client = make_client(fake_api)
    assert client.list_distributor_organizations() == {"organizations": [expected]}
    assert client.get_distributor_organization(id=ORG_ID) == expected


def test_keep_alive_one_connection_for_several_calls(fake_api):
    fake_api.script(reply(json_body=CURRENT_ORG), reply(json_body=CURRENT_ORG), reply(json_body=CURRENT_ORG))
    client = make_client(fake_api)
    answers = [client.get_distributor_organization(id=ORG_ID) for attempt in range(3)]
    assert answers == [SNAKE_ORG] * 3
    assert len({received.client_port for received in fake_api.received}) == 1


def test_client_defaults_and_repr():
    client = Client(KEY, SECRET)
    assert client.url == DEFAULT_URL == "https://partner-api.exoscale.com/v1.alpha"
    assert (client.timeout, client.retries, client.validate_certs) == (30, 5, True)
    assert SECRET not in repr(client) and SECRET not in str(client) and KEY in repr(client)
    assert Client(KEY, SECRET, url=DEFAULT_URL + "/").url == DEFAULT_URL
    assert client.session is client.session


def test_user_agent_is_sent(fake_api):
    fake_api.script(reply(json_body=CURRENT_ORG))
    make_client(fake_api, user_agent="exoscale.partner/1.0 test").get_distributor_organization(id=ORG_ID)
    assert fake_api.received[0].headers["User-Agent"] == "exoscale.partner/1.0 test"


# -- signing ---------------------------------------------------------------------------------------

SIGNED_CALLS = [
    ("get-list", lambda c: c.list_distributor_organizations(), reply(json_body={"organizations": []})),
    ("get-query", lambda c: c.list_distributor_organization_usage(id=ORG_ID, period="2025-01"), reply(json_body=[])),
    ("post-body", lambda c: c.create_distributor_organization(**ORG_FIELDS), reply(json_body=CURRENT_ORG)),
    (
        "post-metering",
        lambda c: c.metering_transaction(
            organization=ORG_ID, usage=[{"product": "p", "variable": "v", "quantity": "0.1"}]
        ),
        reply(204),
    ),
    ("put-colon", lambda c: c.activate_distributor_organization(id=ORG_ID), reply(json_body=CURRENT_ORG)),
    ("delete-colon", lambda c: c.terminate_distributor_organization(id=ORG_ID), reply(json_body={"message": "ok"})),
]


@pytest.mark.parametrize("name, call, reply", SIGNED_CALLS, ids=[case[0] for case in SIGNED_CALLS])
def test_signature_matches_the_reference_implementation(fake_api, monkeypatch, name, call, reply):
    fake_api.script(reply)
    call(make_client(fake_api))
    received = fake_api.received[0]
    assert ":" not in received.path or "%3A" not in received.raw_path
    monkeypatch.setattr(exoscale_auth, "time", types.SimpleNamespace(time=lambda: NOW))
    reference = requests.Request(
        received.method, fake_api.origin + received.raw_path, data=received.body or None
    ).prepare()
    exoscale_auth.ExoscaleV2Auth(KEY, SECRET)(reference)
    assert received.headers["Authorization"] == reference.headers["Authorization"]
    assert ",expires=%d," % (NOW + 600) in received.headers["Authorization"]


def test_signature_message_layout():
    expires = NOW + 600
    message = b"GET /v1.alpha/distributor/organization/%s/usage\n\n2025-01\n\n%d" % (ORG_ID.encode(), expires)
    signature = base64.b64encode(hmac.new(SECRET.encode(), message, hashlib.sha256).digest()).decode()
    header = sign_request(
        KEY,
        SECRET,
        "GET",
        "/v1.alpha/distributor/organization/%s/usage" % ORG_ID,
        None,
        [("period", "2025-01")],
        expires,
    )
    assert header == "EXO2-HMAC-SHA256 credential=%s,signed-query-args=period,expires=%d,signature=%s" % (
        KEY,
        expires,
        signature,
    )


def test_signature_sorts_query_names_and_covers_the_body():
    base = sign_request(KEY, SECRET, "POST", "/v1.alpha/x", b"{}", [("b", "2"), ("a", "1")], NOW)
    assert ",signed-query-args=a;b," in base
    message = b"POST /v1.alpha/x\n{}\n12\n\n%d" % NOW
    assert base.endswith(base64.b64encode(hmac.new(SECRET.encode(), message, hashlib.sha256).digest()).decode())
    assert sign_request(KEY, SECRET, "POST", "/v1.alpha/x", b"{ }", [("b", "2"), ("a", "1")], NOW) != base


def test_each_attempt_is_signed_with_a_fresh_expiry(fake_api):
    ticks = itertools.count(NOW, 5)
    fake_api.script(reply(503), reply(json_body=CURRENT_ORG))
    make_client(fake_api, clock=lambda: next(ticks)).get_distributor_organization(id=ORG_ID)
    expiries = [
        int(received.headers["Authorization"].split(",expires=")[1].split(",")[0]) for received in fake_api.received
    ]
    assert expiries[0] == NOW + 600 and expiries[1] > expiries[0]
