# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verification of Exoscale's EXO2-HMAC-SHA256 request signatures.

message = "METHOD path" \\n body \\n values of the signed query args (in pragma order) \\n "" \\n expires
signature = base64(HMAC-SHA256(secret, message)), as requests-exoscale-auth and egoscale compute it.

A missing or malformed Authorization header is 401 (not authenticated); a well-formed one that does
not verify (unknown key, wrong signature, expired, expiring too far ahead, query not covered) is 403.
The reference signer (requests-exoscale-auth) leaves the values of a repeated query parameter out
of the message, so such a request would carry values nobody signed: it is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

SCHEME = "EXO2-HMAC-SHA256"
PRAGMAS = ("credential", "signed-query-args", "expires", "signature")
REQUIRED_PRAGMAS = ("credential", "expires", "signature")
# Every reference signer (requests-exoscale-auth, egoscale, the TypeScript SDK) signs for now + 600 s.
MAX_VALIDITY = 600


class AuthError(Exception):
    """Authentication failed; the message is safe to send back (no secret, no header).

    ``status``: 401 when the request carries no usable Authorization, 403 when it does not verify.
    """

    status = 403


class NotAuthenticated(AuthError):
    status = 401


def parse_authorization(header):
    """Return the pragmas of an EXO2-HMAC-SHA256 Authorization header as a dict; raise AuthError."""
    if not header:
        raise NotAuthenticated("missing Authorization header: sign the request with EXO2-HMAC-SHA256")
    scheme, _space, rest = header.partition(" ")
    if scheme != SCHEME:
        raise NotAuthenticated("malformed Authorization header: expected the %s scheme" % SCHEME)
    pragmas = {}
    for part in rest.split(","):
        name, equals, value = part.strip().partition("=")
        if not equals or name not in PRAGMAS or name in pragmas:
            raise NotAuthenticated("malformed Authorization header: unexpected or repeated part %r" % name[:40])
        pragmas[name] = value
    missing = [name for name in REQUIRED_PRAGMAS if not pragmas.get(name)]
    if missing:
        raise NotAuthenticated("malformed Authorization header: missing %s" % ", ".join(missing))
    if not pragmas["expires"].isdigit():
        raise NotAuthenticated("malformed Authorization header: expires must be a UNIX timestamp")
    return pragmas


def signed_query_values(pragmas, query_pairs):
    """Concatenate the signed query values; every query parameter must be signed, and sent once."""
    signed = [name for name in pragmas.get("signed-query-args", "").split(";") if name]
    names = [pair[0] for pair in query_pairs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise AuthError(
            "query parameter %s repeated: the signature covers one value per parameter, send each parameter once"
            % ", ".join(repeated)
        )
    present = sorted(set(names))
    if sorted(signed) != present:
        raise AuthError(
            "signature does not cover the query string: signed-query-args=%s but the query has %s"
            % (";".join(signed) or "(none)", ";".join(present) or "(none)")
        )
    values = dict(query_pairs)
    return "".join(values[name] for name in signed)


def expected_signature(secret, method, raw_path, body, query_values, expires):
    message = b"\n".join(
        [
            ("%s %s" % (method, raw_path)).encode("utf-8"),
            body or b"",
            query_values.encode("utf-8"),
            b"",
            str(expires).encode("utf-8"),
        ]
    )
    digest = hmac.new(secret.encode("utf-8"), msg=message, digestmod=hashlib.sha256).digest()
    return base64.standard_b64encode(digest).decode("ascii")


def verify(header, method, raw_path, body, query_pairs, credentials, now=None):
    """Check a request's signature; return the API key it was signed with, or raise AuthError.

    ``credentials`` maps API keys to secrets. ``raw_path`` is the path as sent, including /v1.alpha.
    """
    pragmas = parse_authorization(header)
    secret = credentials.get(pragmas["credential"])
    if secret is None:
        raise AuthError("unknown API key: check the credential in the Authorization header")
    expected = expected_signature(
        secret, method, raw_path, body, signed_query_values(pragmas, query_pairs), pragmas["expires"]
    )
    if not hmac.compare_digest(expected.encode("ascii"), pragmas["signature"].encode("utf-8", "replace")):
        raise AuthError(
            "invalid request signature: check the API secret and sign the exact method, path, body and query"
        )
    now = time.time() if now is None else now
    expires = int(pragmas["expires"])
    if expires < now:
        raise AuthError("request expired at %d (server time %d): check the client's clock" % (expires, int(now)))
    if expires > now + MAX_VALIDITY:
        raise AuthError(
            "request expires at %d, more than %d seconds after the server time %d: check the client's clock"
            % (expires, MAX_VALIDITY, int(now))
        )
    return pragmas["credential"]
