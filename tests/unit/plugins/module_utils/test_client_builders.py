# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure parts of the wire room: validation, wire bodies, answer shapes, import guard."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import decimal
import importlib.util
import json
import sys

import jsonschema
import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import _client
from ansible_collections.exoscale.partner.plugins.module_utils._client import (
    build_metering_batch,
    build_organization_input,
    dump_json,
    organization_preview,
    validate_period,
    validate_uuid,
)

ORG_ID = "bf9bbc88-71ea-407c-9920-fc1101d86183"

EXPECTED_WIRE = {
    "display-name": "Customer Corp",
    "billing-address": {
        "name": "Customer Corp",
        "street-name": "123 Business Ave",
        "city": "Zurich",
        "postal-code": "8001",
        "country": "CH",
    },
    "owner-email": "admin@customer.com",
    "client-id": "internal-1234",
}


# -- organization input ---------------------------------------------------------------------------


def test_seed_example_organization_dict_with_hyphenated_keys():
    body = build_organization_input(
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
    assert body == EXPECTED_WIRE


def test_seed_flat_keyword_fields():
    body = build_organization_input(
        name="Customer Corp",
        address="123 Business Ave",
        city="Zurich",
        postcode="8001",
        country="ch",
        owner_email="admin@customer.com",
        client_id="internal-1234",
    )
    assert body == EXPECTED_WIRE


def test_current_api_fields_with_snake_or_hyphenated_billing_keys():
    for street_key, postal_key in (("street_name", "postal_code"), ("street-name", "postal-code")):
        body = build_organization_input(
            display_name="Customer Corp",
            owner_email="admin@customer.com",
            client_id="internal-1234",
            billing_address={street_key: "123 Business Ave", "city": "Zurich", postal_key: "8001", "country": "CH"},
        )
        assert body == EXPECTED_WIRE


def test_optional_billing_fields_are_sent_and_none_is_omitted():
    body = build_organization_input(
        display_name="Acme",
        owner_email="a@b.example",
        client_id=None,
        building_number="12",
        billing_address={
            "street_name": "Main St",
            "city": "Bern",
            "postal_code": 3000,
            "country": "ch",
            "address": "Main St 12, 3000 Bern",
        },
    )
    assert "client-id" not in body
    assert body["billing-address"] == {
        "name": "Acme",
        "street-name": "Main St",
        "building-number": "12",
        "city": "Bern",
        "postal-code": "3000",
        "country": "CH",
        "address": "Main St 12, 3000 Bern",
    }


def test_organization_preview_is_the_snake_org():
    preview = organization_preview(
        name="Customer Corp",
        address="123 Business Ave",
        building_number="4",
        city="Zurich",
        postcode="8001",
        country="ch",
        owner_email="admin@customer.com",
    )
    assert preview == {
        "id": None,
        "status": None,
        "name": "Customer Corp",
        "client_id": None,
        "address": "123 Business Ave",
        "building_number": "4",
        "postcode": "8001",
        "city": "Zurich",
        "country": "CH",
    }


def _valid_org(**changes):
    fields = dict(name="Acme", address="Main St", city="Bern", postcode="3000", country="CH", owner_email="a@b.example")
    fields.update(changes)
    return fields


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"name": None}, "display_name"),
        ({"name": ""}, "display_name"),
        ({"name": "x" * 192}, "display_name"),
        ({"address": None}, "street_name"),
        ({"city": None}, "city"),
        ({"city": "x" * 256}, "city"),
        ({"postcode": None}, "postal_code"),
        ({"postcode": "1" * 81}, "postal_code"),
        ({"country": "CHE"}, "country"),
        ({"country": "C1"}, "country"),
        ({"country": None}, "country"),
        ({"owner_email": None}, "owner_email"),
        ({"owner_email": "nobody"}, "owner_email"),
        ({"owner_email": "a@" + "b" * 80}, "owner_email"),
        ({"client_id": "x" * 192}, "client_id"),
        ({"building_number": "1" * 256}, "building_number"),
        ({"status": "active"}, "status"),
        ({"display_name": "Other"}, "display_name"),
        ({"billing_address": {"city": "Basel"}}, "city"),
        ({"billing_address": {"zip": "1"}}, "zip"),
        ({"billing_address": "Main St"}, "billing_address"),
        ({"city": ["Bern"]}, "city"),
    ],
)
def test_organization_input_errors_name_the_field(changes, field):
    with pytest.raises(ValueError, match=field):
        build_organization_input(**_valid_org(**changes))


def test_organization_dict_and_separate_fields_are_exclusive():
    with pytest.raises(ValueError, match="either organization"):
        build_organization_input(organization=_valid_org(), client_id="x")


def test_organization_input_is_valid_against_the_spec(partner_spec):
    schema = dict(partner_spec["components"]["schemas"]["organization-input"], components=partner_spec["components"])
    body = build_organization_input(**_valid_org(building_number="7", client_id="c-1"))
    jsonschema.Draft4Validator(schema).validate(body)


# -- uuid and period ---------------------------------------------------------------------------------


def test_validate_uuid():
    assert validate_uuid(ORG_ID, "id") == ORG_ID
    for bad in ("", "x", ORG_ID + "0", "{%s}" % ORG_ID, ORG_ID.replace("-", ""), None, 5, "../" + ORG_ID):
        with pytest.raises(ValueError, match="organization_id"):
            validate_uuid(bad, "organization_id")


def test_validate_period():
    assert validate_period("2025-01") == "2025-01"
    for bad in ("2025-1", "2025-13", "2025-00", "25-01", "2025/01", "2025-01-01", None, 202501):
        with pytest.raises(ValueError, match="period"):
            validate_period(bad)


# -- metering -------------------------------------------------------------------------------------------


def _batch(quantity):
    return build_metering_batch(
        organization=ORG_ID, usage=[{"product": "partner", "variable": "v", "quantity": quantity}]
    )


@pytest.mark.parametrize(
    "quantity, exact",
    [
        (3, "3"),
        (-42, "-42"),
        (decimal.Decimal("0.3"), "0.3"),
        (decimal.Decimal("0.30000"), "0.30000"),
        ("-0.00001", "-0.00001"),
        (decimal.Decimal("1E+2"), "100"),
        (0.3, "0.3"),
        (3.1415, "3.1415"),
        (-42.00005, "-42.00005"),
        (1e20, "100000000000000000000"),
        ("0.1", "0.1"),
        (" -42.00005 ", "-42.00005"),
        ("1e-5", "0.00001"),
        (12345678901234567890123456789012345, "12345678901234567890123456789012345"),
    ],
)
def test_quantities_go_out_as_exact_json_numbers(quantity, exact):
    batch = _batch(quantity)
    assert isinstance(batch["usage"][0]["quantity"], decimal.Decimal)
    assert dump_json(batch) == (
        '{"organization":"%s","usage":[{"product":"partner","variable":"v","quantity":%s}]}' % (ORG_ID, exact)
    )
    assert json.loads(dump_json(batch), parse_float=decimal.Decimal)["usage"][0]["quantity"] == decimal.Decimal(exact)


@pytest.mark.parametrize(
    "quantity, reason",
    [
        (True, "number"),
        (False, "number"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (decimal.Decimal("NaN"), "finite"),
        (decimal.Decimal("-Infinity"), "finite"),
        ("inf", "finite"),
        ("abc", "number"),
        ("", "required|number"),
        ([1], "number"),
        (0.1 + 0.2, "5 decimal places"),
        (1e-6, "5 decimal places"),
        (decimal.Decimal("0.000001"), "5 decimal places"),
        ("1.123456", "5 decimal places"),
        (decimal.Decimal("1.000000"), "5 decimal places"),
    ],
)
def test_bad_quantities_are_rejected_naming_the_entry(quantity, reason):
    with pytest.raises(ValueError, match=r"usage\[0\]\.quantity: .*(%s)" % reason):
        _batch(quantity)


@pytest.mark.parametrize(
    "usage, message",
    [
        ([], "at least one"),
        (None, "usage: expected a list"),
        ({"product": "p", "variable": "v", "quantity": 1}, "usage: expected a list"),
        ("p", "usage: expected a list"),
        ([{"product": "p", "variable": "v", "quantity": 1}, "x"], r"usage\[1\]: expected a dictionary"),
        ([{"product": "p", "variable": "v"}], r"usage\[0\]\.quantity: required"),
        ([{"product": "p", "quantity": 1}], r"usage\[0\]\.variable: required"),
        ([{"variable": "v", "quantity": 1}], r"usage\[0\]\.product: required"),
        ([{"product": "", "variable": "v", "quantity": 1}], r"usage\[0\]\.product: must not be empty"),
        ([{"product": "p", "variable": "v", "quantity": 1, "unit": "h"}], r"usage\[0\]: unknown field\(s\) unit"),
    ],
)
def test_bad_usage_is_rejected(usage, message):
    with pytest.raises(ValueError, match=message):
        build_metering_batch(organization=ORG_ID, usage=usage)


def test_metering_organization_must_be_a_uuid():
    with pytest.raises(ValueError, match="organization"):
        build_metering_batch(organization="acme", usage=[{"product": "p", "variable": "v", "quantity": 1}])


# -- answer shapes -------------------------------------------------------------------------------------

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
LEGACY_ORG = {
    "id": ORG_ID,
    "status": "active",
    "client-id": "c-1",
    "name": "Acme",
    "address": "Main St",
    "city": "Bern",
    "postcode": "3000",
    "country": "CH",
    "owner-email": "a@b.example",
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


def test_org_shapes_from_both_wire_generations():
    assert _client._org_from_wire(CURRENT_ORG) == SNAKE_ORG
    assert _client._org_from_wire(LEGACY_ORG) == dict(SNAKE_ORG, building_number=None)


def test_org_name_falls_back_to_display_name_and_address_to_free_text():
    wire = {
        "id": ORG_ID,
        "status": "created",
        "display-name": "Acme",
        "billing-address": {"address": "Main St 12", "city": "Bern", "postal-code": "3000", "country": "CH"},
    }
    org = _client._org_from_wire(wire)
    assert (org["name"], org["address"], org["client_id"]) == ("Acme", "Main St 12", None)


def test_org_unknown_fields_and_statuses_do_not_crash():
    wire = dict(CURRENT_ORG, status="archived", **{"new-field": {"x": 1}, "billing-address": None})
    org = _client._org_from_wire(wire)
    assert org["status"] == "archived"
    assert set(org) == set(SNAKE_ORG)
    assert org["city"] is None
    assert _client._org_from_wire({}) == dict.fromkeys(SNAKE_ORG)


def test_usage_records_are_snake_case_with_every_key():
    wire = [
        {
            "code": "U1",
            "currency": "CHF",
            "total-excl-vat": 10.5,
            "total-incl-vat": 11.35,
            "start-date": "s",
            "end-date": "e",
            "extra": 1,
            "usage": [{"product": "p", "variable": "v", "quantity": 2, "future": True}],
        }
    ]
    assert _client._usage_from_wire(wire) == [
        {
            "code": "U1",
            "currency": "CHF",
            "total_excl_vat": "10.5",
            "total_incl_vat": "11.35",
            "start_date": "s",
            "end_date": "e",
            "usage": [
                {
                    "product": "p",
                    "variable": "v",
                    "description": None,
                    "quantity": "2",
                    "unit": None,
                    "total_excl_vat": None,
                    "total_incl_vat": None,
                }
            ],
        }
    ]
    assert _client._usage_from_wire([{"code": "U2"}])[0]["usage"] == []


# -- module hygiene ------------------------------------------------------------------------------------


def test_no_ansible_import_in_the_wire_room():
    with open(_client.__file__) as source:
        tree = ast.parse(source.read())
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module]
    assert imported and not [name for name in imported if name.split(".")[0] == "ansible"]


def test_module_imports_without_requests(monkeypatch):
    monkeypatch.setitem(sys.modules, "requests", None)
    spec = importlib.util.spec_from_file_location("_client_without_requests", _client.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.HAS_REQUESTS is False
    assert "requests" in module.REQUESTS_IMPORT_ERROR
    assert issubclass(module.ExoscaleAPINotFoundException, module.ExoscaleAPIClientException)
    assert module.build_metering_batch(organization=ORG_ID, usage=[{"product": "p", "variable": "v", "quantity": 1}])
    with pytest.raises(RuntimeError, match="requests"):
        module.Client("k", "s")
    assert _client.HAS_REQUESTS is True and _client.REQUESTS_IMPORT_ERROR is None


@pytest.mark.parametrize(
    "given, pattern",
    [
        (dict(country="CHE"), r"^country: expected a 2-letter"),
        (dict(owner_email="nobody"), r"^owner_email: expected an email address"),
        (dict(name="x" * 192), r"^display_name: at most 191 characters"),
        (dict(postcode="9" * 81), r"^postal_code: at most 80 characters"),
        (dict(client_id="c" * 192), r"^client_id: at most 191 characters"),
        (dict(city="  "), r"^city: must not be empty"),
    ],
)
def test_validate_organization_fields_checks_what_is_given(given, pattern):
    with pytest.raises(ValueError, match=pattern):
        _client.validate_organization_fields(**given)


def test_validate_organization_fields_requires_nothing():
    _client.validate_organization_fields()
    _client.validate_organization_fields(country="ch", client_id="crm-1")
    with pytest.raises(ValueError, match=r"^owner_email: required"):
        _client.build_organization_input(name="Acme", address="Main St", city="Bern", postcode="3000", country="CH")


def test_validate_usage_is_what_the_batch_sends():
    usage = [{"product": "p", "variable": "v", "quantity": "0.30000"}]
    assert _client.validate_usage(usage) == [{"product": "p", "variable": "v", "quantity": decimal.Decimal("0.30000")}]
    assert _client.build_metering_batch(organization="bf9bbc88-71ea-407c-9920-fc1101d86183", usage=usage)[
        "usage"
    ] == _client.validate_usage(usage)
    with pytest.raises(ValueError, match=r"^usage: must contain at least one entry"):
        _client.validate_usage([])
