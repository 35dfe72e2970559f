# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The seed SDK's documented examples, as written, run on the collection's client against the simulator.

Each example below is copied verbatim from the seed's documentation ("Partner API", the python-exoscale
client). Only the import lines are pointed at the collection (see IMPORTS); the default endpoint is pointed
at the simulator the way a test points DNS elsewhere, so the examples' ``Client(key=..., secret=...)`` without
``url`` runs unchanged. The examples leave ``org_id`` to the reader: it is the organization they created.
"""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import _client
from simulator.control import SimulatorProcess

CLIENT_MODULE = "ansible_collections.exoscale.partner.plugins.module_utils._client"
IMPORTS = {
    "from exoscale.api.partner import Client": "from %s import Client" % CLIENT_MODULE,
    "from exoscale.api.exceptions import (": "from %s import (" % CLIENT_MODULE,
}

# -- the seed's examples, verbatim ---------------------------------------------------------------

CREATING_A_CLIENT = """\
from exoscale.api.partner import Client

# Create client with API credentials
client = Client(
    key="EXO...",
    secret="..."
)
"""

LIST_ORGANIZATIONS = """\
# List all distributor organizations
result = client.list_distributor_organizations()
for org in result['organizations']:
    print(f"{org['name']} - {org['id']}")
"""

CREATE_ORGANIZATION = """\
# Create a new organization
new_org = client.create_distributor_organization(
    organization={
        "name": "Customer Corp",
        "address": "123 Business Ave",
        "city": "Zurich",
        "postcode": "8001",
        "country": "CH",
        "owner-email": "admin@customer.com",
        "client-id": "internal-1234"  # Optional
    }
)
"""

ACTIVATE_SUSPEND = """\
# Activate/Suspend organizations
client.activate_distributor_organization(id=org_id)
client.suspend_distributor_organization(id=org_id)
"""

USAGE = """\
# Get usage information
usage = client.list_distributor_organization_usage(
    id=org_id,
    period="2025-01"
)
"""

ERROR_HANDLING = """\
from exoscale.api.exceptions import (
    ExoscaleAPIAuthException,
    ExoscaleAPIClientException,
    ExoscaleAPIServerException
)

try:
    client.get_distributor_organization(id="invalid")
except ExoscaleAPIClientException as e:
    print(f"Client error: {e}")
except ExoscaleAPIServerException as e:
    print(f"Server error: {e}")
"""

API_REFERENCE = """\
>>> from exoscale.api.partner import Client
>>> client = Client("EXO...", "secret")
>>> orgs = client.list_distributor_organizations()
"""

# The API reference documents ``zone (str) – Exoscale zone (optional)``; the issue's own example of it.
ZONE = """\
from exoscale.api.partner import Client
client = Client("EXO...", "secret", zone="ch-gva-2")
orgs = client.list_distributor_organizations()
"""

# A usage record the simulator serves for the example's period (the organization is younger than 2025-01).
RECORD = {
    "code": "U-1",
    "currency": "CHF",
    "total-excl-vat": 12.5,
    "total-incl-vat": 13.51,
    "start-date": "2025-01-01T00:00:00Z",
    "end-date": "2025-02-01T00:00:00Z",
    "usage": [
        {
            "product": "partner",
            "variable": "license_product",
            "description": "Licence",
            "quantity": 3,
            "unit": "unit",
            "total-excl-vat": 12.5,
            "total-incl-vat": 13.51,
        }
    ],
}


def pointed_at_the_collection(example):
    """The example with its import lines (and only those) pointed at the collection's client."""
    source = example
    if source.startswith(">>> "):  # a doctest: its statements
        source = "".join(line[len(">>> ") :] + "\n" for line in source.splitlines())
    code = source
    for seed_import, collection_import in IMPORTS.items():
        code = code.replace(seed_import, collection_import)
    changed = [(line, seed) for line, seed in zip(code.splitlines(), source.splitlines()) if line != seed]
    assert all(line.startswith("from %s import " % CLIENT_MODULE) for line, _seed in changed), changed
    return code


def run(example, namespace):
    """Execute an example in ``namespace``; what it printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(pointed_at_the_collection(example), "<seed example>", "exec"), namespace)  # noqa: S102
    return printed.getvalue()


@pytest.fixture(scope="module")
def examples_simulator():
    """A simulator knowing the credentials of the usage examples: key "EXO...", secret "..."."""
    with SimulatorProcess(key="EXO...", secret="...") as process:
        yield process


@pytest.fixture(scope="module")
def reference_simulator():
    """A simulator knowing the credentials of the API reference's example: key "EXO...", secret "secret"."""
    with SimulatorProcess(key="EXO...", secret="secret") as process:
        yield process


def as_default_endpoint(process, monkeypatch):
    """The simulator, emptied, as the client's default endpoint (for Client(...) without url)."""
    process.admin.reset()
    monkeypatch.setattr(_client, "DEFAULT_URL", process.url)
    return process


@pytest.fixture
def seed_simulator(examples_simulator, monkeypatch):
    return as_default_endpoint(examples_simulator, monkeypatch)


def operations(process):
    return [(entry["operation"], entry["status"], entry["key"]) for entry in process.admin.requests()]


def test_the_usage_examples_as_written(seed_simulator):
    namespace = {}
    assert run(CREATING_A_CLIENT, namespace) == ""
    assert isinstance(namespace["client"], _client.Client)
    assert namespace["client"].url == seed_simulator.url

    assert run(CREATE_ORGANIZATION, namespace) == ""
    new_org = namespace["new_org"]
    assert new_org["name"] == "Customer Corp" and new_org["client_id"] == "internal-1234"
    assert (new_org["address"], new_org["city"], new_org["postcode"], new_org["country"]) == (
        "123 Business Ave",
        "Zurich",
        "8001",
        "CH",
    )

    listed = run(LIST_ORGANIZATIONS, namespace)
    assert listed == "Customer Corp - %s\n" % new_org["id"]

    namespace["org_id"] = new_org["id"]
    assert run(ACTIVATE_SUSPEND, namespace) == ""
    assert namespace["client"].get_distributor_organization(id=new_org["id"])["status"] == "suspended"

    seed_simulator.admin.seed_usage(new_org["id"], "2025-01", [RECORD])
    assert run(USAGE, namespace) == ""
    [record] = namespace["usage"]
    assert (record["code"], record["currency"], record["total_excl_vat"]) == ("U-1", "CHF", "12.5")

    assert operations(seed_simulator) == [
        ("create-distributor-organization", 200, "EXO..."),
        ("list-distributor-organizations", 200, "EXO..."),
        ("activate-distributor-organization", 200, "EXO..."),
        ("suspend-distributor-organization", 200, "EXO..."),
        ("get-distributor-organization", 200, "EXO..."),
        ("list-distributor-organization-usage", 200, "EXO..."),
    ]
    assert seed_simulator.admin.requests()[-1]["query"] == "period=2025-01"


def test_the_error_handling_example_catches_a_bad_id_as_a_client_error(seed_simulator):
    namespace = {}
    run(CREATING_A_CLIENT, namespace)
    printed = run(ERROR_HANDLING, namespace)
    assert re.fullmatch(r"Client error: id: expected a UUID like '[0-9a-f-]{36}', got 'invalid'\n", printed), printed
    assert seed_simulator.admin.requests() == []  # refused before any request


def test_the_error_handling_example_catches_an_api_refusal(seed_simulator):
    """The same block with an id the API does not know: the API's 404 lands in the same except clause."""
    namespace = {}
    run(CREATING_A_CLIENT, namespace)
    printed = run(ERROR_HANDLING.replace('"invalid"', '"bf9bbc88-71ea-407c-9920-fc1101d86183"'), namespace)
    assert printed.startswith("Client error: GET /distributor/organization/bf9bbc88") and "404" in printed
    assert operations(seed_simulator) == [("get-distributor-organization", 404, "EXO...")]


@pytest.mark.parametrize("example", [API_REFERENCE, ZONE], ids=["api-reference", "zone"])
def test_the_api_reference_example_and_zone(reference_simulator, monkeypatch, example):
    process = as_default_endpoint(reference_simulator, monkeypatch)
    process.admin.seed_org(
        **{
            "display-name": "Acme AG",
            "billing-address": {
                "name": "Acme AG",
                "street-name": "Bahnhofstrasse",
                "city": "Zurich",
                "postal-code": "8001",
                "country": "CH",
            },
        }
    )
    namespace = {}
    assert run(example, namespace) == ""
    assert [org["name"] for org in namespace["orgs"]["organizations"]] == ["Acme AG"]
    assert operations(process) == [("list-distributor-organizations", 200, "EXO...")]
