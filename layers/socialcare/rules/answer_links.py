"""The signed answer links of department notifications: whoever holds one may answer one escalation,
until it expires, without an agent account.

A link token is ``<payload>.<mac>``, both base64url: the payload names the escalation, the round it was
made for and when it expires; the MAC is HMAC-SHA256 under a key derived from the agent API's secret
(``link_key``: the same secret as the pagination cursors, a different key). Nothing is stored per link:
"one-time" is the escalation's — answering it is a conditional write, so any second answer (by this link,
another round's, or the API) is refused. The token travels in the URL path, which the access logs record
only as the route's template (``/answers/{token}``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

from socialcare.errors import AnswerLinkExpired, AnswerLinkInvalid
from socialcare.model.department_escalation import ESCALATION_ID_PATTERN

MAX_TOKEN_LENGTH = 512
_MAC_BYTES = 20
_PURPOSE = b"socialcare department answer links v1"


def link_key(api_key: bytes) -> bytes:
    """The links' own key, derived from the API's secret key (a cursor's MAC never signs a link)."""
    return hmac.new(api_key, _PURPOSE, hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class LinkClaims:
    escalation_id: str
    round: int
    expires_at_ms: int


class AnswerLinks:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the answer link key must be at least 16 bytes")
        self._key = key

    def issue(self, escalation_id: str, round: int, expires_at_ms: int) -> str:
        payload = json.dumps({"e": escalation_id, "r": round, "x": expires_at_ms}, separators=(",", ":"))
        body = _b64(payload.encode("utf-8"))
        return f"{body}.{_b64(self._mac(body))}"

    def verify(self, token: str, *, now_ms: int) -> LinkClaims:
        """The link's claims; ``AnswerLinkInvalid`` (not signed here, altered) or ``AnswerLinkExpired``."""
        if len(token) > MAX_TOKEN_LENGTH or not token.isascii() or token.count(".") != 1:
            raise AnswerLinkInvalid("this answer link is not valid; use the link of the notification as it came")
        body, mac = token.split(".")
        try:
            given = _unb64(mac)
        except (binascii.Error, ValueError) as exc:
            raise AnswerLinkInvalid(
                "this answer link is not valid; use the link of the notification as it came"
            ) from exc
        if not hmac.compare_digest(given, self._mac(body)):
            raise AnswerLinkInvalid("this answer link is not valid; use the link of the notification as it came")
        claims = _claims(body)
        if now_ms >= claims.expires_at_ms:
            raise AnswerLinkExpired(
                "this answer link has expired; answer through the newer notification, or ask the agent for a new one"
            )
        return claims

    def _mac(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest()[:_MAC_BYTES]


def answer_url(base_url: str, token: str) -> str:
    """Where the link points: the agent API's public answer route."""
    return f"{base_url.rstrip('/')}/answers/{token}"


def _claims(body: str) -> LinkClaims:
    try:
        doc = json.loads(_unb64(body))
        claims = LinkClaims(str(doc["e"]), int(doc["r"]), int(doc["x"]))
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:  # signed by us, so never expected
        raise AnswerLinkInvalid("this answer link is not valid") from exc
    if not ESCALATION_ID_PATTERN.match(claims.escalation_id):
        raise AnswerLinkInvalid("this answer link is not valid")
    return claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
