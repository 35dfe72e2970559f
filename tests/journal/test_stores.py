# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Opening a journal: where the files go, their modes, and every way it can be unusable (a clear JournalError)."""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import sys

import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import _journal, _journal_store


def test_default_location_is_created_private(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    store = _journal_store.open_journal(None)
    store.close()
    folder = tmp_path / ".ansible" / "exoscale.partner"
    path = folder / "metering.sqlite3"
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    connection = sqlite3.connect(str(path))
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA user_version").fetchone()[0] == _journal_store.SCHEMA_VERSION
    connection.close()


def test_an_explicit_path_in_a_missing_folder_is_refused(tmp_path):
    path = tmp_path / "not-mounted" / "journal.sqlite3"
    with pytest.raises(_journal.JournalError, match="does not exist"):
        _journal_store.open_journal(str(path))
    assert not (tmp_path / "not-mounted").exists()


def test_a_path_under_a_regular_file_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for read_only in (False, True):
        with pytest.raises(_journal.JournalError, match="is not a folder but a file"):
            _journal_store.open_journal(str(blocker / "journal.sqlite3"), read_only=read_only)


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(_journal.JournalError, match="is a folder"):
        _journal_store.open_journal(str(tmp_path))


@pytest.mark.parametrize(
    "content", [b"this is not a database at all, just some text" * 200, b"SQLite format 3\x00" + b"\xff" * 5000]
)
def test_a_corrupt_file_is_refused_and_kept(tmp_path, content):
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(content)
    for read_only in (False, True):
        with pytest.raises(_journal.JournalError, match="not a SQLite database or is damaged"):
            _journal_store.open_journal(str(path), read_only=read_only)
    assert path.read_bytes() == content


def test_a_sqlite_database_of_something_else_is_refused(tmp_path):
    path = tmp_path / "other.sqlite3"
    connection = sqlite3.connect(str(path))
    connection.execute("CREATE TABLE invoices (id INTEGER)")
    connection.commit()
    connection.close()
    with pytest.raises(_journal.JournalError, match="something else"):
        _journal_store.open_journal(str(path))


def test_an_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "journal.sqlite3"
    _journal_store.open_journal(str(path)).close()
    os.chmod(path, 0o640)
    _journal_store.open_journal(str(path)).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_an_unreachable_postgresql_is_refused_without_the_password():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = "postgresql://journal:Sup3r-S3cret-pw@127.0.0.1:%d/journal?connect_timeout=3" % port
    with pytest.raises(_journal.JournalError) as caught:
        _journal_store.open_journal(url)
    message = str(caught.value)
    assert "cannot connect to PostgreSQL" in message
    assert "Sup3r-S3cret-pw" not in message
    assert "postgresql://journal:***@127.0.0.1:%d" % port in message


def test_a_wrong_password_is_refused_without_it(postgres_url):
    bad = postgres_url.replace("journal:", "journal:WrongPassw0rd", 1)
    with pytest.raises(_journal.JournalError) as caught:
        _journal_store.open_journal(bad)
    assert "WrongPassw0rd" not in str(caught.value)
    assert "authentication failed" in str(caught.value)


def test_postgresql_without_psycopg_names_the_library(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(_journal_store.MissingDriver) as caught:
        _journal_store.open_journal("postgresql://u:p@127.0.0.1:1/db")
    assert caught.value.library == "psycopg"


@pytest.mark.parametrize(
    "location, shown, passwords",
    [
        ("postgresql://user:pw%40x@host:5432/db", "postgresql://user:***@host:5432/db", ["pw%40x"]),
        (
            "postgres://user@host/db?password=abc&sslmode=require",
            "postgres://user@host/db?password=***&sslmode=require",
            ["abc"],
        ),
        ("postgresql://host/db", "postgresql://host/db", []),
        ("/var/lib/journal.sqlite3", "/var/lib/journal.sqlite3", []),
    ],
)
def test_redact(location, shown, passwords):
    assert _journal_store.redact(location) == shown
    assert _journal_store.url_password(location) == passwords


@pytest.mark.parametrize(
    "value, stored",
    [
        ("2026-01-31", "2026-01-31T00:00:00Z"),
        ("2026-01-31T12:30:00Z", "2026-01-31T12:30:00Z"),
        ("2026-01-31T12:30:00+02:00", "2026-01-31T10:30:00Z"),
        ("2026-01-31 12:30", "2026-01-31T12:30:00Z"),
    ],
)
def test_parse_since(value, stored):
    assert _journal.parse_since(value) == stored


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "31.01.2026", ""])
def test_parse_since_rejects(value):
    with pytest.raises(ValueError, match="since"):
        _journal.parse_since(value)


@pytest.mark.parametrize("value", ["", "   ", "x" * 256, None, True])
def test_transaction_id_rules(value):
    with pytest.raises(ValueError, match="transaction_id"):
        _journal.validate_transaction_id(value)
    assert _journal.validate_transaction_id("x" * 255) == "x" * 255
