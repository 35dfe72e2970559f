# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A user behind a corporate proxy with its own CA: HTTPS_PROXY, NO_PROXY and REQUESTS_CA_BUNDLE.

A real CONNECT proxy (standard library, below) on 127.0.0.1 and a TLS simulator whose certificate is
signed by a CA generated here. The modules are configured only through the environment, as a user would.
"""

from __future__ import annotations

import datetime
import ipaddress
import selectors
import socket
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from harness import KEY, SECRET, Api

from simulator.control import SimulatorProcess

CREATE = dict(
    client_id="crm-proxy-1",
    name="Proxy Corp",
    owner_email="owner@proxy.example",
    address="Main Street",
    postcode="8001",
    city="Zurich",
    country="CH",
)
# Variables requests reads; hidden during each test so that the machine's own settings never leak in.
PROXY_ENV = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY")
CA_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


class ConnectProxy:
    """An HTTP proxy that only tunnels (CONNECT host:port), as corporate HTTPS proxies do; records the targets."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self.listener.getsockname()[1]
        self.tunnels = []  # "host:port" of every CONNECT, in order
        self.refused = []  # request lines of anything else
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._closing = True
        socket.create_connection(self.listener.getsockname(), timeout=10).close()  # wakes accept()
        self._thread.join(timeout=10)
        self.listener.close()

    _closing = False

    def _serve(self):
        while True:
            client, _address = self.listener.accept()
            if self._closing:
                client.close()
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client):
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, target, _version = request_line.split(" ", 2)
            if method != "CONNECT":
                with self._lock:
                    self.refused.append(request_line)
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            host, _colon, port = target.rpartition(":")
            with self._lock:
                self.tunnels.append(target)
            try:
                upstream = socket.create_connection((host, int(port)), timeout=10)
            except OSError:
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            with upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._pipe(client, upstream)

    @staticmethod
    def _pipe(one, other):
        """Copy both ways until either side closes or resets (a failed TLS handshake resets)."""
        with selectors.DefaultSelector() as selector:
            selector.register(one, selectors.EVENT_READ, other)
            selector.register(other, selectors.EVENT_READ, one)
            while True:
                for key, _events in selector.select(timeout=60):
                    try:
                        data = key.fileobj.recv(65536)
                        if not data:
                            return
                        key.data.sendall(data)
                    except OSError:
                        return


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def private_ca_and_server_certificate(directory):
    """A CA (as a company would run) and a certificate for 127.0.0.1 signed by it; returns the three paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Example Corp Test CA"))
        .issuer_name(_name("Example Corp Test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_path, cert_path, key_path


@pytest.fixture(scope="module")
def tls_setup(tmp_path_factory):
    ca, cert, key = private_ca_and_server_certificate(tmp_path_factory.mktemp("private-ca"))
    with SimulatorProcess(
        key=KEY,
        secret=SECRET,
        extra_args=["--tls-cert", str(cert), "--tls-key", str(key)],
        admin_ssl_context=ssl.create_default_context(cafile=str(ca)),
    ) as sim:
        yield sim, ca


@pytest.fixture
def api(tls_setup, monkeypatch):
    sim, _ca = tls_setup
    for name in PROXY_ENV + CA_ENV:
        monkeypatch.delenv(name, raising=False)
    sim.admin.reset()
    return Api(sim)


def test_through_a_connect_proxy_trusting_the_private_ca(api, tls_setup):
    sim, ca = tls_setup
    with ConnectProxy() as proxy:
        env = {"HTTPS_PROXY": proxy.url, "REQUESTS_CA_BUNDLE": str(ca)}
        created = api.run("partner_org", env=env, **CREATE)
        info = api.run("partner_org_info", env=env, client_id=CREATE["client_id"])
    assert not created.failed and created.result["actions"] == ["create"], created
    assert [org["name"] for org in info.result["organizations"]] == ["Proxy Corp"]
    target = "127.0.0.1:%d" % sim.port
    assert proxy.tunnels and set(proxy.tunnels) == {target}, proxy.tunnels
    assert proxy.refused == []
    assert [(entry["method"], entry["status"]) for entry in api.requests()] == [
        ("GET", 200),
        ("POST", 200),
        ("GET", 200),
    ]


def test_no_proxy_bypasses_the_proxy(api, tls_setup):
    _sim, ca = tls_setup
    with ConnectProxy() as proxy:
        env = {"HTTPS_PROXY": proxy.url, "NO_PROXY": "127.0.0.1", "REQUESTS_CA_BUNDLE": str(ca)}
        run = api.run("partner_org_info", env=env)
    assert not run.failed, run
    assert proxy.tunnels == [] and proxy.refused == []
    assert len(api.requests()) == 1


def test_without_the_private_ca_the_certificate_is_refused_through_the_proxy(api):
    with ConnectProxy() as proxy:
        run = api.run("partner_org_info", env={"HTTPS_PROXY": proxy.url})
    assert run.failed and "TLS error" in run.msg and "validate_certs" in run.msg, run.msg
    assert run.sleeps == []
    assert len(proxy.tunnels) == 1  # the tunnel opened; the handshake through it failed
    assert api.requests() == []


def test_a_proxy_that_is_down_fails_clearly(api, tls_setup):
    _sim, ca = tls_setup
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = "http://127.0.0.1:%d" % probe.getsockname()[1]
    run = api.run("partner_org_info", api_retries=1, env={"HTTPS_PROXY": dead, "REQUESTS_CA_BUNDLE": str(ca)})
    assert run.failed and "cannot connect to 127.0.0.1" in run.msg and "proxy" in run.msg, run.msg
    assert "may have been processed" not in run.msg
    assert len(run.sleeps) == 1  # nothing reached the API: retried like a refused connection
    assert api.requests() == []


def test_metering_through_a_proxy_that_is_down_says_not_applied(api, tls_setup):
    """Before the fix a dead proxy read as "connection lost": MAY HAVE BEEN APPLIED, and never resent."""
    _sim, ca = tls_setup
    org = api.seed(client_id="crm-proxy-metering")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = "http://127.0.0.1:%d" % probe.getsockname()[1]
    run = api.run(
        "partner_metering",
        api_retries=0,
        env={"HTTPS_PROXY": dead, "REQUESTS_CA_BUNDLE": str(ca)},
        organization_id=org["id"],
        usage=[dict(product="partner", variable="license_product", quantity=1)],
    )
    assert run.failed and run.result["maybe_processed"] is False, run
    assert "MAY HAVE BEEN APPLIED" not in run.msg
    assert api.admin.metering() == []
