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

    def __init__(self, path=None, usage_history_months=0):
        self.path = path
        self.lock = threading.RLock()
        self.organizations = {}
        self.ledger = []
        self.seeded_usage = {}  # "org-id/YYYY-MM" -> wire usage records, amounts as exact decimal strings
        self.usage_history_months = usage_history_months  # --seed-usage: history for every organization
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
        self.seeded_usage = data.get("usage", {})

    def _save(self):
        if not self.path:
            return
        data = {"version": STATE_VERSION, "organizations": list(self.organizations.values()), "ledger": self.ledger}
        if self.seeded_usage:  # only when usage was seeded: the file stays as before otherwise
            data["usage"] = self.seeded_usage
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
            self.seeded_usage = {}
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
            if self.usage_history_months:
                self._seed_history(org_id, self.usage_history_months)
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

    def set_status(self, org_id, status):
        """Set a status as the provider would (an unpaid invoice, abuse), whatever the current one."""
        with self.lock:
            org = self._get(org_id)
            org["status"] = status
            self._save()
            return organization_output(org)

    def remove_organization(self, org_id):
        """Drop an organization (and its seeded usage) as if it vanished behind the API's back."""
        with self.lock:
            self._get(org_id)
            del self.organizations[org_id]
            for key in [key for key in self.seeded_usage if key.startswith(org_id + "/")]:
                del self.seeded_usage[key]
            self._save()
            return {"message": "organization %s removed" % org_id}

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
                    "organization %s is %s: only a terminated organization can be scheduled for purge, "
                    "terminate it first" % (org_id, org["status"])
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
            seeded = self.seeded_usage.get("%s/%s" % (org_id, period))
            if seeded is not None:
                return wire_records(seeded)
            if period > current_period() or period < org["created-at"][:7]:
                return []
            metered = {}
            for entry in self.ledger:
                if entry["organization"] == org_id and entry["period"] == period:
                    for item in entry["usage"]:
                        key = (item["product"], item["variable"])
                        metered[key] = metered.get(key, decimal.Decimal(0)) + decimal.Decimal(item["quantity"])
            return [usage_record(org_id, period, metered)]

    # seeded usage (issue 14): served instead of the deterministic statement for that org and month

    def seed_usage(self, org_id, period, records):
        """Serve exactly these (already spec-validated) wire records for this organization and month."""
        with self.lock:
            self._get(org_id)
            self.seeded_usage["%s/%s" % (org_id, period)] = exact_records(records)
            self._save()

    def _seed_history(self, org_id, months):
        now = current_period()
        for age in range(1, months + 1):
            period = period_before(now, age)
            self.seeded_usage.setdefault("%s/%s" % (org_id, period), [history_record(org_id, period, age)])

    def seed_usage_history(self, months):
        """Realistic usage for the `months` months before the current one, for every organization (and
        for every organization created later); explicitly seeded months are kept."""
        with self.lock:
            self.usage_history_months = months
            for org_id in self.organizations:
                self._seed_history(org_id, months)
            self._save()

    def seeded(self):
        with self.lock:
            return {
                "history_months": self.usage_history_months,
                "usage": [
                    {"organization": key.split("/")[0], "period": key.split("/")[1], "records": wire_records(records)}
                    for key, records in sorted(self.seeded_usage.items())
                ],
            }

    def clear_seeded_usage(self):
        with self.lock:
            self.seeded_usage = {}
            self.usage_history_months = 0
            self._save()


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
    return statement(org_id, period, currency, lines)


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


# ------------------------------------------------------------------------------------ seeded usage (issue 14)
# Realistic usage for past months, loaded by POST /_simulator/usage or --seed-usage MONTHS: served
# instead of the deterministic statement above for that organization and month.

AMOUNT_KEYS = ("quantity", "total-excl-vat", "total-incl-vat")
# (product, variable, description, unit, unit price, monthly quantity range for an organization of size 1)
HISTORY_CATALOGUE = (
    ("compute", "instance-standard-medium", "Compute instance Standard Medium", "hour", "0.05556", (700, 3000)),
    ("compute", "instance-gpu-a5000", "Compute instance GPU A5000", "hour", "1.38889", (0, 300)),
    ("block-storage", "volume", "Block Storage volume", "GiB-month", "0.10000", (50, 2000)),
    ("sos", "storage", "Simple Object Storage", "GiB-month", "0.02000", (10, 5000)),
    ("network", "egress", "Outbound traffic", "GiB", "0.01000", (1, 900)),
    ("network", "elastic-ip", "Elastic IP", "hour", "0.00694", (0, 1500)),
    ("dbaas", "pg-business-4", "DBaaS PostgreSQL business-4", "hour", "0.43750", (0, 744)),
    ("sks", "control-plane-pro", "SKS control plane Pro", "hour", "0.13889", (0, 744)),
)
ORG_SIZES = (0.1, 0.3, 0.6, 1, 1, 2, 4, 9)


def period_before(period, months):
    year, month = (int(part) for part in period.split("-"))
    index = year * 12 + month - 1 - months
    return "%04d-%02d" % (index // 12, index % 12 + 1)


def history_currency(org_id):
    """Most organizations pay in CHF, some in EUR, a few in USD (fixed per organization)."""
    byte = hashlib.sha256(("currency/" + org_id).encode("utf-8")).digest()[0]
    return "CHF" if byte < 150 else "EUR" if byte < 225 else "USD"


def history_record(org_id, period, age):
    """A realistic statement: several products, 5-decimal quantities, a size per organization, slow growth.

    ``age``: months before the current one (growth: older months are a little smaller).
    """
    rng = random.Random(hashlib.sha256(("history/%s/%s" % (org_id, period)).encode("utf-8")).digest())
    size = ORG_SIZES[hashlib.sha256(("size/" + org_id).encode("utf-8")).digest()[0] % len(ORG_SIZES)]
    growth = decimal.Decimal(str(size)) * (1 - decimal.Decimal(age) / 40)
    lines = []
    for product, variable, description, unit, price, (low, high) in HISTORY_CATALOGUE:
        if low == 0 and rng.random() < 0.5:
            continue
        quantity = (decimal.Decimal(rng.randint(low * 100000, high * 100000)) / 100000 * growth).quantize(
            decimal.Decimal("0.00001")
        )
        lines.append(_line(product, variable, description, quantity, unit, quantity * decimal.Decimal(price)))
    # A tiny quantity: on the wire as an exponent-form JSON number (e.g. 3e-05).
    tiny = decimal.Decimal(rng.randint(1, 9)) / 100000
    lines.append(
        _line("network", "egress-inter-zone", "Inter-zone traffic", tiny, "GiB", tiny * decimal.Decimal("0.01"))
    )
    return exact_records([statement(org_id, period, history_currency(org_id), lines)])[0]


def statement(org_id, period, currency, lines):
    """A usage record of these lines, totals summed exactly."""
    year, month = (int(part) for part in period.split("-"))
    start = datetime.datetime(year, month, 1, tzinfo=datetime.timezone.utc)
    end = datetime.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=datetime.timezone.utc)
    return {
        "code": "USG-%s-%s" % (period.replace("-", ""), org_id.split("-")[0].upper()),
        "currency": currency,
        "total-excl-vat": json_number(_total(lines, "total-excl-vat")),
        "total-incl-vat": json_number(_total(lines, "total-incl-vat")),
        "start-date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end-date": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "usage": lines,
    }


def _exact(value):
    """An amount as exact decimal text; a float goes through repr, the shortest text that round-trips."""
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal, str)):
        raise ValueError("expected a number, got %r" % (value,))
    number = decimal.Decimal(repr(value) if isinstance(value, float) else str(value))
    if not number.is_finite():
        raise ValueError("expected a finite number, got %r" % (value,))
    return format(number, "f")


def exact_records(records):
    """Wire usage records with every amount as exact decimal text (how the store keeps them)."""
    return [
        dict(
            {key: _exact(value) if key in AMOUNT_KEYS else value for key, value in record.items() if key != "usage"},
            usage=[
                {key: _exact(value) if key in AMOUNT_KEYS else value for key, value in line.items()}
                for line in record.get("usage", [])
            ],
        )
        for record in records
    ]


def wire_records(records):
    """Stored records as the API sends them: amounts as JSON numbers (small ones come out as 3e-05)."""
    return [
        dict(
            {
                key: json_number(value) if key in AMOUNT_KEYS else value
                for key, value in record.items()
                if key != "usage"
            },
            usage=[
                {key: json_number(value) if key in AMOUNT_KEYS else value for key, value in line.items()}
                for line in record["usage"]
            ],
        )
        for record in records
    ]
