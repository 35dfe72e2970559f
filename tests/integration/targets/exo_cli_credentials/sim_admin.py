# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator's admin hooks for runme.sh: seed one organization, check which API key signed the requests.

seed ADMIN_URL                 reset, then seed the organization the playbooks read (client_id crm-exo)
keys ADMIN_URL KEY             every logged request (at least one) was signed with KEY, then clear the log
none ADMIN_URL                 no request was logged
"""

from __future__ import absolute_import, division, print_function

import json
import sys
import urllib.request


def admin(url, method, body=None):
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def seed(admin_url):
    admin(admin_url + "/reset", "POST", {})
    billing = {"name": "Exo Corp", "street-name": "Main", "city": "Zurich", "postal-code": "8001", "country": "CH"}
    admin(
        admin_url + "/organizations",
        "POST",
        {"display-name": "Exo Corp", "client-id": "crm-exo", "status": "active", "billing-address": billing},
    )
    admin(admin_url + "/requests", "DELETE")


def signing_keys(admin_url):
    return [entry["key"] for entry in admin(admin_url + "/requests", "GET")["requests"]]


def keys(admin_url, key):
    signed = signing_keys(admin_url)
    assert signed and set(signed) == {key}, "expected requests signed with %s, got %s" % (key, signed)
    admin(admin_url + "/requests", "DELETE")
    print("%d requests signed with %s" % (len(signed), key))


def none(admin_url):
    signed = signing_keys(admin_url)
    assert signed == [], "expected no request, got %d signed with %s" % (len(signed), signed)


if __name__ == "__main__":
    {"seed": seed, "keys": keys, "none": none}[sys.argv[1]](*sys.argv[2:])
