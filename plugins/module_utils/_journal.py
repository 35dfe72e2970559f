# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The metering journal: at most one POST per transaction id, ever (issue 12).

Private to this collection: not a public API, may change in any release.
No Ansible import and no HTTP: the protocol decisions are pure functions, the storage is one small
interface with two backends (SQLite from the standard library, PostgreSQL through psycopg 3,
imported only when a postgresql:// journal is used).

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

import contextlib
import datetime
import hashlib
import json
import os
import re
import sqlite3
import threading

PENDING = "pending"
APPLIED = "applied"
UNCERTAIN = "uncertain"
STATES = (PENDING, APPLIED, UNCERTAIN)
UNSETTLED = (PENDING, UNCERTAIN)

RESOLVE_APPLIED = "applied"
RESOLVE_NOT_APPLIED = "not_applied"
RESOLUTIONS = (RESOLVE_APPLIED, RESOLVE_NOT_APPLIED)

MAX_TRANSACTION_ID = 255
SCHEMA_VERSION = 1
TABLE = "partner_metering_journal"
DEFAULT_SQLITE_PATH = os.path.join("~", ".ansible", "exoscale.partner", "metering.sqlite3")
POSTGRES_PREFIXES = ("postgresql://", "postgres://")
BUSY_TIMEOUT_SECONDS = 30

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

ENTRY_FIELDS = (
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

_COLUMNS = """
    transaction_id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('pending', 'applied', 'uncertain')),
    organization_id TEXT NOT NULL,
    client_id TEXT,
    batch TEXT NOT NULL,
    batch_hash TEXT NOT NULL,
    api_key TEXT,
    first_sent_at TEXT NOT NULL,
    last_sent_at TEXT NOT NULL,
    applied_at TEXT,
    updated_at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT
"""


class JournalError(Exception):
    """The journal cannot be used; the message says which journal, what is wrong and what to do."""


class MissingDriver(JournalError):
    """A postgresql:// journal without psycopg installed; ``library`` names the package."""

    def __init__(self, message, library, traceback_text=None):
        super(MissingDriver, self).__init__(message)
        self.library = library
        self.traceback_text = traceback_text


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
        {"product": e["product"], "variable": e["variable"], "quantity": _plain_decimal(e["quantity"])} for e in usage
    ]
    return json.dumps({"organization_id": organization_id, "usage": entries}, sort_keys=True, separators=(",", ":"))


def _plain_decimal(number):
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


def explain(action, transaction_id, entry):
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
            "resolve=not_applied if it is not (sends it once). See docs/metering.md."
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


def public_entry(entry):
    """The entry as modules return it (the batch decoded, no internal hash)."""
    if entry is None:
        return None
    result = {key: entry[key] for key in ENTRY_FIELDS if key not in ("batch", "batch_hash")}
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


def is_postgres(location):
    return str(location).startswith(POSTGRES_PREFIXES)


def redact(location):
    """The journal location without a password (URL userinfo or password= parameter)."""
    text = str(location)
    text = re.sub(r"^(postgres(?:ql)?://[^:/@?#]*):[^@/?#]*@", r"\1:***@", text)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", text)


def url_password(location):
    """The password written in a postgresql:// URL, or None (so the caller can mask it in output)."""
    match = re.match(r"^postgres(?:ql)?://[^:/@?#]*:([^@/?#]*)@", str(location))
    found = [match.group(1)] if match and match.group(1) else []
    found += re.findall(r"(?i)password=([^&\s]*)", str(location))
    return [p for p in found if p]


# ---------------------------------------------------------------------------------------------
# Sending one transaction through the protocol
# ---------------------------------------------------------------------------------------------


class Outcome:
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
    resolve) send nothing and return an Outcome with that action. Never raises for an API failure.
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
                return Outcome(action, store.get(transaction_id), True)
        else:
            return Outcome(action, entry, False)
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
        return Outcome(CONFLICT, entry, False)
    if entry["state"] == APPLIED:
        return Outcome(ALREADY_APPLIED, entry, False)
    in_flight = resolve == RESOLVE_NOT_APPLIED and entry["state"] == PENDING
    return Outcome(IN_FLIGHT if in_flight else NEEDS_RESOLVE, entry, False)


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
        return Outcome(action, row, True, error, journal_exc)
    return Outcome(action, entry, error is None or maybe, error)


# ---------------------------------------------------------------------------------------------
# Storage: one interface, two backends
# ---------------------------------------------------------------------------------------------


_SELECT = "SELECT %s FROM %s" % (", ".join(ENTRY_FIELDS), TABLE)


class _Store:
    """The SQL both backends share; subclasses provide _connection() and translate errors.

    Every write is one autocommitted statement, conditional on what the caller read (state and the
    attempts counter), so a concurrent run can never overwrite another run's claim.
    """

    placeholder = "?"
    location = None

    def _start_connections(self):
        self._local = threading.local()
        self._connections = []
        self._lock = threading.Lock()

    def _remember(self, connection):
        self._local.connection = connection
        with self._lock:
            self._connections.append(connection)
        return connection

    def close(self):
        """Close the connections of every thread that used this store."""
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            with contextlib.suppress(Exception):
                connection.close()
        self._local = threading.local()

    def _sql(self, text):
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    def _execute(self, text, params=(), count=False):
        raise NotImplementedError

    def get(self, transaction_id):
        rows = self._execute(_SELECT + " WHERE transaction_id = ?", (transaction_id,))
        return rows[0] if rows else None

    def insert_pending(self, row):
        """Insert the pending row and commit; False if the transaction id exists already."""
        sql = "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (transaction_id) DO NOTHING" % (
            TABLE,
            ", ".join(ENTRY_FIELDS),
            ", ".join(["?"] * len(ENTRY_FIELDS)),
        )
        return self._execute(sql, tuple(row[key] for key in ENTRY_FIELDS), count=True) == 1

    def claim(self, transaction_id, expected_state, expected_attempts, now):
        """resolve=not_applied: take an unsettled row back to pending for one more send; the row, or None."""
        changed = self._execute(
            "UPDATE %s SET state = 'pending', attempts = attempts + 1, last_sent_at = ?, updated_at = ?, "
            "last_error = NULL WHERE transaction_id = ? AND state = ? AND attempts = ?" % TABLE,
            (now, now, transaction_id, expected_state, expected_attempts),
            count=True,
        )
        return self.get(transaction_id) if changed == 1 else None

    def settle(self, transaction_id, attempts, state, now, error, expected_state=PENDING):
        """Set applied or uncertain on the row this run holds; False if someone else changed it."""
        applied_at = now if state == APPLIED else None
        changed = self._execute(
            "UPDATE %s SET state = ?, applied_at = ?, updated_at = ?, last_error = ? "
            "WHERE transaction_id = ? AND state = ? AND attempts = ?" % TABLE,
            (state, applied_at, now, error, transaction_id, expected_state, attempts),
            count=True,
        )
        return changed == 1

    def remove(self, transaction_id, attempts):
        """Delete the pending row this run holds (its request was definitely refused)."""
        return (
            self._execute(
                "DELETE FROM %s WHERE transaction_id = ? AND state = 'pending' AND attempts = ?" % TABLE,
                (transaction_id, attempts),
                count=True,
            )
            == 1
        )

    def entries(self, states=None, transaction_id=None, prefix=None, organization_id=None, since=None):
        """Entries matching every filter given, oldest first."""
        where, params = [], []
        if states:
            where.append("state IN (%s)" % ", ".join(["?"] * len(states)))
            params.extend(states)
        if transaction_id is not None:
            where.append("transaction_id = ?")
            params.append(transaction_id)
        if prefix:
            where.append("substr(transaction_id, 1, %d) = ?" % len(prefix))
            params.append(prefix)
        if organization_id is not None:
            where.append("organization_id = ?")
            params.append(organization_id)
        if since is not None:
            where.append("last_sent_at >= ?")
            params.append(since)
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY first_sent_at, transaction_id"
        return self._execute(sql, tuple(params))


class EmptyStore(_Store):
    """A journal that does not exist yet, read in check mode or by the info module: no entries, no file."""

    def __init__(self, location):
        self.location = location

    def _execute(self, text, params=(), count=False):
        if count:
            raise JournalError("journal %s does not exist and is opened read-only" % self.location)
        return []

    def close(self):
        pass


# Autocommit (each statement commits), wait for a busy lock instead of failing. Each thread opens its own
# connection and only that thread uses it; check_same_thread=False only lets close() run from the main
# thread once the workers are done.
_SQLITE_OPTIONS = dict(timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)


class SQLiteStore(_Store):
    """A SQLite file (WAL, 0600, busy timeout); one connection per thread."""

    def __init__(self, path, read_only=False, create_folder=False):
        self.path = os.path.abspath(os.path.expanduser(path))
        self.location = self.path
        self.read_only = read_only
        self._start_connections()
        self._empty = False
        if not read_only:
            self._prepare_file(create_folder)
        self._check_schema(self._connection())

    def _prepare_file(self, create_folder):
        folder = os.path.dirname(self.path)
        _check_not_a_file(self.path, folder)
        if not os.path.isdir(folder):
            if not create_folder:
                raise JournalError(
                    "journal %s: the folder %s does not exist. Create it (mode 0700) or fix the path; it is "
                    "not created for an explicit path because a missing folder is usually a typo or a volume "
                    "that is not mounted, and a new empty journal there would let batches be billed twice."
                    % (self.path, folder)
                )
            try:
                os.makedirs(folder, mode=0o700)
            except OSError as exc:
                raise JournalError("journal %s: cannot create the folder %s: %s" % (self.path, folder, exc)) from None
        if not os.path.exists(self.path):
            try:
                descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                os.fchmod(descriptor, 0o600)
                os.close(descriptor)
            except FileExistsError:
                pass
            except OSError as exc:
                raise JournalError(
                    "journal %s: cannot create the file: %s. Choose a folder this user can write to." % (self.path, exc)
                ) from None
        if not os.access(self.path, os.R_OK | os.W_OK) or not os.access(folder, os.W_OK | os.X_OK):
            raise JournalError(
                "journal %s: not writable by this user (the file and its folder must be writable, SQLite adds "
                "-wal and -shm files next to it)." % self.path
            )

    def _connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                if self.read_only:
                    connection = sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, **_SQLITE_OPTIONS)
                else:
                    connection = sqlite3.connect(self.path, **_SQLITE_OPTIONS)
                    connection.execute("PRAGMA journal_mode=WAL").fetchall()
                    connection.execute("PRAGMA synchronous=FULL")
            except sqlite3.Error as exc:
                raise self._error(exc) from None
            self._remember(connection)
        return connection

    def _error(self, exc):
        text = str(exc)
        if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
            return JournalError(
                "journal %s is not a SQLite database or is damaged (%s). Nothing was sent. Restore it from a "
                "backup or point journal elsewhere; do not delete it: it is the record of what was billed."
                % (self.path, text)
            )
        return JournalError("journal %s: %s" % (self.path, text))

    def _check_schema(self, connection):
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise _newer_schema(self.path, version)
            if version == SCHEMA_VERSION:
                return
            if self.read_only:
                if connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                    raise JournalError("journal %s is a SQLite database of something else" % self.path)
                self._empty = True  # created by a run stopped before it wrote the schema
                return
            connection.execute("BEGIN IMMEDIATE")
            try:
                version = connection.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise _newer_schema(self.path, version)
                if version == 0:
                    tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
                    if tables and (TABLE,) not in tables:
                        raise JournalError(
                            "journal %s is a SQLite database of something else (tables: %s); refusing to use it."
                            % (self.path, ", ".join(sorted(t[0] for t in tables)))
                        )
                    connection.execute("CREATE TABLE IF NOT EXISTS %s (%s)" % (TABLE, _COLUMNS))
                    connection.execute("PRAGMA user_version = %d" % SCHEMA_VERSION)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    def _execute(self, text, params=(), count=False):
        if count and self.read_only:
            raise JournalError("journal %s is opened read-only" % self.path)
        if self._empty:
            return []
        try:
            cursor = self._connection().execute(text, params)
            if count:
                return cursor.rowcount
            return [dict(zip(ENTRY_FIELDS, row)) for row in cursor.fetchall()]
        except sqlite3.Error as exc:
            raise self._error(exc) from None


def _check_not_a_file(path, folder):
    """Refuse a path below a regular file (for root too, who may write anywhere else)."""
    parent = folder
    while parent and not os.path.exists(parent):
        parent = os.path.dirname(parent) if os.path.dirname(parent) != parent else None
    if parent and not os.path.isdir(parent):
        raise JournalError("journal %s: %s is not a folder but a file; fix the path" % (path, parent))


def _newer_schema(where, version):
    return JournalError(
        "journal %s has schema version %d, newer than this collection understands (%d). Nothing was sent. "
        "Upgrade the exoscale.partner collection on this controller." % (where, version, SCHEMA_VERSION)
    )


_CREATE_LOCK = 72657212  # pg_advisory_lock key of "create the journal table"


def _import_psycopg():
    try:
        import psycopg  # pylint: disable=import-outside-toplevel
    except ImportError:
        import traceback  # pylint: disable=import-outside-toplevel

        raise MissingDriver(
            "a postgresql:// journal needs the Python library psycopg (version 3)", "psycopg", traceback.format_exc()
        ) from None
    return psycopg


class PostgresStore(_Store):
    """The same table in PostgreSQL (psycopg 3, autocommit); one connection per thread."""

    placeholder = "%s"

    def __init__(self, url, read_only=False, connect_timeout=10):
        self.psycopg = _import_psycopg()
        self.url = url
        self.location = redact(url)
        self.read_only = read_only
        self.connect_timeout = connect_timeout
        self._start_connections()
        self._table_exists = True
        self._check_schema(self._connection())

    def _connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = self.psycopg.connect(self.url, autocommit=True, connect_timeout=self.connect_timeout)
            except self.psycopg.Error as exc:
                raise JournalError(
                    "journal %s: cannot connect to PostgreSQL: %s. Nothing was sent. Check the URL, that the "
                    "server is reachable from this host, and the password (URL, PGPASSWORD or ~/.pgpass)."
                    % (self.location, self._scrub(str(exc).strip()))
                ) from None
            self._remember(connection)
        return connection

    def _scrub(self, text):
        for password in url_password(self.url):
            text = text.replace(password, "***")
        return text

    def _version(self, connection):
        row = connection.execute(
            "SELECT obj_description(to_regclass(%s), 'pg_class'), to_regclass(%s) IS NOT NULL", (TABLE, TABLE)
        ).fetchone()
        comment, exists = row
        if not exists:
            return None
        match = re.search(r"schema (\d+)", comment or "")
        return int(match.group(1)) if match else 0

    def _check_schema(self, connection):
        try:
            version = self._version(connection)
            if version is not None and version > SCHEMA_VERSION:
                raise _newer_schema(self.location, version)
            if version == SCHEMA_VERSION:
                return
            if version == 0:
                raise JournalError(
                    "journal %s: table %s exists but is not a metering journal of this collection; refusing to "
                    "use it." % (self.location, TABLE)
                )
            if self.read_only:
                self._table_exists = False
                return
            # Two controllers creating the table at once: a session advisory lock makes the second wait.
            # It is taken in its own (autocommitted) statement so that the check below runs in a new
            # transaction and sees the table the first one committed.
            connection.execute("SELECT pg_advisory_lock(%d)" % _CREATE_LOCK)
            try:
                with connection.transaction():
                    if self._version(connection) is None:
                        connection.execute("CREATE TABLE %s (%s)" % (TABLE, _COLUMNS))
                        connection.execute(
                            "COMMENT ON TABLE %s IS 'exoscale.partner metering journal, schema %d'"
                            % (TABLE, SCHEMA_VERSION)
                        )
            finally:
                connection.execute("SELECT pg_advisory_unlock(%d)" % _CREATE_LOCK)
            self._check_schema(connection)
        except self.psycopg.Error as exc:
            raise JournalError("journal %s: %s" % (self.location, self._scrub(str(exc).strip()))) from None

    def _execute(self, text, params=(), count=False):
        if count and self.read_only:
            raise JournalError("journal %s is opened read-only" % self.location)
        if not self._table_exists:
            return []
        try:
            cursor = self._connection().execute(self._sql(text), params)
            if count:
                return cursor.rowcount
            return [dict(zip(ENTRY_FIELDS, row)) for row in cursor.fetchall()]
        except self.psycopg.Error as exc:
            raise JournalError("journal %s: %s" % (self.location, self._scrub(str(exc).strip()))) from None


def open_journal(location=None, read_only=False):
    """The store for `location` (a path or a postgresql:// URL; None: the default SQLite file).

    read_only (check mode, the info module): nothing is created; a SQLite file that does not exist
    reads as an empty journal. Raises JournalError (MissingDriver for psycopg) with a clear message.
    """
    if location is not None and is_postgres(location):
        return PostgresStore(location, read_only=read_only)
    default = location is None
    path = os.path.abspath(os.path.expanduser(DEFAULT_SQLITE_PATH if default else location))
    if os.path.isdir(path):
        raise JournalError(
            "journal %s is a folder; give the path of a file (for example %s)" % (path, "metering.sqlite3")
        )
    if read_only and not os.path.exists(path):
        _check_not_a_file(path, os.path.dirname(path))
        if not default and not os.path.isdir(os.path.dirname(path)):
            raise JournalError("journal %s: the folder %s does not exist" % (path, os.path.dirname(path)))
        return EmptyStore(path)
    return SQLiteStore(path, read_only=read_only, create_folder=default)
