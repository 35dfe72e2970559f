# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Constants shared by the simulator tests."""

from __future__ import annotations

import time

KEY = "EXOtest0123456789abcdef"
SECRET = "test-secret-do-not-use"
OTHER_KEY = "EXOother"
OTHER_SECRET = "other-secret"
BILLING = {
    "name": "Acme AG",
    "country": "CH",
    "city": "Zurich",
    "postal-code": "8001",
    "street-name": "Bahnhofstrasse",
    "building-number": "1",
}
NEW_ORG = {
    "display-name": "Acme AG",
    "billing-address": BILLING,
    "owner-email": "owner@acme.example",
    "client-id": "acme-1",
}
UNKNOWN_ID = "bf9bbc88-71ea-407c-9920-fc1101d86183"


def wait_until(predicate, timeout=5.0):
    """Poll until predicate() is true; for server work that finishes after the client gave up."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met within %s s" % timeout
        time.sleep(0.02)
