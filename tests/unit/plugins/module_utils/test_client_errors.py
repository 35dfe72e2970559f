# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Error classes and messages, transport failures and the retry policy."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import socket

import pytest
import requests

from ansible_collections.exoscale.partner.plugins.module_utils import _client
from ansible_collections.exoscale.partner.plugins.module_utils._client import (
    Client,
    ExoscaleAPIAuthException,
    ExoscaleAPIClientException,
    ExoscaleAPIException,
    ExoscaleAPINotFoundException,
    ExoscaleAPIRateLimitException,
    ExoscaleAPIServerException,
    ExoscaleAPITransportException,
)

KEY = "EXOa1b2c3d4e5f6a7b8c9d0e1f2"
SECRET = "s3cr3t-Zm9vYmFyYmF6cXV4LXRoaXMtaXMtbm90LXJlYWw"
NOW = 1700000000
STALL = 60  # an answer held far beyond any client timeout here; released when the fake API stops
ORG_ID = "bf9bbc88-71ea-407c-9920-fc1101d86183"
ORG = {
    "id": ORG_ID,
    "status": "active",
    "billing-address": {
        "name": "Acme",
        "street-name": "Main St",
        "city": "Bern",
        "postal-code": "3000",
        "country": "CH",
    },
}
USAGE = [{"product": "p", "variable": "v", "quantity": 1}]
ORG_FIELDS = dict(name="Acme", address="Main St", city="Bern", postcode="3000", country="CH", owner_email="a@b.example")


def reply(status=200, **kwargs):
    return dict(status=status, **kwargs)


class Sleeps(list):
    """Records the waits instead of sleeping."""

    def __call__(self, seconds):
        self.append(seconds)


def make_client(url, **kwargs):
    kwargs.setdefault("clock", lambda: NOW)
    kwargs.setdefault("sleep", Sleeps())
    kwargs.setdefault("backoff_base", 0.01)
    return Client(KEY, SECRET, url=url, **kwargs)


def assert_clean(exc):
    """No secret, no signature material in anything readable."""
    for text in (str(exc), repr(exc), exc.api_message or "", str(exc.args)):
        assert SECRET not in text
        assert "EXO2-HMAC" not in text and "Authorization" not in text and "signature=" not in text


def metering(client):
    return client.metering_transaction(organization=ORG_ID, usage=USAGE)


# -- status codes and messages ----------------------------------------------------------------------

HTML_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
    + b"<p>nginx</p>" * 100
    + b"</body></html>"
)

STATUS_CASES = [
    (
        400,
        dict(json_body={"message": "billing-address.country is invalid"}),
        ExoscaleAPIClientException,
        "billing-address.country is invalid",
        False,
    ),
    (401, dict(json_body={"message": "invalid signature"}), ExoscaleAPIAuthException, "invalid signature", False),
    (
        403,
        dict(json_body={"error": "forbidden for this key"}),
        ExoscaleAPIAuthException,
        "forbidden for this key",
        False,
    ),
    (
        404,
        dict(json_body={"message": "Organization not found"}),
        ExoscaleAPINotFoundException,
        "Organization not found",
        False,
    ),
    (
        409,
        dict(json_body={"error": {"message": "already exists"}}),
        ExoscaleAPIClientException,
        "already exists",
        False,
    ),
    (
        422,
        dict(
            json_body={
                "type": "about:blank",
                "title": "Validation failed",
                "detail": "2 errors",
                "errors": [{"pointer": "/owner-email", "detail": "too long"}, "client-id is taken"],
            },
            headers={"Content-Type": "application/problem+json"},
        ),
        ExoscaleAPIClientException,
        "Validation failed: 2 errors: errors: /owner-email: too long; client-id is taken",
        False,
    ),
    (
        429,
        dict(json_body={"error": "rate-limited", "retry_after": 999}),
        ExoscaleAPIRateLimitException,
        "rate-limited",
        False,
    ),
    (
        500,
        dict(body=b"internal error\n  at line 3", headers={"Content-Type": "text/plain"}),
        ExoscaleAPIServerException,
        "internal error at line 3",
        True,
    ),
    (
        502,
        dict(body=HTML_PAGE, headers={"Content-Type": "text/html"}),
        ExoscaleAPIServerException,
        "HTML page: 502 Bad Gateway",
        True,
    ),
    (503, dict(), ExoscaleAPIServerException, None, True),
]


@pytest.mark.parametrize(
    "status, answer, cls, message, maybe_processed", STATUS_CASES, ids=[str(case[0]) for case in STATUS_CASES]
)
def test_status_maps_to_exception_with_api_message(fake_api, status, answer, cls, message, maybe_processed):
    fake_api.always(reply(status, **answer))
    client = make_client(fake_api.url, retries=0)
    with pytest.raises(cls) as caught:
        client.get_distributor_organization(id=ORG_ID)
    exc = caught.value
    assert exc.__class__ is cls
    assert (exc.status, exc.api_message, exc.maybe_processed) == (status, message, maybe_processed)
    assert isinstance(exc.response, requests.Response) and exc.response.status_code == status
    assert str(exc).startswith("GET /distributor/organization/%s: HTTP %d" % (ORG_ID, status))
    if message:
        assert message in str(exc)
    assert len(str(exc)) < 400
    assert_clean(exc)


UPPER_ID = ORG_ID.upper()
DOING_CASES = [
    (lambda c: c.list_distributor_organizations(), "list organizations"),
    (lambda c: c.get_distributor_organization(id=UPPER_ID), "get organization %s" % ORG_ID),
    (lambda c: c.create_distributor_organization(**ORG_FIELDS), "create organization 'Acme'"),
    (lambda c: c.activate_distributor_organization(id=UPPER_ID), "activate organization %s" % ORG_ID),
    (lambda c: c.suspend_distributor_organization(id=UPPER_ID), "suspend organization %s" % ORG_ID),
    (lambda c: c.terminate_distributor_organization(id=UPPER_ID), "terminate organization %s" % ORG_ID),
    (lambda c: c.schedule_purge_distributor_organization(id=UPPER_ID), "schedule purge organization %s" % ORG_ID),
    (lambda c: c.list_distributor_organization_usage(id=ORG_ID), "list the usage of organization %s" % ORG_ID),
    (
        lambda c: c.list_distributor_organization_usage(id=ORG_ID, period="2026-01"),
        "list the usage of organization %s for 2026-01" % ORG_ID,
    ),
    (metering, "send the metering batch to organization %s" % ORG_ID),
]


@pytest.mark.parametrize("call, doing", DOING_CASES, ids=[case[1].split(" organization")[0] for case in DOING_CASES])
def test_every_error_says_what_its_operation_was_doing(fake_api, call, doing):
    fake_api.always(reply(409, json_body={"message": "conflict"}))
    with pytest.raises(ExoscaleAPIClientException) as caught:
        call(make_client(fake_api.url, retries=0))
    assert caught.value.doing == doing


def test_a_transport_error_says_what_its_operation_was_doing():
    with pytest.raises(ExoscaleAPITransportException) as caught:
        make_client(closed_port_url(), retries=0).suspend_distributor_organization(id=ORG_ID)
    assert caught.value.doing == "suspend organization %s" % ORG_ID


def test_exception_tree():
    assert issubclass(ExoscaleAPINotFoundException, ExoscaleAPIClientException)
    assert issubclass(ExoscaleAPIRateLimitException, ExoscaleAPIClientException)
    for cls in (
        ExoscaleAPIAuthException,
        ExoscaleAPIClientException,
        ExoscaleAPIServerException,
        ExoscaleAPITransportException,
    ):
        assert issubclass(cls, ExoscaleAPIException)
    assert not issubclass(ExoscaleAPIAuthException, ExoscaleAPIClientException)


def test_long_text_is_truncated(fake_api):
    fake_api.script(reply(400, body=b"x" * 5000))
    with pytest.raises(ExoscaleAPIClientException) as caught:
        make_client(fake_api.url).get_distributor_organization(id=ORG_ID)
    assert caught.value.api_message.endswith("...") and len(caught.value.api_message) <= 200


def test_secret_echoed_by_the_server_is_scrubbed(fake_api):
    fake_api.script(reply(400, json_body={"message": "bad secret %s for %s" % (SECRET, KEY)}))
    with pytest.raises(ExoscaleAPIClientException) as caught:
        make_client(fake_api.url).get_distributor_organization(id=ORG_ID)
    assert_clean(caught.value)
    assert "bad secret *** for " + KEY in caught.value.api_message


def test_redirect_is_not_followed(fake_api):
    fake_api.script(reply(301, headers={"Location": "https://elsewhere.example/"}))
    with pytest.raises(ExoscaleAPIException) as caught:
        make_client(fake_api.url).get_distributor_organization(id=ORG_ID)
    assert caught.value.status == 301 and "elsewhere.example" in str(caught.value)
    assert len(fake_api.received) == 1


# -- malformed answers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, call",
    [
        (
            reply(200, body=b"{not json", headers={"Content-Type": "application/json"}),
            lambda c: c.get_distributor_organization(id=ORG_ID),
        ),
        (reply(200, body=b"<html>oops</html>"), lambda c: c.list_distributor_organizations()),
        (reply(200), lambda c: c.get_distributor_organization(id=ORG_ID)),
        (reply(200, json_body=["not", "an", "org"]), lambda c: c.activate_distributor_organization(id=ORG_ID)),
        (reply(200, json_body={"orgs": []}), lambda c: c.list_distributor_organizations()),
        (reply(200, json_body={"usage": []}), lambda c: c.list_distributor_organization_usage(id=ORG_ID)),
        (reply(200, body=b"{truncated", headers={"Content-Type": "application/json"}), metering),
        (reply(201, json_body=[1]), lambda c: c.create_distributor_organization(**ORG_FIELDS)),
    ],
)
def test_unusable_2xx_answer_is_a_transport_error(fake_api, answer, call):
    fake_api.script(answer)
    with pytest.raises(ExoscaleAPITransportException) as caught:
        call(make_client(fake_api.url))
    exc = caught.value
    assert exc.maybe_processed is True and exc.status == answer["status"]
    assert "unexpected answer" in str(exc) and "probably processed" in str(exc)
    assert len(fake_api.received) == 1
    assert_clean(exc)


def test_message_operations_accept_an_empty_answer(fake_api):
    fake_api.script(reply(200), reply(202))
    client = make_client(fake_api.url)
    assert client.terminate_distributor_organization(id=ORG_ID) == {"message": None}
    assert client.schedule_purge_distributor_organization(id=ORG_ID) == {"message": None}


# -- transport failures ---------------------------------------------------------------------------------


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return "http://127.0.0.1:%d/v1.alpha" % port


def test_connection_refused(fake_api):
    sleeps = Sleeps()
    with pytest.raises(ExoscaleAPITransportException) as caught:
        make_client(closed_port_url(), retries=2, sleep=sleeps).get_distributor_organization(id=ORG_ID)
    exc = caught.value
    assert exc.maybe_processed is False and exc.status is None and exc.response is None
    assert "cannot connect to 127.0.0.1" in str(exc) and "refused" in str(exc).lower()
    assert "object at 0x" not in str(exc)
    assert len(sleeps) == 2
    assert_clean(exc)


def test_read_timeout(fake_api):
    fake_api.script(reply(200, json_body=ORG, delay=STALL))
    with pytest.raises(ExoscaleAPITransportException) as caught:
        make_client(fake_api.url, timeout=0.1, retries=0).get_distributor_organization(id=ORG_ID)
    assert "no answer from 127.0.0.1" in str(caught.value) and "within 0.1 seconds" in str(caught.value)
    assert caught.value.maybe_processed is True
    assert_clean(caught.value)


def test_tls_error_is_clear_and_not_retried(fake_api):
    sleeps = Sleeps()
    https_url = fake_api.url.replace("http://", "https://")
    with pytest.raises(ExoscaleAPITransportException) as caught:
        make_client(https_url, sleep=sleeps, timeout=2).list_distributor_organizations()
    assert "TLS error talking to 127.0.0.1" in str(caught.value) and "validate_certs" in str(caught.value)
    assert sleeps == []
    assert_clean(caught.value)


# -- retry policy --------------------------------------------------------------------------------------

IDEMPOTENT_CALLS = [
    ("GET", lambda c: c.get_distributor_organization(id=ORG_ID), ORG),
    ("PUT", lambda c: c.suspend_distributor_organization(id=ORG_ID), ORG),
    ("DELETE", lambda c: c.terminate_distributor_organization(id=ORG_ID), {"message": "terminated"}),
]
POST_CALLS = [
    ("create", lambda c: c.create_distributor_organization(**ORG_FIELDS), ORG),
    ("metering", metering, None),
]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
@pytest.mark.parametrize("method, call, body", IDEMPOTENT_CALLS, ids=[case[0] for case in IDEMPOTENT_CALLS])
def test_idempotent_calls_retry_transient_statuses(fake_api, status, method, call, body):
    fake_api.script(reply(status), reply(status), reply(200, json_body=body))
    sleeps = Sleeps()
    call(make_client(fake_api.url, sleep=sleeps))
    assert [received.method for received in fake_api.received] == [method] * 3
    assert len(sleeps) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 501])
def test_other_statuses_are_not_retried(fake_api, status):
    fake_api.always(reply(status))
    with pytest.raises(ExoscaleAPIException):
        make_client(fake_api.url).get_distributor_organization(id=ORG_ID)
    assert len(fake_api.received) == 1


def test_retries_are_bounded_by_count(fake_api):
    fake_api.always(reply(503))
    sleeps = Sleeps()
    with pytest.raises(ExoscaleAPIServerException):
        make_client(fake_api.url, retries=3, sleep=sleeps).list_distributor_organizations()
    assert len(fake_api.received) == 4 and len(sleeps) == 3


def test_backoff_grows_exponentially_with_jitter(fake_api):
    fake_api.always(reply(503))
    sleeps = Sleeps()
    with pytest.raises(ExoscaleAPIServerException):
        make_client(
            fake_api.url, retries=4, sleep=sleeps, backoff_base=1, backoff_max=100
        ).list_distributor_organizations()
    assert len(sleeps) == 4
    for attempt, delay in enumerate(sleeps):
        assert 2**attempt / 2 <= delay <= 2**attempt


def test_retries_are_bounded_by_total_wait(fake_api):
    fake_api.always(reply(503))
    sleeps = Sleeps()
    with pytest.raises(ExoscaleAPIServerException):
        make_client(
            fake_api.url, retries=10, sleep=sleeps, backoff_base=10, backoff_max=40, max_retry_wait=60
        ).list_distributor_organizations()
    assert sum(sleeps) <= 60 and 2 <= len(sleeps) <= 4


def test_retry_after_seconds_is_honoured(fake_api):
    fake_api.script(reply(503, headers={"Retry-After": "3"}), reply(json_body=ORG))
    sleeps = Sleeps()
    make_client(fake_api.url, sleep=sleeps).get_distributor_organization(id=ORG_ID)
    assert sleeps == [3.0]


def test_retry_after_http_date_is_honoured(fake_api):
    later = email.utils.formatdate(NOW + 7, usegmt=True)
    fake_api.script(reply(429, headers={"Retry-After": later}), reply(json_body=ORG))
    sleeps = Sleeps()
    make_client(fake_api.url, sleep=sleeps).get_distributor_organization(id=ORG_ID)
    assert sleeps == [7.0]


def test_retry_after_beyond_the_budget_raises_at_once(fake_api):
    fake_api.script(reply(429, headers={"Retry-After": "120"}, json_body={"message": "slow down"}))
    sleeps = Sleeps()
    with pytest.raises(ExoscaleAPIRateLimitException) as caught:
        make_client(fake_api.url, sleep=sleeps, max_retry_wait=60).get_distributor_organization(id=ORG_ID)
    assert caught.value.retry_after == 120.0 and caught.value.maybe_processed is False
    assert sleeps == [] and len(fake_api.received) == 1
    assert "slow down" in str(caught.value) and "wait 120 seconds" in str(caught.value)


@pytest.mark.parametrize("name, call, body", POST_CALLS, ids=[case[0] for case in POST_CALLS])
def test_post_is_retried_after_429(fake_api, name, call, body):
    fake_api.script(reply(429, headers={"Retry-After": "2"}), reply(200, json_body=body) if body else reply(204))
    sleeps = Sleeps()
    call(make_client(fake_api.url, sleep=sleeps))
    assert [received.method for received in fake_api.received] == ["POST", "POST"]
    assert fake_api.received[0].body == fake_api.received[1].body
    assert sleeps == [2.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("name, call, body", POST_CALLS, ids=[case[0] for case in POST_CALLS])
def test_post_is_not_replayed_after_5xx(fake_api, status, name, call, body):
    fake_api.always(reply(status, headers={"Retry-After": "0"}))
    with pytest.raises(ExoscaleAPIServerException) as caught:
        call(make_client(fake_api.url))
    assert len(fake_api.received) == 1
    assert caught.value.maybe_processed is True and "may have been processed" in str(caught.value)


@pytest.mark.parametrize("name, call, body", POST_CALLS, ids=[case[0] for case in POST_CALLS])
def test_post_is_not_replayed_after_read_timeout(fake_api, name, call, body):
    fake_api.script(reply(204, delay=STALL))
    with pytest.raises(ExoscaleAPITransportException) as caught:
        call(make_client(fake_api.url, timeout=0.1))
    assert len(fake_api.received) == 1 and caught.value.maybe_processed is True


@pytest.mark.parametrize("name, call, body", POST_CALLS, ids=[case[0] for case in POST_CALLS])
def test_post_is_not_replayed_after_connection_dropped(fake_api, name, call, body):
    fake_api.script(reply(action="drop"))
    with pytest.raises(ExoscaleAPITransportException) as caught:
        call(make_client(fake_api.url))
    assert len(fake_api.received) == 1 and caught.value.maybe_processed is True
    assert "connection to 127.0.0.1" in str(caught.value) and "lost" in str(caught.value)


def test_post_is_retried_when_the_connection_never_opened():
    sleeps = Sleeps()
    with pytest.raises(ExoscaleAPITransportException) as caught:
        metering(make_client(closed_port_url(), retries=3, sleep=sleeps))
    assert len(sleeps) == 3 and caught.value.maybe_processed is False


@pytest.mark.parametrize("method, call, body", IDEMPOTENT_CALLS, ids=[case[0] for case in IDEMPOTENT_CALLS])
def test_idempotent_calls_retry_timeouts_and_dropped_connections(fake_api, method, call, body):
    fake_api.script(reply(200, json_body=body, delay=STALL), reply(action="drop"), reply(200, json_body=body))
    call(make_client(fake_api.url, timeout=0.2))
    assert [received.method for received in fake_api.received] == [method] * 3


class RaisingAdapter(requests.adapters.BaseAdapter):
    """A transport that fails with ``error`` and counts the attempts."""

    def __init__(self, error):
        super(RaisingAdapter, self).__init__()
        self.error = error
        self.calls = 0

    def send(self, request, **kwargs):
        self.calls += 1
        raise self.error

    def close(self):
        pass


@pytest.mark.parametrize(
    "error, attempts, maybe_processed",
    [
        (requests.exceptions.ConnectTimeout("connect timed out"), 3, False),
        (requests.exceptions.ProxyError("Unable to connect to proxy"), 3, False),  # nothing reached the API
        (requests.exceptions.ReadTimeout("read timed out"), 1, True),
        (requests.exceptions.ConnectionError("Connection aborted: RemoteDisconnected"), 1, True),
        (requests.exceptions.ChunkedEncodingError("broken chunk"), 1, True),
    ],
)
def test_post_transport_failures_via_adapter(error, attempts, maybe_processed):
    client = make_client("http://partner.invalid/v1.alpha", retries=2)
    adapter = RaisingAdapter(error)
    client.session.mount("http://", adapter)
    with pytest.raises(ExoscaleAPITransportException) as caught:
        metering(client)
    assert adapter.calls == attempts and caught.value.maybe_processed is maybe_processed
    assert_clean(caught.value)


def test_secret_never_in_transport_errors():
    client = make_client("http://partner.invalid/v1.alpha", retries=0)
    client.session.mount("http://", RaisingAdapter(requests.exceptions.ConnectionError("boom " + SECRET)))
    with pytest.raises(ExoscaleAPITransportException) as caught:
        client.list_distributor_organizations()
    assert_clean(caught.value)


def test_retry_policy_is_documented():
    doc = _client.Client.__doc__
    for words in (
        "429, 500, 502, 503, 504",
        "POST",
        "never opened",
        "Retry-After",
        "max_retry_wait",
        "maybe_processed",
    ):
        assert words in doc


# -- Retry-After in the body, in the past; redirects on POST -------------------------------------------


@pytest.mark.parametrize("key", ["retry_after", "retry-after"])
def test_retry_after_in_the_json_body_is_honoured(fake_api, key):
    """The v2 API documents `rate-limited {error, retry_after}`: a body without the header still counts."""
    fake_api.script(reply(429, json_body={"error": "rate-limited", key: 4}), reply(json_body=ORG))
    sleeps = Sleeps()
    make_client(fake_api.url, sleep=sleeps).get_distributor_organization(id=ORG_ID)
    assert sleeps == [4.0]
    assert len(fake_api.received) == 2


def test_retry_after_in_the_body_is_reported_on_the_exception(fake_api):
    fake_api.always(reply(429, json_body={"error": "rate-limited", "retry_after": 7}))
    with pytest.raises(ExoscaleAPIRateLimitException) as caught:
        make_client(fake_api.url, retries=0).get_distributor_organization(id=ORG_ID)
    assert caught.value.retry_after == 7.0 and "wait 7 seconds" in str(caught.value)


def test_retry_after_date_in_the_past_retries_at_once(fake_api):
    earlier = email.utils.formatdate(NOW - 30, usegmt=True)
    fake_api.script(reply(503, headers={"Retry-After": earlier}), reply(json_body=ORG))
    sleeps = Sleeps()
    make_client(fake_api.url, sleep=sleeps).get_distributor_organization(id=ORG_ID)
    assert sleeps == [0.0]  # never a negative wait, never the long backoff
    assert len(fake_api.received) == 2


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("name, call, body", POST_CALLS, ids=[case[0] for case in POST_CALLS])
def test_a_redirected_post_is_never_resent(fake_api, status, name, call, body):
    """307/308 ask to repeat the POST elsewhere: for metering that could bill at an unknown endpoint.

    The client never follows (any method): it fails naming the new location, and says the request
    was not processed (a redirect is the server's refusal to handle it at this URL).
    """
    fake_api.always(reply(status, headers={"Location": fake_api.url + "/elsewhere"}))
    with pytest.raises(ExoscaleAPIException) as caught:
        call(make_client(fake_api.url, sleep=Sleeps()))
    assert [received.path for received in fake_api.received] == [
        "/v1.alpha" + ("/metering:apply" if name == "metering" else "/distributor/organization")
    ]
    assert caught.value.status == status and caught.value.maybe_processed is False
    assert "redirected to %s/elsewhere" % fake_api.url in str(caught.value) and "API URL" in str(caught.value)
