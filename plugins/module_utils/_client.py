# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP client for the Exoscale Partner API (the "wire room").

Private to the exoscale.partner collection: not a public API, may change in any release.
Depends only on ``requests`` and the standard library. Knows URLs, verbs, hyphenated JSON
keys, request signing, status codes, retries and client-side validation of what is sent.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import decimal
import email.utils
import hashlib
import hmac
import json
import math
import random
import re
import threading
import time
import traceback
from urllib.parse import parse_qsl, urlsplit

try:
    import requests
    from urllib3.exceptions import NewConnectionError
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None


DEFAULT_URL = "https://partner-api.exoscale.com/v1.alpha"
DEFAULT_USER_AGENT = "exoscale.partner-ansible"
ORG_STATUSES = ("created", "active", "suspended", "terminated")

SIGNATURE_VALIDITY = 600  # seconds, as in every reference implementation
RETRY_STATUSES = (429, 500, 502, 503, 504)
IDEMPOTENT_METHODS = ("GET", "PUT", "DELETE")
MAX_MESSAGE_LENGTH = 200
MAX_DECIMALS = 5
ANY_SUCCESS = tuple(range(200, 300))


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class ExoscaleAPIException(Exception):
    """Base of every error raised by the client.

    ``status``: HTTP status (int) or None; ``response``: the requests.Response or None;
    ``api_message``: the API's own message or None; ``maybe_processed``: True when the request
    may have reached the server and been applied (read timeout, connection lost after sending, 5xx);
    ``doing``: what the failed operation was doing, for messages ("suspend organization <id>"), or None.
    """

    def __init__(self, message, status=None, response=None, api_message=None, maybe_processed=False, doing=None):
        super(ExoscaleAPIException, self).__init__(message)
        self.message = message
        self.status = status
        self.response = response
        self.api_message = api_message
        self.maybe_processed = maybe_processed
        self.doing = doing

    def __str__(self):
        return self.message


class ExoscaleAPIAuthException(ExoscaleAPIException):
    """401 or 403: bad credentials or missing permission.

    ``clock_skew``: seconds the API's clock (its ``Date`` header) is ahead of this host's (negative: behind),
    or None when the answer carried no usable date. Signatures expire, so a large skew explains a refusal
    whatever the API's wording.
    """

    def __init__(self, message, clock_skew=None, **kwargs):
        super(ExoscaleAPIAuthException, self).__init__(message, **kwargs)
        self.clock_skew = clock_skew


class ExoscaleAPIClientException(ExoscaleAPIException):
    """Any other 4xx: the request was refused."""


class ExoscaleAPIInvalidInput(ExoscaleAPIClientException, ValueError):
    """Bad input to an API operation (an id that is not a UUID, a bad period, bad organization fields or usage).

    Raised by the client's validators before any request is sent, so ``status`` is None and
    ``maybe_processed`` False. It is also a ValueError, for callers that validate input with the same
    functions (``validate_uuid``, ``build_organization_input``, ``validate_usage``, ...).
    """


class ExoscaleAPINotFoundException(ExoscaleAPIClientException):
    """404."""


class ExoscaleAPIRateLimitException(ExoscaleAPIClientException):
    """429; ``retry_after`` holds the server's Retry-After in seconds, or None."""

    def __init__(self, message, retry_after=None, **kwargs):
        super(ExoscaleAPIRateLimitException, self).__init__(message, **kwargs)
        self.retry_after = retry_after


class ExoscaleAPIServerException(ExoscaleAPIException):
    """5xx."""


class ExoscaleAPITransportException(ExoscaleAPIException):
    """No usable HTTP answer: connection refused/reset, timeout, TLS, malformed or empty body.

    ``retryable`` is False for failures a retry cannot fix (TLS, malformed answer).
    """

    def __init__(self, message, retryable=True, **kwargs):
        super(ExoscaleAPITransportException, self).__init__(message, **kwargs)
        self.retryable = retryable


def _exception_class(status):
    if status in (401, 403):
        return ExoscaleAPIAuthException
    if status == 404:
        return ExoscaleAPINotFoundException
    if status == 429:
        return ExoscaleAPIRateLimitException
    if 400 <= status < 500:
        return ExoscaleAPIClientException
    if status >= 500:
        return ExoscaleAPIServerException
    return ExoscaleAPIException


_STATUS_HINTS = {
    401: "check the API key and secret",
    403: "check that the API key is allowed to use the Partner API",
    429: "rate limited, try again later",
}


# ---------------------------------------------------------------------------------------------
# Reading answers
# ---------------------------------------------------------------------------------------------


def shorten(text, limit=MAX_MESSAGE_LENGTH):
    """`text` on one line (whitespace collapsed), cut to `limit` characters with "..." when longer."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _html_summary(text):
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title and title.group(1).strip():
        return "HTML page: " + title.group(1).strip()
    return "HTML page: " + re.sub(r"<[^>]+>", " ", text)


def _error_entry_text(entry):
    if not isinstance(entry, dict):
        return str(entry)
    text = entry.get("detail") or entry.get("message") or entry.get("title") or json.dumps(entry, sort_keys=True)
    where = entry.get("pointer") or entry.get("field") or entry.get("name")
    return "%s: %s" % (where, text) if where else str(text)


def _message_from_json(data):
    """The API's message from {"message"}, {"error"} or RFC 9457 {title, detail, errors}."""
    if not isinstance(data, dict):
        return json.dumps(data, sort_keys=True)
    for key in ("message", "error"):
        value = data.get(key)
        if isinstance(value, dict):
            value = _message_from_json(value)
        if value:
            return str(value)
    parts = [str(data[key]) for key in ("title", "detail") if data.get(key)]
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        parts.append("errors: " + "; ".join(_error_entry_text(entry) for entry in errors))
    return ": ".join(parts) if parts else json.dumps(data, sort_keys=True)


def api_message(response):
    """The readable message of an error answer, at most ~200 characters, or None if empty."""
    text = response.text or ""
    if not text.strip():
        return None
    try:
        message = _message_from_json(json.loads(text))
    except ValueError:
        looks_html = "html" in response.headers.get("Content-Type", "") or text.lstrip().startswith("<")
        message = _html_summary(text) if looks_html else text
    return shorten(message)


def _retry_after(response, now):
    """Retry-After in seconds (delta-seconds or HTTP date), from the header or a JSON body."""
    value = response.headers.get("Retry-After")
    if value is None:
        try:
            body = response.json()
        except ValueError:
            return None
        value = body.get("retry_after", body.get("retry-after")) if isinstance(body, dict) else None
        if value is None:
            return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        try:
            when = email.utils.parsedate_to_datetime(str(value))
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - now
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _clock_skew(response, now):
    """Seconds the server's Date header is ahead of ``now`` (whole seconds), or None without a valid Date."""
    try:
        when = email.utils.parsedate_to_datetime(response.headers.get("Date") or "")
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return round(when.timestamp() - now)


# ---------------------------------------------------------------------------------------------
# Signing
# ---------------------------------------------------------------------------------------------


def sign_request(key, secret, method, path, body, query_pairs, expires):
    """The EXO2-HMAC-SHA256 Authorization header value.

    ``path`` is the wire path including the URL prefix (``/v1.alpha/...``, ``:`` not encoded),
    ``body`` the exact bytes sent (or None), ``query_pairs`` the decoded (name, value) pairs.
    """
    names = sorted(name for name, _value in query_pairs)
    values = "".join(value for _name, value in sorted(query_pairs))
    message = b"\n".join(
        [
            ("%s %s" % (method, path)).encode("utf-8"),
            body or b"",
            values.encode("utf-8"),
            b"",
            str(expires).encode("utf-8"),
        ]
    )
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    header = "EXO2-HMAC-SHA256 credential=%s" % key
    if names:
        header += ",signed-query-args=%s" % ";".join(names)
    return header + ",expires=%d,signature=%s" % (expires, base64.b64encode(digest).decode("ascii"))


# ---------------------------------------------------------------------------------------------
# Validation and wire bodies (pure, no I/O)
# ---------------------------------------------------------------------------------------------

_UUID_RE = re.compile(r"\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_PERIOD_RE = re.compile(r"\A[0-9]{4}-(0[1-9]|1[0-2])\Z")
_COUNTRY_RE = re.compile(r"\A[A-Za-z]{2}\Z")


def validate_uuid(value, field):
    """The canonical (lower-case) form of ``value`` if it is a UUID (8-4-4-4-12 hex).

    Else ExoscaleAPIInvalidInput (a ValueError) naming ``field``.

    UUIDs are case-insensitive and the API answers in lower case: every id the collection compares
    goes through here (options at the module edge, ids read from the wire), so comparisons are exact.
    """
    if not isinstance(value, str) or not _UUID_RE.match(value):
        raise ExoscaleAPIInvalidInput(
            "%s: expected a UUID like 'bf9bbc88-71ea-407c-9920-fc1101d86183', got %r" % (field, value)
        )
    return value.lower()


def validate_period(value):
    """Return ``value`` if it is a billing period 'YYYY-MM', else raise ExoscaleAPIInvalidInput."""
    if not isinstance(value, str) or not _PERIOD_RE.match(value):
        raise ExoscaleAPIInvalidInput(
            "period: expected a month as 'YYYY-MM' (for example '2025-01'), got %r" % (value,)
        )
    return value


def _text(value, field, max_length=None):
    """A text field: str (ints accepted, e.g. a YAML postcode), not blank, within the spec's length limits.

    Blank (empty or whitespace-only) is refused for every field: a blank client_id would be sent as
    an idempotency key that matches nothing meaningful, a blank name or address bills nobody.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ExoscaleAPIInvalidInput("%s: expected a string, got %s" % (field, type(value).__name__))
    if not value.strip():
        raise ExoscaleAPIInvalidInput("%s: must not be empty or blank, got %r" % (field, value))
    if max_length is not None and len(value) > max_length:
        raise ExoscaleAPIInvalidInput("%s: at most %d characters allowed, got %d" % (field, max_length, len(value)))
    return value


_ORG_FIELDS = (
    "organization",
    "display_name",
    "name",
    "billing_address",
    "owner_email",
    "client_id",
    "address",
    "building_number",
    "city",
    "postcode",
    "country",
)
_BILLING_FIELDS = ("name", "street_name", "building_number", "city", "postal_code", "country", "address")


def _snake_keys(mapping, allowed, where):
    if not isinstance(mapping, dict):
        raise ExoscaleAPIInvalidInput("%s: expected a dictionary, got %s" % (where, type(mapping).__name__))
    result = {}
    for key, value in mapping.items():
        snake = str(key).replace("-", "_")
        if snake not in allowed:
            raise ExoscaleAPIInvalidInput("%s: unknown field %r (known: %s)" % (where, key, ", ".join(allowed)))
        result[snake] = value
    return result


def _one_of(field, *candidates):
    """The single value given for ``field`` by several spellings; conflicting values are an error."""
    given = [(name, value) for name, value in candidates if value is not None]
    if any(value != given[0][1] for _name, value in given[1:]):
        raise ExoscaleAPIInvalidInput(
            "%s: given twice with different values (%s)" % (field, ", ".join("%s=%r" % pair for pair in given))
        )
    return given[0][1] if given else None


def _organization_fields(kwargs):
    fields = _snake_keys(kwargs, _ORG_FIELDS, "organization")
    nested = fields.pop("organization", None)
    if nested is not None:
        if fields:
            raise ExoscaleAPIInvalidInput(
                "organization: give either organization={...} or separate fields, not both (got %s)"
                % ", ".join(sorted(fields))
            )
        fields = _snake_keys(nested, _ORG_FIELDS[1:], "organization")
    billing = fields.get("billing_address")
    billing = {} if billing is None else _snake_keys(billing, _BILLING_FIELDS, "billing_address")
    return fields, billing


def build_organization_input(**kwargs):
    """The exact wire body (``organization-input``) for creating an organization.

    Accepts the seed's flat fields (``name, address, city, postcode, country, owner_email,
    client_id``, hyphenated or not, also as ``organization={...}``), ``building_number``, and the
    current API's fields (``display_name, billing_address, owner_email, client_id``).
    The billing address name is the display name. Raises ExoscaleAPIInvalidInput naming the bad field.
    """
    return _organization_input(kwargs, complete=True)


def validate_organization_fields(**kwargs):
    """Check the organization fields given, as create would, without requiring the others."""
    _organization_input(kwargs, complete=False)


def _checked(value, check):
    return None if value is None else check(value)


def _country(value):
    country = _text(value, "country")
    if not _COUNTRY_RE.match(country):
        raise ExoscaleAPIInvalidInput("country: expected a 2-letter ISO 3166-1 code like 'CH', got %r" % country)
    return country.upper()


def _owner_email(value):
    owner_email = _text(value, "owner_email", max_length=75)
    if "@" not in owner_email:
        raise ExoscaleAPIInvalidInput("owner_email: expected an email address, got %r" % owner_email)
    return owner_email


def _organization_input(kwargs, complete):
    fields, billing = _organization_fields(kwargs)
    display_name = _one_of(
        "display_name",
        ("display_name", fields.get("display_name")),
        ("name", fields.get("name")),
        ("billing_address.name", billing.get("name")),
    )

    def billing_field(wire_key, flat_key):
        billing_key = wire_key.replace("-", "_")
        return _one_of(
            billing_key, ("billing_address." + billing_key, billing.get(billing_key)), (flat_key, fields.get(flat_key))
        )

    street = billing_field("street-name", "address")
    building = billing_field("building-number", "building_number")
    city = billing_field("city", "city")
    postal_code = billing_field("postal-code", "postcode")
    country = billing_field("country", "country")
    owner_email = fields.get("owner_email")

    if complete:
        for label, value in (
            ("display_name (the organization's name)", display_name),
            ("street_name (address)", street),
            ("city", city),
            ("postal_code (postcode)", postal_code),
            ("country", country),
            ("owner_email", owner_email),
        ):
            if value is None:
                raise ExoscaleAPIInvalidInput("%s: required" % label)
    display_name = _checked(display_name, lambda value: _text(value, "display_name", max_length=191))
    address = {
        "name": display_name,
        "street-name": _checked(street, lambda value: _text(value, "street_name")),
        "building-number": _checked(building, lambda value: _text(value, "building_number", max_length=255)),
        "city": _checked(city, lambda value: _text(value, "city", max_length=255)),
        "postal-code": _checked(postal_code, lambda value: _text(value, "postal_code", max_length=80)),
        "country": _checked(country, _country),
        "address": _checked(billing.get("address"), lambda value: _text(value, "billing_address.address")),
    }
    body = {
        "display-name": display_name,
        "billing-address": _without_none(address),
        "owner-email": _checked(owner_email, _owner_email),
        "client-id": _checked(fields.get("client_id"), lambda value: _text(value, "client_id", max_length=191)),
    }
    return _without_none(body)


def organization_preview(**kwargs):
    """The snake_case org as it would come back from create (``id``/``status`` None)."""
    return _org_from_wire(build_organization_input(**kwargs))


def exact_decimal(value, where):
    """``value`` (int, Decimal, finite float or numeric string; not bool) as an exact, finite Decimal.

    A float becomes the shortest decimal that round-trips (0.1 stays 0.1, never 0.1000000000000000055).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal, str)):
        raise ExoscaleAPIInvalidInput("%s: expected a number, got %s" % (where, type(value).__name__))
    try:
        number = decimal.Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except decimal.InvalidOperation:
        raise ExoscaleAPIInvalidInput("%s: expected a number, got %r" % (where, value)) from None
    if not number.is_finite():
        raise ExoscaleAPIInvalidInput("%s: must be a finite number, got %r" % (where, value))
    return number


def plain_decimal(value, where="number"):
    """The exact decimal text of ``value`` in plain notation: '3e-05' -> '0.00003', '1E+2' -> '100', '0.30' stays."""
    return format(exact_decimal(value, where), "f")


def _quantity(value, where):
    """A metering quantity as an exact Decimal: at most 5 decimals, finite, not a bool."""
    text = plain_decimal(value, where)
    if len(text.partition(".")[2]) > MAX_DECIMALS:
        raise ExoscaleAPIInvalidInput(
            "%s: at most %d decimal places allowed, got %s (round it first)" % (where, MAX_DECIMALS, text)
        )
    return decimal.Decimal(text)


_USAGE_ENTRY_FIELDS = ("product", "variable", "quantity")


def build_metering_batch(organization, usage):
    """The wire body of a metering transaction; quantities as decimal.Decimal."""
    validate_uuid(organization, "organization")
    return {"organization": organization, "usage": validate_usage(usage)}


def validate_usage(usage):
    """The metering entries as sent: product, variable and quantity (an exact decimal.Decimal)."""
    if isinstance(usage, (str, bytes, dict)) or not isinstance(usage, (list, tuple)):
        raise ExoscaleAPIInvalidInput(
            "usage: expected a list of {product, variable, quantity}, got %s" % type(usage).__name__
        )
    if not usage:
        raise ExoscaleAPIInvalidInput("usage: must contain at least one entry")
    entries = []
    for index, entry in enumerate(usage):
        where = "usage[%d]" % index
        if not isinstance(entry, dict):
            raise ExoscaleAPIInvalidInput("%s: expected a dictionary with product, variable, quantity" % where)
        unknown = sorted(set(entry) - set(_USAGE_ENTRY_FIELDS))
        if unknown:
            raise ExoscaleAPIInvalidInput(
                "%s: unknown field(s) %s (allowed: product, variable, quantity)" % (where, ", ".join(map(str, unknown)))
            )
        for key in _USAGE_ENTRY_FIELDS:
            if entry.get(key) is None:
                raise ExoscaleAPIInvalidInput("%s.%s: required" % (where, key))
        entries.append(
            {
                "product": _text(entry["product"], where + ".product"),
                "variable": _text(entry["variable"], where + ".variable"),
                "quantity": _quantity(entry["quantity"], where + ".quantity"),
            }
        )
    return entries


def _without_none(mapping):
    return {key: value for key, value in mapping.items() if value is not None}


def dump_json(value):
    """Compact JSON where decimal.Decimal is written as an exact number (0.3, never 0.30000000000000004)."""
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{%s}" % ",".join("%s:%s" % (json.dumps(str(key)), dump_json(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return "[%s]" % ",".join(dump_json(item) for item in value)
    return json.dumps(value)


# ---------------------------------------------------------------------------------------------
# Answers to snake_case
# ---------------------------------------------------------------------------------------------


def _get(mapping, *keys):
    """First non-None value among ``keys`` (each tried hyphenated and snake_case)."""
    for key in keys:
        for spelling in (key, key.replace("-", "_")):
            if mapping.get(spelling) is not None:
                return mapping[spelling]
    return None


def _org_from_wire(data):
    """snake_case org from either wire generation (2025-11+ billing-address, or 2025-10 flat)."""
    if not isinstance(data, dict):
        raise ValueError("expected an organization object")
    billing = _get(data, "billing-address")
    billing = billing if isinstance(billing, dict) else {}
    return {
        "id": _canonical_id(_get(data, "id")),
        "status": _get(data, "status"),
        "name": _get(billing, "name") or _get(data, "display-name", "name"),
        "client_id": _get(data, "client-id"),
        "address": _get(billing, "street-name", "address") or _get(data, "address"),
        "building_number": _get(billing, "building-number") or _get(data, "building-number"),
        "postcode": _get(billing, "postal-code", "postcode") or _get(data, "postcode", "postal-code"),
        "city": _get(billing, "city") or _get(data, "city"),
        "country": _get(billing, "country") or _get(data, "country"),
    }


def _canonical_id(value):
    return value.lower() if isinstance(value, str) else value


def _org_list_from_wire(data):
    organizations = data.get("organizations") if isinstance(data, dict) else None
    if not isinstance(organizations, list):
        raise ValueError('expected {"organizations": [...]}')
    return {"organizations": [_org_from_wire(item) for item in organizations]}


_USAGE_RECORD_KEYS = ("code", "currency", "total-excl-vat", "total-incl-vat", "start-date", "end-date")
_USAGE_LINE_KEYS = ("product", "variable", "description", "quantity", "unit", "total-excl-vat", "total-incl-vat")


_USAGE_AMOUNT_KEYS = ("quantity", "total-excl-vat", "total-incl-vat")


def _snake_record(data, keys):
    if not isinstance(data, dict):
        raise ValueError("expected an object")
    record = {}
    for key in keys:
        value = _get(data, key)
        if key in _USAGE_AMOUNT_KEYS and value is not None:
            # Amounts stay exact: the decimal text as sent, in plain notation (a float would round it).
            value = plain_decimal(value, key)
        record[key.replace("-", "_")] = value
    return record


def _usage_from_wire(data):
    """Usage records in snake_case; quantities and totals as exact decimal strings ('0.00003', '12.50')."""
    if not isinstance(data, list):
        raise ValueError("expected a list of usage records")
    records = []
    for item in data:
        record = _snake_record(item, _USAGE_RECORD_KEYS)
        lines = item.get("usage") or []
        if not isinstance(lines, list):
            raise ValueError("expected usage lines as a list")
        record["usage"] = [_snake_record(line, _USAGE_LINE_KEYS) for line in lines]
        records.append(record)
    return records


def _message_from_wire(data):
    if data is not None and not isinstance(data, dict):
        raise ValueError('expected {"message": ...}')
    return {"message": None if data is None else data.get("message")}


def _ok_from_wire(data):
    if data is not None and not isinstance(data, dict):
        raise ValueError('expected {"ok": true} or no body')
    if data is not None and data.get("ok", True) is False:
        raise ValueError('the API answered {"ok": false}')
    return {"ok": True}


# ---------------------------------------------------------------------------------------------
# Client
# ---------------------------------------------------------------------------------------------


class Client:
    """Exoscale Partner API client.

    Retry policy. GET and the lifecycle PUT/DELETE are retried on connection errors, timeouts and
    HTTP 429, 500, 502, 503, 504. POST (create, metering) is retried only when the server provably did
    not process it: on 429, or when the connection never opened (connect timeout, refused, DNS).
    A POST is never replayed after a read timeout, a connection lost after sending or a 5xx: those
    raise with ``maybe_processed=True`` (metering has no idempotency key; a replay bills twice).
    TLS failures and malformed answers are never retried.
    The wait before retry n (0-based) is ``backoff_base * 2**n`` capped at ``backoff_max``, with
    jitter (between half and all of it), or the server's ``Retry-After`` (seconds or HTTP date)
    when given. At most ``retries`` retries, and never more than ``max_retry_wait`` seconds of
    waiting in total: a Retry-After beyond that budget raises at once.
    ``sleep``, ``clock`` and the backoff values are injectable for tests.

    The signature is the seed SDK's, ``Client(key, secret, url=None, zone=None)``, plus the options above.
    ``zone`` is accepted and has no effect: the Partner API is global (as in the SDK).
    Bad input to an operation raises ExoscaleAPIInvalidInput (an ExoscaleAPIClientException and a
    ValueError) before any request is sent.
    """

    def __init__(
        self,
        key,
        secret,
        *,
        url=None,
        zone=None,
        timeout=30,
        retries=5,
        validate_certs=True,
        user_agent=None,
        sleep=time.sleep,
        clock=time.time,
        backoff_base=0.5,
        backoff_max=8.0,
        max_retry_wait=60.0,
    ):
        if not HAS_REQUESTS:
            raise RuntimeError("the Python library 'requests' is required to talk to the Exoscale Partner API")
        self.key = key
        self._secret = secret
        self.url = (url or DEFAULT_URL).rstrip("/")
        self.zone = zone  # no effect: the Partner API is global
        self.timeout = timeout
        self.retries = retries
        self.validate_certs = validate_certs
        self.user_agent = user_agent or DEFAULT_USER_AGENT
        self.sleep = sleep
        self.clock = clock
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_wait = max_retry_wait
        self._local = threading.local()
        self._sessions = []
        self._sessions_lock = threading.Lock()

    def __repr__(self):
        return "Client(key=%r, secret='***', url=%r)" % (self.key, self.url)

    @property
    def session(self):
        """This thread's keep-alive requests.Session, created on first use.

        requests.Session is not documented as thread-safe, so each thread gets its own: one Client
        may be shared by the worker threads of a module (see _parallel.py).
        """
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update({"User-Agent": self.user_agent, "Accept": "application/json"})
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def close(self):
        """Close the sessions of every thread that used this client."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()

    # -- operations -----------------------------------------------------------------------------

    # Each operation names what it does (``doing``); its errors carry that label for messages.

    def list_distributor_organizations(self):
        return self._request("GET", "/distributor/organization", doing="list organizations", parse=_org_list_from_wire)

    def get_distributor_organization(self, *, id):
        id = validate_uuid(id, "id")
        return self._request("GET", _org_path(id), doing="get organization %s" % id)

    def create_distributor_organization(self, **fields):
        body = build_organization_input(**fields)
        doing = "create organization %r" % body["display-name"]
        return self._request("POST", "/distributor/organization", doing=doing, body=body)

    def activate_distributor_organization(self, *, id):
        id = validate_uuid(id, "id")
        return self._request("PUT", _org_path(id, ":activate"), doing="activate organization %s" % id)

    def suspend_distributor_organization(self, *, id):
        id = validate_uuid(id, "id")
        return self._request("PUT", _org_path(id, ":suspend"), doing="suspend organization %s" % id)

    def terminate_distributor_organization(self, *, id):
        id = validate_uuid(id, "id")
        doing = "terminate organization %s" % id
        return self._request(
            "DELETE", _org_path(id, ":terminate"), doing=doing, parse=_message_from_wire, empty_ok=ANY_SUCCESS
        )

    def schedule_purge_distributor_organization(self, *, id):
        id = validate_uuid(id, "id")
        doing = "schedule purge organization %s" % id
        return self._request(
            "PUT", _org_path(id, ":schedule-purge"), doing=doing, parse=_message_from_wire, empty_ok=ANY_SUCCESS
        )

    def list_distributor_organization_usage(self, *, id, period=None):
        id = validate_uuid(id, "id")
        query = None if period is None else {"period": validate_period(period)}
        doing = "list the usage of organization %s%s" % (id, "" if period is None else " for " + period)
        return self._request("GET", _org_path(id, "/usage"), doing=doing, query=query, parse=_usage_from_wire)

    def metering_transaction(self, *, organization, usage):
        body = build_metering_batch(organization=organization, usage=usage)
        doing = "send the metering batch to organization %s" % organization
        # Only a 204 may be empty: an empty 200 (e.g. from a proxy) does not prove the batch was applied.
        return self._request("POST", "/metering:apply", doing=doing, body=body, parse=_ok_from_wire, empty_ok=(204,))

    # -- core -----------------------------------------------------------------------------------

    def _request(self, method, path, *, doing, query=None, body=None, parse=_org_from_wire, empty_ok=()):
        """Send, retry per the class policy, and return ``parse(decoded JSON)``; errors carry ``doing``."""
        data = None if body is None else dump_json(body).encode("utf-8")
        attempt = 0
        waited = 0.0
        request = (method, path, doing)
        while True:
            try:
                response = self._send(method, path, query, data)
            except requests.RequestException as exc:
                error = self._transport_error(request, exc)
            else:
                if 200 <= response.status_code < 300:
                    return self._parse(request, response, parse, empty_ok)
                error = self._status_error(request, response)
            delay = self._retry_delay(method, error, attempt)
            if delay is None or attempt >= self.retries or waited + delay > self.max_retry_wait:
                raise error
            self.sleep(delay)
            waited += delay
            attempt += 1

    def _send(self, method, path, query, data):
        session = self.session
        headers = {"Content-Type": "application/json"} if data is not None else {}
        prepared = session.prepare_request(
            requests.Request(method, self.url + path, params=query, data=data, headers=headers)
        )
        url = urlsplit(prepared.url)
        prepared.headers["Authorization"] = sign_request(
            self.key,
            self._secret,
            method,
            url.path,
            prepared.body,
            parse_qsl(url.query, keep_blank_values=True),
            int(self.clock() + SIGNATURE_VALIDITY),
        )
        settings = session.merge_environment_settings(prepared.url, {}, None, self.validate_certs, None)
        return session.send(prepared, timeout=self.timeout, allow_redirects=False, **settings)

    def _parse(self, request, response, parse, empty_ok):
        text = response.content
        try:
            decoded = json.loads(text.decode("utf-8"), parse_float=decimal.Decimal) if text.strip() else None
            if decoded is None and response.status_code not in empty_ok:
                raise ValueError("empty answer (HTTP %d) where JSON was expected" % response.status_code)
            return parse(decoded)
        except ValueError as exc:
            raise self._error(
                ExoscaleAPITransportException,
                request,
                "unexpected answer (HTTP %d): %s; the request was probably processed"
                % (response.status_code, shorten(str(exc))),
                status=response.status_code,
                response=response,
                maybe_processed=True,
                retryable=False,
            ) from exc

    def _status_error(self, request, response):
        status = response.status_code
        message = api_message(response)
        text = ("HTTP %d %s" % (status, response.reason or "")).strip() + (": " + message if message else "")
        hint = _STATUS_HINTS.get(status)
        kwargs = {}
        if status in (401, 403):
            kwargs["clock_skew"] = _clock_skew(response, self.clock())
        elif status == 429:
            kwargs["retry_after"] = _retry_after(response, self.clock())
            if kwargs["retry_after"] is not None:
                hint = "rate limited, the API asks to wait %g seconds" % kwargs["retry_after"]
        elif status >= 500:
            hint = "the request may have been processed, check before repeating it"
        elif 300 <= status < 400:
            hint = "redirected to %s, check the API URL" % response.headers.get("Location")
        text += "; " + hint if hint else ""
        return self._error(
            _exception_class(status),
            request,
            text,
            status=status,
            response=response,
            api_message=message,
            maybe_processed=status >= 500,
            **kwargs,
        )

    def _transport_error(self, request, exc):
        host = urlsplit(self.url).netloc
        reason = _transport_reason(exc)
        if isinstance(exc, requests.exceptions.SSLError):
            return self._error(
                ExoscaleAPITransportException,
                request,
                "TLS error talking to %s: %s; check the URL scheme and the server certificate (validate_certs)"
                % (host, reason),
                retryable=False,
            )
        if isinstance(exc, requests.exceptions.ProxyError):
            return self._error(
                ExoscaleAPITransportException,
                request,
                "cannot connect to %s through the proxy: %s; check HTTPS_PROXY and NO_PROXY" % (host, reason),
            )
        if _never_connected(exc):
            return self._error(ExoscaleAPITransportException, request, "cannot connect to %s: %s" % (host, reason))
        if isinstance(exc, requests.exceptions.Timeout):
            text = "no answer from %s within %s seconds" % (host, self.timeout)
        else:
            text = "connection to %s lost: %s" % (host, reason)
        return self._error(
            ExoscaleAPITransportException,
            request,
            text + "; the request may have been processed, check before repeating it",
            maybe_processed=True,
        )

    def _error(self, cls, request, text, api_message=None, **kwargs):
        """The exception for ``request`` (method, path, doing), the secret scrubbed from everything readable."""
        method, path, doing = request
        return cls(
            self._scrub("%s %s: %s" % (method, path, text)),
            api_message=self._scrub(api_message),
            doing=doing,
            **kwargs,
        )

    def _scrub(self, text):
        if text and self._secret and len(self._secret) >= 8:
            return text.replace(self._secret, "***")
        return text

    def _retry_delay(self, method, error, attempt):
        """Seconds to wait before retrying ``error``, or None if it must not be retried."""
        idempotent = method in IDEMPOTENT_METHODS
        if isinstance(error, ExoscaleAPITransportException):
            retry = error.retryable and (idempotent or not error.maybe_processed)
        else:
            retry = error.status == 429 or (idempotent and error.status in RETRY_STATUSES)
        if not retry:
            return None
        server_delay = None if error.response is None else _retry_after(error.response, self.clock())
        if server_delay is not None:
            return server_delay
        delay = min(self.backoff_max, self.backoff_base * (2**attempt))
        return delay / 2 + random.uniform(0, delay / 2)


def _org_path(org_id, suffix=""):
    """The path of an organization; `org_id` is already validated (validate_uuid)."""
    return "/distributor/organization/%s%s" % (org_id, suffix)


def _never_connected(exc):
    """True when requests failed before the request could be sent (connect timeout, refused, DNS, proxy unreachable).

    requests raises ProxyError only while connecting to the proxy, before anything reached the API.
    """
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.ProxyError)):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError) or isinstance(exc, requests.exceptions.SSLError):
        return False
    cause = exc.args[0] if exc.args else None
    return isinstance(getattr(cause, "reason", cause), NewConnectionError)


def _transport_reason(exc):
    """The innermost readable reason of a requests exception, without urllib3 object reprs."""
    cause = exc.args[0] if exc.args else exc
    cause = getattr(cause, "reason", cause)
    text = str(cause)
    text = re.sub(r"<[^>]*object at 0x[0-9a-f]+>:?\s*", "", text)
    text = re.sub(r"\w*Connection(Pool)?\(host=[^)]*\):\s*", "", text)
    return shorten(text or type(exc).__name__)
