"""Messenger, Instagram and Page kinds (issue 12), from Meta's documented webhook shapes: reactions
(one rule with WhatsApp's), handover standby, postbacks, echoes in any form, the Page's own
comments, dashboard test pings, and lenient times and shapes."""

from __future__ import annotations

import pytest
from socialcare.model.events import Customer, EventKind, Platform, PublicKind, Referral
from socialcare.platforms.meta import MetaAdapter

from tests.adapter_support import AdapterUnderTest, assert_kept_raw
from tests.platform_fixtures import load

pytestmark = pytest.mark.unit

PAGE = "104729835600142"
PSID = "6254148874621037"
IG = "17841405822304914"
IGSID = "6731829301928374"
BRAND_MID = "m_echo_0T9sZGUe2tSZzUcsvtu"

meta = AdapterUnderTest(MetaAdapter(), Platform.META)
parse = meta.parse
parse_doc = meta.parse_doc


# --- reactions: one rule across Messenger, Instagram and WhatsApp -----------------------------
def test_messenger_unreact_removes_the_reaction() -> None:
    doc = load("meta", "messenger_unreact")
    [event] = parse("messenger_unreact")
    assert event.raw == doc["entry"][0]["messaging"][0]  # recorded as it came
    assert (event.kind, event.message_id, event.emoji, event.customer) == (
        EventKind.REACTION,
        BRAND_MID,
        None,
        Customer(PSID),
    )
    assert not event.is_customer_message


def test_instagram_reaction_names_the_message_and_the_emoji() -> None:
    [event] = parse("instagram_reaction")
    assert (event.kind, event.account_id, event.emoji, event.customer) == (
        EventKind.REACTION,
        IG,
        "❤",
        Customer(IGSID),
    )
    assert event.message_id == "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0"


def test_a_reaction_without_an_emoji_gives_its_name() -> None:
    doc = load("meta", "instagram_reaction")
    del doc["entry"][0]["messaging"][0]["reaction"]["emoji"]
    [event] = parse_doc(doc)
    assert event.emoji == "love"


def test_a_reaction_redelivered_has_the_same_id_and_a_new_one_another() -> None:
    [first] = parse("messenger_reaction")
    [again] = parse("messenger_reaction")
    [removal] = parse("messenger_unreact")
    assert first.event_id == again.event_id != removal.event_id


def test_instagram_reaction_delivered_as_a_change() -> None:
    doc = load("meta", "instagram_reaction")
    entry = doc["entry"][0]
    entry["changes"] = [{"field": "message_reactions", "value": entry.pop("messaging")[0]}]
    assert parse_doc(doc) == parse("instagram_reaction")


def test_the_brand_reacting_is_not_customer_activity() -> None:
    doc = load("meta", "messenger_reaction")
    event = doc["entry"][0]["messaging"][0]
    event["sender"], event["recipient"] = {"id": PAGE}, {"id": PSID}
    [parsed] = parse_doc(doc)
    assert_kept_raw(parsed, "brand_reaction")


# --- handover and postbacks -------------------------------------------------------------------
def test_a_standby_postback_shows_its_title_marked_standby() -> None:
    [event] = parse("messenger_standby_postback")
    assert (event.kind, event.text, event.standby, event.customer) == (
        EventKind.MESSAGE,
        "Track my order",  # Meta leaves the payload out of standby postbacks
        True,
        Customer(PSID),
    )


def test_a_postback_shows_title_and_payload_and_keeps_its_referral() -> None:
    doc = load("meta", "messenger_postback")
    postback = doc["entry"][0]["messaging"][0]["postback"]
    postback["referral"] = {"ref": "spring-sale", "source": "SHORTLINK", "type": "OPEN_THREAD"}
    [event] = parse_doc(doc)
    assert event.text == "Talk to a person 🙋 (payload: HUMAN_AGENT_REQUEST)"
    assert event.referral == Referral(source="SHORTLINK", ref="spring-sale")


def test_a_postback_with_only_a_payload_still_shows_it() -> None:
    doc = load("meta", "messenger_postback")
    del doc["entry"][0]["messaging"][0]["postback"]["title"]
    [event] = parse_doc(doc)
    assert (event.kind, event.text) == (EventKind.MESSAGE, "(payload: HUMAN_AGENT_REQUEST)")


# --- the brand is never its own customer ------------------------------------------------------
@pytest.mark.parametrize("flag", [True, "true", "TRUE", "True", 1, "1"])
def test_an_echo_in_any_form_is_the_brands_message(flag: object) -> None:
    doc = load("meta", "messenger_echo")
    doc["entry"][0]["messaging"][0]["message"]["is_echo"] = flag
    [event] = parse_doc(doc)
    assert (event.kind, event.customer) == (EventKind.ECHO, Customer(PSID))


def test_a_message_sent_by_the_page_is_an_echo_even_without_the_flag() -> None:
    doc = load("meta", "messenger_echo")
    del doc["entry"][0]["messaging"][0]["message"]["is_echo"]
    [event] = parse_doc(doc)
    assert (event.kind, event.customer) == (EventKind.ECHO, Customer(PSID))


def test_an_echo_keeps_the_metadata_its_sender_attached_and_a_customer_message_none() -> None:
    doc = load("meta", "messenger_echo")
    doc["entry"][0]["messaging"][0]["message"]["metadata"] = "socialcare:1700000000000#out-01ABC"
    [event] = parse_doc(doc)
    assert (event.kind, event.echo_tag) == (EventKind.ECHO, "socialcare:1700000000000#out-01ABC")
    doc = load("meta", "messenger_message")
    doc["entry"][0]["messaging"][0]["message"]["metadata"] = "socialcare:forged"
    [event] = parse_doc(doc)
    assert (event.kind, event.echo_tag) == (EventKind.MESSAGE, None)


def test_a_false_echo_flag_from_a_customer_is_their_message() -> None:
    doc = load("meta", "messenger_message")
    doc["entry"][0]["messaging"][0]["message"]["is_echo"] = "false"
    [event] = parse_doc(doc)
    assert (event.kind, event.customer) == (EventKind.MESSAGE, Customer(PSID))


def test_a_comment_by_the_page_itself_is_an_echo_with_a_numeric_id() -> None:
    doc = load("meta", "facebook_comment_page_own")
    doc["entry"][0]["changes"][0]["value"]["from"]["id"] = int(PAGE)
    [event] = parse_doc(doc)
    assert event.kind is EventKind.ECHO


# --- dashboard test pings ---------------------------------------------------------------------
def test_the_dashboard_test_ping_is_kept_raw_as_a_test() -> None:
    doc = load("meta", "messenger_test_ping")
    [event] = parse("messenger_test_ping")
    assert_kept_raw(event, "test_ping", account_id="0", raw=doc["entry"][0]["messaging"][0])


def test_the_dashboards_sample_ids_are_a_test_even_under_a_real_page() -> None:
    doc = load("meta", "messenger_test_ping")
    doc["entry"][0]["id"] = PAGE
    [event] = parse_doc(doc)
    assert_kept_raw(event, "test_ping", account_id=PAGE)


def test_a_batch_mixing_a_test_entry_and_a_real_one_keeps_both_apart() -> None:
    doc = load("meta", "messenger_message")
    doc["entry"] += load("meta", "messenger_test_ping")["entry"]
    real, test = parse_doc(doc)
    assert (real.kind, real.account_id) == (EventKind.MESSAGE, PAGE)
    assert_kept_raw(test, "test_ping", account_id="0")


def test_every_event_carries_the_account_it_was_addressed_to() -> None:
    doc = load("meta", "messenger_message")
    doc["entry"] += load("meta", "instagram_dm")["entry"]
    doc["object"] = "page"
    assert [e.account_id for e in parse_doc(doc)] == [PAGE, IG]


# --- lenient where Meta is --------------------------------------------------------------------
def test_an_iso_created_time_is_read() -> None:
    doc = load("meta", "facebook_comment_add")
    doc["entry"][0]["changes"][0]["value"]["created_time"] = "2025-03-22T18:20:04+0000"
    del doc["entry"][0]["time"]
    [event] = parse_doc(doc)
    assert (event.kind, event.timestamp_ms, event.timestamp_estimated) == (
        EventKind.PUBLIC_POST,
        1742667604000,
        False,
    )


def test_a_comment_without_any_time_keeps_its_words() -> None:
    doc = load("meta", "facebook_comment_add")
    del doc["entry"][0]["changes"][0]["value"]["created_time"]
    del doc["entry"][0]["time"]
    [event] = parse_doc(doc)
    [normal] = parse("facebook_comment_add")
    assert (event.kind, event.text, event.timestamp_estimated) == (EventKind.PUBLIC_POST, normal.text, True)


def test_instagram_comment_media_as_a_list() -> None:
    doc = load("meta", "instagram_comment")
    value = doc["entry"][0]["changes"][0]["value"]
    value["media"] = [value["media"]]
    [event] = parse_doc(doc)
    [normal] = parse("instagram_comment")
    assert event == normal
    assert event.public_kind is PublicKind.COMMENT


def test_a_message_with_an_unreadable_timestamp_keeps_its_words() -> None:
    doc = load("meta", "messenger_message")
    doc["entry"][0]["messaging"][0]["timestamp"] = "yesterday"
    del doc["entry"][0]["time"]
    [event] = parse_doc(doc)
    [normal] = parse("messenger_message")
    assert (event.kind, event.text, event.timestamp_estimated) == (EventKind.MESSAGE, normal.text, True)
