# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The official Partner API spec: routing, and request/response validation with openapi-core.

The spec is read from the installed ``exoscale`` package, never copied. Checks the spec cannot
express (it sets no ``additionalProperties`` and no ``required`` on metering) are added on top in
``stricter_request_errors`` and documented in docs/docsite/rst/simulator.rst.
"""

from __future__ import annotations

import decimal
import importlib.resources
import json
import re

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_HOST = "https://partner-api.exoscale.com"
BASE_PATH = "/v1.alpha"
PERIOD_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
MAX_QUANTITY_DECIMALS = 5
LIST_OPERATION = "list-distributor-organizations"
GET_OPERATION = "get-distributor-organization"
ORGANIZATION_OUTPUT = "#/components/schemas/organization-output"
MAX_REMEMBERED_ORGANIZATIONS = 100000
# Answers checked with the operation's own response schema by a compiled OAS 3.0 validator (the
# validator openapi-core uses inside, with format checks) instead of openapi-core's per-call
# machinery: ~0.6 ms instead of ~15 ms for a usage answer. With 8 clients reading 200 organizations
# x 6 months, openapi-core made the simulator the bottleneck of the benchmark (issue 14).
COMPILED_ANSWER_OPERATIONS = ("list-distributor-organization-usage",)


def load_spec():
    resource = importlib.resources.files("exoscale").joinpath("partner-api.json")
    return json.loads(resource.read_text(encoding="utf-8"))


class Route:
    def __init__(self, method, template, operation_id, operation):
        self.method = method
        self.template = template
        self.operation_id = operation_id
        self.operation = operation
        # Path parameters stop at "/" and ":" so "{id}" never swallows a ":activate" suffix.
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/:]+)", re.escape(template))
        self.regex = re.compile("^" + pattern + "$")


class NoRoute(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Spec:
    """Routes requests to operation ids and validates requests and responses against the spec."""

    def __init__(self, document=None):
        self.document = document if document is not None else load_spec()
        self.openapi = OpenAPI.from_dict(self.document)
        self.routes = [
            Route(method.upper(), template, operation["operationId"], operation)
            for template, item in self.document["paths"].items()
            for method, operation in item.items()
        ]
        self.operation_ids = frozenset(route.operation_id for route in self.routes)
        self._valid_organizations = set()
        self._answer_validators = {
            route.operation_id: OAS30Validator(
                self.resolve(route.operation["responses"]["200"]["content"]["application/json"]["schema"]),
                format_checker=oas30_format_checker,
            )
            for route in self.routes
            if route.operation_id in COMPILED_ANSWER_OPERATIONS
        }

    def route(self, method, path):
        """Return ``(route, path_params)`` for a path below BASE_PATH; raise NoRoute (404/405)."""
        allowed = []
        for route in self.routes:
            match = route.regex.match(path)
            if match is None:
                continue
            if route.method == method:
                return route, match.groupdict()
            allowed.append(route.method)
        if allowed:
            raise NoRoute(
                405,
                "method %s is not allowed on %s%s (allowed: %s)"
                % (method, BASE_PATH, path, ", ".join(sorted(allowed))),
            )
        raise NoRoute(404, "no such endpoint: %s%s" % (BASE_PATH, path))

    def request_errors(self, route, path, query_pairs, body, content_type):
        """Return a readable message naming the invalid field, or None when the request is valid."""
        request = _SpecRequest(route.method, path, query_pairs, body, content_type)
        result = self.openapi.unmarshal_request(request)
        if result.errors:
            return "; ".join(_describe(error) for error in result.errors)
        return stricter_request_errors(self, route, query_pairs, body)

    def response_errors(self, route, path, status, body, content_type):
        """Return why a success response breaks the spec, or None. Error answers (4xx/5xx) are not in the spec."""
        declared = route.operation.get("responses", {})
        if str(status) not in declared:
            return "status %d is not declared for %s (declared: %s)" % (
                status,
                route.operation_id,
                ", ".join(sorted(declared)),
            )
        if status == 204:
            # HTTP forbids a body on 204; the spec still lists an ok-map content for it, the real API sends none.
            return None if not body else "a 204 answer must not carry a body"
        if route.operation_id == LIST_OPERATION:
            return self._organization_list_errors(route, path, status, body, content_type)
        validator = self._answer_validators.get(route.operation_id) if status == 200 else None
        if validator is not None and content_type == "application/json":
            try:
                document = json.loads(body)
            except ValueError as error:
                return "body: not valid JSON: %s" % error
            errors = sorted(validator.iter_errors(document), key=lambda error: list(error.absolute_path))
            return "; ".join(_schema_error_text(error) for error in errors) or None
        problem = self._unmarshal_errors(route, path, status, body, content_type)
        if problem is None and self._answers_one_organization(route, status):
            # The list validates its items against this same schema: remember the organization as validated.
            self._remember_valid_organization(json.dumps(json.loads(body), sort_keys=True))
        return problem

    def _answers_one_organization(self, route, status):
        schema = route.operation["responses"][str(status)].get("content", {}).get("application/json", {})
        return schema.get("schema", {}).get("$ref") == ORGANIZATION_OUTPUT

    def _remember_valid_organization(self, key):
        if len(self._valid_organizations) < MAX_REMEMBERED_ORGANIZATIONS:
            self._valid_organizations.add(key)

    def _unmarshal_errors(self, route, path, status, body, content_type):
        request = _SpecRequest(route.method, path, [], None, None)
        result = self.openapi.unmarshal_response(request, _SpecResponse(status, body, content_type))
        if result.errors:
            return "; ".join(_describe(error) for error in result.errors)
        return None

    def _organization_list_errors(self, route, path, status, body, content_type):
        """Validate the list envelope, then each distinct organization once (or never, when a create,
        get, activate or suspend answer already carried that exact organization and was validated).

        openapi-core costs ~4.5 ms per organization: validating every item of every list answer would
        make a list of 1000 organizations take seconds, and benchmarks would measure the simulator.
        An organization is checked against the same ``organization-output`` schema (as a get answer)
        and remembered until it changes.
        """
        document = json.loads(body)
        organizations = document.get("organizations") if isinstance(document, dict) else None
        if not isinstance(organizations, list):
            return self._unmarshal_errors(route, path, status, body, content_type)
        envelope = json.dumps(dict(document, organizations=[])).encode()
        problem = self._unmarshal_errors(route, path, status, envelope, content_type)
        get_route = self.route_for(GET_OPERATION)
        for index, organization in enumerate(organizations):
            if problem:
                break
            key = json.dumps(organization, sort_keys=True)
            if key in self._valid_organizations:
                continue
            problem = self._unmarshal_errors(
                get_route, "/distributor/organization/%s" % organization.get("id"), status, key.encode(), content_type
            )
            if problem:
                problem = "organizations[%d]: %s" % (index, problem)
            else:
                self._remember_valid_organization(key)
        return problem

    def resolve(self, schema):
        while "$ref" in schema:
            schema = self.document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def route_for(self, operation_id):
        return next(route for route in self.routes if route.operation_id == operation_id)


class _SpecRequest:
    """The openapi-core Request protocol, addressed to the spec's own server so its base path matches."""

    def __init__(self, method, path, query_pairs, body, content_type):
        self.host_url = SPEC_HOST
        self.path = BASE_PATH + path
        self.full_url_pattern = SPEC_HOST + BASE_PATH + path
        self.method = method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query_pairs), header=Headers(), cookie=ImmutableMultiDict()
        )
        self.body = body or None
        self.content_type = content_type or ""


class _SpecResponse:
    def __init__(self, status, body, content_type):
        self.status_code = status
        self.data = body
        self.content_type = content_type or ""
        self.headers = Headers()


def _describe(error):
    """Turn an openapi-core error (and its causes) into 'field: problem' text."""
    name, location = getattr(error, "name", None), getattr(error, "location", None)
    field = "%s parameter %s" % (location, name) if name and location else "body"
    seen = error
    while seen is not None:
        schema_errors = getattr(seen, "schema_errors", None)
        if schema_errors:
            return "; ".join(sorted(_schema_error_text(item, field) for item in schema_errors))
        if isinstance(seen, json.JSONDecodeError):
            return "body: not valid JSON: %s" % seen
        seen = seen.__cause__ or seen.__context__
    readable = {
        "MissingRequiredRequestBody": "a JSON request body is required",
        "MissingRequiredParameter": "missing required parameter",
    }
    return "%s: %s" % (field, readable.get(type(error).__name__, str(error) or type(error).__name__))


def _schema_error_text(error, default_field="body"):
    field = field_name(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        field = field_name(list(error.absolute_path) + [missing])
        return "%s: required field is missing" % field
    return "%s: %s" % (field or default_field, error.message)


def field_name(parts):
    text = ""
    for part in parts:
        text += "[%d]" % part if isinstance(part, int) else ("." if text else "") + str(part)
    return text


def unknown_properties(spec, schema, value, where):
    """Names of properties the spec does not define (the spec omits additionalProperties: false)."""
    schema = spec.resolve(schema)
    found = []
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            child = field_name([where, key]) if where else key
            if key not in schema["properties"]:
                found.append("%s: unknown field (allowed: %s)" % (child, ", ".join(sorted(schema["properties"]))))
            else:
                found.extend(unknown_properties(spec, schema["properties"][key], item, child))
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found.extend(unknown_properties(spec, schema["items"], item, "%s[%d]" % (where, index)))
    return found


def validate_period(value):
    """Return None if value is YYYY-MM with a real month, else a message."""
    match = PERIOD_PATTERN.match(value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return "query parameter period: %r is not a period, expected YYYY-MM with a month 01-12" % value
    return None


def stricter_request_errors(spec, route, query_pairs, body):
    """Checks beyond what the spec can express; see docs/docsite/rst/simulator.rst."""
    declared = {param["name"] for param in route.operation.get("parameters", []) if param["in"] == "query"}
    for name, value in query_pairs:
        if name not in declared:
            return "query parameter %s: unknown parameter (allowed: %s)" % (name, ", ".join(sorted(declared)) or "none")
        if name == "period":
            problem = validate_period(value)
            if problem:
                return problem
    request_body = route.operation.get("requestBody")
    if request_body is None:
        return None
    document = json.loads(body, parse_float=decimal.Decimal)
    problems = unknown_properties(spec, request_body["content"]["application/json"]["schema"], document, "")
    if route.operation_id == "metering-transaction":
        problems.extend(_metering_problems(document))
    return "; ".join(problems) or None


def _metering_problems(batch):
    problems = ["%s: required field is missing" % key for key in ("organization", "usage") if key not in batch]
    if not batch.get("usage", [None]):
        problems.append("usage: at least one entry is required")
    for index, entry in enumerate(batch.get("usage") or []):
        where = "usage[%d]" % index
        problems.extend(
            "%s.%s: required field is missing" % (where, key)
            for key in ("product", "variable", "quantity")
            if key not in entry
        )
        for key in ("product", "variable"):
            if key in entry and not str(entry[key]).strip():
                problems.append("%s.%s: must not be empty" % (where, key))
        quantity = entry.get("quantity")
        if isinstance(quantity, decimal.Decimal) and -quantity.as_tuple().exponent > MAX_QUANTITY_DECIMALS:
            problems.append(
                "%s.quantity: %s has more than %d decimal places" % (where, quantity, MAX_QUANTITY_DECIMALS)
            )
    return problems
