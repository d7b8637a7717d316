"""The message that carries one accepted delivery from the webhook to ingest.

Version 2 (what the webhook sends): the raw body travels inline until ingest has archived it, with
the events the webhook parsed from it (``events``), so ingest never parses a delivery again. A
delivery too big for one SQS message has its raw body in S3 (``raw_key``, ``body`` absent), and its
events too when they alone would still not fit (then ingest reads and parses the raw object).
Version 1 (sent before): no events; the raw object was always in S3, the body inline when small.
Both are read, so messages already on the queue (or in the DLQ) are ingested after a deployment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from socialcare.errors import MalformedEnvelope
from socialcare.model import event_codec
from socialcare.model.events import PlatformEvent

ENVELOPE_VERSION = 2
_READABLE_VERSIONS = (1, 2)


@dataclass(frozen=True)
class DeliveryEnvelope:
    delivery_id: str
    platform: str
    received_at_ms: int
    raw_key: str
    account_id: str | None = None  # set when the signature named the account (Telegram)
    body: str | None = None  # the exact raw body, when small enough to travel inline
    events: tuple[PlatformEvent, ...] | None = None  # what the webhook parsed; None: ingest parses
    version: int = ENVELOPE_VERSION

    @property
    def raw_in_bucket(self) -> bool:
        """The raw body is an object of its own at ``raw_key`` already: nothing to archive."""
        return self.version == 1 or self.body is None

    def to_json(self) -> str:
        return self._json

    def without_body(self, *, events: bool = True) -> DeliveryEnvelope:
        """This envelope less its body (and its events when ``events`` is False), the events' encoding
        reused: the webhook tries the smaller envelope when the whole one is too big for SQS."""
        smaller = replace(self, body=None, events=self.events if events else None)
        if events and "_events_json" in self.__dict__:
            smaller.__dict__["_events_json"] = self._events_json
        return smaller

    @cached_property
    def _json(self) -> str:
        # Cached: the webhook measures the message before it sends it (frozen: computed once).
        doc: dict[str, Any] = {
            "v": self.version,
            "delivery_id": self.delivery_id,
            "platform": self.platform,
            "received_at_ms": self.received_at_ms,
            "raw_key": self.raw_key,
        }
        if self.account_id is not None:
            doc["account_id"] = self.account_id
        if self.body is not None:
            doc["body"] = self.body
        text = _dumps(doc)
        return text if self.events is None else f'{text[:-1]},"events":{self._events_json}}}'

    @cached_property
    def _events_json(self) -> str:
        return _dumps([event_codec.encode(e, self.platform) for e in self.events or ()])

    @classmethod
    def from_json(cls, text: str) -> DeliveryEnvelope:
        try:
            doc = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise MalformedEnvelope(f"queue message is not JSON: {exc}") from exc
        if not isinstance(doc, dict) or doc.get("v") not in _READABLE_VERSIONS:
            raise MalformedEnvelope("queue message is not a delivery envelope of version 1 or 2")
        try:
            platform = _text(doc, "platform")
            events = doc.get("events")
            envelope = cls(
                delivery_id=_text(doc, "delivery_id"),
                platform=platform,
                received_at_ms=int(doc["received_at_ms"]),
                raw_key=_text(doc, "raw_key"),
                account_id=doc.get("account_id"),
                body=doc.get("body"),
                events=None if events is None else tuple(event_codec.decode(e, platform) for e in events),
                version=doc["v"],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedEnvelope(f"delivery envelope is incomplete: {exc}") from exc
        if envelope.body is not None and not isinstance(envelope.body, str):
            raise MalformedEnvelope("delivery envelope body must be a string")
        if envelope.version == 1 and envelope.events is not None:
            raise MalformedEnvelope("a version 1 envelope carries no events")
        return envelope


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _text(doc: dict[str, Any], name: str) -> str:
    value = doc[name]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    return value
