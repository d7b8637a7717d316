"""What the webhook does before it acknowledges: the minimum, in the order that loses nothing.

1. refuse what is too big (413) or for an unknown platform (404);
2. verify the signature on the exact raw bytes (401 missing, 403 wrong);
3. parse, to refuse a malformed delivery now (400) rather than retry it forever;
4. keep the raw bytes in S3, then enqueue the envelope — only then acknowledge.

Nothing is stored or enqueued for a refused delivery.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass

from socialcare import constants as c
from socialcare.clock import Clock
from socialcare.errors import MalformedPayload, PayloadTooLarge
from socialcare.model.envelope import DeliveryEnvelope
from socialcare.platforms.base import HandshakeReply
from socialcare.platforms.registry import get_adapter
from socialcare.ports import Credentials, DeliveryQueue, RawStore


@dataclass(frozen=True, slots=True)
class Receipt:
    delivery_id: str
    platform: str
    event_count: int
    raw_key: str
    inline: bool


def raw_key_for(platform: str, received_at_ms: int, digest: str) -> str:
    """Same bytes on the same day -> same key: a platform retry overwrites, never duplicates."""
    day = time.strftime("%Y/%m/%d", time.gmtime(received_at_ms / 1000))
    return f"{c.RAW_KEY_PREFIX}{platform}/{day}/{digest}.json"


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
        parsed = adapter.parse(body, verification)
        received_at = self._clock()
        digest = hashlib.sha256(body).hexdigest()
        key = raw_key_for(platform, received_at, digest)
        self._raw.put(key, body, metadata={"platform": platform, "received-at-ms": str(received_at)})
        inline = len(body) <= self._max_inline
        envelope = DeliveryEnvelope(
            delivery_id=digest[:32],
            platform=platform,
            received_at_ms=received_at,
            raw_key=key,
            account_id=verification.account_id,
            body=text if inline else None,
        )
        self._queue.send(envelope)
        return Receipt(envelope.delivery_id, platform, len(parsed.events), key, inline)
