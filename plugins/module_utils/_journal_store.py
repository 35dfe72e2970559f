# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where the metering journal is kept: SQLite and PostgreSQL stores behind one small interface.

Private to this collection: not a public API, may change in any release.
No Ansible import and no protocol decisions (those are in _journal.py): a store gets, inserts and
conditionally updates rows, and says clearly why a journal cannot be used. SQLite comes from the
standard library; PostgreSQL through psycopg 3, imported only when a postgresql:// journal is used.

Reading from outside Ansible (an event source, a report):
    store = open_journal(location, read_only=True)
    try:
        unsettled = [public_entry(e) for e in store.entries(states=UNSETTLED)]  # both from _journal
    finally:
        store.close()
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import os
import re
import sqlite3
import threading

from ansible_collections.exoscale.partner.plugins.module_utils._journal import (
    APPLIED,
    JOURNAL_COLUMNS,
    PENDING,
    JournalError,
)

SCHEMA_VERSION = 1
TABLE = "partner_metering_journal"
DEFAULT_SQLITE_PATH = os.path.join("~", ".ansible", "exoscale.partner", "metering.sqlite3")
POSTGRES_PREFIXES = ("postgresql://", "postgres://")
BUSY_TIMEOUT_SECONDS = 30

_COLUMN_DEFINITIONS = """
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


class MissingDriver(JournalError):
    """A postgresql:// journal without psycopg installed; ``library`` names the package."""

    def __init__(self, message, library, traceback_text=None):
        super(MissingDriver, self).__init__(message)
        self.library = library
        self.traceback_text = traceback_text


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


_SELECT = "SELECT %s FROM %s" % (", ".join(JOURNAL_COLUMNS), TABLE)


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
            ", ".join(JOURNAL_COLUMNS),
            ", ".join(["?"] * len(JOURNAL_COLUMNS)),
        )
        return self._execute(sql, tuple(row[key] for key in JOURNAL_COLUMNS), count=True) == 1

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
                    connection.execute("CREATE TABLE IF NOT EXISTS %s (%s)" % (TABLE, _COLUMN_DEFINITIONS))
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
            return [dict(zip(JOURNAL_COLUMNS, row)) for row in cursor.fetchall()]
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
                        connection.execute("CREATE TABLE %s (%s)" % (TABLE, _COLUMN_DEFINITIONS))
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
            return [dict(zip(JOURNAL_COLUMNS, row)) for row in cursor.fetchall()]
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
