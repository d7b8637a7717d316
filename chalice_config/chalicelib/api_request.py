"""What a route reads from the HTTP request: the caller (the authorizer's claims), the JSON body
(413 beyond the API's limit), the query parameters, If-Match and Idempotency-Key."""

from __future__ import annotations

import json
import re
from typing import Any, TypedDict

from socialcare import constants as c
from socialcare.agents.identity import Caller, caller_from_claims
from socialcare.errors import InvalidRequest, RequestTooLarge

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_VERSION = re.compile(r'^(?:W/)?"?([0-9]{1,12})"?$')


class WriteConditions(TypedDict):
    """If-Match and Idempotency-Key, as the keyword arguments of the service's entry-creating actions."""

    expected_version: int | None
    idempotency_key: str | None


def parse_body(raw: bytes | str | None, *, allow_empty: bool = False) -> dict[str, Any]:
    """The request body as a JSON object."""
    data = raw.encode("utf-8") if isinstance(raw, str) else (raw or b"")
    if len(data) > c.MAX_API_BODY_BYTES:
        raise RequestTooLarge(f"the body is {len(data)} bytes; the API accepts at most {c.MAX_API_BODY_BYTES}")
    if not data.strip():
        if allow_empty:
            return {}
        raise InvalidRequest("a JSON object body is required")
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise InvalidRequest("the body must be a JSON object")
    return doc


def parse_expected_version(if_match: str | None) -> int | None:
    """``If-Match: "7"`` (the case's ETag) pins the version an action expects; ``*`` or none: any."""
    if if_match is None or not if_match.strip() or if_match.strip() == "*":
        return None
    found = _VERSION.match(if_match.strip())
    if not found:
        raise InvalidRequest('If-Match must be the case\'s ETag, e.g. "7"')
    return int(found.group(1))


def parse_idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not IDEMPOTENCY_KEY_PATTERN.match(value):
        raise InvalidRequest(f"Idempotency-Key must match {IDEMPOTENCY_KEY_PATTERN.pattern}")
    return value


class ApiRequest:
    """What a route needs from the current request, parsed and validated on access."""

    def __init__(self, request: Any) -> None:
        self._request = request

    @property
    def caller(self) -> Caller:
        context = self._request.context or {}
        authorizer = context.get("authorizer") or {}
        return caller_from_claims(authorizer.get("claims"))

    def body(self, *, allow_empty: bool = False) -> dict[str, Any]:
        return parse_body(self._request.raw_body, allow_empty=allow_empty)

    @property
    def query(self) -> dict[str, list[str]]:
        params = self._request.query_params
        if not params:
            return {}
        return {name: list(params.getlist(name)) for name in params}

    @property
    def expected_version(self) -> int | None:
        return parse_expected_version(self._request.headers.get("if-match"))

    @property
    def idempotency_key(self) -> str | None:
        return parse_idempotency_key(self._request.headers.get(IDEMPOTENCY_HEADER.lower()))

    @property
    def write_conditions(self) -> WriteConditions:
        return WriteConditions(expected_version=self.expected_version, idempotency_key=self.idempotency_key)
