"""The raw store's and the queues' contracts, run against S3/SQS (moto) and the in-memory twins."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from socialcare.model.archived import ArchivedDelivery, raw_key_for
from socialcare.model.envelope import DeliveryEnvelope


def test_a_raw_delivery_is_kept_byte_for_byte(backend: Any) -> None:
    body = '{"object":"page","entry":[]} 🙂'.encode()
    backend.raw.put("raw/meta/2026/01/01/abc.json", body, metadata={"platform": "meta"})
    backend.raw.put("raw/meta/2026/01/01/abc.json", body, metadata={"platform": "meta"})  # a retry overwrites
    assert backend.raw.get("raw/meta/2026/01/01/abc.json") == body
    with pytest.raises(Exception):  # noqa: B017, PT011 - S3 says NoSuchKey, the twin KeyError
        backend.raw.get("raw/meta/2026/01/01/missing.json")


def test_a_delivery_envelope_is_queued_with_its_attributes(backend: Any) -> None:
    envelope = DeliveryEnvelope(
        delivery_id="d" * 32, platform="x", received_at_ms=1, raw_key="raw/x/k.json", account_id="brand", body="{}"
    )
    backend.deliveries.send(envelope)
    [(body, attributes)] = backend.received_deliveries()
    assert DeliveryEnvelope.from_json(body) == envelope
    assert attributes == {"platform": "x", "delivery_id": "d" * 32}


def test_a_reply_is_queued_as_given_and_put_back_for_later(backend: Any) -> None:
    body = json.dumps({"v": 1, "case_id": "CASE1"})
    backend.replies.send_json(body, case_id="CASE1", channel="messenger")
    [(received, attributes, receipt)] = backend.receive_replies()
    assert (received, attributes) == (body, {"case_id": "CASE1", "channel": "messenger"})
    assert backend.receive_replies() == []  # in flight
    backend.replies.retry_later(receipt, 0)
    [(again, _, receipt)] = backend.receive_replies()
    assert again == body
    backend.replies.retry_later(receipt, 600)
    assert backend.receive_replies() == []  # hidden for its delay


def archived(platform: str, name: str, body: str) -> ArchivedDelivery:
    return ArchivedDelivery(
        delivery_id=name * 32,
        platform=platform,
        received_at_ms=int(time.time() * 1000),  # Firehose files it under the hour it arrives
        raw_key=raw_key_for(platform, int(time.time() * 1000), name * 64),
        body=body,
    )


def test_what_the_archive_took_is_found_by_its_raw_key(backend: Any) -> None:
    meta, x = archived("meta", "a", '{"object":"page"} 🙂'), archived("x", "b", '{"for_user_id":"1"}')
    assert backend.archive.archive([meta, x]) == set()
    assert backend.archive.archive([meta]) == set()  # a retried ingest archives it again: found once
    assert backend.raw.find(meta.raw_key) == meta.body.encode()
    assert backend.raw.find(x.raw_key) == x.body.encode()
    assert backend.raw.find(raw_key_for("x", x.received_at_ms, "c" * 64)) is None
    # A delivery too big for the queue is its own object, found the same way.
    backend.raw.put("raw/meta/2026/01/01/big.json", b"{}", metadata={})
    assert backend.raw.find("raw/meta/2026/01/01/big.json") == b"{}"
