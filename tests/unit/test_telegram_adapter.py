"""The Telegram adapter: one Update per delivery, the bot known from its secret token."""

from __future__ import annotations

from typing import Any

import pytest
from socialcare.errors import MalformedPayload
from socialcare.model.events import Attachment, Channel, Customer, EventKind, Platform, PlatformEvent
from socialcare.platforms.base import Verification
from socialcare.platforms.telegram import TelegramAdapter

from tests.adapter_support import AdapterUnderTest
from tests.event_support import event_factory
from tests.platform_fixtures import load, wire_body

pytestmark = pytest.mark.unit

BOT = "7001"
NIC = Customer("3527065", name="Nic Pöttier", handle="nicpottier")
CHAT = "3527065"
D = 1749421000_000

as_bot = Verification(account_id=BOT)
telegram = AdapterUnderTest(TelegramAdapter(), Platform.TELEGRAM, as_bot)
adapter = telegram.adapter
parse = telegram.parse
parse_doc = telegram.parse_doc
tg = event_factory(Channel.TELEGRAM, BOT)


def message(message_id: int, ts: int, *, chat: str = CHAT, **fields: Any) -> PlatformEvent:
    """A message in a chat: by default Nic's, a MESSAGE, and identified by its chat and message id."""
    ref = f"{chat}:{message_id}"
    fields.setdefault("customer", NIC)
    fields.setdefault("raw_kind", "message")
    kind = fields.pop("kind", EventKind.MESSAGE)
    event_id = fields.pop("event_id", ref)
    return tg(kind, event_id, ts, message_id=ref, conversation_ref=chat, **fields)


def test_text_message_with_unicode_and_zwj_emoji() -> None:
    assert parse("message") == [message(41, D, text="Hello 👋 Grüße! 日本語 OK? 🏳️\u200d🌈")]


def test_edited_message_is_identified_by_its_edit_date() -> None:
    assert parse("edited_message") == [
        message(
            41,
            D + 30_000,
            kind=EventKind.EDIT,
            event_id=f"{CHAT}:41#edit#1749421030",
            text="Hello 👋 Grüße! 日本語でも大丈夫？ 🏳️\u200d🌈",
            raw_kind="edited_message",
        )
    ]


def test_photo_with_caption_takes_the_largest_size() -> None:
    assert parse("photo_caption") == [
        message(
            42,
            D + 60_000,
            text="Broken on arrival 😟",
            attachments=(Attachment("image", "telegram-file:AgACAgIAAxkBAAIBP2Zx3kT8m0Ab", "Broken on arrival 😟"),),
        )
    ]


def test_document() -> None:
    assert parse("document") == [
        message(43, D + 90_000, attachments=(Attachment("file", "telegram-file:BQACAgIAAxkBAAIBQGZx3nV0cmVj"),))
    ]


def test_voice() -> None:
    assert parse("voice") == [
        message(44, D + 120_000, attachments=(Attachment("audio", "telegram-file:AwACAgIAAxkBAAIBQWZx3oZ2b2ljZQ"),))
    ]


def test_location() -> None:
    assert parse("location") == [
        message(45, D + 150_000, attachments=(Attachment("location", "geo:52.520008,13.404954"),))
    ]


def test_group_message_is_the_member_writing_in_the_group() -> None:
    group = "-1001234567890"
    assert parse("group_message") == [
        message(901, D + 180_000, chat=group, text="@acme_support_bot wo bleibt meine Bestellung?")
    ]


def test_reply_to_an_earlier_message_in_the_chat() -> None:
    doc = load("telegram", "message")
    doc["message"]["reply_to_message"] = load("telegram", "document")["message"]
    [event] = parse_doc(doc)
    assert event.reply_to_id == f"{CHAT}:43"


def test_the_bots_own_message_in_a_private_chat_is_an_echo() -> None:
    doc = load("telegram", "message")
    doc["message"]["from"] = {"id": int(BOT), "is_bot": True, "first_name": "Acme Support"}
    [event] = parse_doc(doc)
    assert (event.kind, event.customer) == (EventKind.ECHO, Customer(CHAT))


def test_message_sent_as_a_chat_names_the_chat() -> None:
    doc = load("telegram", "group_message")
    del doc["message"]["from"]
    doc["message"]["sender_chat"] = {"id": -1001234567890, "title": "Acme Kunden 🇩🇪", "type": "supergroup"}
    [event] = parse_doc(doc)
    assert event.customer == Customer("-1001234567890", name="Acme Kunden 🇩🇪")


@pytest.mark.parametrize(
    ("name", "kind", "ts"),
    [
        ("callback_query", "callback_query", 0),  # a button press has no date of its own
        ("channel_post", "channel_post", D + 240_000),
        ("my_chat_member", "my_chat_member", D + 300_000),
    ],
)
def test_other_updates_are_kept_raw_under_their_update_id(name: str, kind: str, ts: int) -> None:
    doc = load("telegram", name)
    [event] = parse(name)
    assert (event.kind, event.event_id, event.raw_kind, event.timestamp_ms, event.account_id) == (
        EventKind.UNKNOWN,
        f"update:{doc['update_id']}",
        kind,
        ts,
        BOT,
    )
    assert event.raw == doc


def test_an_unreadable_message_is_kept_raw_rather_than_dropped() -> None:
    doc = load("telegram", "message")
    doc["message"]["chat"] = "private"
    [event] = parse_doc(doc)
    assert (event.kind, event.event_id, event.raw_kind, event.raw) == (
        EventKind.UNKNOWN,
        "update:174114370",
        "message",
        doc,
    )


def test_the_bot_comes_from_the_verified_secret_not_the_payload() -> None:
    [event] = adapter.parse(wire_body("telegram", "message"), Verification(account_id="8002")).events
    assert event.account_id == "8002"
    with pytest.raises(MalformedPayload, match="not matched to a bot"):
        adapter.parse(wire_body("telegram", "message"), Verification())


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"message":{}}', "update_id must be"),
        (b'{"update_id":"174114370","message":{}}', "update_id must be"),
        (b'{"update_id":-1,"message":{}}', "update_id must be"),
        (b'{"update_id":true,"message":{}}', "update_id must be"),
        (b'{"update_id":1.5,"message":{}}', "update_id must be"),
        (b'{"update_id":' + b"9" * 400 + b',"message":{}}', "update_id must be"),
    ],
)
def test_bad_update_is_malformed_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedPayload, match=reason):
        adapter.parse(body, as_bot)
