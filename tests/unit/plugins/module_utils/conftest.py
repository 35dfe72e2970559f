# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the wire-room tests: a scripted HTTP server on 127.0.0.1 and the official spec."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import importlib.resources
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

OFFICIAL_ORIGIN = "https://partner-api.exoscale.com"

Received = collections.namedtuple("Received", "method raw_path path query headers body client_port")


class Reply:
    """One scripted answer. ``action``: None (answer), "drop" (close without answering after
    reading the request). ``delay``: wait that long before answering, or until the fake API stops (use a
    delay far beyond the client's timeout, so a slow machine cannot turn a timeout test into a race)."""

    def __init__(self, status=200, json_body=None, body=b"", headers=None, action=None, delay=0.0):
        self.status = status
        self.body = json.dumps(json_body).encode("utf-8") if json_body is not None else body
        self.headers = dict(headers or {})
        if json_body is not None:
            self.headers.setdefault("Content-Type", "application/json")
        self.action = action
        self.delay = delay


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's connection reuse is observable

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        api = self.server.api
        split = urlsplit(self.path)
        api.received.append(
            Received(
                self.command,
                self.path,
                split.path,
                parse_qsl(split.query, keep_blank_values=True),
                dict(self.headers),
                body,
                self.client_address[1],
            )
        )
        reply = api.replies.pop(0) if api.replies else api.default
        if reply.action == "drop":
            self.close_connection = True
            return
        if reply.delay:
            api.released.wait(reply.delay)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def log_message(self, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the client hung up on a stalled answer: expected in timeout tests


class FakeAPI:
    """Scripted Partner API: ``replies`` are served in order, then ``default``."""

    def __init__(self):
        self.replies = []
        self.default = Reply(500, body=b"no reply scripted")
        self.received = []
        self.released = threading.Event()  # set on stop: ends every stalled answer
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = self
        self.origin = "http://127.0.0.1:%d" % self._server.server_address[1]
        self.url = self.origin + "/v1.alpha"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def script(self, *replies):
        """Queue answers, each given as the keyword arguments of ``Reply``."""
        self.replies.extend(Reply(**reply) for reply in replies)

    def always(self, reply):
        """Answer ``reply`` (keyword arguments of ``Reply``) once the script is exhausted."""
        self.default = Reply(**reply)

    def start(self):
        self._thread.start()

    def stop(self):
        self.released.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def fake_api():
    api = FakeAPI()
    api.start()
    yield api
    api.stop()


def _load_partner_spec():
    """The official spec shipped in the ``exoscale`` package."""
    return json.loads(importlib.resources.files("exoscale").joinpath("partner-api.json").read_text(encoding="utf-8"))


def _openapi_checker(spec):
    """Validate a received request (path, query, body) against the spec with openapi-core."""
    import requests
    from openapi_core import OpenAPI
    from openapi_core.contrib.requests import RequestsOpenAPIRequest

    openapi = OpenAPI.from_dict(spec)

    def check(received):
        headers = {"Content-Type": received.headers["Content-Type"]} if received.body else {}
        request = requests.Request(
            received.method, OFFICIAL_ORIGIN + received.raw_path, data=received.body or None, headers=headers
        ).prepare()
        openapi.validate_request(RequestsOpenAPIRequest(request))

    return check


# Built once at import: ansible-test runs each test in a forked child, which then inherits them.
PARTNER_SPEC = _load_partner_spec()
SPEC_CHECK = _openapi_checker(PARTNER_SPEC)


@pytest.fixture
def partner_spec():
    return PARTNER_SPEC


@pytest.fixture
def spec_check():
    return SPEC_CHECK
