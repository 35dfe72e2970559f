# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad-input matrix: every case fails before ANY request reaches the simulator, naming the bad field."""

from __future__ import annotations

import pytest

ORG_ID = "bf9bbc88-71ea-407c-9920-fc1101d86183"
CREATE = dict(
    client_id="crm-bad-1",
    name="Customer Corp",
    owner_email="owner@customer.example",
    address="Main Street",
    postcode="8001",
    city="Zurich",
    country="CH",
)


def usage(**entry):
    return [dict(dict(product="partner", variable="license_product", quantity=1), **entry)]


CASES = [
    # (id, module, args, words the message must contain)
    ("org-id-not-uuid", "partner_org", dict(id="not-a-uuid"), ["id: expected a UUID"]),
    ("org-id-not-uuid-terminate", "partner_org", dict(id="1234", state="terminated"), ["id: expected a UUID"]),
    ("info-id-not-uuid", "partner_org_info", dict(id="bf9bbc88-71ea-407c-9920"), ["id: expected a UUID"]),
    (
        "metering-organization-id-not-uuid",
        "partner_metering",
        dict(organization_id="org-1", usage=usage()),
        ["organization_id: expected a UUID"],
    ),
    ("country-three-letters", "partner_org", dict(CREATE, country="CHE"), ["country", "2-letter"]),
    ("country-digits", "partner_org", dict(CREATE, country="C1"), ["country", "2-letter"]),
    ("country-on-lookup-only", "partner_org", dict(client_id="crm-bad-1", country="Switzerland"), ["country"]),
    ("owner-email-without-at", "partner_org", dict(CREATE, owner_email="owner.customer.example"), ["owner_email"]),
    ("name-too-long", "partner_org", dict(CREATE, name="n" * 192), ["display_name", "191"]),
    ("name-too-long-lookup", "partner_org", dict(name="n" * 192, state="terminated"), ["display_name", "191"]),
    ("client-id-too-long", "partner_org", dict(CREATE, client_id="c" * 192), ["client_id", "191"]),
    ("client-id-blank-create", "partner_org", dict(CREATE, client_id="  "), ["client_id", "blank"]),
    ("client-id-blank-info", "partner_org_info", dict(client_id="\t"), ["client_id", "blank"]),
    ("client-id-blank-metering", "partner_metering", dict(client_id=" ", usage=usage()), ["client_id", "blank"]),
    ("name-blank", "partner_org", dict(CREATE, name="   "), ["name", "blank"]),
    ("api-timeout-zero", "partner_org_info", dict(api_timeout=0), ["api_timeout", "greater than 0"]),
    ("api-retries-negative", "partner_org", dict(CREATE, api_retries=-2), ["api_retries", "0 (no retry) or more"]),
    ("period-month-13", "partner_org_info", dict(usage=True, period="2025-13"), ["period", "YYYY-MM"]),
    ("period-one-digit-month", "partner_org_info", dict(usage=True, period="2025-1"), ["period", "YYYY-MM"]),
    (
        "quantity-six-decimals",
        "partner_metering",
        dict(organization_id=ORG_ID, usage=usage(quantity="1.000001")),
        ["usage[0].quantity", "5 decimal"],
    ),
    (
        "quantity-six-decimals-float",
        "partner_metering",
        dict(organization_id=ORG_ID, usage=usage(quantity=0.123456)),
        ["usage[0].quantity", "5 decimal"],
    ),
    (
        "quantity-nan-string",
        "partner_metering",
        dict(organization_id=ORG_ID, usage=usage(quantity="NaN")),
        ["usage[0].quantity", "finite"],
    ),
    (
        "quantity-nan-float",
        "partner_metering",
        dict(organization_id=ORG_ID, usage=usage(quantity=float("nan"))),
        ["usage[0].quantity", "finite"],
    ),
    (
        "quantity-true",
        "partner_metering",
        dict(organization_id=ORG_ID, usage=usage(quantity=True)),
        ["usage[0].quantity", "number"],
    ),
    (
        "quantity-abc",
        "partner_metering",
        dict(organization_id=ORG_ID, usage=usage(quantity="abc")),
        ["usage[0].quantity", "number"],
    ),
    (
        "quantity-abc-with-client-id",
        "partner_metering",
        dict(client_id="crm-1", usage=usage(quantity="abc")),
        ["usage[0].quantity"],
    ),
    ("usage-empty", "partner_metering", dict(organization_id=ORG_ID, usage=[]), ["usage", "at least one"]),
    ("usage-unknown-key", "partner_metering", dict(organization_id=ORG_ID, usage=usage(price=3)), ["price"]),
    ("purge-with-active", "partner_org", dict(CREATE, purge=True, state="active"), ["purge", "state=terminated"]),
    (
        "id-with-client-id",
        "partner_org",
        dict(id=ORG_ID, client_id="crm-other"),
        ["mutually exclusive", "id", "client_id"],
    ),
    (
        "metering-organization-id-with-client-id",
        "partner_metering",
        dict(organization_id=ORG_ID, client_id="crm-other", usage=usage()),
        ["mutually exclusive", "client_id"],
    ),
]


@pytest.mark.parametrize("module, args, words", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_fails_before_any_request(api, module, args, words):
    run = api.run(module, **args)
    assert run.failed, run
    for word in words:
        assert word in run.msg, run.msg
    assert api.requests() == []


@pytest.mark.parametrize(
    "module, args",
    [
        ("partner_org", dict(CREATE)),
        ("partner_org_info", dict()),
        ("partner_metering", dict(organization_id=ORG_ID, usage=usage())),
    ],
)
def test_missing_credentials_name_the_environment_variables(api, module, args):
    run = api.run(module, credentials=False, env={"EXOSCALE_PARTNER_API_URL": api.sim.url}, **args)
    assert run.failed
    for word in ("api_key", "api_secret", "EXOSCALE_API_KEY", "EXOSCALE_API_SECRET"):
        assert word in run.msg, run.msg
    assert api.requests() == []


def test_credentials_from_the_environment_work(api):
    """The counterpart of the case above: the same variables, when set, are used."""
    env = {
        "EXOSCALE_API_KEY": api.args()["api_key"],
        "EXOSCALE_API_SECRET": api.args()["api_secret"],
        "EXOSCALE_PARTNER_API_URL": api.sim.url,
    }
    run = api.run("partner_org_info", credentials=False, env=env)
    assert not run.failed, run
    assert len(api.requests()) == 1
