"""The ingest pipeline (a batch's envelopes → raw bodies archived → events ingested) on the in-memory twins."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from socialcare.clock import ManualClock
from socialcare.errors import MalformedEnvelope, RawNotArchived
from socialcare.ingest.pipeline import DeliveryIngest
from socialcare.ingest.service import Ingestor, IngestSettings, Outcome
from socialcare.memory.case_store import MemoryCaseStore
from socialcare.memory.raw_store import MemoryRawArchive, MemoryRawStore
from socialcare.model.envelope import DeliveryEnvelope
from socialcare.platforms.base import Verification
from socialcare.platforms.registry import get_adapter

from tests.platform_fixtures import wire_body

pytestmark = pytest.mark.unit

RECEIVED = 1_767_225_600_000  # 2026-01-01


@pytest.fixture
def store() -> MemoryCaseStore:
    return MemoryCaseStore()


@pytest.fixture
def raw() -> MemoryRawStore:
    return MemoryRawStore()


@pytest.fixture
def archive(raw: MemoryRawStore) -> MemoryRawArchive:
    return MemoryRawArchive(raw, clock=ManualClock(RECEIVED + 60_000))


@pytest.fixture
def pipeline(store: MemoryCaseStore, raw: MemoryRawStore, archive: MemoryRawArchive) -> DeliveryIngest:
    settings = IngestSettings(account_teams={"2244994945": "x-team"})
    return DeliveryIngest(Ingestor(store, clock=ManualClock(), settings=settings), raw, archive)


def envelope(body: bytes, *, inline: bool, parsed: bool = True, name: str = "d") -> DeliveryEnvelope:
    """An X delivery as the webhook sends it: body inline (or in S3), with the events it parsed (or not)."""
    events = get_adapter("x").parse(body, Verification(received_at_ms=RECEIVED)).events if parsed else None
    return DeliveryEnvelope(
        delivery_id=name * 32,
        platform="x",
        received_at_ms=RECEIVED,
        raw_key=f"raw/x/2026/01/01/{name * 64}.json",
        body=body.decode("utf-8") if inline else None,
        events=events,
    )


def test_the_events_the_webhook_parsed_are_ingested_as_they_travelled(
    pipeline: DeliveryIngest, store: MemoryCaseStore
) -> None:
    # The body is not what ingest reads: a body that would not parse changes nothing.
    sent = replace(envelope(wire_body("x", "dm"), inline=True), body="not json")
    batch = pipeline.receive([("m1", sent.to_json())])
    done = pipeline.ingest_delivery(batch.envelope("m1"), attempt=1)
    assert done.envelope == sent
    assert done.report.outcomes == {Outcome.STORED: 1}
    [case] = store.table.cases.values()
    assert case.team == "x-team"  # routed by its brand account


def test_a_batchs_raw_bodies_are_archived_in_one_call_and_found_by_their_keys(
    pipeline: DeliveryIngest, raw: MemoryRawStore, archive: MemoryRawArchive
) -> None:
    first, second = (envelope(wire_body("x", n), inline=True, name=k) for n, k in (("dm", "a"), ("tweet_mention", "b")))
    batch = pipeline.receive([("m1", first.to_json()), ("m2", second.to_json())])
    assert (archive.calls, batch.unarchived) == (1, 0)
    assert raw.find(first.raw_key) == wire_body("x", "dm")  # replay and audit read the archive
    assert raw.find(second.raw_key) == wire_body("x", "tweet_mention")
    assert raw.find("raw/x/2026/01/01/" + "c" * 64 + ".json") is None


def test_a_body_the_archive_refuses_keeps_its_message_on_the_queue(
    pipeline: DeliveryIngest, raw: MemoryRawStore, archive: MemoryRawArchive, store: MemoryCaseStore
) -> None:
    refused, kept = (
        envelope(wire_body("x", "dm"), inline=True, name="a"),
        envelope(wire_body("x", "tweet_mention"), inline=True, name="b"),
    )
    archive.refuse.add(refused.delivery_id)
    batch = pipeline.receive([("m1", refused.to_json()), ("m2", kept.to_json())])
    assert batch.unarchived == 1
    with pytest.raises(RawNotArchived):
        batch.envelope("m1")  # fails alone: not ingested, not acknowledged
    assert pipeline.ingest_delivery(batch.envelope("m2")).report.outcomes == {Outcome.STORED: 1}
    assert raw.find(refused.raw_key) is None
    assert len(store.table.cases) == 1
    # Its next receive: archived, then ingested.
    archive.refuse.clear()
    again = pipeline.receive([("m1", refused.to_json())])
    assert pipeline.ingest_delivery(again.envelope("m1"), attempt=2).report.outcomes == {Outcome.STORED: 1}
    assert raw.find(refused.raw_key) == wire_body("x", "dm")


def test_a_version_1_message_is_parsed_here_and_not_archived_again(
    pipeline: DeliveryIngest, archive: MemoryRawArchive
) -> None:
    old = {"v": 1, "delivery_id": "d" * 32, "platform": "x", "received_at_ms": RECEIVED, "raw_key": "raw/x/k.json"}
    batch = pipeline.receive([("m1", json.dumps({**old, "body": wire_body("x", "dm").decode("utf-8")}))])
    assert archive.calls == 0  # its raw object is in S3 already
    assert pipeline.ingest_delivery(batch.envelope("m1")).report.outcomes == {Outcome.STORED: 1}


def test_a_delivery_too_big_for_its_events_is_read_from_the_raw_store(
    pipeline: DeliveryIngest, raw: MemoryRawStore, archive: MemoryRawArchive
) -> None:
    body = wire_body("x", "dm")
    sent = envelope(body, inline=False, parsed=False)
    raw.put(sent.raw_key, body, metadata={})
    batch = pipeline.receive([("m1", sent.to_json())])
    assert archive.calls == 0
    assert pipeline.ingest_delivery(batch.envelope("m1")).report.outcomes == {Outcome.STORED: 1}
    # the same delivery again changes nothing
    assert pipeline.ingest_delivery(batch.envelope("m1"), attempt=2).report.outcomes == {Outcome.DUPLICATE: 1}


def test_what_is_not_an_envelope_is_refused_alone(pipeline: DeliveryIngest) -> None:
    batch = pipeline.receive(
        [("bad", "not an envelope"), ("m1", envelope(wire_body("x", "dm"), inline=True).to_json())]
    )
    with pytest.raises(MalformedEnvelope):
        batch.envelope("bad")
    assert pipeline.ingest_delivery(batch.envelope("m1")).report.outcomes == {Outcome.STORED: 1}


def test_a_delivery_whose_raw_body_is_gone_fails_to_be_retried(pipeline: DeliveryIngest) -> None:
    batch = pipeline.receive([("m1", envelope(b"{}", inline=False, parsed=False).to_json())])
    with pytest.raises(KeyError):
        pipeline.ingest_delivery(batch.envelope("m1"))
