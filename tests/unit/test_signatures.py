"""Signature checks and GET handshakes, against signatures computed here with hmac/hashlib.

Each platform signs its own bytes: Meta escapes non-ASCII (``\\u00e4``, emoji as surrogate pairs),
X sends UTF-8. A check that re-serialised the JSON, or decoded and re-encoded it, would fail here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from socialcare.errors import HandshakeRejected, HandshakeUnsupported, SignatureInvalid, SignatureMissing
from socialcare.platforms.credentials import PlatformCredentials
from socialcare.platforms.meta import MetaAdapter
from socialcare.platforms.registry import get_adapter
from socialcare.platforms.telegram import TelegramAdapter
from socialcare.platforms.x import XAdapter

from tests.platform_fixtures import load

pytestmark = pytest.mark.unit

CREDENTIALS = PlatformCredentials.from_dict(
    {
        "meta": {"app_secrets": ["new-app-secret", "old-app-secret"], "verify_token": "tøken-😀"},
        "x": {"consumer_secrets": ["x-secret-current", "x-secret-previous"]},
        "telegram": {
            "bots": [
                {"bot_id": "7001", "secret_token": "support-bot-secret", "bot_token": "7001:AA"},
                {"bot_id": "8002", "secret_token": "sales-bot-secret", "bot_token": "8002:BB"},
            ]
        },
    }
)
NOTHING_CONFIGURED = PlatformCredentials()

meta, x, telegram = MetaAdapter(), XAdapter(), TelegramAdapter()

# One payload with every kind of character Meta escapes: Latin-1 (ä), CJK, an emoji outside the
# BMP (a surrogate pair once escaped), a flag (two regional indicators) and a ZWJ family.
UNICODE_TEXT = "Grüße, schön! 日本語 😟 🇩🇪 👩\u200d👩\u200d👧"


def meta_payload() -> dict[str, object]:
    doc = load("meta", "messenger_message")
    doc["entry"][0]["messaging"][0]["message"]["text"] = UNICODE_TEXT
    return doc


def meta_wire(doc: object) -> bytes:
    """Meta's serialisation: ASCII only, non-ASCII as \\uXXXX escapes."""
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def hex_sig(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def b64_sig(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode("ascii")


# --- Meta -------------------------------------------------------------------------------------
def test_meta_signature_over_the_exact_escaped_bytes_verifies() -> None:
    body = meta_wire(meta_payload())
    assert b"Gr\\u00fc\\u00dfe" in body
    assert b"\\ud83d\\ude1f" in body  # 😟 as Meta escapes it
    meta.verify({"x-hub-signature-256": hex_sig("new-app-secret", body)}, body, CREDENTIALS)


def test_meta_signature_does_not_verify_the_reserialised_utf8_form() -> None:
    escaped = meta_wire(meta_payload())
    utf8 = json.dumps(json.loads(escaped), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert json.loads(utf8) == json.loads(escaped)
    assert utf8 != escaped
    with pytest.raises(SignatureInvalid):
        meta.verify({"x-hub-signature-256": hex_sig("new-app-secret", escaped)}, utf8, CREDENTIALS)


def test_meta_signature_breaks_on_a_single_changed_byte() -> None:
    body = meta_wire(meta_payload())
    tampered = body.replace(b"\\u00fc", b"\\u00FC")  # same JSON value, different bytes
    assert json.loads(tampered) == json.loads(body)
    with pytest.raises(SignatureInvalid):
        meta.verify({"x-hub-signature-256": hex_sig("new-app-secret", body)}, tampered, CREDENTIALS)


@pytest.mark.parametrize("secret", ["new-app-secret", "old-app-secret"])
def test_meta_secret_rotation_accepts_every_configured_secret(secret: str) -> None:
    body = meta_wire(meta_payload())
    meta.verify({"x-hub-signature-256": hex_sig(secret, body)}, body, CREDENTIALS)


def test_meta_signature_with_an_unknown_secret_is_invalid() -> None:
    body = meta_wire(meta_payload())
    with pytest.raises(SignatureInvalid, match="does not match"):
        meta.verify({"x-hub-signature-256": hex_sig("retired-secret", body)}, body, CREDENTIALS)


@pytest.mark.parametrize("headers", [{}, {"x-hub-signature-256": ""}, {"x-hub-signature-256": "   "}])
def test_meta_missing_or_empty_signature_is_missing(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureMissing):
        meta.verify(headers, b"{}", CREDENTIALS)


def test_meta_sha1_header_alone_is_a_missing_sha256_signature() -> None:
    body = b'{"object":"page","entry":[]}'
    legacy = "sha1=" + hmac.new(b"new-app-secret", body, hashlib.sha1).hexdigest()
    with pytest.raises(SignatureMissing):
        meta.verify({"x-hub-signature": legacy}, body, CREDENTIALS)


@pytest.mark.parametrize(
    "value",
    [
        "md5=abcdef",
        "sha1=" + "ab" * 20,
        "sha256=" + "zz" * 32,  # not hex
        "sha256=abc",  # odd length
        "sha256=" + "ab" * 16,  # too short
        "sha256=" + "é" * 64,  # not ASCII
        "SHA256=" + "ab" * 32,
    ],
)
def test_meta_malformed_signature_is_invalid(value: str) -> None:
    with pytest.raises(SignatureInvalid):
        meta.verify({"x-hub-signature-256": value}, b"{}", CREDENTIALS)


def test_meta_without_configured_secrets_refuses_every_signature() -> None:
    body = b'{"object":"page","entry":[]}'
    with pytest.raises(SignatureInvalid):
        meta.verify({"x-hub-signature-256": hex_sig("new-app-secret", body)}, body, NOTHING_CONFIGURED)


# --- X ----------------------------------------------------------------------------------------
def x_body() -> bytes:
    doc = load("x", "dm")
    doc["direct_message_events"][0]["message_create"]["message_data"]["text"] = UNICODE_TEXT
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_x_base64_signature_over_utf8_bytes_with_emoji_verifies() -> None:
    body = x_body()
    assert "😟".encode() in body
    x.verify({"x-twitter-webhooks-signature": b64_sig("x-secret-current", body)}, body, CREDENTIALS)


def test_x_signature_of_the_escaped_form_does_not_verify_the_utf8_bytes() -> None:
    body = x_body()
    escaped = json.dumps(json.loads(body), separators=(",", ":")).encode("ascii")
    with pytest.raises(SignatureInvalid):
        x.verify({"x-twitter-webhooks-signature": b64_sig("x-secret-current", escaped)}, body, CREDENTIALS)


def test_x_secret_rotation() -> None:
    body = x_body()
    x.verify({"x-twitter-webhooks-signature": b64_sig("x-secret-previous", body)}, body, CREDENTIALS)
    with pytest.raises(SignatureInvalid):
        x.verify({"x-twitter-webhooks-signature": b64_sig("x-secret-stolen", body)}, body, CREDENTIALS)


def test_x_hex_signature_is_not_accepted_where_base64_is_expected() -> None:
    body = x_body()
    with pytest.raises(SignatureInvalid):
        x.verify({"x-twitter-webhooks-signature": hex_sig("x-secret-current", body)}, body, CREDENTIALS)


@pytest.mark.parametrize("headers", [{}, {"x-twitter-webhooks-signature": ""}])
def test_x_missing_signature(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureMissing):
        x.verify(headers, x_body(), CREDENTIALS)


@pytest.mark.parametrize("value", ["sha256=not base64!", "sha256=" + "A" * 43, "c2lnbmF0dXJl", "sha256=Zm9v"])
def test_x_malformed_signature_is_invalid(value: str) -> None:
    with pytest.raises(SignatureInvalid):
        x.verify({"x-twitter-webhooks-signature": value}, x_body(), CREDENTIALS)


def test_x_crc_response_token() -> None:
    reply = x.handshake({"crc_token": "ZmFrZS1jcmMtdG9rZW4tMTIz"}, CREDENTIALS)
    expected = base64.b64encode(
        hmac.new(b"x-secret-current", b"ZmFrZS1jcmMtdG9rZW4tMTIz", hashlib.sha256).digest()
    ).decode("ascii")
    assert (reply.status, reply.content_type) == (200, "application/json")
    assert json.loads(reply.body) == {"response_token": f"sha256={expected}"}


@pytest.mark.parametrize("query", [{}, {"crc_token": ""}])
def test_x_crc_without_a_token_is_rejected(query: dict[str, str]) -> None:
    with pytest.raises(HandshakeRejected):
        x.handshake(query, CREDENTIALS)


def test_x_crc_without_configured_secrets_is_rejected() -> None:
    with pytest.raises(HandshakeRejected):
        x.handshake({"crc_token": "abc"}, NOTHING_CONFIGURED)


# --- Telegram ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("token", "bot_id"), [("support-bot-secret", "7001"), ("sales-bot-secret", "8002")])
def test_telegram_secret_token_names_the_bot(token: str, bot_id: str) -> None:
    verification = telegram.verify({"x-telegram-bot-api-secret-token": token}, b"{}", CREDENTIALS)
    assert verification.account_id == bot_id


@pytest.mark.parametrize("token", ["support-bot-secreT", "support-bot-secret-", "sales", "7001"])
def test_telegram_unknown_secret_token_is_invalid(token: str) -> None:
    with pytest.raises(SignatureInvalid):
        telegram.verify({"x-telegram-bot-api-secret-token": token}, b"{}", CREDENTIALS)


@pytest.mark.parametrize("headers", [{}, {"x-telegram-bot-api-secret-token": ""}])
def test_telegram_missing_secret_token(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureMissing):
        telegram.verify(headers, b"{}", CREDENTIALS)


def test_telegram_without_configured_bots_refuses_every_token() -> None:
    with pytest.raises(SignatureInvalid):
        telegram.verify({"x-telegram-bot-api-secret-token": "support-bot-secret"}, b"{}", NOTHING_CONFIGURED)


def test_telegram_has_no_get_handshake() -> None:
    with pytest.raises(HandshakeUnsupported):
        telegram.handshake({"hub.challenge": "1"}, CREDENTIALS)


# --- Meta verify-token handshake --------------------------------------------------------------
def test_meta_handshake_echoes_the_challenge_as_plain_text() -> None:
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "tøken-😀"}
    reply = meta.handshake(query, CREDENTIALS)
    assert (reply.status, reply.body, reply.content_type) == (200, b"1158201444", "text/plain")


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "wrong"},
        {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "tøken-😀 "},
        {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": ""},
        {"hub.mode": "subscribe", "hub.challenge": "1158201444"},
        {"hub.mode": "unsubscribe", "hub.challenge": "1158201444", "hub.verify_token": "tøken-😀"},
        {"hub.challenge": "1158201444", "hub.verify_token": "tøken-😀"},
        {"hub.mode": "subscribe", "hub.verify_token": "tøken-😀"},
        {},
    ],
)
def test_meta_handshake_with_a_wrong_or_missing_part_is_rejected(query: dict[str, str]) -> None:
    with pytest.raises(HandshakeRejected):
        meta.handshake(query, CREDENTIALS)


def test_meta_handshake_without_meta_configured_is_rejected() -> None:
    with pytest.raises(HandshakeRejected):
        meta.handshake({"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "x"}, NOTHING_CONFIGURED)


def test_registry_knows_exactly_the_three_platforms() -> None:
    assert [get_adapter(name).platform.value for name in ("meta", "x", "telegram")] == ["meta", "x", "telegram"]
