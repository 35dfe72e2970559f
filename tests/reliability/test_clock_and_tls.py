# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Clock skew (expired signatures) and TLS certificate validation, each against its own simulator."""

from __future__ import annotations

import datetime
import ipaddress
import json
import re
import ssl
import urllib.request

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from harness import KEY, SECRET, Api

from simulator.control import SimulatorProcess

CREATE = dict(
    client_id="crm-clock-1",
    name="Clock Corp",
    owner_email="owner@clock.example",
    address="Main Street",
    postcode="8001",
    city="Zurich",
    country="CH",
)


@pytest.fixture(scope="module")
def skewed_api():
    """A simulator whose clock is one hour ahead: our signatures (valid 600 s) have expired for it."""
    with SimulatorProcess(key=KEY, secret=SECRET, extra_args=["--clock-offset", "3600"]) as sim:
        yield Api(sim)


@pytest.mark.parametrize(
    "module, args",
    [
        ("partner_org_info", dict()),
        ("partner_org", dict(CREATE)),
        (
            "partner_metering",
            dict(
                organization_id="bf9bbc88-71ea-407c-9920-fc1101d86183",
                usage=[dict(product="partner", variable="license_product", quantity=1)],
            ),
        ),
    ],
)
def test_expired_signature_says_check_the_clock(skewed_api, module, args):
    skewed_api.admin.reset()
    run = skewed_api.run(module, **args)
    assert run.failed and run.result["status"] == 403
    assert "expired" in run.msg and "check that this host's clock is correct" in run.msg, run.msg
    sent = skewed_api.requests()
    assert len(sent) == 1 and sent[0]["status"] == 403  # an auth failure is not retried
    assert skewed_api.admin.metering() == []


@pytest.fixture(scope="module")
def lagging_api():
    """A simulator whose clock is one hour behind: our signatures expire too far ahead for it (>600 s)."""
    with SimulatorProcess(key=KEY, secret=SECRET, extra_args=["--clock-offset=-3600"]) as sim:
        yield Api(sim)


def test_signature_expiring_too_far_ahead_says_check_the_clock(lagging_api):
    lagging_api.admin.reset()
    run = lagging_api.run("partner_org_info")
    assert run.failed and run.result["status"] == 403
    assert "more than 600 seconds" in run.result["api_message"]
    assert "check that this host's clock is correct" in run.msg, run.msg
    assert [entry["status"] for entry in lagging_api.requests()] == [403]


def test_missing_signature_is_401_and_a_wrong_secret_on_a_skewed_server_names_clock_and_credentials(skewed_api):
    """The simulator's 401 (no usable Authorization) reaches the module as an authentication failure."""
    skewed_api.admin.reset()
    answer = requests.get(skewed_api.sim.url + "/distributor/organization", timeout=10)
    assert answer.status_code == 401 and "missing Authorization header" in answer.json()["message"]
    run = skewed_api.run("partner_org_info", api_key="EXOreliabilitykey", api_secret="wrong-secret-1234")
    assert run.failed and run.result["status"] == 403  # a bad signature: the clock is checked after it
    assert "invalid request signature" in run.result["api_message"]  # no word of expiry...
    # ...but the simulator's Date header is an hour ahead: the clock is named, and the credentials too
    assert re.search(r"The API's clock is 3(599|600) seconds ahead of this host's", run.msg), run.msg  # 1 s resolution
    assert "Check api_key and api_secret" in run.msg, run.msg


def self_signed_certificate(directory):
    """A throw-away certificate for 127.0.0.1; returns (cert path, key path)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_sim(tmp_path_factory):
    cert, key = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    with SimulatorProcess(
        key=KEY, secret=SECRET, extra_args=["--tls-cert", str(cert), "--tls-key", str(key)], check_errors=False
    ) as sim:
        yield sim


def tls_log(sim):
    """The request log, read without certificate validation (the admin hooks share the TLS socket)."""
    context = ssl._create_unverified_context()  # the test's own self-signed certificate
    with urllib.request.urlopen(sim.admin_url + "/requests", context=context, timeout=10) as answer:
        return json.loads(answer.read())["requests"]


def test_validate_certs_is_true_by_default():
    from ansible_collections.exoscale.partner.plugins.module_utils._base import api_argument_spec

    assert api_argument_spec()["validate_certs"]["default"] is True


def test_self_signed_certificate_is_refused_by_default(tls_sim):
    assert tls_sim.url.startswith("https://127.0.0.1:")
    before = len(tls_log(tls_sim))
    run = Api(tls_sim).run("partner_org_info")
    assert run.failed and "TLS error" in run.msg and "validate_certs" in run.msg, run.msg
    assert run.sleeps == []  # a certificate problem is not retried
    assert len(tls_log(tls_sim)) == before  # the handshake failed: no request reached the API


def test_self_signed_certificate_is_accepted_with_validate_certs_false(tls_sim):
    before = len(tls_log(tls_sim))
    api = Api(tls_sim)
    run = api.run("partner_org", validate_certs=False, **CREATE)
    assert not run.failed and run.result["actions"] == ["create"], run
    log = tls_log(tls_sim)[before:]
    assert [entry["method"] for entry in log] == ["GET", "POST"]
    assert all(entry["status"] == 200 for entry in log)
