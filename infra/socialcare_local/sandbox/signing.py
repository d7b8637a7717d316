"""The platforms' side of webhook authentication: sign bodies the way Meta, X and Telegram do.

Written independently of ``socialcare.platforms.signatures`` (which checks them), so a mistake in
one is caught by tests instead of being mirrored by the other. Header names are lower-case, as
the adapters receive them; HTTP header names are case-insensitive on the wire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from socialcare_local.sandbox.payloads import encode_meta, encode_telegram, encode_x

META_SIGNATURE_HEADER = "x-hub-signature-256"
X_SIGNATURE_HEADER = "x-twitter-webhooks-signature"
TELEGRAM_SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name, not a secret


def _digest(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def sign_meta(app_secret: str, body: bytes) -> dict[str, str]:
    """``X-Hub-Signature-256: sha256=<lowercase hex HMAC-SHA256(app secret, exact body)>``."""
    return {META_SIGNATURE_HEADER: "sha256=" + _digest(app_secret, body).hex()}


def sign_x(consumer_secret: str, body: bytes) -> dict[str, str]:
    """``x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer secret, exact body)>``."""
    digest = base64.b64encode(_digest(consumer_secret, body)).decode("ascii")
    return {X_SIGNATURE_HEADER: "sha256=" + digest}


def telegram_headers(secret_token: str) -> dict[str, str]:
    """Telegram sends the ``secret_token`` given to ``setWebhook`` verbatim in every POST."""
    return {TELEGRAM_SECRET_HEADER: secret_token}


def x_crc_expected(consumer_secret: str, crc_token: str) -> str:
    """The ``response_token`` X expects from a CRC check: ``sha256=<base64 HMAC(secret, token)>``."""
    digest = base64.b64encode(_digest(consumer_secret, crc_token.encode("utf-8"))).decode("ascii")
    return "sha256=" + digest


# --- a whole request: body bytes as the platform serialises them, plus its headers -----------
def meta_request(app_secret: str, payload: Mapping[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = encode_meta(payload)
    return body, {"content-type": "application/json", **sign_meta(app_secret, body)}


def x_request(consumer_secret: str, payload: Mapping[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = encode_x(payload)
    return body, {"content-type": "application/json; charset=utf-8", **sign_x(consumer_secret, body)}


def telegram_request(secret_token: str, update: Mapping[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = encode_telegram(update)
    return body, {"content-type": "application/json", **telegram_headers(secret_token)}
