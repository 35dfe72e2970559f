# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input to an operation: ExoscaleAPIInvalidInput, a client error and a ValueError, raised before any request;
the seed SDK's constructor signature (zone accepted, without effect)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import _client
from ansible_collections.exoscale.partner.plugins.module_utils._client import (
    Client,
    ExoscaleAPIClientException,
    ExoscaleAPIException,
    ExoscaleAPIInvalidInput,
)

KEY = "EXOa1b2c3d4e5f6a7b8c9d0e1f2"
SECRET = "s3cr3t-Zm9vYmFyYmF6cXV4LXRoaXMtaXMtbm90LXJlYWw"
ORG_ID = "bf9bbc88-71ea-407c-9920-fc1101d86183"
ORG_FIELDS = dict(name="Acme", address="Main St", city="Bern", postcode="3000", country="CH", owner_email="a@b.example")
USAGE = [{"product": "p", "variable": "v", "quantity": 1}]

# (operation, keyword arguments, text the message must contain)
BAD_CALLS = [
    ("get_distributor_organization", dict(id="invalid"), "id: expected a UUID"),
    ("activate_distributor_organization", dict(id="42"), "id: expected a UUID"),
    ("suspend_distributor_organization", dict(id=None), "id: expected a UUID"),
    ("terminate_distributor_organization", dict(id=ORG_ID + "x"), "id: expected a UUID"),
    ("schedule_purge_distributor_organization", dict(id=""), "id: expected a UUID"),
    ("list_distributor_organization_usage", dict(id="nope", period="2025-01"), "id: expected a UUID"),
    ("list_distributor_organization_usage", dict(id=ORG_ID, period="2025-13"), "period: expected a month"),
    ("create_distributor_organization", dict(ORG_FIELDS, country="CHE"), "country: expected a 2-letter"),
    ("create_distributor_organization", dict(ORG_FIELDS, owner_email="nobody"), "owner_email: expected an email"),
    ("create_distributor_organization", dict(organization=dict(ORG_FIELDS, colour="red")), "unknown field 'colour'"),
    ("create_distributor_organization", {"organization": {"name": "Acme"}}, "required"),
    ("metering_transaction", dict(organization="nope", usage=USAGE), "organization: expected a UUID"),
    ("metering_transaction", dict(organization=ORG_ID, usage=[]), "usage: must contain at least one entry"),
    (
        "metering_transaction",
        dict(organization=ORG_ID, usage=[{"product": "p", "variable": "v", "quantity": "0.000001"}]),
        "at most 5 decimal places",
    ),
]


def test_invalid_input_is_a_client_error_and_a_value_error():
    assert issubclass(ExoscaleAPIInvalidInput, ExoscaleAPIClientException)
    assert issubclass(ExoscaleAPIInvalidInput, ExoscaleAPIException)
    assert issubclass(ExoscaleAPIInvalidInput, ValueError)
    error = ExoscaleAPIInvalidInput("id: expected a UUID")
    assert str(error) == "id: expected a UUID" and error.args == ("id: expected a UUID",)
    assert error.status is None and error.response is None and error.api_message is None
    assert error.maybe_processed is False


@pytest.mark.parametrize("operation, kwargs, text", BAD_CALLS, ids=[call[0] + "-" + call[2] for call in BAD_CALLS])
def test_bad_input_raises_before_any_request(fake_api, operation, kwargs, text):
    client = Client(KEY, SECRET, url=fake_api.url, retries=0)
    with pytest.raises(ExoscaleAPIClientException) as caught:
        getattr(client, operation)(**kwargs)
    assert caught.type is ExoscaleAPIInvalidInput
    assert isinstance(caught.value, ValueError)
    assert text in str(caught.value)
    assert caught.value.status is None and caught.value.maybe_processed is False
    assert SECRET not in str(caught.value)
    assert fake_api.received == []


@pytest.mark.parametrize(
    "builder, kwargs",
    [
        (_client.validate_uuid, dict(value="x", field="id")),
        (_client.validate_period, dict(value="2025-1")),
        (_client.build_organization_input, dict(ORG_FIELDS, postcode=" ")),
        (_client.validate_organization_fields, dict(country="C")),
        (_client.validate_usage, dict(usage={"product": "p"})),
        (_client.build_metering_batch, dict(organization=ORG_ID, usage=[{"product": "p"}])),
        (_client.exact_decimal, dict(value=True, where="quantity")),
    ],
)
def test_the_pure_builders_raise_the_same_class(builder, kwargs):
    """The rules room validates with these and catches ValueError; the client's callers catch the client class."""
    with pytest.raises(ExoscaleAPIInvalidInput):
        builder(**kwargs)


def test_a_malformed_answer_stays_a_transport_error(fake_api):
    """The wire parsers' ValueErrors (not input errors) still become 'unexpected answer' transport errors."""
    fake_api.script(dict(status=200, json_body={"organizations": "not a list"}))
    with pytest.raises(_client.ExoscaleAPITransportException, match="unexpected answer"):
        Client(KEY, SECRET, url=fake_api.url, retries=0).list_distributor_organizations()


def test_the_seed_signature_accepts_zone_without_effect(fake_api):
    fake_api.script(dict(status=200, json_body={"organizations": []}))
    client = Client(KEY, SECRET, url=fake_api.url, zone="ch-gva-2")
    assert client.url == fake_api.url.rstrip("/")
    assert client.list_distributor_organizations() == {"organizations": []}
    assert [request.path for request in fake_api.received] == ["/v1.alpha/distributor/organization"]
    assert Client(KEY, SECRET, zone="de-fra-1").url == _client.DEFAULT_URL
    assert Client(key=KEY, secret=SECRET).url == _client.DEFAULT_URL


def test_unknown_keyword_and_extra_positional_arguments_are_refused():
    with pytest.raises(TypeError):
        Client(KEY, SECRET, region="ch-gva-2")
    with pytest.raises(TypeError):
        Client(KEY, SECRET, "https://example.invalid")
