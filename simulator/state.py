# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Organizations, their lifecycle, the metering ledger and usage; optionally persisted to a JSON file."""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import os
import random
import tempfile
import threading
import uuid

STATE_VERSION = 1
STATUSES = ("active", "created", "suspended", "terminated")
CREATE_STATUSES = ("active", "created")
TARGET_STATUS = {"activate": "active", "suspend": "suspended"}
VAT_RATE = decimal.Decimal("0.081")
CENT = decimal.Decimal("0.01")
CURRENCIES = ("CHF", "EUR", "USD")
# Base catalogue for the deterministic part of usage: (product, variable, description, unit, unit price).
CATALOGUE = (
    ("compute", "instance-standard-small", "Compute instance Standard Small", "hour", decimal.Decimal("0.01972")),
    ("storage", "sos-storage", "Simple Object Storage", "GiB-month", decimal.Decimal("0.02000")),
    ("network", "egress", "Outbound traffic", "GiB", decimal.Decimal("0.01000")),
    ("dbaas", "pg-hobbyist-2", "DBaaS PostgreSQL hobbyist-2", "hour", decimal.Decimal("0.03625")),
)


class NotFound(Exception):
    pass


class Conflict(Exception):
    pass


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def current_period(now=None):
    now = now or utc_now()
    return "%04d-%02d" % (now.year, now.month)


def json_number(value):
    """A Decimal as the JSON number it stands for (int when integral)."""
    value = decimal.Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def organization_output(org):
    """Only the fields of the spec's organization-output (no display-name, no owner-email)."""
    output = {
        "id": org["id"],
        "status": org["status"],
        "billing-address": dict(org["billing-address"], name=org["display-name"]),
    }
    if org.get("client-id") is not None:
        output["client-id"] = org["client-id"]
    return output


class Store:
    """All simulated server state. Thread-safe; every change is saved when a state file is set."""

    def __init__(self, path=None):
        self.path = path
        self.lock = threading.RLock()
        self.organizations = {}
        self.ledger = []
        if path and os.path.exists(path):
            self._load()

    # persistence

    def _load(self):
        with open(self.path, encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("version") != STATE_VERSION:
            raise ValueError(
                "state file %s has version %r, expected %d" % (self.path, data.get("version"), STATE_VERSION)
            )
        self.organizations = {org["id"]: org for org in data["organizations"]}
        self.ledger = data["ledger"]

    def _save(self):
        if not self.path:
            return
        data = {"version": STATE_VERSION, "organizations": list(self.organizations.values()), "ledger": self.ledger}
        directory = os.path.dirname(os.path.abspath(self.path))
        descriptor, temporary = tempfile.mkstemp(prefix=".simulator-state-", dir=directory)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            os.unlink(temporary)
            raise

    def reset(self):
        with self.lock:
            self.organizations = {}
            self.ledger = []
            self._save()

    # organizations

    def _get(self, org_id):
        org = self.organizations.get(org_id)
        if org is None:
            raise NotFound("organization %s not found" % org_id)
        return org

    def list_organizations(self):
        with self.lock:
            return {"organizations": [organization_output(org) for org in self.organizations.values()]}

    def get_organization(self, org_id):
        with self.lock:
            return organization_output(self._get(org_id))

    def create_organization(self, body, status, org_id=None):
        """Store a validated organization-input; client-id is not unique (the API does not say it is)."""
        with self.lock:
            org_id = org_id or str(uuid.uuid4())
            if org_id in self.organizations:
                raise Conflict("organization %s already exists" % org_id)
            self.organizations[org_id] = {
                "id": org_id,
                "status": status,
                "display-name": body["display-name"],
                "billing-address": dict(body["billing-address"]),
                "client-id": body.get("client-id"),
                "owner-email": body.get("owner-email"),
                "created-at": utc_now().isoformat(),
                "purge-scheduled": False,
            }
            self._save()
            return organization_output(self.organizations[org_id])

    def change_status(self, org_id, action):
        """activate/suspend: idempotent between created/active/suspended (PUT); refused once terminated."""
        with self.lock:
            org = self._get(org_id)
            if org["status"] == "terminated":
                raise Conflict(
                    "organization %s is terminated and cannot be %s"
                    % (org_id, "activated" if action == "activate" else "suspended")
                )
            org["status"] = TARGET_STATUS[action]
            self._save()
            return organization_output(org)

    def terminate(self, org_id):
        with self.lock:
            org = self._get(org_id)
            if org["status"] == "terminated":
                raise Conflict("organization %s is already terminated" % org_id)
            org["status"] = "terminated"
            self._save()
            return {"message": "Organization %s has been terminated." % org_id}

    def schedule_purge(self, org_id):
        with self.lock:
            org = self._get(org_id)
            if org["status"] != "terminated":
                raise Conflict(
                    "organization %s is %s: only a terminated organization can be scheduled for purge, terminate it first"
                    % (org_id, org["status"])
                )
            org["purge-scheduled"] = True
            self._save()
            return {"message": "Organization %s has been scheduled to be purged." % org_id}

    # metering and usage

    def meter(self, batch):
        """Append an accepted batch to the ledger. Replays bill again: the API has no idempotency key."""
        with self.lock:
            org = self._get(str(batch["organization"]))
            if org["status"] == "terminated":
                raise Conflict("organization %s is terminated: metering is refused" % org["id"])
            now = utc_now()
            self.ledger.append(
                {
                    "organization": org["id"],
                    "usage": [
                        {"product": entry["product"], "variable": entry["variable"], "quantity": str(entry["quantity"])}
                        for entry in batch["usage"]
                    ],
                    "received": now.isoformat(),
                    "period": current_period(now),
                }
            )
            self._save()

    def batches(self):
        with self.lock:
            return {
                "batches": [
                    dict(entry, usage=[dict(item, quantity=json_number(item["quantity"])) for item in entry["usage"]])
                    for entry in self.ledger
                ]
            }

    def usage(self, org_id, period=None):
        with self.lock:
            org = self._get(org_id)
            period = period or current_period()
            if period > current_period() or period < org["created-at"][:7]:
                return []
            metered = {}
            for entry in self.ledger:
                if entry["organization"] == org_id and entry["period"] == period:
                    for item in entry["usage"]:
                        key = (item["product"], item["variable"])
                        metered[key] = metered.get(key, decimal.Decimal(0)) + decimal.Decimal(item["quantity"])
            return [usage_record(org_id, period, metered)]


def usage_record(org_id, period, metered):
    """One usage statement: deterministic lines seeded by (org id, period), plus the metered totals."""
    rng = random.Random(hashlib.sha256(("%s/%s" % (org_id, period)).encode("utf-8")).digest())
    currency = CURRENCIES[hashlib.sha256(org_id.encode("utf-8")).digest()[0] % len(CURRENCIES)]
    lines = []
    for product, variable, description, unit, price in CATALOGUE:
        quantity = decimal.Decimal(rng.randint(0, 72000)) / 100
        lines.append(_line(product, variable, description, quantity, unit, quantity * price))
    for (product, variable), quantity in sorted(metered.items()):
        lines.append(_line(product, variable, "Metered by the partner", quantity, "unit", quantity))
    excl = _total(lines, "total-excl-vat")
    year, month = (int(part) for part in period.split("-"))
    start = datetime.datetime(year, month, 1, tzinfo=datetime.timezone.utc)
    end = datetime.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=datetime.timezone.utc)
    return {
        "code": "USG-%s-%s" % (period.replace("-", ""), org_id.split("-")[0].upper()),
        "currency": currency,
        "total-excl-vat": json_number(excl),
        "total-incl-vat": json_number(_total(lines, "total-incl-vat")),
        "start-date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end-date": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "usage": lines,
    }


def _total(lines, key):
    return sum((decimal.Decimal(str(line[key])) for line in lines), decimal.Decimal(0))


def _line(product, variable, description, quantity, unit, total):
    total = decimal.Decimal(total).quantize(CENT)
    return {
        "product": product,
        "variable": variable,
        "description": description,
        "quantity": json_number(quantity),
        "unit": unit,
        "total-excl-vat": json_number(total),
        "total-incl-vat": json_number((total * (1 + VAT_RATE)).quantize(CENT)),
    }
