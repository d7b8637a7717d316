"""Webhook signature checks, all in constant time.

Each check works on the exact raw bytes received: platforms sign their own serialisation
(Meta escapes non-ASCII as ``\\uXXXX``), so re-serialised JSON never verifies.
Errors: no header -> ``SignatureMissing``; wrong or malformed header -> ``SignatureInvalid``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable

from socialcare.errors import SignatureInvalid, SignatureMissing

META_SIGNATURE_HEADER = "x-hub-signature-256"
X_SIGNATURE_HEADER = "x-twitter-webhooks-signature"
TELEGRAM_SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name

_PREFIX = "sha256="


def _hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.new(_utf8(secret), message, hashlib.sha256).digest()


def _utf8(text: str) -> bytes:
    # surrogatepass: JSON escapes can produce lone surrogates; encoding must never raise here.
    return text.encode("utf-8", "surrogatepass")


def _present(header_value: str | None, header_name: str) -> str:
    # An empty header carries no signature at all: treat it like a missing one.
    if header_value is None or not header_value.strip():
        raise SignatureMissing(f"{header_name} header is missing")
    return header_value.strip()


def _signature_bytes(header_value: str, header_name: str, *, encoding: str) -> bytes:
    """The digest bytes of a ``sha256=<hex|base64>`` header; anything else is invalid."""
    if not header_value.startswith(_PREFIX):
        raise SignatureInvalid(f"{header_name} must start with {_PREFIX}")
    encoded = header_value[len(_PREFIX) :]
    try:
        if encoding == "hex":
            return bytes.fromhex(encoded)
        return base64.b64decode(encoded.encode("ascii"), validate=True)
    except (ValueError, binascii.Error):  # non-ASCII text raises UnicodeEncodeError, a ValueError
        raise SignatureInvalid(f"{header_name} is not a valid {encoding} digest") from None


def _matches_any(given: bytes, expected: Iterable[bytes]) -> bool:
    # Compare against every candidate without stopping early, so timing does not reveal which
    # (or whether an early) secret matched.
    matched = False
    for candidate in expected:
        matched |= hmac.compare_digest(given, candidate)
    return matched


def verify_meta_signature(app_secrets: Iterable[str], header_value: str | None, body: bytes) -> None:
    """Check ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app_secret, body)>`` against each app secret."""
    value = _present(header_value, META_SIGNATURE_HEADER)
    given = _signature_bytes(value, META_SIGNATURE_HEADER, encoding="hex")
    if not _matches_any(given, (_hmac_sha256(s, body) for s in app_secrets)):
        raise SignatureInvalid(f"{META_SIGNATURE_HEADER} does not match the body")


def verify_x_signature(consumer_secrets: Iterable[str], header_value: str | None, body: bytes) -> None:
    """Check ``x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer_secret, body)>``."""
    value = _present(header_value, X_SIGNATURE_HEADER)
    given = _signature_bytes(value, X_SIGNATURE_HEADER, encoding="base64")
    if not _matches_any(given, (_hmac_sha256(s, body) for s in consumer_secrets)):
        raise SignatureInvalid(f"{X_SIGNATURE_HEADER} does not match the body")


def x_crc_response_token(consumer_secret: str, crc_token: str) -> str:
    """The CRC answer: ``sha256=<base64 HMAC-SHA256(consumer_secret, crc_token)>``."""
    digest = _hmac_sha256(consumer_secret, _utf8(crc_token))
    return _PREFIX + base64.b64encode(digest).decode("ascii")


def match_telegram_secret(bots: Iterable[tuple[str, str]], header_value: str | None) -> str:
    """Return the bot id whose secret token equals the header; ``bots`` is (bot_id, secret_token) pairs.

    Every configured token is compared (no early exit), so the response time does not tell
    which bot, if any, matched.
    """
    value = _utf8(_present(header_value, TELEGRAM_SECRET_HEADER))
    given = hashlib.sha256(value).digest()
    matched: str | None = None
    for bot_id, secret_token in bots:
        if _digest_equals(given, secret_token) and matched is None:
            matched = bot_id
    if matched is None:
        raise SignatureInvalid(f"{TELEGRAM_SECRET_HEADER} matches no configured bot")
    return matched


def tokens_equal(given: str, expected: str) -> bool:
    """Constant-time equality of two shared tokens (Meta's verify_token)."""
    return _digest_equals(hashlib.sha256(_utf8(given)).digest(), expected)


def _digest_equals(given_digest: bytes, expected: str) -> bool:
    # Fixed-length digests: compare_digest's time then never depends on the tokens' lengths.
    return hmac.compare_digest(given_digest, hashlib.sha256(_utf8(expected)).digest())
