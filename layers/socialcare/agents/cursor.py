"""Pagination cursors: opaque to clients, tamper-evident, bound to the query that made them.

A cursor carries the position to resume from (the key of the last item returned) and a digest of
the query (route, team, filters), MAC'd with the API's secret key. A cursor that was altered, made
with another key, or replayed against another query is refused with ``InvalidCursor``. After the
key is rotated, old cursors are refused too: the client starts again from the first page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping

from socialcare.errors import InvalidCursor

MAX_CURSOR_LENGTH = 2048
_MAC_BYTES = 16


class CursorCodec:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the cursor key must be at least 16 bytes")
        self._key = key

    def encode(self, scope: str, position: Mapping[str, str]) -> str:
        payload = json.dumps({"q": _digest(scope), "p": dict(position)}, separators=(",", ":"), sort_keys=True)
        body = _b64(payload.encode("utf-8"))
        return f"{body}.{_b64(self._mac(body))}"

    def decode(self, scope: str, cursor: str) -> dict[str, str]:
        if len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii() or cursor.count(".") != 1:
            raise InvalidCursor("the cursor is not one this API issued")
        body, mac = cursor.split(".")
        try:
            given = _unb64(mac)
            payload = json.loads(_unb64(body))
        except (binascii.Error, ValueError) as exc:
            raise InvalidCursor("the cursor is not one this API issued") from exc
        if not hmac.compare_digest(given, self._mac(body)):
            raise InvalidCursor("the cursor was altered or has expired (the API's key changed); start from page one")
        if not isinstance(payload, dict) or payload.get("q") != _digest(scope):
            raise InvalidCursor("the cursor belongs to another query; use it with the same path and filters")
        position = payload.get("p")
        if not isinstance(position, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in position.items()
        ):
            raise InvalidCursor("the cursor is not one this API issued")
        return position

    def _mac(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest()[:_MAC_BYTES]


def _digest(scope: str) -> str:
    return hashlib.sha256(scope.encode("utf-8")).hexdigest()[:24]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
