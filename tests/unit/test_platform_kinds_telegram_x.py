"""Telegram and X kinds (issue 12), from the Bot API's and the Account Activity API's documented
shapes: service messages never become blank cases, what carries the customer's words is kept,
reactions follow the one reaction rule, and X is read as leniently as it writes."""

from __future__ import annotations

import pytest
from socialcare.model.events import Attachment, Channel, Customer, EventKind, Platform, PublicKind
from socialcare.platforms.base import Verification
from socialcare.platforms.fields import UNADDRESSED_ACCOUNT
from socialcare.platforms.telegram import TelegramAdapter
from socialcare.platforms.x import XAdapter

from tests.adapter_support import AdapterUnderTest, assert_kept_raw
from tests.platform_fixtures import encode, load

pytestmark = pytest.mark.unit

BOT = "7001"
NIC = Customer("3527065", name="Nic Pöttier", handle="nicpottier")
BRAND = "2244994945"
JOE = Customer("1486322731", name="Joe Müller 🚆", handle="joe_commuter")

telegram = AdapterUnderTest(TelegramAdapter(), Platform.TELEGRAM, Verification(account_id=BOT))
x = AdapterUnderTest(XAdapter(), Platform.X)


# --- Telegram ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("service_pinned_message", "pinned_message"),
        ("service_new_chat_members", "new_chat_members"),
        ("service_left_chat_member", "left_chat_member"),
        ("service_new_chat_title", "new_chat_title"),
        ("service_new_chat_photo", "new_chat_photo"),
        ("service_successful_payment", "successful_payment"),
        ("service_forum_topic_created", "forum_topic_created"),
        ("dice", "dice"),
        ("game", "game"),
    ],
)
def test_a_service_message_never_opens_a_blank_case(name: str, field: str) -> None:
    doc = load("telegram", name)
    [event] = telegram.parse(name)
    assert_kept_raw(event, "service_message", raw_kind=f"message.{field}", account_id=BOT)
    assert (event.event_id, event.raw, event.timestamp_ms) == (
        f"update:{doc['update_id']}",
        doc,
        doc["message"]["date"] * 1000,
    )


def test_a_shared_contact_is_kept_with_the_name_and_number() -> None:
    [event] = telegram.parse("contact")
    assert (event.kind, event.customer) == (EventKind.MESSAGE, NIC)
    assert event.attachments == (Attachment("contact", caption="Nic Pöttier +4915112345678"),)


def test_a_poll_reads_as_its_question() -> None:
    [event] = telegram.parse("poll")
    assert (event.kind, event.text) == (EventKind.MESSAGE, "Which delivery slot suits you?")
    assert event.attachments == (Attachment("poll", caption="Morning / Evening"),)


def test_a_venue_shows_its_name_and_address() -> None:
    doc = load("telegram", "location")
    message = doc["message"]
    message["venue"] = {
        "location": message.pop("location"),
        "title": "Packstation 112",
        "address": "Hauptstraße 1, Berlin",
    }
    [event] = telegram.parse_doc(doc)
    assert event.kind is EventKind.MESSAGE
    assert [(a.kind, a.caption) for a in event.attachments] == [("location", "Packstation 112, Hauptstraße 1, Berlin")]


def test_a_telegram_reaction_and_its_removal() -> None:
    doc = load("telegram", "message_reaction")
    [given] = telegram.parse("message_reaction")
    assert (given.kind, given.message_id, given.emoji, given.customer, given.event_id) == (
        EventKind.REACTION,
        "3527065:46",
        "👍",
        NIC,
        "update:174114391",
    )
    doc["update_id"] += 1
    doc["message_reaction"]["old_reaction"] = doc["message_reaction"]["new_reaction"]
    doc["message_reaction"]["new_reaction"] = []
    [removed] = telegram.parse_doc(doc)
    assert (removed.kind, removed.emoji) == (EventKind.REACTION, None)


def test_a_message_without_a_date_is_kept_at_the_received_time() -> None:
    doc = load("telegram", "message")
    del doc["message"]["date"]
    body = encode("telegram", doc)
    [event] = TelegramAdapter().parse(body, Verification(account_id=BOT, received_at_ms=1749421999_000)).events
    assert (event.kind, event.timestamp_ms, event.timestamp_estimated) == (EventKind.MESSAGE, 1749421999_000, True)


# --- X ----------------------------------------------------------------------------------------
def test_a_dm_without_created_timestamp_keeps_the_customers_words() -> None:
    [event] = x.parse("dm_without_timestamp")
    assert (event.kind, event.text, event.customer, event.timestamp_estimated) == (
        EventKind.MESSAGE,
        "Still waiting for a refund 😕",
        JOE,
        True,
    )
    body = encode("x", load("x", "dm_without_timestamp"))
    [received] = XAdapter().parse(body, Verification(received_at_ms=1749420999_000)).events
    assert received.timestamp_ms == 1749420999_000


def test_a_post_with_only_numeric_ids_is_read() -> None:
    [event] = x.parse("tweet_numeric_ids")
    assert (event.kind, event.event_id, event.public_kind, event.timestamp_ms) == (
        EventKind.PUBLIC_POST,
        "1932100000000000009",
        PublicKind.MENTION,
        1749420300000,
    )
    assert event.customer == JOE


def test_a_post_by_the_brand_with_numeric_ids_is_an_echo() -> None:
    doc = load("x", "tweet_numeric_ids")
    doc["tweet_create_events"][0]["user"]["id"] = int(BRAND)
    [event] = x.parse_doc(doc)
    assert event.kind is EventKind.ECHO


def test_a_dm_by_the_brand_is_an_echo_to_the_customer() -> None:
    doc = load("x", "dm_without_timestamp")
    create = doc["direct_message_events"][0]["message_create"]
    create["sender_id"], create["target"]["recipient_id"] = BRAND, JOE.user_id
    [event] = x.parse_doc(doc)
    assert (event.kind, event.customer) == (EventKind.ECHO, JOE)


def test_dm_media_as_a_list() -> None:
    doc = load("x", "dm_media")
    data = doc["direct_message_events"][0]["message_create"]["message_data"]
    data["attachment"]["media"] = [data["attachment"]["media"]]
    [event] = x.parse_doc(doc)
    [normal] = x.parse("dm_media")
    assert event == normal


def test_user_event_without_for_user_id_is_accepted_and_kept_raw() -> None:
    doc = load("x", "user_event_without_for_user_id")
    [event] = x.parse("user_event_without_for_user_id")
    assert_kept_raw(event, "authorisation_revoked", account_id=BRAND, raw=doc["user_event"], channel=Channel.X_POST)


def test_user_event_naming_nobody_is_kept_under_no_account() -> None:
    [event] = x.parse_doc({"user_event": {"revoke": {"date_time": "2025-06-08T22:25:00+00:00"}}})
    assert (event.kind, event.account_id, event.timestamp_ms) == (EventKind.UNKNOWN, UNADDRESSED_ACCOUNT, 1749421500000)
