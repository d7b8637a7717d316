"""Realistic platform payloads from ``tests/fixtures/platforms/<platform>/<name>.json``.

The files are stored readable (UTF-8, indented). ``wire_body`` turns one into the exact bytes its
platform sends — Meta escapes every non-ASCII character (``\\u00fc``, emoji as surrogate pairs),
X and Telegram send UTF-8 — which is what the platform signs and what the adapters must accept.
Signatures here are computed directly with ``hmac``/``hashlib``, never by the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "platforms"
PLATFORMS = ("meta", "x", "telegram")

# The credentials tests/conftest.py puts in Secrets Manager.
META_APP_SECRET = "meta-app-secret"
META_VERIFY_TOKEN = "meta-verify-token"
X_CONSUMER_SECRET = "x-consumer-secret"
TELEGRAM_BOT_ID = "7001"
TELEGRAM_SECRET_TOKEN = "tg-secret-token"


@cache
def _text(platform: str, name: str) -> str:
    return (FIXTURES / platform / f"{name}.json").read_text(encoding="utf-8")


def load(platform: str, name: str) -> dict[str, Any]:
    """A fresh copy of the fixture's JSON document (safe to mutate)."""
    doc: dict[str, Any] = json.loads(_text(platform, name))
    return doc


def names(platform: str) -> list[str]:
    return sorted(path.stem for path in (FIXTURES / platform).glob("*.json"))


def all_fixtures() -> list[tuple[str, str]]:
    return [(platform, name) for platform in PLATFORMS for name in names(platform)]


def encode(platform: str, doc: Any) -> bytes:
    """The bytes ``platform`` would send for ``doc``."""
    if platform == "meta":
        return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def wire_body(platform: str, name: str) -> bytes:
    return encode(platform, load(platform, name))


# --- signatures, computed independently of socialcare.platforms.signatures ------------------
def meta_signature(body: bytes, secret: str = META_APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def x_signature(body: bytes, secret: str = X_CONSUMER_SECRET) -> str:
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signed_headers(platform: str, body: bytes) -> dict[str, str]:
    """Headers as the platform sends them with ``body`` (names in their usual case)."""
    if platform == "meta":
        return {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(body)}
    if platform == "x":
        return {"Content-Type": "application/json; charset=utf-8", "X-Twitter-Webhooks-Signature": x_signature(body)}
    return {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET_TOKEN}


def page_message_entry(account: str, sender: str, mid: str, text: str, ts: int) -> dict[str, Any]:
    """One ``entry`` of a Messenger (or Instagram) delivery: a customer's text message to ``account``."""
    return {
        "id": account,
        "time": ts,
        "messaging": [
            {
                "sender": {"id": sender},
                "recipient": {"id": account},
                "timestamp": ts,
                "message": {"mid": mid, "text": text},
            }
        ],
    }
