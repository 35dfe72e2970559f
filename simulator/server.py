# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTTP side: API dispatch, scripted faults, the request log and the /_simulator admin hooks."""

from __future__ import annotations

import collections
import copy
import decimal
import json
import socket
import ssl
import struct
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import auth, usage_hooks
from .spec import BASE_PATH, NoRoute, Spec
from .state import CREATE_STATUSES, STATUSES, Conflict, NotFound, Store

ADMIN_PREFIX = "/_simulator"
MAX_BODY_BYTES = 1024 * 1024
LOG_SIZE = 100000
LOG_BODY_BYTES = 64 * 1024  # a logged body is cut here (body_truncated: true)
LOG_BODIES_BYTES = 64 * 1024 * 1024  # beyond this, the oldest logged bodies are dropped (body: null)
ERRORS_KEPT = 1000
FAULT_ACTIONS = ("status", "delay", "drop", "reset", "malformed", "html", "empty", "process_then_fail")
FAULT_KEYS = ("operation", "organization", "count", "action", "status", "retry_after", "delay")
SEED_KEYS = ("display-name", "billing-address", "client-id", "owner-email", "status", "id")
MALFORMED_BODY = b'{"organizations": [{"id": "'
HTML_BODY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def json_bytes(payload):
    return json.dumps(payload).encode("utf-8")


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _canonical_uuid(value, field):
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ApiError(400, "%s: %r is not a UUID" % (field, value)) from None


def _metered_organization(request):
    """The organization a checked request's body names (a metering batch: its path names none)."""
    document = request[2]
    return document.get("organization") if isinstance(document, dict) else None


class Simulator:
    """Server state plus everything the handler needs; no socket I/O here, so it is testable in-process."""

    def __init__(
        self,
        credentials,
        store=None,
        latency=0.0,
        create_status="active",
        log_size=LOG_SIZE,
        spec=None,
        clock_offset=0.0,
    ):
        self.spec = spec or Spec()
        self.clock_offset = float(clock_offset)  # seconds the server clock is ahead of the real one
        self.credentials = dict(credentials)
        self.store = store or Store()
        self.initial_config = {"create_status": create_status, "latency": float(latency)}
        self.config = dict(self.initial_config)
        self.lock = threading.Lock()
        self.log = collections.deque(maxlen=log_size)
        self.logged_bodies = collections.deque()  # log entries holding a body, oldest first
        self.logged_body_bytes = 0
        self.faults = []
        self.released = threading.Event()  # set (and replaced) to end pending delays and latency waits
        self.errors = collections.deque(maxlen=ERRORS_KEPT)
        self.operations = {
            "list-distributor-organizations": lambda org_id, query, body: (200, self.store.list_organizations()),
            "create-distributor-organization": lambda org_id, query, body: (
                200,
                self.store.create_organization(body, self.config["create_status"]),
            ),
            "get-distributor-organization": lambda org_id, query, body: (200, self.store.get_organization(org_id)),
            "activate-distributor-organization": lambda org_id, query, body: (
                200,
                self.store.change_status(org_id, "activate"),
            ),
            "suspend-distributor-organization": lambda org_id, query, body: (
                200,
                self.store.change_status(org_id, "suspend"),
            ),
            "terminate-distributor-organization": lambda org_id, query, body: (200, self.store.terminate(org_id)),
            "schedule-purge-distributor-organization": lambda org_id, query, body: (
                202,
                self.store.schedule_purge(org_id),
            ),
            "list-distributor-organization-usage": lambda org_id, query, body: (
                200,
                self.store.usage(org_id, query.get("period")),
            ),
            "metering-transaction": lambda org_id, query, body: (204, self.store.meter(body)),
        }
        missing = self.spec.operation_ids.symmetric_difference(self.operations)
        if missing:
            raise RuntimeError("the spec and the simulator disagree on operations: %s" % ", ".join(sorted(missing)))

    # the API

    def answer(self, route, path_params, path, raw_path, query_pairs, headers, body):
        """Authenticate, validate, perform; return (status, body bytes). Never raises for a client mistake."""
        refusal, request = self.check(route, path_params, path, raw_path, query_pairs, headers, body)
        return refusal or self.perform(route, path, request)

    def check(self, route, path_params, path, raw_path, query_pairs, headers, body):
        """Authenticate and validate without changing anything.

        Returns ``(refusal, None)`` with refusal = (status, body bytes) for a request the API refuses,
        else ``(None, request)`` where request is what ``perform`` needs.
        """
        try:
            auth.verify(
                headers.get("Authorization"),
                route.method,
                raw_path,
                body,
                query_pairs,
                self.credentials,
                now=time.time() + self.clock_offset,
            )
            problem = self.spec.request_errors(route, path, query_pairs, body, headers.get("Content-Type"))
            if problem:
                raise ApiError(400, "invalid request: %s" % problem)
            document = json.loads(body, parse_float=decimal.Decimal) if "requestBody" in route.operation else None
            if document is not None and "organization" in document:
                document["organization"] = _canonical_uuid(document["organization"], "organization")
            org_id = _canonical_uuid(path_params["id"], "id") if "id" in path_params else None
        except auth.AuthError as error:
            return (error.status, json_bytes({"message": str(error)})), None
        except ApiError as error:
            return (error.status, json_bytes({"message": error.message})), None
        return None, (org_id, dict(query_pairs), document)

    def perform(self, route, path, request):
        """Apply a checked request; return (status, body bytes)."""
        org_id, query, document = request
        try:
            status, payload = self.operations[route.operation_id](org_id, query, document)
        except ApiError as error:
            return error.status, json_bytes({"message": error.message})
        except NotFound as error:
            return 404, json_bytes({"message": str(error)})
        except Conflict as error:
            return 409, json_bytes({"message": str(error)})
        data = b"" if payload is None else json_bytes(payload)
        problem = self.spec.response_errors(route, path, status, data, "application/json")
        if problem:
            self.errors.append({"operation": route.operation_id, "status": status, "problem": problem})
            return 500, json_bytes(
                {"message": "simulator bug: the %s answer breaks the official spec: %s" % (route.operation_id, problem)}
            )
        return status, data

    def take_fault(self, operation_id, org_id=None):
        """The next fault for this operation (and organization id, when the fault names one).

        The organization is the one in the path, or the one a metering batch bills.
        """
        org_id = org_id.lower() if org_id else None
        with self.lock:
            for fault in self.faults:
                if fault["operation"] in (None, operation_id) and fault["organization"] in (None, org_id):
                    fault["remaining"] -= 1
                    if fault["remaining"] <= 0:
                        self.faults.remove(fault)
                    return dict(fault)
        return None

    def record(self, entry, body=None):
        """Log an API request with its body as text (bounded: see LOG_BODY_BYTES, LOG_BODIES_BYTES)."""
        data = body or b""
        entry["body"] = data[:LOG_BODY_BYTES].decode("utf-8", "replace") if data else None
        entry["body_truncated"] = len(data) > LOG_BODY_BYTES
        with self.lock:
            if len(self.log) == self.log.maxlen:
                self._forget_body(self.log[0])
            self.log.append(entry)
            if entry["body"]:
                self.logged_bodies.append(entry)
                self.logged_body_bytes += len(entry["body"])
            while self.logged_body_bytes > LOG_BODIES_BYTES:
                self._forget_body(self.logged_bodies[0], dropped=True)

    def _clear_log(self):
        """Caller holds the lock."""
        self.log.clear()
        self.logged_bodies.clear()
        self.logged_body_bytes = 0

    def _forget_body(self, entry, dropped=False):
        """Drop an entry's body from the budget (the oldest bodies go first); caller holds the lock."""
        if self.logged_bodies and self.logged_bodies[0] is entry:
            self.logged_bodies.popleft()
            self.logged_body_bytes -= len(entry["body"])
            if dropped:
                entry["body"] = None
                entry["body_truncated"] = True

    # admin hooks

    def add_fault(self, spec):
        unknown = sorted(set(spec) - set(FAULT_KEYS))
        if unknown:
            raise ApiError(400, "unknown fault keys: %s (allowed: %s)" % (", ".join(unknown), ", ".join(FAULT_KEYS)))
        fault = {
            "operation": spec.get("operation"),
            "organization": spec.get("organization"),
            "count": spec.get("count", 1),
            "action": spec.get("action"),
            "status": spec.get("status", 503),
            "retry_after": spec.get("retry_after"),
            "delay": spec.get("delay", 1.0),
        }
        if fault["action"] not in FAULT_ACTIONS:
            raise ApiError(400, "action: %r is not one of %s" % (fault["action"], ", ".join(FAULT_ACTIONS)))
        if fault["operation"] is not None and fault["operation"] not in self.spec.operation_ids:
            raise ApiError(
                400, "operation: %r is not an operation id of the spec (or null for any)" % fault["operation"]
            )
        if fault["organization"] is not None:
            fault["organization"] = _canonical_uuid(fault["organization"], "organization")
        if not isinstance(fault["count"], int) or isinstance(fault["count"], bool) or fault["count"] < 1:
            raise ApiError(400, "count: must be an integer >= 1")
        if not isinstance(fault["status"], int) or not 400 <= fault["status"] <= 599:
            raise ApiError(400, "status: must be an HTTP error status between 400 and 599")
        if (
            fault["retry_after"] is not None
            and not _is_number(fault["retry_after"])
            and not isinstance(fault["retry_after"], str)
        ):
            raise ApiError(400, "retry_after: must be a number of seconds, an HTTP date string or null")
        if not _is_number(fault["delay"]):
            raise ApiError(400, "delay: must be a number of seconds >= 0")
        fault["remaining"] = fault["count"]
        with self.lock:
            self.faults.append(fault)
        return {"fault": dict(fault)}

    def wait(self, seconds):
        """Sleep for a delay fault or the latency; reset, DELETE faults and PUT config end every wait early."""
        with self.lock:
            released = self.released
        released.wait(seconds)

    def _release_waits(self):
        """Caller holds the lock."""
        self.released.set()
        self.released = threading.Event()

    def clear_faults(self):
        with self.lock:
            self.faults = []
            self._release_waits()
        return {"message": "faults cleared"}

    def list_faults(self):
        with self.lock:
            return {"faults": copy.deepcopy(self.faults)}

    def requests(self):
        with self.lock:
            return {"requests": list(self.log)}

    def clear_requests(self):
        with self.lock:
            self._clear_log()
        return {"message": "request log cleared"}

    def reset(self):
        """Drop organizations, ledger, log and faults, and restore the start-up config. Spec errors are kept."""
        self.store.reset()
        with self.lock:
            self._clear_log()
            self.faults = []
            self.config = dict(self.initial_config)
            self._release_waits()
        return {"message": "simulator reset"}

    def seed_organization(self, spec):
        unknown = sorted(set(spec) - set(SEED_KEYS))
        if unknown:
            raise ApiError(
                400, "unknown organization keys: %s (allowed: %s)" % (", ".join(unknown), ", ".join(SEED_KEYS))
            )
        status = spec.get("status", self.config["create_status"])
        if status not in STATUSES:
            raise ApiError(400, "status: %r is not one of %s" % (status, ", ".join(STATUSES)))
        org_id = _canonical_uuid(spec["id"], "id") if spec.get("id") else None
        body = {
            key: spec[key] for key in ("display-name", "billing-address", "client-id", "owner-email") if key in spec
        }
        body.setdefault("owner-email", "owner@example.com")
        route = self.spec.route_for("create-distributor-organization")
        problem = self.spec.request_errors(route, route.template, [], json_bytes(body), "application/json")
        if problem:
            raise ApiError(400, "invalid organization: %s" % problem)
        try:
            return self.store.create_organization(body, status, org_id)
        except Conflict as error:
            raise ApiError(409, str(error)) from None

    def change_organization(self, org_id, changes):
        """The provider's side of an organization: only its status, set directly (no transition rules)."""
        if set(changes) != {"status"}:
            raise ApiError(400, 'expected {"status": ...}; got keys: %s' % (", ".join(sorted(changes)) or "none"))
        if changes["status"] not in STATUSES:
            raise ApiError(400, "status: %r is not one of %s" % (changes["status"], ", ".join(STATUSES)))
        return self.store.set_status(_canonical_uuid(org_id, "id"), changes["status"])

    def organization_hooks(self, path, body):
        """PATCH and DELETE /organizations/<id>: change or remove one organization behind the API's back."""
        if not path.startswith("/organizations/"):
            return {}
        org_id = path[len("/organizations/") :]
        return {
            ("PATCH", path): lambda: self.change_organization(org_id, body),
            ("DELETE", path): lambda: self.store.remove_organization(_canonical_uuid(org_id, "id")),
        }

    def get_config(self):
        with self.lock:
            return dict(self.config)

    def update_config(self, changes):
        unknown = sorted(set(changes) - set(self.initial_config))
        if unknown:
            raise ApiError(
                400,
                "unknown config keys: %s (allowed: %s)" % (", ".join(unknown), ", ".join(sorted(self.initial_config))),
            )
        if "create_status" in changes and changes["create_status"] not in CREATE_STATUSES:
            raise ApiError(400, "create_status: must be one of %s" % ", ".join(CREATE_STATUSES))
        if "latency" in changes and not _is_number(changes["latency"]):
            raise ApiError(400, "latency: must be a number of seconds >= 0")
        with self.lock:
            self.config.update(changes)
            self._release_waits()
            return dict(self.config)

    def admin(self, method, path, body):
        """Dispatch an admin hook; return (status, payload)."""
        hooks = {
            ("GET", "/requests"): self.requests,
            ("DELETE", "/requests"): self.clear_requests,
            ("POST", "/reset"): self.reset,
            ("POST", "/organizations"): lambda: self.seed_organization(body),
            ("POST", "/faults"): lambda: self.add_fault(body),
            ("GET", "/faults"): self.list_faults,
            ("DELETE", "/faults"): self.clear_faults,
            ("GET", "/metering"): self.store.batches,
            ("GET", "/config"): self.get_config,
            ("PUT", "/config"): lambda: self.update_config(body),
            ("GET", "/errors"): lambda: {"errors": list(self.errors)},
        }
        hooks.update(usage_hooks.hooks(self, body))
        hooks.update(self.organization_hooks(path, body))
        hook = hooks.get((method, path))
        if hook is None:
            known = sorted({hook_path for hook_method, hook_path in hooks})
            raise ApiError(404, "no admin hook %s %s%s (hooks: %s)" % (method, ADMIN_PREFIX, path, ", ".join(known)))
        try:
            return 200, hook()
        except usage_hooks.HookError as error:
            raise ApiError(error.status, error.message) from None
        except NotFound as error:
            raise ApiError(404, str(error)) from None


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ExoscalePartnerSimulator/1"
    timeout = 300
    disable_nagle_algorithm = True  # headers and body are separate writes; Nagle would add ~40 ms per answer

    def do_GET(self):
        self._dispatch()

    do_PUT = do_POST = do_DELETE = do_PATCH = do_GET

    def date_time_string(self, timestamp=None):
        """The Date header from the simulator's clock (--clock-offset), as a skewed server would send it."""
        if timestamp is None:
            timestamp = time.time() + self.simulator.clock_offset
        return super().date_time_string(timestamp)

    def log_message(self, format, *args):
        """Silent: the request log is in /_simulator/requests, and stdout belongs to the listening line."""

    @property
    def simulator(self):
        return self.server.simulator

    def _dispatch(self):
        split = urllib.parse.urlsplit(self.path)
        raw_path = split.path
        query_pairs = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
        is_api = raw_path.startswith(BASE_PATH + "/")
        try:
            body = self._read_body()
        except ApiError as error:
            self.close_connection = True
            if is_api:
                self._log(raw_path, split.query, None, error.status, None, None)
            self._send(error.status, json_bytes({"message": error.message}))
            return
        if raw_path == ADMIN_PREFIX or raw_path.startswith(ADMIN_PREFIX + "/"):
            self._admin(raw_path[len(ADMIN_PREFIX) :], body)
        elif is_api:
            self._api(raw_path, split.query, query_pairs, body)
        else:
            self._send(
                404, json_bytes({"message": "no such endpoint: %s (the API lives under %s)" % (raw_path, BASE_PATH)})
            )

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise ApiError(411, "chunked request bodies are not supported: send a Content-Length")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise ApiError(400, "invalid Content-Length header") from None
        if length < 0:
            raise ApiError(400, "invalid Content-Length header")
        if length > MAX_BODY_BYTES:
            raise ApiError(413, "request body of %d bytes exceeds the limit of %d bytes" % (length, MAX_BODY_BYTES))
        return self.rfile.read(length) if length else b""

    def _log(self, raw_path, query, operation_id, status, fault, body):
        # Never the headers: the Authorization header must not end up in a log. Its API key (not secret) does.
        self.simulator.record(
            {
                "method": self.command,
                "path": raw_path,
                "query": query,
                "operation": operation_id,
                "status": status,
                "fault": fault,
                "time": time.time(),
                "key": self._claimed_key(),
            },
            body,
        )

    def _claimed_key(self):
        """The API key named by the request's Authorization header (verified or not), or None without a usable one."""
        try:
            return auth.parse_authorization(self.headers.get("Authorization"))["credential"]
        except auth.AuthError:
            return None

    def _api(self, raw_path, query, query_pairs, body):
        """Route, authenticate and validate, then apply a scripted fault (if any) or perform.

        A faulted attempt is checked like any other: a fault never hides a badly signed or invalid
        request, and an invalid request leaves the fault pending for the next valid one.
        """
        simulator = self.simulator
        path = urllib.parse.unquote(raw_path[len(BASE_PATH) :])
        try:
            route, path_params = simulator.spec.route(self.command, path)
        except NoRoute as error:
            self._log(raw_path, query, None, error.status, None, body)
            self._pause()
            self._send(error.status, json_bytes({"message": str(error)}))
            return
        refusal, request = simulator.check(route, path_params, path, raw_path, query_pairs, self.headers, body)
        if refusal:
            self._log(raw_path, query, route.operation_id, refusal[0], None, body)
            self._pause()
            self._send(*refusal)
            return
        fault = simulator.take_fault(route.operation_id, path_params.get("id") or _metered_organization(request))
        action = fault["action"] if fault else None
        if action in ("status", "drop", "reset", "malformed", "html", "empty"):
            self._log(
                raw_path,
                query,
                route.operation_id,
                None if action in ("drop", "reset") else self._fault_status(fault),
                action,
                body,
            )
            self._send_fault(fault)
            return
        if action == "delay":
            simulator.wait(fault["delay"])
        status, data = simulator.perform(route, path, request)
        if action == "process_then_fail":
            status, data = 503, json_bytes({"message": "simulated failure after the request was processed"})
        self._log(raw_path, query, route.operation_id, status, action, body)
        self._pause()
        self._send(status, data)

    def _pause(self):
        latency = self.simulator.config["latency"]
        if latency:
            self.simulator.wait(latency)

    @staticmethod
    def _fault_status(fault):
        return {"status": fault["status"], "html": 502}.get(fault["action"], 200)

    def _send_fault(self, fault):
        action = fault["action"]
        self.close_connection = True
        if action == "drop":
            return
        if action == "reset":
            self._send_partial_then_reset()
        elif action == "status":
            headers = {} if fault["retry_after"] is None else {"Retry-After": str(fault["retry_after"])}
            self._send(
                fault["status"], json_bytes({"message": "simulated HTTP %d fault" % fault["status"]}), headers=headers
            )
        elif action == "html":
            self._send(502, HTML_BODY, content_type="text/html")
        else:
            self._send(200, MALFORMED_BODY if action == "malformed" else b"")

    def _send_partial_then_reset(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "4096")
        self.end_headers()
        self.wfile.write(MALFORMED_BODY)
        self.wfile.flush()
        # SO_LINGER 0 turns close() into a TCP RST instead of an orderly FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def _admin(self, path, body):
        try:
            document = json.loads(body) if body.strip() else {}
        except ValueError as error:
            document = error
        try:
            if not isinstance(document, dict):
                raise ApiError(400, "the admin hooks take a JSON object: %s" % document)
            status, payload = self.simulator.admin(self.command, path, document)
        except ApiError as error:
            status, payload = error.status, {"message": error.message}
        self._send(status, json_bytes(payload))

    def _send(self, status, data, content_type="application/json", headers=None):
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if data and status != 204:
            self.wfile.write(data)
        self.wfile.flush()


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host, port, simulator):
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), RequestHandler)
        self.simulator = simulator
        self.scheme = "http"

    def use_tls(self, cert_file, key_file):
        """Serve HTTPS with this certificate (for TLS tests; the real API is HTTPS only)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.scheme = "https"

    @property
    def base_url(self):
        host, port = self.server_address[:2]
        return "%s://%s:%d" % (self.scheme, "[%s]" % host if ":" in host else host, port)
