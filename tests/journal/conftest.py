# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures: the journal protocol runs on both backends, SQLite (a temp file) and a real PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TESTS)
REPOSITORY_ROOT = os.path.dirname(TESTS)

import pg_cluster  # noqa: E402


def collections_root():
    """ansible_collections/exoscale/partner -> this checkout, in a folder of its own per checkout."""
    tag = hashlib.sha256(REPOSITORY_ROOT.encode()).hexdigest()[:12]
    root = os.path.join(tempfile.gettempdir(), "exoscale-partner-journal-%d-%s" % (os.getuid(), tag))
    link = os.path.join(root, "ansible_collections", "exoscale", "partner")
    if os.path.realpath(link) != REPOSITORY_ROOT:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        temporary = "%s.%d" % (link, os.getpid())
        os.symlink(REPOSITORY_ROOT, temporary)
        os.replace(temporary, link)
    return root


sys.path.insert(0, collections_root())

BACKENDS = ("sqlite", "postgresql")


SKIPPED_POSTGRES = []


@pytest.fixture(scope="session")
def postgres_url():
    reason = pg_cluster.no_postgres_reason()
    if reason:
        SKIPPED_POSTGRES.append(reason)
        pytest.skip(reason)
    try:
        import psycopg  # noqa: F401 - the journal's PostgreSQL driver must be there, or this is a failure
    except ImportError:
        pytest.fail("psycopg is not installed in %s: install tests/requirements-dev.txt" % sys.executable)
    with pg_cluster.postgres_server() as url:
        yield url


def pytest_terminal_summary(terminalreporter):
    if SKIPPED_POSTGRES:
        terminalreporter.write_sep("!", "POSTGRESQL JOURNAL TESTS SKIPPED: %s" % SKIPPED_POSTGRES[0], red=True)


def _drop_table(url):
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS partner_metering_journal")


@pytest.fixture(params=BACKENDS)
def location(request, tmp_path):
    """A fresh, empty journal location of each backend."""
    if request.param == "sqlite":
        yield str(tmp_path / "journal.sqlite3")
        return
    url = request.getfixturevalue("postgres_url")
    _drop_table(url)
    yield url
    _drop_table(url)
