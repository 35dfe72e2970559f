# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""EXO2-HMAC-SHA256 verification: accepted like the real API; no usable header is 401, a bad signature 403."""

from __future__ import annotations

import time

import pytest
import requests
from sim_support import KEY, OTHER_KEY, OTHER_SECRET, SECRET

from simulator.auth import expected_signature

LIST = "/distributor/organization"


def header(
    key=KEY,
    secret=SECRET,
    method="GET",
    path="/v1.alpha" + LIST,
    body=b"",
    query_values="",
    expires=None,
    signed_args=None,
):
    expires = int(time.time()) + 600 if expires is None else expires
    signature = expected_signature(secret, method, path, body, query_values, expires)
    pragmas = "credential=%s" % key
    if signed_args:
        pragmas += ",signed-query-args=%s" % signed_args
    return "EXO2-HMAC-SHA256 %s,expires=%d,signature=%s" % (pragmas, expires, signature)


def get(sim, authorization, path=LIST, params=None):
    headers = {} if authorization is None else {"Authorization": authorization}
    return requests.get(sim.url + path, headers=headers, params=params, timeout=10)


def assert_refused(response, *words, status=403):
    assert response.status_code == status, response.text
    message = response.json()["message"]
    for word in words:
        assert word in message
    assert SECRET not in message


def test_reference_signer_and_our_signature_agree(sim, call):
    assert call("GET", LIST).status_code == 200
    assert get(sim, header()).status_code == 200


def test_every_configured_key_pair_is_accepted(call):
    assert call("GET", LIST, key=OTHER_KEY, secret=OTHER_SECRET).status_code == 200
    assert call("GET", LIST, key=OTHER_KEY, secret=SECRET).status_code == 403


def test_missing_header(sim):
    assert_refused(get(sim, None), "missing Authorization", status=401)


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer abc",
        "EXO2-HMAC-SHA256",
        "EXO2-HMAC-SHA256 credential=%s,signature=abc" % KEY,
        "EXO2-HMAC-SHA256 credential=%s,expires=soon,signature=abc" % KEY,
        "EXO2-HMAC-SHA256 credential=%s,expires=1,expires=2,signature=abc" % KEY,
        "EXO2-HMAC-SHA256 credential=%s,colour=blue,expires=1,signature=abc" % KEY,
    ],
)
def test_malformed_header(sim, authorization):
    assert_refused(get(sim, authorization), "malformed", status=401)


def test_wrong_secret(sim):
    assert_refused(get(sim, header(secret="not-the-secret")), "invalid request signature")


def test_unknown_key(sim):
    assert_refused(get(sim, header(key="EXOunknown")), "unknown API key")


def test_expired_signature_says_check_the_clock(sim):
    assert_refused(get(sim, header(expires=int(time.time()) - 5)), "expired", "clock")


def test_expires_further_ahead_than_the_reference_window_is_refused(sim):
    # Every reference signer signs for now + 600 s; a later expiry is a skewed clock or a replayable request.
    assert_refused(get(sim, header(expires=int(time.time()) + 700)), "more than 600 seconds", "clock")
    assert_refused(get(sim, header(expires=int(time.time()) + 10 * 365 * 86400)), "more than 600 seconds")
    assert get(sim, header(expires=int(time.time()) + 590)).status_code == 200


def test_signature_over_another_path_is_refused(sim):
    assert_refused(get(sim, header(path="/v1.alpha/distributor/organization/x")), "invalid request signature")


def test_path_without_version_prefix_is_refused(sim):
    assert_refused(get(sim, header(path=LIST)), "invalid request signature")


def test_tampered_body_is_refused(sim, org):
    batch = b'{"organization": "%s", "usage": [{"product": "p", "variable": "v", "quantity": 1}]}' % org["id"].encode()
    authorization = header(method="POST", path="/v1.alpha/metering:apply", body=batch)
    tampered = batch.replace(b'"quantity": 1', b'"quantity": 9')
    response = requests.post(
        sim.url + "/metering:apply",
        data=tampered,
        timeout=10,
        headers={"Authorization": authorization, "Content-Type": "application/json"},
    )
    assert_refused(response, "invalid request signature")
    assert sim.admin.metering() == []
    good = requests.post(
        sim.url + "/metering:apply",
        data=batch,
        timeout=10,
        headers={"Authorization": authorization, "Content-Type": "application/json"},
    )
    assert good.status_code == 204


def test_query_values_are_signed(sim, org):
    path = "/distributor/organization/%s/usage" % org["id"]
    signed = header(path="/v1.alpha" + path, query_values="2026-01", signed_args="period")
    assert get(sim, signed, path, params={"period": "2026-01"}).status_code == 200
    assert_refused(get(sim, signed, path, params={"period": "2026-02"}), "invalid request signature")
    unsigned = header(path="/v1.alpha" + path)
    assert_refused(get(sim, unsigned, path, params={"period": "2026-01"}), "signed-query-args")


def test_a_repeated_query_parameter_is_refused_even_when_signed_like_the_reference(sim, call, org):
    """requests-exoscale-auth leaves a repeated parameter's values out of the message: they would be unsigned."""
    path = "/distributor/organization/%s/usage" % org["id"]
    response = call("GET", path, params=[("period", "2026-01"), ("period", "2026-02")])
    assert_refused(response, "period", "repeated")
    by_hand = header(path="/v1.alpha" + path, query_values="2026-01", signed_args="period")
    assert_refused(get(sim, by_hand, path, params=[("period", "2026-01"), ("period", "2026-01")]), "repeated")
    assert [entry["status"] for entry in sim.admin.requests()] == [403, 403]


def test_a_parameter_signed_twice_is_refused(sim, org):
    path = "/distributor/organization/%s/usage" % org["id"]
    twice = header(path="/v1.alpha" + path, query_values="2026-012026-01", signed_args="period;period")
    assert_refused(get(sim, twice, path, params={"period": "2026-01"}), "signed-query-args")


def test_refusals_never_log_the_authorization_header(sim):
    get(sim, header(secret="not-the-secret"))
    [entry] = sim.admin.requests()
    assert entry["status"] == 403
    assert "Authorization" not in str(entry) and "EXO2" not in str(entry)
