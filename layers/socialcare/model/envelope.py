"""The message that carries one accepted delivery from the webhook to ingest.

Small deliveries travel inline (so ingest needs no S3 read, and a poison message lands in
the DLQ with its raw payload); larger ones travel as the key of the raw object in S3.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from socialcare.errors import MalformedEnvelope

ENVELOPE_VERSION = 1


@dataclass(frozen=True, slots=True)
class DeliveryEnvelope:
    delivery_id: str
    platform: str
    received_at_ms: int
    raw_key: str
    account_id: str | None = None  # set when the signature named the account (Telegram)
    body: str | None = None  # the exact raw body, when small enough to travel inline

    def to_json(self) -> str:
        doc: dict[str, Any] = {
            "v": ENVELOPE_VERSION,
            "delivery_id": self.delivery_id,
            "platform": self.platform,
            "received_at_ms": self.received_at_ms,
            "raw_key": self.raw_key,
        }
        if self.account_id is not None:
            doc["account_id"] = self.account_id
        if self.body is not None:
            doc["body"] = self.body
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> DeliveryEnvelope:
        try:
            doc = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise MalformedEnvelope(f"queue message is not JSON: {exc}") from exc
        if not isinstance(doc, dict) or doc.get("v") != ENVELOPE_VERSION:
            raise MalformedEnvelope("queue message is not a delivery envelope of version 1")
        try:
            envelope = cls(
                delivery_id=_text(doc, "delivery_id"),
                platform=_text(doc, "platform"),
                received_at_ms=int(doc["received_at_ms"]),
                raw_key=_text(doc, "raw_key"),
                account_id=doc.get("account_id"),
                body=doc.get("body"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedEnvelope(f"delivery envelope is incomplete: {exc}") from exc
        if envelope.body is not None and not isinstance(envelope.body, str):
            raise MalformedEnvelope("delivery envelope body must be a string")
        return envelope


def _text(doc: dict[str, Any], name: str) -> str:
    value = doc[name]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    return value
