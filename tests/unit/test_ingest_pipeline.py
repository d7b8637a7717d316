"""The ingest pipeline (envelope → raw body → parse → ingest) on the in-memory twins."""

from __future__ import annotations

import pytest
from socialcare.clock import ManualClock
from socialcare.errors import MalformedEnvelope
from socialcare.ingest.pipeline import DeliveryIngest
from socialcare.ingest.service import Ingestor, IngestSettings, Outcome
from socialcare.memory.case_store import MemoryCaseStore
from socialcare.memory.raw_store import MemoryRawStore
from socialcare.model.envelope import DeliveryEnvelope

from tests.platform_fixtures import wire_body

pytestmark = pytest.mark.unit


@pytest.fixture
def store() -> MemoryCaseStore:
    return MemoryCaseStore()


@pytest.fixture
def raw() -> MemoryRawStore:
    return MemoryRawStore()


@pytest.fixture
def pipeline(store: MemoryCaseStore, raw: MemoryRawStore) -> DeliveryIngest:
    settings = IngestSettings(account_teams={"2244994945": "x-team"})
    return DeliveryIngest(Ingestor(store, clock=ManualClock(), settings=settings), raw)


def envelope(body: bytes, *, inline: bool, platform: str = "x") -> DeliveryEnvelope:
    return DeliveryEnvelope(
        delivery_id="d" * 32,
        platform=platform,
        received_at_ms=1,
        raw_key=f"raw/{platform}/2026/01/01/d.json",
        body=body.decode("utf-8") if inline else None,
    )


def test_an_inline_delivery_is_threaded_without_reading_the_raw_store(
    pipeline: DeliveryIngest, store: MemoryCaseStore
) -> None:
    sent = envelope(wire_body("x", "dm"), inline=True)
    done = pipeline.ingest_delivery(sent.to_json(), attempt=1)
    assert done.envelope == sent
    assert done.report.outcomes == {Outcome.STORED: 1}
    [case] = store.table.cases.values()
    assert case.team == "x-team"  # routed by its brand account


def test_a_large_delivery_is_read_from_the_raw_store(
    pipeline: DeliveryIngest, raw: MemoryRawStore, store: MemoryCaseStore
) -> None:
    body = wire_body("x", "dm")
    sent = envelope(body, inline=False)
    raw.put(sent.raw_key, body, metadata={})
    assert pipeline.ingest_delivery(sent.to_json()).report.outcomes == {Outcome.STORED: 1}
    # the same delivery again changes nothing
    assert pipeline.ingest_delivery(sent.to_json(), attempt=2).report.outcomes == {Outcome.DUPLICATE: 1}


def test_what_is_not_an_envelope_is_refused(pipeline: DeliveryIngest) -> None:
    with pytest.raises(MalformedEnvelope):
        pipeline.ingest_delivery("not an envelope")


def test_a_delivery_whose_raw_body_is_gone_fails_to_be_retried(pipeline: DeliveryIngest) -> None:
    with pytest.raises(KeyError):
        pipeline.ingest_delivery(envelope(b"{}", inline=False).to_json())
