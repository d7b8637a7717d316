"""WhatsApp message kinds (issue 12), from the Cloud API's documented webhook shapes: what an agent
sees for each (the kind, the text, the ids), and that none of them becomes a case it should not."""

from __future__ import annotations

import json

import pytest
from socialcare.model.events import Attachment, Customer, EventKind, Platform, Referral
from socialcare.platforms.base import Verification
from socialcare.platforms.meta import MetaAdapter

from tests.adapter_support import AdapterUnderTest, assert_kept_raw
from tests.platform_fixtures import encode, load

pytestmark = pytest.mark.unit

PHONE_ID = "106540352242922"
WA_ID = "16505551234"
BSUID = "US.13491208655302741918"
SHEENA = Customer(WA_ID, name="Sheena Nelson", alt_ids=(BSUID,))
ORIGINAL = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUVESVQwMDAwMDAwMDAwMDAwMDAA"
BRAND_MSG = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJCMEQ5NjFFRkE0QTE3QkMwRkUA"

meta = AdapterUnderTest(MetaAdapter(), Platform.META)
parse = meta.parse
parse_doc = meta.parse_doc


def test_an_edit_replaces_the_text_of_the_original_message() -> None:
    [event] = parse("whatsapp_edit")
    assert (event.kind, event.message_id, event.text, event.customer) == (
        EventKind.EDIT,
        ORIGINAL,
        "Does it come in blue? (size M)",
        SHEENA,
    )
    assert (event.account_id, event.timestamp_ms) == (PHONE_ID, 1749417000_000)
    assert event.event_id != ORIGINAL  # never deduplicated against the message it edits


def test_two_edits_of_one_message_are_two_events() -> None:
    doc = load("meta", "whatsapp_edit")
    second = json.loads(json.dumps(doc["entry"][0]["changes"][0]["value"]["messages"][0]))
    second["id"] = second["id"].replace("MDEA", "MDIA")
    second["edit"]["message"]["text"]["body"] = "Does it come in green?"
    doc["entry"][0]["changes"][0]["value"]["messages"].append(second)
    first, again = parse_doc(doc)
    assert first.message_id == again.message_id == ORIGINAL
    assert first.event_id != again.event_id


def test_a_revoke_deletes_the_original_message() -> None:
    [event] = parse("whatsapp_revoke")
    assert (event.kind, event.message_id, event.customer, event.text) == (EventKind.DELETE, ORIGINAL, SHEENA, None)


def test_a_number_change_is_an_identity_change_with_the_old_and_new_ids() -> None:
    [event] = parse("whatsapp_system_number_change")
    assert event.kind is EventKind.IDENTITY_CHANGE
    assert event.customer == Customer("12195555358", alt_ids=("US.20000000000000000002",))
    assert event.previous_ids == (WA_ID, BSUID)
    assert event.text == "User Sheena Nelson changed from 16505551234 to 12195555358"
    assert not event.is_customer_message  # never a case of its own


def test_a_business_scoped_id_change_keeps_the_phone_and_names_the_former_ids() -> None:
    [event] = parse("whatsapp_system_user_id_change")
    assert event.kind is EventKind.IDENTITY_CHANGE
    assert event.customer == Customer("US.30000000000000000003", alt_ids=(WA_ID,))
    assert event.previous_ids == (BSUID, "US.P.1000")


def test_a_system_notice_that_changes_no_id_is_kept_raw() -> None:
    doc = load("meta", "whatsapp_system_number_change")
    message = doc["entry"][0]["changes"][0]["value"]["messages"][0]
    message["system"] = {"body": "Sheena's security code changed", "type": "customer_identity_changed"}
    [event] = parse_doc(doc)
    assert_kept_raw(event, "system_notice", raw_kind="system.customer_identity_changed", raw=message)


def test_a_reaction_and_its_removal_follow_the_one_reaction_rule() -> None:
    [given] = parse("whatsapp_reaction")
    [removed] = parse("whatsapp_reaction_removed")
    for event in (given, removed):
        assert event.customer is not None
        assert (event.kind, event.message_id, event.customer.user_id) == (EventKind.REACTION, BRAND_MSG, WA_ID)
        assert not event.is_customer_message  # a reaction never opens or reopens a case
    assert (given.emoji, removed.emoji) == ("👍🏽", None)


def test_an_empty_emoji_is_a_removal_too() -> None:
    doc = load("meta", "whatsapp_reaction_removed")
    doc["entry"][0]["changes"][0]["value"]["messages"][0]["reaction"]["emoji"] = ""
    [event] = parse_doc(doc)
    assert (event.kind, event.emoji) == (EventKind.REACTION, None)


def test_a_button_reply_reads_as_the_button_title() -> None:
    [event] = parse("whatsapp_button_reply")
    assert (event.kind, event.text, event.reply_to_id) == (EventKind.MESSAGE, "Talk to an agent", BRAND_MSG)


def test_a_flow_answer_reads_as_its_fields_without_the_flow_token() -> None:
    [event] = parse("whatsapp_flow_reply")
    assert event.kind is EventKind.MESSAGE
    assert event.text == "Form reply: order_number: 4411; issue: Parcel damaged 📦; contact_times: morning, evening"
    assert event.attachments == (Attachment("flow_reply"),)


def test_a_flow_answer_that_cannot_be_read_shows_its_body() -> None:
    doc = load("meta", "whatsapp_flow_reply")
    message = doc["entry"][0]["changes"][0]["value"]["messages"][0]
    message["interactive"]["nfm_reply"]["response_json"] = "{not json"
    [event] = parse_doc(doc)
    assert (event.kind, event.text) == (EventKind.MESSAGE, "Form reply: Sent")


def test_an_order_reads_as_its_items_and_note() -> None:
    [event] = parse("whatsapp_order")
    assert event.kind is EventKind.MESSAGE
    assert event.text == "Order: 2 × SKU-TSHIRT-M at 19.90 EUR, 1 × SKU-MUG at 8.00 EUR — “Gift wrap please 🎁”"


def test_click_to_whatsapp_referral_is_kept_on_the_message() -> None:
    [event] = parse("whatsapp_referral")
    assert (event.kind, event.text) == (EventKind.MESSAGE, "Hi! Is the summer sale still on?")
    assert event.referral is not None
    assert event.referral == Referral(
        source="ad",
        source_id="120212345678900123",
        url="https://fb.me/3cr4Wqqkv",
        headline="Chat with us on WhatsApp",
        body="Summer sale: 30% off everything",
        click_id=event.referral.click_id,
    )
    assert event.referral.click_id is not None
    assert event.referral.click_id.startswith("ARAkLkA8")


def test_unsupported_content_is_a_message_with_a_clear_placeholder() -> None:
    [event] = parse("whatsapp_unsupported")
    assert event.kind is EventKind.MESSAGE
    assert event.text is not None
    assert "cannot show here" in event.text
    assert "Message type unknown" in event.text


def test_an_echo_from_the_business_app_is_the_brands_answer() -> None:
    [event] = parse("whatsapp_smb_echo")
    assert (event.kind, event.customer, event.account_id) == (EventKind.ECHO, Customer(WA_ID), PHONE_ID)
    assert event.text == "Hi Sheena, Ana here from the shop — blue is back in stock 💙"
    assert event.raw_kind == "smb_message_echo"


def test_a_business_app_edit_or_revoke_changes_the_brands_message() -> None:
    doc = load("meta", "whatsapp_smb_echo")
    echo = doc["entry"][0]["changes"][0]["value"]["message_echoes"][0]
    echo.update(type="revoke", revoke={"original_message_id": BRAND_MSG})
    del echo["text"]
    [event] = parse_doc(doc)
    assert (event.kind, event.message_id, event.customer) == (EventKind.DELETE, BRAND_MSG, Customer(WA_ID))


def test_a_message_from_the_business_number_itself_is_never_a_customer_message() -> None:
    doc = load("meta", "whatsapp_text")
    value = doc["entry"][0]["changes"][0]["value"]
    value["messages"][0]["from"] = value["metadata"]["display_phone_number"]
    value["messages"][0]["to"] = WA_ID
    [event] = parse_doc(doc)
    assert (event.kind, event.customer) == (EventKind.ECHO, Customer(WA_ID))


def test_standby_whatsapp_messages_are_marked_standby() -> None:
    doc = load("meta", "whatsapp_text")
    doc["entry"][0]["changes"][0]["field"] = "standby"
    [event] = parse_doc(doc)
    [normal] = parse("whatsapp_text")
    assert (event.kind, event.text, event.standby, normal.standby) == (EventKind.MESSAGE, normal.text, True, False)


def test_the_dashboard_test_ping_is_recognisable_and_addressed_to_its_sample_number() -> None:
    [event] = parse("whatsapp_test_ping")
    assert_kept_raw(event, "test_ping", account_id="123456123")


def test_a_missing_timestamp_keeps_the_message_at_the_received_time() -> None:
    doc = load("meta", "whatsapp_text")
    del doc["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"]
    [unknown_time] = parse_doc(doc)
    assert (unknown_time.kind, unknown_time.timestamp_ms, unknown_time.timestamp_estimated) == (
        EventKind.MESSAGE,
        0,
        True,
    )
    [received] = MetaAdapter().parse(encode("meta", doc), Verification(received_at_ms=1749417999_000)).events
    assert (received.timestamp_ms, received.timestamp_estimated, received.text) == (
        1749417999_000,
        True,
        unknown_time.text,
    )


def test_a_flow_answer_with_half_an_emoji_is_still_storable() -> None:
    doc = load("meta", "whatsapp_flow_reply")
    message = doc["entry"][0]["changes"][0]["value"]["messages"][0]
    message["interactive"]["nfm_reply"]["response_json"] = '{"issue": "broken \\ud83d"}'
    [event] = parse_doc(doc)
    assert event.text == "Form reply: issue: broken \ufffd"
    assert event.text.encode("utf-8")
