# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A throw-away PostgreSQL server for tests (the metering journal's PostgreSQL backend).

    with postgres_server() as url:   # postgresql://journal:PASSWORD@127.0.0.1:PORT/journal
        ...

Uses PARTNER_TEST_POSTGRES_URL when it is set. Otherwise runs initdb and pg_ctl from the newest
/usr/lib/postgresql/<version>/bin (or PG_BIN) as the unprivileged `postgres` user when run as root
(PostgreSQL refuses to run as root), in a temporary folder, on 127.0.0.1 and a free port, with
password (scram-sha-256) authentication for a test role. The server is stopped (pg_ctl stop -m
immediate) and its folder removed in a finally, even when the tests fail.
`no_postgres_reason()` is the skip reason when no PostgreSQL binaries exist at all (None otherwise).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile

URL_ENV = "PARTNER_TEST_POSTGRES_URL"
SERVICE_USER = "postgres"


def pg_bin():
    """The folder holding initdb and pg_ctl, or None."""
    candidates = [os.environ["PG_BIN"]] if os.environ.get("PG_BIN") else []
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda path: int(path.split("/")[-2]) if path.split("/")[-2].isdigit() else 0,
    )
    candidates += list(reversed(versions))
    for folder in candidates:
        if os.path.exists(os.path.join(folder, "initdb")) and os.path.exists(os.path.join(folder, "pg_ctl")):
            return folder
    found = shutil.which("initdb")
    return os.path.dirname(found) if found and shutil.which("pg_ctl") else None


def no_postgres_reason():
    if os.environ.get(URL_ENV) or pg_bin():
        return None
    return (
        "NO POSTGRESQL: the PostgreSQL journal tests need initdb/pg_ctl (Debian: apt-get install postgresql, "
        "or `make venv`, which runs tools/system_packages.py) or %s pointing at a server" % URL_ENV
    )


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_service_user(command):
    """The command run as `postgres` when we are root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", SERVICE_USER, "--"] + command


def _run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(
            "%s failed (%d): %s%s" % (" ".join(command), result.returncode, result.stdout, result.stderr)
        )
    return result


@contextlib.contextmanager
def postgres_server():
    """Yield a postgresql:// URL (with a password) of a database the test may create tables in."""
    if os.environ.get(URL_ENV):
        yield os.environ[URL_ENV]
        return
    folder = pg_bin()
    if folder is None:
        raise RuntimeError(no_postgres_reason())
    # under /tmp: the postgres user must be able to reach it whatever TMPDIR says
    root = tempfile.mkdtemp(prefix="exoscale-partner-pg-", dir="/tmp" if os.path.isdir("/tmp") else None)
    data = os.path.join(root, "data")
    socket_dir = os.path.join(root, "socket")
    os.makedirs(socket_dir)
    if os.geteuid() == 0:
        service = pwd.getpwnam(SERVICE_USER)
        for path in (root, socket_dir):
            os.chown(path, service.pw_uid, service.pw_gid)
    os.chmod(root, 0o700)
    password = secrets.token_hex(12)
    superuser_password = secrets.token_hex(12)
    port = _free_port()
    pwfile = os.path.join(root, "pwfile")
    started = False
    try:
        with open(pwfile, "w", encoding="utf-8") as handle:
            handle.write(superuser_password + "\n")
        if os.geteuid() == 0:
            os.chown(pwfile, service.pw_uid, service.pw_gid)
        _run(
            _as_service_user(
                [
                    os.path.join(folder, "initdb"),
                    "-D",
                    data,
                    "-U",
                    "postgres",
                    "--pwfile",
                    pwfile,
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--no-sync",
                ]
            )
        )
        options = "-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c fsync=off" % (
            port,
            socket_dir,
        )
        _run(
            _as_service_user(
                [
                    os.path.join(folder, "pg_ctl"),
                    "-D",
                    data,
                    "-o",
                    options,
                    "-l",
                    os.path.join(root, "log"),
                    "-w",
                    "start",
                ]
            )
        )
        started = True
        psql = os.path.join(folder, "psql")
        setup = ("CREATE ROLE journal LOGIN PASSWORD '%s'; CREATE DATABASE journal OWNER journal;" % password).split(
            "; "
        )
        for statement in setup:
            _run(
                _as_service_user(
                    [
                        psql,
                        "-h",
                        socket_dir,
                        "-p",
                        str(port),
                        "-U",
                        "postgres",
                        "-d",
                        "postgres",
                        "-v",
                        "ON_ERROR_STOP=1",
                        "-c",
                        statement.rstrip(";"),
                    ]
                )
            )
        yield "postgresql://journal:%s@127.0.0.1:%d/journal" % (password, port)
    finally:
        if started:
            subprocess.run(
                _as_service_user([os.path.join(folder, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)
