"""One queued delivery, from its envelope to its events threaded into cases.

The steps, in order: read the envelope; take the raw body it carries inline, or fetch it from
the raw store; parse it with the platform's adapter (the webhook verified it already, and the
verification travelled in the envelope; the envelope's received time stands in for events that
carry no time of their own); ingest its events. ``attempt`` is the delivery's receive count: a
delivery with an event waiting for its message is to be retried after ``retry_in_s``, until the
ingestor gives up waiting and keeps that event raw.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialcare.ingest.service import DeliveryReport, Ingestor
from socialcare.model.envelope import DeliveryEnvelope
from socialcare.model.surges import SurgeTally
from socialcare.platforms.base import Verification
from socialcare.platforms.registry import get_adapter
from socialcare.ports import RawStore


@dataclass(frozen=True, slots=True)
class IngestedDelivery:
    envelope: DeliveryEnvelope
    report: DeliveryReport
    retry_in_s: int | None = None  # set when the delivery is to be tried again (an event waits)


class DeliveryIngest:
    def __init__(self, ingestor: Ingestor, raw_store: RawStore) -> None:
        self._ingestor = ingestor
        self._raw = raw_store

    def ingest_delivery(
        self, envelope_json: str, *, attempt: int = 1, tally: SurgeTally | None = None
    ) -> IngestedDelivery:
        """``tally``: where the stored messages are counted (the caller writes it); None: written per delivery."""
        envelope = DeliveryEnvelope.from_json(envelope_json)
        body = envelope.body.encode("utf-8") if envelope.body is not None else self._raw.get(envelope.raw_key)
        verification = Verification(account_id=envelope.account_id, received_at_ms=envelope.received_at_ms)
        parsed = get_adapter(envelope.platform).parse(body, verification)
        report = self._ingestor.ingest(parsed, raw_key=envelope.raw_key, attempt=attempt, tally=tally)
        retry_in_s = self._ingestor.retry_delay_s(attempt) if report.waiting else None
        return IngestedDelivery(envelope, report, retry_in_s)

    def count_surges(self, tally: SurgeTally) -> None:
        """Write what ``ingest_delivery`` counted into ``tally`` (once, after the batch)."""
        self._ingestor.count_surges(tally)
