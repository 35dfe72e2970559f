# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The metering journal's protocol: at most one POST per transaction id, ever (issue 12).

Private to this collection: not a public API, may change in any release.
No Ansible import, no HTTP and no SQL: the decisions are pure functions, and run_transaction applies
them through a store (_journal_store.py keeps the rows in SQLite or PostgreSQL).

The protocol, per transaction id (the primary key, so two runs can never both insert):
  no row          -> insert `pending` and COMMIT, then send
  2xx             -> `applied`
  definite refusal (the request certainly did nothing) -> the row is removed
  maybe processed (timeout, lost connection, 5xx) -> `uncertain`
  `applied`, same batch -> nothing is sent
  any row with another batch -> conflict, nothing is sent
  `pending`/`uncertain` -> nothing is sent until a person settles it with resolve=applied|not_applied
Nothing is ever resent automatically. Nothing is ever deleted except a row this run inserted or
claimed and whose request was definitely refused.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import re

from ansible_collections.exoscale.partner.plugins.module_utils._client import validate_uuid

PENDING = "pending"
APPLIED = "applied"
UNCERTAIN = "uncertain"
TRANSACTION_STATES = (PENDING, APPLIED, UNCERTAIN)
UNSETTLED = (PENDING, UNCERTAIN)

RESOLVE_APPLIED = "applied"
RESOLVE_NOT_APPLIED = "not_applied"
RESOLUTIONS = (RESOLVE_APPLIED, RESOLVE_NOT_APPLIED)

MAX_TRANSACTION_ID = 255

# What decide() tells the caller to do.
SEND = "send"  # no row: insert pending, then send
ALREADY_APPLIED = "already_applied"  # nothing to do
RECORD_APPLIED = "record_applied"  # resolve=applied: mark applied, send nothing
RESEND = "resend"  # resolve=not_applied: claim the row, then send
CONFLICT = "conflict"  # fail: the id was used for another batch
NEEDS_RESOLVE = "needs_resolve"  # fail: pending/uncertain, a person must settle it
NOTHING_TO_RESOLVE = "nothing_to_resolve"  # fail: resolve given but there is no row
IN_FLIGHT = "in_flight"  # fail: resolve=not_applied on a row another run may be sending right now
FAILING_ACTIONS = (CONFLICT, NEEDS_RESOLVE, NOTHING_TO_RESOLVE, IN_FLIGHT)

# A run holds a row `pending` only while its one POST is in flight: at most the API timeout plus the
# client's retry budget for 429 (60 s). resolve=not_applied does not take over a pending row younger
# than this, so two resolve runs started together (or a resolve during a live run) cannot both send.
PENDING_LEASE_SECONDS = 900

# The fields of a journal entry, the columns of the journal table.
JOURNAL_COLUMNS = (
    "transaction_id",
    "state",
    "organization_id",
    "client_id",
    "batch",
    "batch_hash",
    "api_key",
    "first_sent_at",
    "last_sent_at",
    "applied_at",
    "updated_at",
    "attempts",
    "last_error",
)


class JournalError(Exception):
    """The journal cannot be used; the message says which journal, what is wrong and what to do."""


# ---------------------------------------------------------------------------------------------
# Pure rules
# ---------------------------------------------------------------------------------------------


def validate_transaction_id(value, field="transaction_id"):
    """The transaction id if it is a non-blank string of at most 255 characters, else ValueError naming field."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("%s: expected a string, got %s" % (field, type(value).__name__))
    value = str(value)
    if not value.strip():
        raise ValueError("%s: must not be empty or blank" % field)
    if len(value) > MAX_TRANSACTION_ID:
        raise ValueError("%s: at most %d characters allowed, got %d" % (field, MAX_TRANSACTION_ID, len(value)))
    return value


def canonical_batch(organization_id, usage):
    """The batch as stored and compared: compact JSON, keys sorted, quantities as exact decimal text.

    `usage` is what _client.validate_usage returns (quantities as decimal.Decimal); the entry order is
    kept (it is the order sent). 1, 1.0 and "1.00" are different texts but the same amount, so the
    quantity is normalized: trailing zeros do not make a batch "different".
    """
    entries = [
        {"product": e["product"], "variable": e["variable"], "quantity": _normalized_decimal(e["quantity"])}
        for e in usage
    ]
    return json.dumps({"organization_id": organization_id, "usage": entries}, sort_keys=True, separators=(",", ":"))


def _normalized_decimal(number):
    return format(number.normalize(), "f") if number else "0"


def batch_hash(canonical):
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def decide(entry, new_hash, resolve=None, now=None):
    """What to do for a transaction, given its journal entry (or None) and the hash of the batch now asked for."""
    if entry is None:
        return NOTHING_TO_RESOLVE if resolve else SEND
    if entry["batch_hash"] != new_hash:
        return CONFLICT
    if entry["state"] == APPLIED:
        return ALREADY_APPLIED
    if resolve == RESOLVE_APPLIED:
        return RECORD_APPLIED
    if resolve == RESOLVE_NOT_APPLIED:
        return IN_FLIGHT if may_be_in_flight(entry, now or utc_now()) else RESEND
    return NEEDS_RESOLVE


def may_be_in_flight(entry, now):
    """True for a pending row whose POST may still be running (younger than PENDING_LEASE_SECONDS)."""
    if entry["state"] != PENDING:
        return False
    sent = parse_stored(entry["last_sent_at"])
    return sent is None or (now - sent).total_seconds() < PENDING_LEASE_SECONDS


def parse_stored(text):
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


def refusal_text(action, transaction_id, entry):
    """The failure message for a failing action: names the transaction and says how to settle it."""
    if action == NOTHING_TO_RESOLVE:
        return (
            "transaction %r: resolve was given but the journal has no entry for it (resolve only settles a "
            "pending or uncertain transaction). Remove resolve to send the batch." % transaction_id
        )
    if action == CONFLICT:
        return (
            "transaction %r was already used for another batch (%s, state %s, first sent %s): a transaction id "
            "names one batch forever. Nothing was sent. Use a new transaction id for a different batch."
            % (transaction_id, describe_batch(entry["batch"]), entry["state"], entry["first_sent_at"])
        )
    if action == IN_FLIGHT:
        return (
            "transaction %r is PENDING since %s: another run may be sending it right now, so resolve=not_applied "
            "does not take it over before %d minutes have passed. Nothing was sent. Wait, then check the usage "
            "of organization %s again and rerun; or use resolve=applied if the batch is there."
            % (transaction_id, entry["last_sent_at"], PENDING_LEASE_SECONDS // 60, entry["organization_id"])
        )
    if action == NEEDS_RESOLVE:
        return (
            "transaction %r is %s: it was sent at %s to organization %s and nobody knows whether it was applied "
            "(%s). Nothing was sent. Check the usage of organization %s (exoscale.partner.partner_org_info "
            "usage=true), then rerun with resolve=applied if the batch is there (records it, sends nothing) or "
            "resolve=not_applied if it is not (sends it once). See docs/docsite/rst/metering.rst."
            % (
                transaction_id,
                entry["state"].upper(),
                entry["last_sent_at"],
                entry["organization_id"],
                _why_unsettled(entry),
                entry["organization_id"],
            )
        )
    raise ValueError("not a failing action: %r" % action)


def _why_unsettled(entry):
    if entry["state"] == PENDING:
        return (
            "a run was sending it and did not record the outcome: it was interrupted, or is still running; "
            "resolve=not_applied takes a pending transaction over only once it is %d minutes old"
            % (PENDING_LEASE_SECONDS // 60)
        )
    return "last error: %s" % (entry.get("last_error") or "unknown")


def describe_batch(canonical):
    try:
        batch = json.loads(canonical)
        return "organization %s, %d entries" % (batch["organization_id"], len(batch["usage"]))
    except (ValueError, KeyError, TypeError):
        return "another batch"


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(moment):
    """ISO 8601 UTC with a Z, to the second: the one format stored, so text order is time order."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_SINCE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_since(value, field="since"):
    """ISO 8601 date or date-time (UTC if no offset) -> the stored format; ValueError naming field."""
    text = str(value).strip()
    if not _SINCE_RE.match(text):
        raise ValueError(
            "%s: expected an ISO 8601 date or date-time like '2026-01-31T12:00:00Z', got %r" % (field, value)
        )
    text = text.replace(" ", "T")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) >= 5 and text[-5] in "+-" and ":" not in text[-5:] and "T" in text:
        text = text[:-2] + ":" + text[-2:]
    try:
        moment = datetime.datetime.fromisoformat(text) if "T" in text else datetime.datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise ValueError("%s: not a valid date or date-time: %r" % (field, value)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return iso(moment)


def journal_filters(states=None, transaction_id=None, prefix=None, organization_id=None, since=None):
    """The store's entries() filters from partner_metering_info's options; ValueError naming a bad one."""
    return dict(
        states=states,
        transaction_id=transaction_id,
        prefix=prefix,
        organization_id=None if organization_id is None else validate_uuid(organization_id, "organization_id"),
        since=None if since is None else parse_since(since),
    )


def count_states(entries):
    """How many of the entries are in each state: {state: count}, only the states present."""
    counts = {}
    for entry in entries:
        counts[entry["state"]] = counts.get(entry["state"], 0) + 1
    return counts


def public_entry(entry):
    """The entry as modules return it (the batch decoded, no internal hash)."""
    if entry is None:
        return None
    result = {key: entry[key] for key in JOURNAL_COLUMNS if key not in ("batch", "batch_hash")}
    result["attempts"] = int(result["attempts"])
    try:
        result["usage"] = json.loads(entry["batch"])["usage"]
    except (ValueError, KeyError, TypeError):
        result["usage"] = None
    return result


def transaction_summary(transaction_id, entry):
    """The `transaction` return value: {id, state, organization_id, first_sent_at, applied_at}."""
    entry = entry or {}
    return {
        "id": transaction_id,
        "state": entry.get("state"),
        "organization_id": entry.get("organization_id"),
        "first_sent_at": entry.get("first_sent_at"),
        "applied_at": entry.get("applied_at"),
    }


# ---------------------------------------------------------------------------------------------
# Sending one transaction through the protocol
# ---------------------------------------------------------------------------------------------


class TransactionOutcome:
    """What run_transaction did: action, the entry after it, whether anything changed, the error if any."""

    def __init__(self, action, entry, changed, error=None, state_error=None):
        self.action = action
        self.entry = entry
        self.changed = changed
        self.error = error  # the API exception, or None
        self.state_error = state_error  # a JournalError while recording the outcome, or None


def applied_for_client_id(entry, client_id, usage):
    """True when `entry` is applied for this client ID and these entries: no lookup needed, nothing to send."""
    if entry is None or entry["state"] != APPLIED or entry.get("client_id") is None:
        return False
    if entry["client_id"] != client_id:
        return False
    return batch_hash(canonical_batch(entry["organization_id"], usage)) == entry["batch_hash"]


def run_transaction(
    store, transaction_id, organization_id, canonical, api_key, send, resolve=None, scrub=None, client_id=None
):
    """Apply the protocol for one transaction; send() does the POST.

    send() raises an exception with `maybe_processed` (True: maybe applied) to report a failure; any
    other exception is treated as maybe applied. Failing actions (conflict, needs resolve, nothing to
    resolve) send nothing and return a TransactionOutcome with that action. Never raises for an API failure.
    """
    new_hash = batch_hash(canonical)
    for _round in range(2):  # a second round only if a racing run removed the row it had inserted
        entry = store.get(transaction_id)
        action = decide(entry, new_hash, resolve)
        now = iso(utc_now())
        if action == SEND:
            row = _new_row(transaction_id, organization_id, canonical, new_hash, api_key, now, client_id)
            if store.insert_pending(row):
                return _send_claimed(store, row, send, scrub)
        elif action == RESEND:
            claimed = store.claim(transaction_id, entry["state"], entry["attempts"], now)
            if claimed:
                return _send_claimed(store, claimed, send, scrub)
        elif action == RECORD_APPLIED:
            if store.settle(transaction_id, entry["attempts"], APPLIED, now, None, expected_state=entry["state"]):
                return TransactionOutcome(action, store.get(transaction_id), True)
        else:
            return TransactionOutcome(action, entry, False)
        outcome = _lost_race(store.get(transaction_id), new_hash, resolve)
        if outcome is not None:
            return outcome
    raise JournalError(
        "transaction %r changed twice while this run tried to send it: another run is working on it. Nothing "
        "was sent by this run; rerun once it is done." % transaction_id
    )


def _lost_race(entry, new_hash, resolve):
    """Another run changed the row between our read and our conditional write: report what it wrote.

    None when the row is gone (the other run was refused and removed it): decide again.
    """
    if entry is None:
        return None
    if entry["batch_hash"] != new_hash:
        return TransactionOutcome(CONFLICT, entry, False)
    if entry["state"] == APPLIED:
        return TransactionOutcome(ALREADY_APPLIED, entry, False)
    in_flight = resolve == RESOLVE_NOT_APPLIED and entry["state"] == PENDING
    return TransactionOutcome(IN_FLIGHT if in_flight else NEEDS_RESOLVE, entry, False)


def preview_transaction(store, transaction_id, canonical, resolve=None):
    """Check mode: (action, entry) without writing anything."""
    entry = store.get(transaction_id)
    return decide(entry, batch_hash(canonical), resolve), entry


def _new_row(transaction_id, organization_id, canonical, new_hash, api_key, now, client_id=None):
    return {
        "transaction_id": transaction_id,
        "state": PENDING,
        "organization_id": organization_id,
        "client_id": client_id,
        "batch": canonical,
        "batch_hash": new_hash,
        "api_key": api_key,
        "first_sent_at": now,
        "last_sent_at": now,
        "applied_at": None,
        "updated_at": now,
        "attempts": 1,
        "last_error": None,
    }


def _send_claimed(store, row, send, scrub):
    """The row is ours (pending, committed): send once and record the outcome."""
    transaction_id, attempts = row["transaction_id"], row["attempts"]
    action = RESEND if attempts > 1 else SEND
    error = None
    try:
        send()
    except Exception as exc:  # noqa: BLE001 - classified here, reported by the caller
        error = exc
    maybe = error is not None and bool(getattr(error, "maybe_processed", True))
    try:
        if error is None:
            store.settle(transaction_id, attempts, APPLIED, iso(utc_now()), None)
        elif maybe:
            text = str(error) if scrub is None else scrub(str(error))
            store.settle(transaction_id, attempts, UNCERTAIN, iso(utc_now()), text)
        else:
            store.remove(transaction_id, attempts)
        entry = store.get(transaction_id)
    except JournalError as journal_exc:  # the row stays pending: nothing will resend it
        return TransactionOutcome(action, row, True, error, journal_exc)
    return TransactionOutcome(action, entry, error is None or maybe, error)
