# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The clock hint of authentication failures does not depend on the API's wording: the Date header says it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils

import pytest
import requests

from ansible_collections.exoscale.partner.plugins.module_utils import _base, _client

NOW = 1700000000
URL = "http://127.0.0.1:9/v1.alpha"


class DateAdapter(requests.adapters.BaseAdapter):
    """Answers every request with ``status``, a neutral message and the given Date header (or none)."""

    def __init__(self, status, date):
        super(DateAdapter, self).__init__()
        self.status, self.date = status, date

    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code, response.request, response.url = self.status, request, request.url
        response.headers["Content-Type"] = "application/json"
        if self.date is not None:
            response.headers["Date"] = self.date
        response._content = b'{"message": "Forbidden"}'
        return response

    def close(self):
        pass


def refused(status=403, date=None):
    client = _client.Client("EXOkey", "secret-value-123", url=URL, clock=lambda: NOW, retries=0)
    client.session.mount("http://", DateAdapter(status, date))
    with pytest.raises(_client.ExoscaleAPIAuthException) as caught:
        client.list_distributor_organizations()
    return caught.value


@pytest.mark.parametrize(
    "date, skew",
    [
        (email.utils.formatdate(NOW + 3600, usegmt=True), 3600),
        (email.utils.formatdate(NOW - 900, usegmt=True), -900),
        (email.utils.formatdate(NOW, usegmt=True), 0),
        (None, None),
        ("not a date", None),
        ("Tue, 14 Nov 2023 22:13:20", None),  # no zone: not trusted
    ],
)
def test_clock_skew_is_read_from_the_date_header(date, skew):
    assert refused(date=date).clock_skew == skew


@pytest.mark.parametrize("status", [401, 403])
def test_a_skewed_clock_is_named_whatever_the_message_says(status):
    text = _base.explain(refused(status, email.utils.formatdate(NOW + 3600, usegmt=True)))
    assert "check that this host's clock is correct" in text
    assert "The API's clock is 3600 seconds ahead of this host's." in text
    assert "Check api_key and api_secret" in text  # the message did not speak of expiry: both may be wrong


def test_a_clock_behind_is_named_too():
    text = _base.explain(refused(403, email.utils.formatdate(NOW - 3600, usegmt=True)))
    assert "The API's clock is 3600 seconds behind this host's." in text


@pytest.mark.parametrize("date", [None, email.utils.formatdate(NOW + 200, usegmt=True)])
def test_without_skew_a_neutral_refusal_points_at_the_credentials(date):
    text = _base.explain(refused(403, date))
    assert "Check api_key and api_secret" in text and "clock" not in text
