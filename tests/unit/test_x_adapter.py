"""The X adapter: Account Activity API deliveries to their exact events."""

from __future__ import annotations

from typing import Any

import pytest
from socialcare.errors import MalformedPayload
from socialcare.model.events import (
    Attachment,
    AuthorProfile,
    Channel,
    Customer,
    DeliveryState,
    EventKind,
    Platform,
    PlatformEvent,
    PublicKind,
)
from socialcare.platforms.base import Verification
from socialcare.platforms.x import XAdapter, parse_created_at

from tests import adapter_support as support
from tests.adapter_support import AdapterUnderTest
from tests.event_support import event_factory
from tests.platform_fixtures import load

pytestmark = pytest.mark.unit

BRAND = "2244994945"
JOE = Customer("1486322731", name="Joe Müller 🚆", handle="joe_commuter")
T = 1749420100000

x = AdapterUnderTest(XAdapter(), Platform.X)
adapter = x.adapter
parse = x.parse
parse_doc = x.parse_doc
dm = event_factory(Channel.X_DM, BRAND)
_post = event_factory(Channel.X_POST, BRAND)


def post(kind: EventKind, tweet_id: str, ts: int, **fields: Any) -> PlatformEvent:
    return _post(kind, fields.pop("event_id", tweet_id), ts, message_id=tweet_id, **fields)


def assert_unknown(event: PlatformEvent, *, channel: Channel, raw_kind: str, raw: Any, ts: int) -> None:
    support.assert_unknown(event, channel=channel, account_id=BRAND, raw_kind=raw_kind, raw=raw, ts=ts)


# --- posts ------------------------------------------------------------------------------------
def test_mention() -> None:
    assert parse("tweet_mention") == [
        post(
            EventKind.PUBLIC_POST,
            "1932100000000000001",
            T,
            customer=JOE,
            text="@AcmeSupport my order #4411 is three weeks late 😤 #fail",
            conversation_ref="1932100000000000001",
            public_kind=PublicKind.MENTION,
            raw_kind="tweet_create_events",
        )
    ]


def test_reply_to_a_brand_post() -> None:
    assert parse("tweet_reply") == [
        post(
            EventKind.PUBLIC_POST,
            "1932100000000000002",
            T + 60_000,
            customer=Customer("998877665544332211", name="アナ", handle="ana_jp"),
            text="@AcmeSupport 同じです！まだ届いていません 😟",
            reply_to_id="1932099999999999999",
            conversation_ref="1932099999999999999",
            public_kind=PublicKind.REPLY,
            raw_kind="tweet_create_events",
        )
    ]


def test_the_brands_own_reply_is_an_echo_to_the_customer_it_answers() -> None:
    assert parse("tweet_brand_reply") == [
        post(
            EventKind.ECHO,
            "1932100000000000003",
            T + 120_000,
            customer=Customer("1486322731", handle="joe_commuter"),
            text="@joe_commuter Sorry Joe! Please DM us your order number and we'll chase it 🙏",
            reply_to_id="1932100000000000001",
            conversation_ref="1932100000000000001",
            public_kind=PublicKind.REPLY,
            raw_kind="tweet_create_events",
        )
    ]


def test_the_brands_own_post_to_nobody_names_no_customer() -> None:
    doc = load("x", "tweet_mention")
    tweet = doc["tweet_create_events"][0]
    tweet["user"] = {"id": int(BRAND), "id_str": BRAND, "name": "Acme Support", "screen_name": "AcmeSupport"}
    [event] = parse_doc(doc)
    assert (event.kind, event.customer) == (EventKind.ECHO, Customer("unknown:1932100000000000001"))


def test_long_post_text_comes_from_extended_tweet() -> None:
    doc = load("x", "tweet_extended")
    assert doc["tweet_create_events"][0]["truncated"] is True
    assert parse("tweet_extended") == [
        post(
            EventKind.PUBLIC_POST,
            "1932100000000000004",
            T + 180_000,
            customer=JOE,
            text=(
                "@AcmeSupport I have now called four times, waited 45 minutes each time, and nobody can tell me "
                "where my parcel is. Grüße aus Köln — 🇩🇪 this is not OK. 👨\u200d👩\u200d👧 family trip ruined, "
                "refund please!"
            ),
            conversation_ref="1932100000000000004",
            public_kind=PublicKind.MENTION,
            raw_kind="tweet_create_events",
        )
    ]


def test_retweet_is_kept_raw() -> None:
    doc = load("x", "retweet")
    [event] = parse("retweet")
    assert_unknown(event, channel=Channel.X_POST, raw_kind="retweet", raw=doc["tweet_create_events"][0], ts=T + 240_000)


def test_post_with_media() -> None:
    assert parse("tweet_media") == [
        post(
            EventKind.PUBLIC_POST,
            "1932100000000000006",
            T + 300_000,
            customer=JOE,
            text="@AcmeSupport this is how it arrived 📦💥 https://t.co/AbC123xyZ",
            attachments=(Attachment("image", "https://pbs.twimg.com/media/GqZ1a2bXcAAd3eF.jpg"),),
            conversation_ref="1932100000000000006",
            public_kind=PublicKind.MENTION,
            raw_kind="tweet_create_events",
        )
    ]


def test_post_deleted_by_its_author() -> None:
    assert parse("tweet_delete") == [
        post(
            EventKind.DELETE,
            "1932100000000000001",
            T + 360_000,
            event_id="1932100000000000001#delete",
            customer=Customer("1486322731"),
            raw_kind="tweet_delete_events",
        )
    ]


def test_post_time_falls_back_to_created_at() -> None:
    doc = load("x", "tweet_mention")
    del doc["tweet_create_events"][0]["timestamp_ms"]
    [event] = parse_doc(doc)
    assert event.timestamp_ms == T  # created_at has whole seconds; T is a whole second


def test_created_at_with_a_non_utc_offset() -> None:
    assert parse_created_at("Sun Jun 08 22:01:40 +0000 2025") == T
    assert parse_created_at("Mon Jun 09 00:01:40 +0200 2025") == T
    assert parse_created_at("Sun Jun 08 16:31:40 -0530 2025") == T


def test_the_authors_profile_signals_travel_with_the_post() -> None:
    """Account age, followers and verification, where X gives them: triage's new-account and routing signals."""
    doc = load("x", "tweet_mention")
    doc["tweet_create_events"][0]["user"]["created_at"] = "Sat Jun 07 22:01:40 +0000 2025"  # a day before T
    [event] = parse_doc(doc)
    assert event.author == AuthorProfile(created_at_ms=T - 86_400_000, followers=42, verified=False)
    assert event.author.age_days(event.timestamp_ms) == 1
    [without] = parse("tweet_mention")  # no created_at in the fixture: the age is not known
    assert without.author == AuthorProfile(followers=42, verified=False)
    assert without.author.age_days(T) is None


def test_profile_signals_of_the_wrong_shape_are_left_out() -> None:
    doc = load("x", "tweet_mention")
    doc["tweet_create_events"][0]["user"].update(created_at="yesterday", followers_count="many", verified="yes")
    [event] = parse_doc(doc)
    assert event.kind is EventKind.PUBLIC_POST
    assert event.author is None


# --- direct messages --------------------------------------------------------------------------
def test_direct_message_with_the_senders_profile() -> None:
    assert parse("dm") == [
        dm(
            EventKind.MESSAGE,
            "1932200000000000001",
            T + 400_000,
            customer=JOE,
            message_id="1932200000000000001",
            text="Order #4411 — Grüße, Joe 🇩🇪",
            raw_kind="direct_message_events",
        )
    ]


def test_a_direct_messages_sender_profile_gives_the_accounts_age_in_ms() -> None:
    doc = load("x", "dm")
    doc["users"]["1486322731"].update(created_timestamp=str(T - 3 * 86_400_000), followers_count=7, verified=True)
    [event] = parse_doc(doc)
    assert event.author == AuthorProfile(created_at_ms=T - 3 * 86_400_000, followers=7, verified=True)
    [echo] = parse("dm_echo")
    assert echo.author is None  # the brand's own message says nothing of the customer


def test_direct_message_sent_by_the_brand_is_an_echo() -> None:
    assert parse("dm_echo") == [
        dm(
            EventKind.ECHO,
            "1932200000000000002",
            T + 460_000,
            customer=JOE,  # the recipient
            message_id="1932200000000000002",
            text="Thanks Joe, it's on its way 🚚",
            raw_kind="direct_message_events",
        )
    ]


def test_direct_message_with_media() -> None:
    assert parse("dm_media") == [
        dm(
            EventKind.MESSAGE,
            "1932200000000000003",
            T + 500_000,
            customer=JOE,
            message_id="1932200000000000003",
            text="Here's the label 👇 https://t.co/xYz789",
            attachments=(
                Attachment(
                    "image",
                    "https://ton.twitter.com/1.1/ton/data/dm/1932200000000000003/1932200000000000031/AbCdEf.jpg",
                ),
            ),
            raw_kind="direct_message_events",
        )
    ]


def test_mark_read_by_the_customer_is_a_read_status() -> None:
    assert parse("dm_mark_read") == [
        dm(
            EventKind.STATUS,
            "1932200000000000002#read#1486322731",
            T + 520_000,
            customer=Customer("1486322731"),
            message_id="1932200000000000002",
            status=DeliveryState.READ,
            watermark_ms=T + 520_000,
            raw_kind="direct_message_mark_read_events",
        )
    ]


def test_mark_read_by_the_brand_is_kept_raw() -> None:
    doc = load("x", "dm_mark_read")
    element = doc["direct_message_mark_read_events"][0]
    element["sender_id"], element["target"]["recipient_id"] = BRAND, "1486322731"
    [event] = parse_doc(doc)
    assert_unknown(event, channel=Channel.X_DM, raw_kind="direct_message_mark_read_events", raw=element, ts=T + 520_000)


# --- kept raw ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "key", "channel", "ts"),
    [
        ("favorite", "favorite_events", Channel.X_POST, T + 540_000),
        ("follow", "follow_events", Channel.X_POST, T + 560_000),
        ("typing", "direct_message_indicate_typing_events", Channel.X_DM, T + 580_000),
    ],
)
def test_activity_without_customer_words_is_kept_raw(name: str, key: str, channel: Channel, ts: int) -> None:
    doc = load("x", name)
    [event] = parse(name)
    assert_unknown(event, channel=channel, raw_kind=key, raw=doc[key][0], ts=ts)


def test_user_event_object_is_kept_raw() -> None:
    doc = load("x", "user_event")
    [event] = parse("user_event")
    # Kept at the time of the revocation (its ISO 8601 date_time).
    assert_unknown(event, channel=Channel.X_POST, raw_kind="user_event", raw=doc["user_event"], ts=1749421500000)
    assert event.reason == "authorisation_revoked"


# --- several arrays, bad elements, bad deliveries ---------------------------------------------
def test_every_element_of_every_array_is_parsed() -> None:
    doc = load("x", "tweet_mention")
    doc["tweet_create_events"] += load("x", "tweet_reply")["tweet_create_events"]
    doc["direct_message_events"] = load("x", "dm")["direct_message_events"]
    doc["users"] = load("x", "dm")["users"]
    doc["favorite_events"] = load("x", "favorite")["favorite_events"]
    events = parse_doc(doc)
    assert [(e.kind, e.event_id) for e in events if e.kind is not EventKind.UNKNOWN] == [
        (EventKind.PUBLIC_POST, "1932100000000000001"),
        (EventKind.PUBLIC_POST, "1932100000000000002"),
        (EventKind.MESSAGE, "1932200000000000001"),
    ]
    assert [e.raw_kind for e in events if e.kind is EventKind.UNKNOWN] == ["favorite_events"]


def test_one_bad_element_becomes_unknown_and_the_rest_survive() -> None:
    doc = load("x", "dm")
    broken = {"type": "message_create", "id": "1932200000000000099", "created_timestamp": "soon"}
    doc["direct_message_events"].insert(0, broken)
    doc["direct_message_events"].append("not an object")
    events = parse_doc(doc)
    assert events[1] == parse("dm")[0]
    assert [(e.kind, e.raw_kind, e.raw) for e in (events[0], events[2])] == [
        (EventKind.UNKNOWN, "direct_message_events", broken),
        (EventKind.UNKNOWN, "direct_message_events", {"value": "not an object"}),
    ]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not valid JSON"),
        (b'"a string"', "must be a JSON object"),
        (b'{"tweet_create_events":[]}', "for_user_id must be"),
        (b'{"for_user_id":"","tweet_create_events":[]}', "for_user_id must be"),
        (b'{"for_user_id":true,"tweet_create_events":[]}', "for_user_id must be"),
        (b'{"for_user_id":"2244994945"}', "carries no event arrays"),
        (b'{"for_user_id":"2244994945","users":{}}', "carries no event arrays"),
        (b'{"for_user_id":"2244994945","tweet_create_events":{}}', "tweet_create_events must be a list"),
    ],
)
def test_bad_delivery_is_malformed_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedPayload, match=reason):
        adapter.parse(body, Verification())
