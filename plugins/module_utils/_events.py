# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The rules of the partner_events event source (extensions/eda): what changed, and what to emit once.

Private to this collection: not a public API, may change in any release.
No Ansible import, no HTTP, no event loop: every decision is a pure function of the last snapshot
(the source's state), what was just read, and the time. The asyncio shell in
extensions/eda/plugins/event_source/partner_events.py reads the API and the journal and delivers.

The state (a JSON document, the source's state file) holds no secret:
  organizations   the last list, {id: organization as the client returns it}; None before the baseline
  thresholds      keys "org|period|currency|threshold" already emitted (current month only)
  usage_read_at   when the usage was last read (ISO 8601 UTC), None before the first read
  metering        keys "transaction|state|attempts" already emitted; None before the baseline
  outages         {operation: {"since", "error"}} for the reads that are failing now
  api_url         the endpoint the snapshot was taken from
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import math
import re

from ansible_collections.exoscale.partner.plugins.module_utils import _client

ORGANIZATION_ADDED = "organization_added"
ORGANIZATION_REMOVED = "organization_removed"
STATUS_CHANGED = "status_changed"
USAGE_THRESHOLD_CROSSED = "usage_threshold_crossed"
METERING_UNSETTLED = "metering_unsettled"
API_ERROR = "api_error"
API_RECOVERED = "api_recovered"
EVENT_TYPES = (
    ORGANIZATION_ADDED,
    ORGANIZATION_REMOVED,
    STATUS_CHANGED,
    USAGE_THRESHOLD_CROSSED,
    METERING_UNSETTLED,
    API_ERROR,
    API_RECOVERED,
)

# The reads whose failures are reported (api_error / api_recovered, each once per outage).
LIST_ORGANIZATIONS = "list_organizations"
LIST_USAGE = "list_usage"
READ_JOURNAL = "read_journal"

STATE_VERSION = 1
# Usage is read only for organizations that can still use something.
LIVE_STATUSES = ("created", "active", "suspended")

_CURRENCY_RE = re.compile(r"\A[A-Z]{3}\Z")
_TEMPLATE_START_RE = re.compile(r"\{[{%#]")


# ---------------------------------------------------------------------------------------------
# Time and events
# ---------------------------------------------------------------------------------------------


def iso_milliseconds(moment):
    """ISO 8601 UTC to the millisecond, with a Z: 2026-03-01T12:00:00.123Z."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text):
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


def current_period(moment):
    """The billing month of ``moment`` (UTC), as 'YYYY-MM'."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m")


def event(kind, moment, **fields):
    """An event: its type, when it was observed, and its own keys."""
    result = {"type": kind, "observed_at": iso_milliseconds(moment)}
    result.update(fields)
    return result


def template_inert(value):
    """``value`` with every string made inert for Jinja: a playbook templating it gets the original text.

    ``{{``, ``{%`` and ``{#`` become ``{{ '{{' }}``, ``{{ '{%' }}``, ``{{ '{#' }}`` (one pass, so the
    replacement is never replaced again). Dictionaries and lists are copied; other values kept.
    """
    if isinstance(value, str):
        return _TEMPLATE_START_RE.sub(lambda match: "{{ '%s' }}" % match.group(0), value)
    if isinstance(value, dict):
        return {key: template_inert(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [template_inert(item) for item in value]
    return value


def scrub(text, secrets):
    """``text`` with every secret replaced by ***."""
    for secret in secrets:
        if secret and isinstance(secret, str):
            text = text.replace(secret, "***")
    return text


# ---------------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------------


def seconds(value, field, minimum=1):
    """A number of seconds of at least ``minimum`` (int or float, not bool), else ValueError naming the field."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError("%s: expected a number of seconds, got %r" % (field, value))
    if value < minimum:
        raise ValueError("%s: must be at least %s seconds, got %r" % (field, minimum, value))
    return value


def parse_thresholds(value, field="usage_thresholds"):
    """{currency: [Decimal, ...]} from a mapping currency -> amount or list of amounts (decimal strings)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError('%s: expected a mapping of currency to amount, like {CHF: "500"}, got %r' % (field, value))
    thresholds = {}
    for currency, amounts in value.items():
        if not isinstance(currency, str) or not _CURRENCY_RE.match(currency):
            raise ValueError("%s: %r is not a currency code like CHF, EUR or USD" % (field, currency))
        amounts = amounts if isinstance(amounts, list) else [amounts]
        if not amounts:
            raise ValueError("%s.%s: give at least one amount" % (field, currency))
        parsed = []
        for amount in amounts:
            number = _client.exact_decimal(amount, "%s.%s" % (field, currency))
            if number < 0:
                raise ValueError("%s.%s: must not be negative, got %r" % (field, currency, amount))
            parsed.append(number)
        thresholds[currency] = sorted(set(parsed))
    return thresholds


# ---------------------------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------------------------


def new_state(api_url):
    return {
        "version": STATE_VERSION,
        "api_url": api_url,
        "organizations": None,
        "thresholds": [],
        "usage_read_at": None,
        "metering": None,
        "outages": {},
    }


def checked_state(data, api_url, where):
    """A state read from the state file, checked; ValueError naming the file when it is not one of ours."""
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        version = data.get("version") if isinstance(data, dict) else None
        raise ValueError(
            "state_file %s: not a partner_events state file of version %d (version %r); move it away or "
            "choose another path" % (where, STATE_VERSION, version)
        )
    if data.get("api_url") != api_url:
        raise ValueError(
            "state_file %s holds the organizations of %s, not of %s: comparing them would report every "
            "organization as added or removed. Use one state file per endpoint." % (where, data.get("api_url"), api_url)
        )
    state = new_state(api_url)
    state.update({key: data[key] for key in state if key in data})
    return state


# ---------------------------------------------------------------------------------------------
# Organizations: one list per poll
# ---------------------------------------------------------------------------------------------


def organization_events(previous, organizations, moment):
    """The events between the last snapshot and the list just read (None: baseline, nothing), and the new snapshot.

    Added and changed organizations in the order of the list, then the removed ones in the order of the snapshot.
    """
    current = {org["id"]: org for org in organizations}
    if previous is None:
        return [], current
    events = []
    for org_id, org in current.items():
        before = previous.get(org_id)
        if before is None:
            events.append(event(ORGANIZATION_ADDED, moment, organization=org))
        elif before.get("status") != org.get("status"):
            events.append(event(STATUS_CHANGED, moment, organization=org, previous_status=before.get("status")))
    events += [
        event(ORGANIZATION_REMOVED, moment, organization=org)
        for org_id, org in previous.items()
        if org_id not in current
    ]
    return events, current


def live_organizations(snapshot):
    """The organizations whose usage is read (not terminated), in snapshot order."""
    return [org for org in (snapshot or {}).values() if org.get("status") in LIVE_STATUSES]


def usage_due(usage_read_at, now, usage_interval):
    read_at = parse_iso(usage_read_at) if usage_read_at else None
    return read_at is None or (now - read_at).total_seconds() >= usage_interval


# ---------------------------------------------------------------------------------------------
# Usage thresholds: once per organization, month and threshold
# ---------------------------------------------------------------------------------------------


def totals_by_currency(records):
    """{currency: exact total excl. VAT} of a month's usage records (never summed across currencies)."""
    totals = {}
    for record in records:
        currency = record.get("currency")
        total = record.get("total_excl_vat")
        if currency is None or total is None:
            continue
        totals[currency] = totals.get(currency, 0) + _client.exact_decimal(total, "total_excl_vat")
    return totals


def threshold_key(org_id, period, currency, threshold):
    return "%s|%s|%s|%s" % (org_id, period, currency, _client.plain_decimal(threshold))


def threshold_events(org, period, records, thresholds, emitted, moment):
    """The thresholds this organization's month reaches for the first time: (events, their keys)."""
    events, keys = [], []
    for currency, total in sorted(totals_by_currency(records).items()):
        for threshold in thresholds.get(currency, ()):
            key = threshold_key(org["id"], period, currency, threshold)
            if total >= threshold and key not in emitted:
                keys.append(key)
                events.append(
                    event(
                        USAGE_THRESHOLD_CROSSED,
                        moment,
                        organization=org,
                        period=period,
                        currency=currency,
                        total_excl_vat=_client.plain_decimal(total),
                        threshold=_client.plain_decimal(threshold),
                    )
                )
    return events, keys


def current_threshold_keys(keys, period):
    """The emitted keys of ``period`` only: a new month starts afresh, and the state stays small."""
    return sorted(key for key in keys if key.split("|")[1] == period)


# ---------------------------------------------------------------------------------------------
# Metering journal: once per transaction and state
# ---------------------------------------------------------------------------------------------


def is_reportable(entry, now, may_be_in_flight):
    """Uncertain, or pending longer than a run may be sending it (``may_be_in_flight``: the journal's rule)."""
    if entry["state"] == "uncertain":
        return True
    return entry["state"] == "pending" and not may_be_in_flight(entry, now)


def metering_key(entry):
    return "%s|%s|%s" % (entry["transaction_id"], entry["state"], int(entry["attempts"]))


def metering_events(entries, emitted, now, may_be_in_flight, public_entry):
    """Events for unsettled journal entries not reported yet, and the keys to remember.

    ``entries``: the journal's pending and uncertain entries; ``emitted``: the keys remembered (None:
    baseline, nothing is emitted). A transaction settled since is forgotten; one that becomes unsettled
    again (resolve=not_applied, then a failure) has another attempt count, so it is reported again.
    """
    reportable = [entry for entry in entries if is_reportable(entry, now, may_be_in_flight)]
    keys = sorted(metering_key(entry) for entry in reportable)
    if emitted is None:
        return [], keys
    known = set(emitted)
    events = [
        event(METERING_UNSETTLED, now, transaction=public_entry(entry))
        for entry in reportable
        if metering_key(entry) not in known
    ]
    return events, keys


# ---------------------------------------------------------------------------------------------
# Outages: one api_error, then one api_recovered
# ---------------------------------------------------------------------------------------------


def failed(outages, operation, error, moment):
    """The read ``operation`` failed with ``error`` (text without secret): (event or None, new outages)."""
    if operation in outages:
        return None, outages
    changed = dict(outages)
    changed[operation] = {"since": iso_milliseconds(moment), "error": error}
    return event(API_ERROR, moment, operation=operation, error=error), changed


def succeeded(outages, operation, moment):
    """The read ``operation`` succeeded: (api_recovered or None, new outages)."""
    if operation not in outages:
        return None, outages
    changed = dict(outages)
    outage = changed.pop(operation)
    recovered = event(API_RECOVERED, moment, operation=operation, error=outage["error"], since=outage["since"])
    return recovered, changed


def next_wait(interval, retry_after):
    """Seconds until the next poll: the interval, or longer when the API asked (Retry-After) for more."""
    return max(interval, retry_after or 0)
