"""What the webhook does before it acknowledges: the minimum, in the order that loses nothing.

1. refuse what is too big (413) or for an unknown platform (404);
2. verify the signature on the exact raw bytes (401 missing, 403 wrong);
3. parse, once: a malformed delivery is refused now (400) rather than retried forever, and the
   events travel to ingest in the envelope, which parses nothing again;
4. enqueue the envelope with the raw bytes in it — only then acknowledge. A delivery too big for
   one SQS message is put in S3 first and the envelope points at it (``model/envelope.py``); every
   other one is archived by ingest, through Firehose, before its message leaves the queue.

Nothing is stored or enqueued for a refused delivery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace

from socialcare import constants as c
from socialcare.clock import Clock
from socialcare.errors import MalformedPayload, PayloadTooLarge
from socialcare.model.archived import raw_key_for
from socialcare.model.envelope import DeliveryEnvelope
from socialcare.platforms.base import HandshakeReply
from socialcare.platforms.registry import get_adapter
from socialcare.ports import Credentials, DeliveryQueue, RawStore

__all__ = ["Receipt", "WebhookService", "raw_key_for"]


@dataclass(frozen=True, slots=True)
class Receipt:
    delivery_id: str
    platform: str
    event_count: int
    raw_key: str
    inline: bool  # the raw body travels in the queue message (else it was put in S3)


class WebhookService:
    def __init__(
        self,
        *,
        credentials: Credentials,
        raw_store: RawStore,
        queue: DeliveryQueue,
        clock: Clock,
        max_body_bytes: int = c.MAX_WEBHOOK_BODY_BYTES,
        max_inline_bytes: int = c.MAX_INLINE_DELIVERY_BYTES,
    ) -> None:
        self._credentials = credentials
        self._raw = raw_store
        self._queue = queue
        self._clock = clock
        self._max_body = max_body_bytes
        self._max_inline = max_inline_bytes

    def handshake(self, platform: str, query: Mapping[str, str]) -> HandshakeReply:
        adapter = get_adapter(platform)
        return adapter.handshake(query, self._credentials())

    def receive(self, platform: str, headers: Mapping[str, str], body: bytes) -> Receipt:
        if len(body) > self._max_body:
            raise PayloadTooLarge(f"body of {len(body)} bytes exceeds the limit of {self._max_body} bytes")
        adapter = get_adapter(platform)
        lowered = {k.lower(): v for k, v in headers.items()}
        verification = adapter.verify(lowered, body, self._credentials())
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedPayload(f"body is not UTF-8 at byte {exc.start}") from exc
        received_at = self._clock()
        # The received time goes to the adapter as ingest gave it before: events without a time take it.
        parsed = adapter.parse(body, replace(verification, received_at_ms=received_at))
        digest = hashlib.sha256(body).hexdigest()
        envelope = DeliveryEnvelope(
            delivery_id=digest[:32],
            platform=platform,
            received_at_ms=received_at,
            raw_key=raw_key_for(platform, received_at, digest),
            account_id=verification.account_id,
            body=text,
            events=parsed.events,
        )
        if not self._fits(envelope):
            self._raw.put(envelope.raw_key, body, metadata={"platform": platform, "received-at-ms": str(received_at)})
            envelope = envelope.without_body()
            if not self._fits(envelope):
                envelope = envelope.without_body(events=False)  # ingest parses the raw object
        self._queue.send(envelope)
        return Receipt(envelope.delivery_id, platform, len(parsed.events), envelope.raw_key, envelope.body is not None)

    def _fits(self, envelope: DeliveryEnvelope) -> bool:
        text = envelope.to_json()
        # A character is at most 4 UTF-8 bytes: only a message that might not fit is measured exactly.
        return len(text) * 4 <= self._max_inline or len(text.encode("utf-8")) <= self._max_inline
