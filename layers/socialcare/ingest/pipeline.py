"""Queued deliveries, from their envelopes to their events threaded into cases.

A batch first (``receive``): read each message's envelope, and archive the raw bodies the messages
carry in one call of the raw archive; a message whose body the archive refused (or that is no
envelope) fails on its own and stays on the queue, so nothing acknowledged is ever lost. The batch's
deliveries are parsed, and the customers' current-case copies all their events read are read
together (one BatchGetItem per 100 ids for the whole batch, ``Ingestor.read_copies``). Then each
delivery (``ingest_received``): the events the webhook parsed travel in the envelope; an envelope
without them (version 1, or a delivery too big for them) is parsed here, from the body it carries
inline or the raw object in S3 (the webhook verified it; the envelope's received time stands in for
events that carry no time of their own). ``attempt`` is the delivery's receive count: a delivery
with an event waiting for its message is to be retried after ``retry_in_s``, until the ingestor
gives up waiting and keeps that event raw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from socialcare.errors import MalformedEnvelope, RawNotArchived, SocialCareError
from socialcare.ingest.copies import DeliveryCopies
from socialcare.ingest.service import DeliveryReport, Ingestor
from socialcare.model.archived import ArchivedDelivery
from socialcare.model.envelope import DeliveryEnvelope
from socialcare.model.events import ParsedDelivery, Platform
from socialcare.model.surges import SurgeTally
from socialcare.platforms.base import Verification
from socialcare.platforms.registry import get_adapter
from socialcare.ports import RawArchive, RawStore


@dataclass(frozen=True, slots=True)
class IngestedDelivery:
    envelope: DeliveryEnvelope
    report: DeliveryReport
    retry_in_s: int | None = None  # set when the delivery is to be tried again (an event waits)


@dataclass(slots=True)
class ReceivedBatch:
    """A batch's envelopes by message id, and why the others cannot be ingested now; the deliveries
    parsed (or why one could not be) and the current-case copies their events read, read together."""

    envelopes: dict[str, DeliveryEnvelope] = field(default_factory=dict)
    refused: dict[str, SocialCareError] = field(default_factory=dict)
    parsed: dict[str, ParsedDelivery] = field(default_factory=dict)
    unparsed: dict[str, Exception] = field(default_factory=dict)
    copies: DeliveryCopies | None = None

    @property
    def unarchived(self) -> int:
        return sum(isinstance(e, RawNotArchived) for e in self.refused.values())

    def envelope(self, message_id: str) -> DeliveryEnvelope:
        """The message's envelope; raises what refused it (MalformedEnvelope, RawNotArchived)."""
        if message_id in self.refused:
            raise self.refused[message_id]
        return self.envelopes[message_id]


class DeliveryIngest:
    def __init__(self, ingestor: Ingestor, raw_store: RawStore, archive: RawArchive) -> None:
        self._ingestor = ingestor
        self._raw = raw_store
        self._archive = archive

    def receive(self, messages: Sequence[tuple[str, str]]) -> ReceivedBatch:
        """``messages``: (message id, body) of one queue batch. Their raw bodies are archived first."""
        batch = ReceivedBatch()
        for message_id, text in messages:
            try:
                batch.envelopes[message_id] = DeliveryEnvelope.from_json(text)
            except MalformedEnvelope as exc:
                batch.refused[message_id] = exc
        carried = [(m, e) for m, e in batch.envelopes.items() if not e.raw_in_bucket]
        if carried:
            refused = self._archive.archive([_archived(envelope) for _, envelope in carried])
            for position in refused:
                message_id, envelope = carried[position]
                batch.refused[message_id] = RawNotArchived(f"delivery {envelope.delivery_id} was not archived")
        self._read_together(batch)
        return batch

    def _read_together(self, batch: ReceivedBatch) -> None:
        """Parse the batch's deliveries and read the copies all their events need at once: one
        request for the batch, not one per delivery. A delivery that cannot be parsed fails on its own
        when it is ingested."""
        for message_id, envelope in batch.envelopes.items():
            if message_id in batch.refused:
                continue
            try:
                batch.parsed[message_id] = self._parsed(envelope)
            except Exception as exc:  # raised again when the record is ingested: its failure alone
                batch.unparsed[message_id] = exc
        batch.copies = self._ingestor.read_copies(tuple(batch.parsed.values()))

    def ingest_received(
        self, batch: ReceivedBatch, message_id: str, *, attempt: int = 1, tally: SurgeTally | None = None
    ) -> IngestedDelivery:
        """One record of a batch ``receive`` read: its delivery as parsed there, on the batch's copies."""
        envelope = batch.envelope(message_id)
        if message_id in batch.unparsed:
            raise batch.unparsed[message_id]
        parsed = batch.parsed[message_id]
        report = self._ingestor.ingest(
            parsed, raw_key=envelope.raw_key, attempt=attempt, tally=tally, copies=batch.copies
        )
        retry_in_s = self._ingestor.retry_delay_s(attempt) if report.waiting else None
        return IngestedDelivery(envelope, report, retry_in_s)

    def ingest_delivery(
        self, envelope: DeliveryEnvelope, *, attempt: int = 1, tally: SurgeTally | None = None
    ) -> IngestedDelivery:
        """``tally``: where the stored messages are counted (the caller writes it); None: written per delivery."""
        parsed = self._parsed(envelope)
        report = self._ingestor.ingest(parsed, raw_key=envelope.raw_key, attempt=attempt, tally=tally)
        retry_in_s = self._ingestor.retry_delay_s(attempt) if report.waiting else None
        return IngestedDelivery(envelope, report, retry_in_s)

    def count_surges(self, tally: SurgeTally) -> None:
        """Write what ``ingest_delivery`` counted into ``tally`` (once, after the batch)."""
        self._ingestor.count_surges(tally)

    def _parsed(self, envelope: DeliveryEnvelope) -> ParsedDelivery:
        if envelope.events is not None:
            try:
                return ParsedDelivery(Platform(envelope.platform), envelope.events)
            except ValueError as exc:
                raise MalformedEnvelope(f"delivery envelope names no platform: {exc}") from exc
        body = envelope.body.encode("utf-8") if envelope.body is not None else self._raw.get(envelope.raw_key)
        verification = Verification(account_id=envelope.account_id, received_at_ms=envelope.received_at_ms)
        return get_adapter(envelope.platform).parse(body, verification)


def _archived(envelope: DeliveryEnvelope) -> ArchivedDelivery:
    assert envelope.body is not None, "only a body the message carries is archived"
    return ArchivedDelivery(
        delivery_id=envelope.delivery_id,
        platform=envelope.platform,
        received_at_ms=envelope.received_at_ms,
        raw_key=envelope.raw_key,
        body=envelope.body,
        account_id=envelope.account_id,
    )
