# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start, drive and stop the simulator from Python (pytest suites, benchmarks, the demo). Standard library only.

with SimulatorProcess(key="K", secret="S") as sim:
    sim.url                     # http://127.0.0.1:PORT/v1.alpha
    sim.admin.seed_org(**{"display-name": "Acme", "billing-address": {...}})
    sim.admin.add_fault(operation="create-distributor-organization", action="process_then_fail")
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LISTENING_PREFIX = "listening on "


class SimulatorError(RuntimeError):
    """The simulator did not start, an admin call failed, or it answered something the spec forbids."""


def _wire_keys(value):
    """Admin hooks take the API's hyphenated keys; accept snake_case keyword arguments too."""
    if isinstance(value, dict):
        return {key.replace("_", "-"): _wire_keys(item) for key, item in value.items()}
    return value


class Admin:
    """Client of the unauthenticated /_simulator hooks."""

    def __init__(self, base_url, timeout=10, ssl_context=None):
        """``base_url``: the server root, its /v1.alpha API URL or its /_simulator admin URL.

        ``ssl_context``: how to verify a simulator serving HTTPS (for example one trusting the test's CA).
        """
        base_url = base_url.rstrip("/")
        for suffix in ("/_simulator", "/v1.alpha"):
            if base_url.endswith(suffix):
                base_url = base_url[: -len(suffix)]
        self.base_url = base_url + "/_simulator"
        self.timeout = timeout
        self.ssl_context = ssl_context

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.ssl_context) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise SimulatorError(
                "admin %s %s failed with HTTP %d: %s"
                % (method, path, error.code, error.read().decode("utf-8", "replace"))
            ) from None

    def requests(self):
        return self.call("GET", "/requests")["requests"]

    def clear_requests(self):
        return self.call("DELETE", "/requests")

    def reset(self):
        return self.call("POST", "/reset")

    def seed_org(self, **wire):
        """Seed one organization (display-name, billing-address, client-id?, owner-email?, status?, id?); its output."""
        return self.call("POST", "/organizations", _wire_keys(wire))

    def set_status(self, org_id, status):
        """Set an organization's status as the provider would (no API call, no transition rule); its output."""
        return self.call("PATCH", "/organizations/%s" % org_id, {"status": status})

    def remove_org(self, org_id):
        """Remove an organization behind the API's back (it is no longer listed, its id gives 404)."""
        return self.call("DELETE", "/organizations/%s" % org_id)

    def add_fault(self, **spec):
        """Script a fault: operation (op id or None), count, action, status, retry_after, delay."""
        return self.call("POST", "/faults", spec)["fault"]

    def faults(self):
        return self.call("GET", "/faults")["faults"]

    def clear_faults(self):
        return self.call("DELETE", "/faults")

    def metering(self):
        return self.call("GET", "/metering")["batches"]

    def config(self, **changes):
        """Read the config, or change it (create_status, latency) when keywords are given."""
        return self.call("PUT", "/config", changes) if changes else self.call("GET", "/config")

    def seed_usage(self, organization, period, records):
        """Serve exactly these wire usage records (hyphenated keys, spec-validated) for one org and month."""
        return self.call("POST", "/usage", {"organization": organization, "period": period, "records": records})

    def seed_usage_history(self, months):
        """Realistic usage for the `months` months before the current one, for every organization."""
        return self.call("POST", "/usage", {"history_months": months})

    def seeded_usage(self):
        """{"history_months": N, "usage": [{"organization", "period", "records"}]}: what is seeded."""
        return self.call("GET", "/usage")

    def clear_seeded_usage(self):
        return self.call("DELETE", "/usage")

    def errors(self):
        """Responses the simulator refused to send because they broke the official spec (simulator bugs)."""
        return self.call("GET", "/errors")["errors"]


class SimulatorProcess:
    """Run ``python -m simulator --port 0`` from the repository root for the duration of a ``with`` block.

    On a clean exit it raises SimulatorError if the simulator produced any response that broke the spec.
    """

    def __init__(
        self,
        key="K",
        secret="S",
        latency=0,
        state=None,
        create_status="active",
        python=sys.executable,
        host="127.0.0.1",
        extra_args=(),
        startup_timeout=30,
        check_errors=True,
        admin_ssl_context=None,
    ):
        self.key = key
        self.secret = secret
        self.host = host
        self.command = [
            python,
            "-m",
            "simulator",
            "--port",
            "0",
            "--host",
            host,
            "--key",
            key,
            "--secret",
            secret,
            "--latency",
            str(latency),
            "--create-status",
            create_status,
        ]
        if state:
            self.command += ["--state", str(state)]
        self.command += list(extra_args)
        self.startup_timeout = startup_timeout
        self.check_errors = check_errors
        self.admin_ssl_context = admin_ssl_context
        self.process = None
        self.url = None
        self.admin = None
        self._stderr = None

    @property
    def base_url(self):
        return self.url[: -len("/v1.alpha")]

    @property
    def admin_url(self):
        return self.base_url + "/_simulator"

    @property
    def port(self):
        return int(self.base_url.rsplit(":", 1)[1])

    def start(self):
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process; closed in __exit__)
        self.process = subprocess.Popen(
            self.command, cwd=REPOSITORY_ROOT, stdout=subprocess.PIPE, stderr=self._stderr, text=True
        )
        line = self._first_line()
        if not line.startswith(LISTENING_PREFIX):
            self.stop()
            raise SimulatorError("simulator did not start (%r): %s" % (line, self.stderr()))
        self.url = line[len(LISTENING_PREFIX) :].strip()
        self.admin = Admin(self.admin_url, ssl_context=self.admin_ssl_context)
        return self

    def _first_line(self):
        lines = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.process.stdout.readline()), daemon=True).start()
        try:
            return lines.get(timeout=self.startup_timeout)
        except queue.Empty:
            return ""

    def stderr(self):
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")[-4000:]

    def stop(self):
        """SIGTERM, then SIGKILL after 10 s; returns the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        return self.process.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, traceback):
        errors = self.admin.errors() if self.check_errors and exc_type is None and self.process.poll() is None else []
        self.stop()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if errors:
            raise SimulatorError(
                "the simulator produced %d answer(s) that break the official spec: %s" % (len(errors), errors)
            )
