"""The webhook service's envelope: the raw body and the parsed events in one SQS message when they fit;
a body too big goes to S3 first (the events still travel when they alone fit)."""

from __future__ import annotations

import hashlib

import pytest
from socialcare.clock import ManualClock
from socialcare.memory.queues import MemoryDeliveryQueue
from socialcare.memory.raw_store import MemoryRawStore
from socialcare.model.envelope import DeliveryEnvelope
from socialcare.platforms.credentials import PlatformCredentials
from socialcare.webhook.service import WebhookService

from tests.conftest import TEST_CREDENTIALS
from tests.platform_fixtures import encode, page_message_entry, signed_headers

pytestmark = pytest.mark.unit

PAGE = "104729835600142"
RECEIVED = 1_767_225_600_000


def delivery(messages: int, text: str) -> bytes:
    """A Meta batch: ``messages`` entries of ``text`` (Meta escapes non-ASCII: the body outweighs the events)."""
    entries = [page_message_entry(PAGE, f"psid-{n}", f"m_{n}", text, RECEIVED + n) for n in range(messages)]
    return encode("meta", {"object": "page", "entry": entries})


def receive(body: bytes, *, max_inline: int) -> tuple[DeliveryEnvelope, MemoryRawStore]:
    raw, queue = MemoryRawStore(), MemoryDeliveryQueue()
    credentials = PlatformCredentials.from_dict(TEST_CREDENTIALS)
    webhook = WebhookService(
        credentials=lambda: credentials,
        raw_store=raw,
        queue=queue,
        clock=ManualClock(RECEIVED),
        max_inline_bytes=max_inline,
    )
    receipt = webhook.receive("meta", signed_headers("meta", body), body)
    [message] = queue.receive()
    assert len(message.body.encode("utf-8")) <= max_inline
    envelope = DeliveryEnvelope.from_json(message.body)
    assert (receipt.delivery_id, receipt.raw_key) == (hashlib.sha256(body).hexdigest()[:32], envelope.raw_key)
    assert receipt.inline == (envelope.body is not None)
    return envelope, raw


def test_a_delivery_that_fits_travels_whole_and_nothing_is_put_in_s3() -> None:
    body = delivery(3, "Wo bleibt mein Paket? 📦")
    envelope, raw = receive(body, max_inline=64 * 1024)
    assert envelope.body is not None
    assert envelope.body.encode("utf-8") == body
    assert [e.text for e in envelope.events or ()] == ["Wo bleibt mein Paket? 📦"] * 3
    assert raw.objects == {}


def test_a_body_too_big_goes_to_s3_and_its_events_still_travel() -> None:
    body = delivery(40, "Wo bleibt mein Paket? 📦 " * 20)
    envelope, raw = receive(body, max_inline=len(body))  # the events fit, body and events together do not
    assert envelope.body is None
    assert len(envelope.events or ()) == 40
    assert raw.get(envelope.raw_key) == body
    assert envelope.raw_key == f"raw/meta/2026/01/01/{hashlib.sha256(body).hexdigest()}.json"


def test_when_the_events_alone_do_not_fit_the_message_only_points_at_the_raw_object() -> None:
    body = delivery(40, "x" * 400)
    envelope, raw = receive(body, max_inline=4096)
    assert (envelope.body, envelope.events) == (None, None)  # ingest reads the object and parses it
    assert raw.get(envelope.raw_key) == body
