"""The contract every platform adapter meets.

A webhook delivery goes through three steps, in this order:
1. ``verify`` the signature on the exact raw bytes (before anything is parsed);
2. ``parse`` the verified bytes into normalised events (raising ``MalformedPayload`` when the
   delivery as a whole is not the platform's shape; a single event the adapter does not
   understand becomes an UNKNOWN event, never an exception);
3. GET requests are platform handshakes, answered by ``handshake``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from socialcare.model.events import ParsedDelivery, Platform
from socialcare.platforms.credentials import PlatformCredentials


@dataclass(frozen=True, slots=True)
class HandshakeReply:
    status: int
    body: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class Verification:
    """Who signed a delivery, and when it arrived.

    ``account_id`` is set when the signature itself names the brand account (Telegram: the bot
    whose secret token matched); otherwise the payload does. ``received_at_ms`` (the envelope's
    received time) is the time given to events whose payload carries no usable time of their own
    (they are marked ``timestamp_estimated``); without it such events carry 0 for ingest to fill.
    """

    account_id: str | None = None
    received_at_ms: int | None = None


class PlatformAdapter(Protocol):
    platform: Platform

    def handshake(self, query: Mapping[str, str], credentials: PlatformCredentials) -> HandshakeReply:
        """Answer a GET handshake; raise HandshakeRejected (403) or HandshakeUnsupported (405)."""
        ...

    def verify(self, headers: Mapping[str, str], body: bytes, credentials: PlatformCredentials) -> Verification:
        """Check the delivery's signature; ``headers`` keys are lower-case.

        Raise SignatureMissing (401) or SignatureInvalid (403).
        """
        ...

    def parse(self, body: bytes, verification: Verification) -> ParsedDelivery:
        """Normalise a verified delivery; raise MalformedPayload (400) with a reason."""
        ...
