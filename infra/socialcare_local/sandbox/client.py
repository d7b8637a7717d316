"""The platform sandbox's sending side: deliveries signed the way each platform signs them, over HTTP.

A ``Delivery`` is one prepared POST: the exact body bytes and the headers the platform would send,
signature included. Sending the same ``Delivery`` twice is a platform retry (same bytes, same
signature); sending a list in another order is out-of-order arrival; ``tampered()`` is the same
delivery with a signature that does not match.

The reply side (the platforms' send APIs that later issues call: Graph ``/{id}/messages``, X
``/2/dm_conversations/...`` and ``/2/tweets``, Telegram ``/bot<token>/sendMessage``) belongs in
``sandbox/reply_api.py``: an HTTP server started by ``LocalStack`` next to the webhook endpoints,
recording each call for the demo and the tests, its base URLs given to the functions through their
environment.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import requests

from socialcare_local.config import LocalConfig
from socialcare_local.sandbox import signing
from socialcare_local.sandbox.payloads import encode_meta, encode_telegram, encode_x

Order = Literal["as_given", "reversed", "shuffled"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook POST exactly as the platform would send it."""

    platform: str
    body: bytes
    headers: Mapping[str, str]
    label: str = ""

    def tampered(self) -> Delivery:
        """The same body under a signature that does not match it (what an attacker would send)."""
        headers = dict(self.headers)
        for name, value in headers.items():
            lower = name.lower()
            if lower in ("x-hub-signature-256", "x-twitter-webhooks-signature"):
                prefix, _, digest = value.partition("=")
                headers[name] = f"{prefix}={_flip_first_char(digest)}"
            elif lower == "x-telegram-bot-api-secret-token":
                headers[name] = f"{value}-wrong"
        return replace(self, headers=headers, label=f"{self.label} (bad signature)".strip())

    def unsigned(self) -> Delivery:
        """The same body with no signature header at all."""
        signature_headers = ("x-hub-signature-256", "x-twitter-webhooks-signature", "x-telegram-bot-api-secret-token")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in signature_headers}
        return replace(self, headers=headers, label=f"{self.label} (unsigned)".strip())


@dataclass(frozen=True, slots=True)
class SentDelivery:
    """What happened to one POST the sandbox made."""

    delivery: Delivery
    status: int
    body: str
    elapsed_ms: float


@dataclass
class Sandbox:
    """Plays the platforms against a running stack's webhook endpoints (``webhook_base_url``)."""

    webhook_base_url: str
    config: LocalConfig
    session: requests.Session | None = None
    timeout_s: float = 10.0
    sent: list[SentDelivery] = field(default_factory=list)
    # Told of every delivery the stack accepted: the reply API learns which customers wrote and
    # which comments exist, as the platform knows them (``LocalStack.sandbox()`` wires it).
    observer: Callable[[str, bytes, Mapping[str, str]], None] | None = None

    def __post_init__(self) -> None:
        self.webhook_base_url = self.webhook_base_url.rstrip("/")
        if self.session is None:
            self.session = requests.Session()

    def url(self, platform: str) -> str:
        return f"{self.webhook_base_url}/webhooks/{platform}"

    # --- preparing deliveries ---------------------------------------------------------------------
    def meta(self, payload: Mapping[str, Any] | bytes, *, app_secret: str | None = None, label: str = "") -> Delivery:
        """A Meta delivery (Messenger, Page feed, Instagram, WhatsApp), signed with the app secret.

        Dicts are serialised as Meta does (``payloads.encode_meta``: non-ASCII escaped as ``\\u00e4``).
        """
        body = payload if isinstance(payload, bytes) else encode_meta(payload)
        headers = {
            "content-type": "application/json",
            **signing.sign_meta(app_secret or self.config.meta_app_secret, body),
        }
        return Delivery("meta", body, headers, label)

    def x(self, payload: Mapping[str, Any] | bytes, *, consumer_secret: str | None = None, label: str = "") -> Delivery:
        """An X Account Activity delivery, signed with the consumer secret."""
        body = payload if isinstance(payload, bytes) else encode_x(payload)
        secret = consumer_secret or self.config.x_consumer_secret
        headers = {"content-type": "application/json; charset=utf-8", **signing.sign_x(secret, body)}
        return Delivery("x", body, headers, label)

    def telegram(self, update: Mapping[str, Any] | bytes, *, bot_id: str | None = None, label: str = "") -> Delivery:
        """A Telegram update, carrying the bot's webhook secret token."""
        body = update if isinstance(update, bytes) else encode_telegram(update)
        headers = {
            "content-type": "application/json",
            **signing.telegram_headers(self.config.telegram_secret_token(bot_id)),
        }
        return Delivery("telegram", body, headers, label)

    # --- sending ----------------------------------------------------------------------------------
    def send(self, delivery: Delivery) -> requests.Response:
        """POST the delivery to its platform's webhook endpoint; the response is returned as is."""
        assert self.session is not None
        started = time.monotonic()
        response = self.session.post(
            self.url(delivery.platform), data=delivery.body, headers=dict(delivery.headers), timeout=self.timeout_s
        )
        self.sent.append(
            SentDelivery(delivery, response.status_code, response.text, round((time.monotonic() - started) * 1000, 1))
        )
        if self.observer is not None and 200 <= response.status_code < 300:
            self.observer(delivery.platform, delivery.body, delivery.headers)
        return response

    def resend(self, delivery: Delivery) -> requests.Response:
        """A platform retry: the very same bytes under the very same signature."""
        return self.send(delivery)

    def send_all(
        self, deliveries: Iterable[Delivery], *, order: Order = "as_given", seed: int = 7
    ) -> list[requests.Response]:
        """Send several deliveries one after another, optionally out of order (responses in sending order)."""
        batch = list(deliveries)
        if order == "reversed":
            batch.reverse()
        elif order == "shuffled":
            random.Random(seed).shuffle(batch)
        return [self.send(delivery) for delivery in batch]

    def post_raw(
        self, platform: str, body: bytes, headers: Mapping[str, str] | None = None, *, path: str | None = None
    ) -> requests.Response:
        """POST anything at all (malformed, oversized, unknown platform...) to ``/webhooks/<platform>``."""
        assert self.session is not None
        url = f"{self.webhook_base_url}{path}" if path else self.url(platform)
        return self.session.post(url, data=body, headers=dict(headers or {}), timeout=self.timeout_s)

    # --- handshakes -------------------------------------------------------------------------------
    def meta_verify(self, challenge: str = "1158201444", *, verify_token: str | None = None) -> requests.Response:
        """Meta's subscription check: ``GET ?hub.mode=subscribe&hub.challenge=..&hub.verify_token=..``."""
        assert self.session is not None
        params = {
            "hub.mode": "subscribe",
            "hub.challenge": challenge,
            "hub.verify_token": verify_token if verify_token is not None else self.config.meta_verify_token,
        }
        return self.session.get(self.url("meta"), params=params, timeout=self.timeout_s)

    def x_crc(self, crc_token: str = "crc-token-from-x") -> requests.Response:  # noqa: S107 - X sends a random token
        """X's challenge-response check: ``GET ?crc_token=..``."""
        assert self.session is not None
        return self.session.get(self.url("x"), params={"crc_token": crc_token}, timeout=self.timeout_s)

    def expected_x_crc_response(self, crc_token: str, *, consumer_secret: str | None = None) -> str:
        """The ``response_token`` X expects back: ``sha256=`` + base64(HMAC-SHA256(consumer secret, token))."""
        return signing.x_crc_expected(consumer_secret or self.config.x_consumer_secret, crc_token)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


def _flip_first_char(digest: str) -> str:
    """Change the first character of a hex or base64 digest (it carries data bits in both)."""
    if not digest:
        return "0"
    return ("1" if digest[0] == "0" else "0") + digest[1:]


__all__: Sequence[str] = ("Delivery", "Sandbox", "SentDelivery")
