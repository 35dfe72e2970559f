# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Admin hooks for realistic usage (issue 14): /_simulator/usage.

POST   {"organization": id, "period": "YYYY-MM", "records": [wire usage records]}  serve exactly these
POST   {"history_months": N}   realistic records for the N months before the current one, every org
GET    what is seeded: {"history_months": N, "usage": [{"organization", "period", "records"}]}
DELETE drop every seeded record (the deterministic statements come back)

Seeded records are validated against the spec's answer of list-distributor-organization-usage
before they are stored, like every answer the simulator sends.
"""

from __future__ import annotations

import json
import re
import uuid

from .state import NotFound

USAGE_OPERATION = "list-distributor-organization-usage"
PERIOD = re.compile(r"\A[0-9]{4}-(0[1-9]|1[0-2])\Z")
SEED_KEYS = ("organization", "period", "records")
MAX_HISTORY_MONTHS = 120


class HookError(Exception):
    """A bad admin request: (status, message)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def hooks(simulator, body):
    """(method, path) -> callable, merged into the simulator's admin hooks."""
    return {
        ("POST", "/usage"): lambda: seed(simulator, body),
        ("GET", "/usage"): simulator.store.seeded,
        ("DELETE", "/usage"): lambda: clear(simulator),
    }


def seed(simulator, body):
    if set(body) == {"history_months"}:
        months = body["history_months"]
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_HISTORY_MONTHS:
            raise HookError(400, "history_months: expected a whole number from 1 to %d" % MAX_HISTORY_MONTHS)
        simulator.store.seed_usage_history(months)
        return {"history_months": months}
    unknown = sorted(set(body) - set(SEED_KEYS))
    missing = [key for key in SEED_KEYS if key not in body]
    if unknown or missing:
        raise HookError(
            400,
            "expected {organization, period, records} or {history_months}; unknown: %s, missing: %s"
            % (", ".join(unknown) or "none", ", ".join(missing) or "none"),
        )
    try:
        org_id = str(uuid.UUID(str(body["organization"])))
    except ValueError:
        raise HookError(400, "organization: %r is not a UUID" % (body["organization"],)) from None
    if not isinstance(body["period"], str) or not PERIOD.match(body["period"]):
        raise HookError(400, "period: expected YYYY-MM with a month 01-12, got %r" % (body["period"],))
    records = body["records"]
    route = simulator.spec.route_for(USAGE_OPERATION)
    path = "/distributor/organization/%s/usage" % org_id
    problem = simulator.spec.response_errors(route, path, 200, json.dumps(records).encode(), "application/json")
    if problem:
        raise HookError(400, "records break the spec's usage answer: %s" % problem)
    try:
        simulator.store.seed_usage(org_id, body["period"], records)
    except NotFound as error:
        raise HookError(404, str(error)) from None
    except ValueError as error:
        raise HookError(400, "records: %s" % error) from None
    return {"organization": org_id, "period": body["period"], "records": len(records)}


def clear(simulator):
    simulator.store.clear_seeded_usage()
    return {"message": "seeded usage cleared"}
