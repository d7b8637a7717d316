"""One queued delivery, from its envelope to its events threaded into cases.

The steps, in order: read the envelope; take the raw body it carries inline, or fetch it from
the raw store; parse it with the platform's adapter (the webhook verified it already, and the
verification travelled in the envelope); ingest its events. A delivery that fails is retried by
the queue: ``attempt`` is its receive count, which lets ingest give up waiting for a target.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialcare.ingest.service import DeliveryReport, Ingestor
from socialcare.model.envelope import DeliveryEnvelope
from socialcare.platforms.base import Verification
from socialcare.platforms.registry import get_adapter
from socialcare.ports import RawStore


@dataclass(frozen=True, slots=True)
class IngestedDelivery:
    envelope: DeliveryEnvelope
    report: DeliveryReport


class DeliveryIngest:
    def __init__(self, ingestor: Ingestor, raw_store: RawStore) -> None:
        self._ingestor = ingestor
        self._raw = raw_store

    def ingest_delivery(self, envelope_json: str, *, attempt: int = 1) -> IngestedDelivery:
        envelope = DeliveryEnvelope.from_json(envelope_json)
        body = envelope.body.encode("utf-8") if envelope.body is not None else self._raw.get(envelope.raw_key)
        parsed = get_adapter(envelope.platform).parse(body, Verification(account_id=envelope.account_id))
        report = self._ingestor.ingest(parsed, raw_key=envelope.raw_key, attempt=attempt)
        return IngestedDelivery(envelope, report)
