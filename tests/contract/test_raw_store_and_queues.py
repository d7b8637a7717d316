"""The raw store's and the queues' contracts, run against S3/SQS (moto) and the in-memory twins."""

from __future__ import annotations

import json
from typing import Any

import pytest
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
