"""The delivery envelope: what the webhook parsed travels to ingest intact, and old messages stay readable."""

from __future__ import annotations

import dataclasses
import json

import pytest
from socialcare.errors import MalformedEnvelope
from socialcare.model.envelope import DeliveryEnvelope
from socialcare.model.events import (
    Attachment,
    AuthorProfile,
    Channel,
    Customer,
    EventKind,
    Platform,
    PlatformEvent,
    Referral,
)
from socialcare.platforms.base import Verification
from socialcare.platforms.registry import get_adapter

from tests.platform_fixtures import TELEGRAM_BOT_ID, all_fixtures, wire_body

pytestmark = pytest.mark.unit

RECEIVED = 1_767_225_600_000


def envelope_of(platform: str, name: str) -> DeliveryEnvelope:
    body = wire_body(platform, name)
    account = TELEGRAM_BOT_ID if platform == "telegram" else None
    parsed = get_adapter(platform).parse(body, Verification(account_id=account, received_at_ms=RECEIVED))
    return DeliveryEnvelope(
        delivery_id="d" * 32,
        platform=platform,
        received_at_ms=RECEIVED,
        raw_key=f"raw/{platform}/2026/01/01/{'d' * 64}.json",
        account_id=account,
        body=body.decode("utf-8"),
        events=parsed.events,
    )


@pytest.mark.parametrize(("platform", "name"), all_fixtures())
def test_every_fixtures_events_come_back_as_parsed(platform: str, name: str) -> None:
    sent = envelope_of(platform, name)
    assert sent.events  # every fixture is at least one event
    received = DeliveryEnvelope.from_json(sent.to_json())
    assert received == sent
    assert received.events is not None
    # ``raw`` and ``author`` are left out of event equality: they travel too.
    assert [(e.raw, e.author) for e in received.events] == [(e.raw, e.author) for e in sent.events]
    assert not received.raw_in_bucket  # the body travels: ingest archives it


def test_events_travel_compactly_and_name_the_platform_only_when_it_differs() -> None:
    event = PlatformEvent(
        kind=EventKind.MESSAGE,
        platform=Platform.X,
        channel=Channel.X_DM,
        account_id="2244994945",
        event_id="e1",
        timestamp_ms=RECEIVED,
        customer=Customer("u1"),
        message_id="m1",
        text="",
        author=AuthorProfile(followers=0, verified=False),
    )
    sent = DeliveryEnvelope("d" * 32, "x", RECEIVED, "raw/x/k.json", events=(event,))
    [doc] = json.loads(sent.to_json())["events"]
    assert doc == {
        "kind": "message",
        "channel": "x_dm",
        "account_id": "2244994945",
        "event_id": "e1",
        "timestamp_ms": RECEIVED,
        "customer": {"user_id": "u1"},
        "message_id": "m1",
        "text": "",
        "author": {"followers": 0, "verified": False},
    }
    [back] = DeliveryEnvelope.from_json(sent.to_json()).events or ()
    assert (back, back.author) == (event, event.author)


def test_a_version_1_message_already_on_the_queue_is_still_read() -> None:
    old = json.dumps(
        {
            "v": 1,
            "delivery_id": "d" * 32,
            "platform": "telegram",
            "received_at_ms": RECEIVED,
            "raw_key": "raw/telegram/2026/01/01/k.json",
            "account_id": TELEGRAM_BOT_ID,
            "body": "{}",
        }
    )
    envelope = DeliveryEnvelope.from_json(old)
    assert (envelope.version, envelope.events, envelope.body, envelope.account_id) == (1, None, "{}", TELEGRAM_BOT_ID)
    assert envelope.raw_in_bucket  # version 1: the webhook put every raw body in S3


@pytest.mark.parametrize(
    "doc",
    [
        {"v": 3, "delivery_id": "d", "platform": "x", "received_at_ms": 1, "raw_key": "k"},
        {"v": 2, "delivery_id": "d", "platform": "x", "received_at_ms": 1, "raw_key": "k", "events": [{"kind": "?"}]},
        {"v": 2, "delivery_id": "d", "platform": "x", "received_at_ms": 1, "raw_key": "k", "events": 5},
        {"v": 2, "delivery_id": "d", "platform": "x", "received_at_ms": 1, "raw_key": "k", "events": ["e"]},
        {"v": 1, "delivery_id": "d", "platform": "x", "received_at_ms": 1, "raw_key": "k", "events": []},
        {"v": 2, "delivery_id": "d", "platform": "x", "received_at_ms": 1, "raw_key": "k", "body": 7},
    ],
)
def test_what_is_not_a_readable_envelope_is_refused(doc: dict[str, object]) -> None:
    with pytest.raises(MalformedEnvelope):
        DeliveryEnvelope.from_json(json.dumps(doc))


def test_every_event_field_left_out_by_the_codec_has_the_default_it_decodes_to() -> None:
    """The codec leaves out None, False and (): a field with any other default would decode wrongly."""
    for kind in (PlatformEvent, Customer, AuthorProfile, Attachment, Referral):
        for field in dataclasses.fields(kind):
            assert field.default is dataclasses.MISSING or field.default in (None, False, ()), (kind, field.name)
            assert field.default_factory is dataclasses.MISSING, (kind, field.name)
