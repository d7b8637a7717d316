"""The Meta adapter: every fixture (Messenger, Page feed, Instagram, WhatsApp) to its exact events."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from socialcare.errors import MalformedPayload
from socialcare.model.events import (
    Attachment,
    Channel,
    Customer,
    DeliveryState,
    EventKind,
    Platform,
    PlatformEvent,
    PublicKind,
)
from socialcare.platforms.base import Verification
from socialcare.platforms.meta import MetaAdapter

from tests import adapter_support as support
from tests.adapter_support import AdapterUnderTest
from tests.event_support import event_factory
from tests.platform_fixtures import encode, load, wire_body

pytestmark = pytest.mark.unit

PAGE = "104729835600142"
PSID = "6254148874621037"
PSID2 = "7092384561029384"
IG = "17841405822304914"
IGSID = "6731829301928374"
PHONE_ID = "106540352242922"
WABA = "102290129340398"
WA_ID = "16505551234"
BSUID = "US.13491208655302741918"
POST = f"{PAGE}_1102938475610293"
ANN_COMMENT = "1102938475610293_872634510293847"
ANN = Customer("100089234756123", name="Ann Müller")
SHEENA = Customer(WA_ID, name="Sheena Nelson")
OUT_WAMID = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
IG_MID = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0"

meta = AdapterUnderTest(MetaAdapter(), Platform.META)
adapter = meta.adapter
parse = meta.parse  # a fixture exactly as Meta sends it (escaped-unicode JSON)
parse_doc = meta.parse_doc


messenger = event_factory(Channel.MESSENGER, PAGE)
feed = event_factory(Channel.FACEBOOK_COMMENT, PAGE)
ig_dm = event_factory(Channel.INSTAGRAM_DM, IG)
ig_comment = event_factory(Channel.INSTAGRAM_COMMENT, IG)
whatsapp = event_factory(Channel.WHATSAPP, PHONE_ID)


def assert_unknown(
    event: PlatformEvent, *, channel: Channel, account_id: str, raw_kind: str, raw: Any, ts: int
) -> None:
    support.assert_unknown(event, channel=channel, account_id=account_id, raw_kind=raw_kind, raw=raw, ts=ts)
    assert event.customer is None
    assert event.text is None


# --- Messenger --------------------------------------------------------------------------------
def test_messenger_text_message_with_reply_to() -> None:
    mid = "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P"
    assert parse("messenger_message") == [
        messenger(
            EventKind.MESSAGE,
            mid,
            1458692752478,
            customer=Customer(PSID),
            message_id=mid,
            text="hello, my order #4411 never arrived",
            reply_to_id="m_1fTq8oLumEyIp3Q2MR-aY7IfLZDamVrALniheU",
            raw_kind="message",
        )
    ]


def test_messenger_unicode_text_survives_meta_escaping_exactly() -> None:
    body = wire_body("meta", "messenger_message_unicode")
    assert body.isascii()
    assert b"\\u00fc" in body  # ü
    assert b"\\ud83d\\ude1f" in body  # 😟 as a surrogate pair
    [event] = parse("messenger_message_unicode")
    assert event.text == (
        "Grüße aus München! 日本語で大丈夫ですか？ 😟 🇩🇪🇯🇵 👩\u200d👩\u200d👧\u200d👦 — mein Paket ist nicht da"
    )
    assert event == messenger(
        EventKind.MESSAGE,
        "m_Hq7Fvx1yQk2Uu0wZt8mJc3aRgP5sL9dEoN4bVhXiTjYfWr6",
        1749416383004,
        customer=Customer(PSID),
        message_id="m_Hq7Fvx1yQk2Uu0wZt8mJc3aRgP5sL9dEoN4bVhXiTjYfWr6",
        text=event.text,
        raw_kind="message",
    )


def test_utf8_and_escaped_forms_of_the_same_payload_parse_alike() -> None:
    doc = load("meta", "messenger_message_unicode")
    utf8 = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    assert adapter.parse(utf8, Verification()) == adapter.parse(encode("meta", doc), Verification())


def test_messenger_attachments_including_fallback_with_url_outside_payload() -> None:
    mid = "m_Wq3Ue0vQ1hP7GmVt4rQwZb0y8pEo2sCz5dAa9fKlNnTx"
    assert parse("messenger_attachments") == [
        messenger(
            EventKind.MESSAGE,
            mid,
            1718031405997,
            customer=Customer(PSID),
            message_id=mid,
            attachments=(
                Attachment("image", "https://scontent.xx.fbcdn.net/v/t1.15752-9/448150216_n.jpg?_nc_cat=1"),
                Attachment("file", "https://cdn.fbsbx.com/v/t59.2708-21/invoice_2024_06.pdf"),
                Attachment("fallback", "https://track.example.com/4411", caption="Tracking page"),
            ),
            raw_kind="message",
        )
    ]


def test_messenger_echo_is_the_brands_message_to_the_recipient() -> None:
    mid = "m_echo_0T9sZGUe2tSZzUcsvtu"
    assert parse("messenger_echo") == [
        messenger(
            EventKind.ECHO,
            mid,
            1457764197627,
            customer=Customer(PSID),  # the recipient, not the Page that sent it
            message_id=mid,
            text="Hi! Sorry about that - I'm Ana, let me check order #4411 for you.",
            raw_kind="message_echo",
            echo_tag="agent:ana",  # another app's metadata: not this system's tag
        )
    ]


def test_messenger_edit_is_identified_by_its_edit_number() -> None:
    mid = "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P"
    assert parse("messenger_edit") == [
        messenger(
            EventKind.EDIT,
            f"{mid}#edit#1",
            1458668856463,
            customer=Customer(PSID),
            message_id=mid,
            text="hello, my order #4412 never arrived",
            raw_kind="message_edit",
        )
    ]


def test_messenger_read_is_a_watermark_status() -> None:
    assert parse("messenger_read") == [
        messenger(
            EventKind.STATUS,
            f"read:{PSID}:1458668856253",
            1458668856463,
            customer=Customer(PSID),
            status=DeliveryState.READ,
            watermark_ms=1458668856253,
            raw_kind="read",
        )
    ]


def test_messenger_delivery_with_and_without_mids() -> None:
    def delivered(event_id: str, ts: int, **kw: Any) -> PlatformEvent:
        return messenger(
            EventKind.STATUS,
            event_id,
            ts,
            customer=Customer(PSID),
            status=DeliveryState.DELIVERED,
            raw_kind="delivery",
            **kw,
        )

    # No timestamp of its own: the watermark is the event's time.
    assert parse("messenger_delivery") == [
        delivered("m_echo_0T9sZGUe2tSZzUcsvtu#delivered", 1458668856253, message_id="m_echo_0T9sZGUe2tSZzUcsvtu"),
        delivered("m_echo_1Q3vYa7pPq0r#delivered", 1458668856253, message_id="m_echo_1Q3vYa7pPq0r"),
        delivered(f"delivery:{PSID}:1458668856253", 1458668856253, watermark_ms=1458668856253),
        delivered(f"delivery:{PSID}:1458668857000", 1458668857000, watermark_ms=1458668857000),
    ]


def test_messenger_reaction_is_a_reaction_to_the_brands_message() -> None:
    [event] = parse("messenger_reaction")
    assert (event.kind, event.message_id, event.emoji, event.customer, event.timestamp_ms) == (
        EventKind.REACTION,
        "m_echo_0T9sZGUe2tSZzUcsvtu",
        "❤️",
        Customer(PSID),
        1749416401120,
    )


def test_messenger_postback_is_the_customers_button_press_as_a_message() -> None:
    assert parse("messenger_postback") == [
        messenger(
            EventKind.MESSAGE,
            "m_PbK3r9Tz0Wq4YbUe1fXaLh2s",
            1749416412555,
            customer=Customer(PSID),
            message_id="m_PbK3r9Tz0Wq4YbUe1fXaLh2s",
            text="Talk to a person 🙋 (payload: HUMAN_AGENT_REQUEST)",
            raw_kind="postback",
        )
    ]


def test_postback_without_mid_gets_a_stable_id_from_sender_and_time() -> None:
    doc = load("meta", "messenger_postback")
    del doc["entry"][0]["messaging"][0]["postback"]["mid"]
    first, again = parse_doc(doc), parse_doc(doc)
    assert first == again
    assert [(e.kind, e.event_id, e.message_id) for e in first] == [
        (EventKind.MESSAGE, f"postback:{PSID}:1749416412555", f"postback:{PSID}:1749416412555")
    ]


# --- Facebook Page feed -----------------------------------------------------------------------
def test_feed_top_level_comment() -> None:
    assert parse("facebook_comment_add") == [
        feed(
            EventKind.PUBLIC_POST,
            ANN_COMMENT,
            1749416500000,
            customer=ANN,
            message_id=ANN_COMMENT,
            text="Wie viel kostet das? Preis bitte 🙏",
            reply_to_id=POST,
            conversation_ref=POST,
            public_kind=PublicKind.COMMENT,
            raw_kind="feed.comment",
        )
    ]


def test_feed_reply_to_a_comment() -> None:
    comment_id = "1102938475610293_872634510299001"
    assert parse("facebook_comment_reply") == [
        feed(
            EventKind.PUBLIC_POST,
            comment_id,
            1749416560000,
            customer=Customer("100077123456789", name="Kenji Sato"),
            message_id=comment_id,
            text="同じ問題があります。注文が届きません 😞",
            reply_to_id=ANN_COMMENT,
            conversation_ref=POST,
            public_kind=PublicKind.REPLY,
            raw_kind="feed.comment",
        )
    ]


def test_feed_the_pages_own_comment_is_an_echo_answering_the_parent() -> None:
    comment_id = "1102938475610293_872634510299555"
    assert parse("facebook_comment_page_own") == [
        feed(
            EventKind.ECHO,
            comment_id,
            1749416620000,
            customer=Customer(f"unknown:{comment_id}"),  # the payload names the parent, not its author
            message_id=comment_id,
            text="Hi Ann, it's €49 — we've sent you a DM with the details 💬",
            reply_to_id=ANN_COMMENT,
            conversation_ref=POST,
            public_kind=PublicKind.REPLY,
            raw_kind="feed.comment",
        )
    ]


def test_feed_edited_comment_is_timed_by_the_entry_and_keyed_by_its_text() -> None:
    [edit] = parse("facebook_comment_edited")
    assert edit == feed(
        EventKind.EDIT,
        edit.event_id,
        1749416700000,  # entry.time: when it was edited (created_time is the original)
        customer=ANN,
        message_id=ANN_COMMENT,
        text="Wie viel kostet das in Größe M? 🙏",
        conversation_ref=POST,
        raw_kind="feed.comment.edited",
    )
    assert edit.event_id.startswith(f"{ANN_COMMENT}#edit#")
    doc = load("meta", "facebook_comment_edited")
    doc["entry"][0]["changes"][0]["value"]["message"] = "another edit"
    [other] = parse_doc(doc)
    assert other.event_id != edit.event_id  # a second edit is not deduplicated away


def test_feed_removed_comment() -> None:
    comment_id = "1102938475610293_872634510299001"
    assert parse("facebook_comment_removed") == [
        feed(
            EventKind.DELETE,
            f"{comment_id}#delete",
            1749416800000,
            customer=Customer("100077123456789", name="Kenji Sato"),
            message_id=comment_id,
            conversation_ref=POST,
            raw_kind="feed.comment.remove",
        )
    ]


def test_feed_visitor_post() -> None:
    post_id = f"{PAGE}_1103000000000777"
    assert parse("facebook_visitor_post") == [
        feed(
            EventKind.PUBLIC_POST,
            post_id,
            1749417000000,
            customer=Customer("100055512345678", name="Zoë Ångström"),
            message_id=post_id,
            text="Third week waiting for a refund. Anyone there? 😡🇸🇪",
            conversation_ref=post_id,
            public_kind=PublicKind.POST,
            raw_kind="feed.status",
        )
    ]


def test_feed_reaction_is_kept_raw() -> None:
    doc = load("meta", "facebook_reaction")
    [event] = parse("facebook_reaction")
    assert_unknown(
        event,
        channel=Channel.FACEBOOK_COMMENT,
        account_id=PAGE,
        raw_kind="feed.reaction",
        raw=doc["entry"][0]["changes"][0],
        ts=1749417101000,
    )


# --- Instagram DMs ----------------------------------------------------------------------------
def test_instagram_dm_with_attachment_and_reply_to() -> None:
    doc = load("meta", "instagram_dm")
    message = doc["entry"][0]["messaging"][0]["message"]
    assert parse("instagram_dm") == [
        ig_dm(
            EventKind.MESSAGE,
            message["mid"],
            1749418000123,
            customer=Customer(IGSID),
            message_id=message["mid"],
            text="Hola! ¿Tienen la talla M en azul? 👗",
            attachments=(
                Attachment(
                    "image",
                    "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=17891234567890123&signature=AbCdEf",
                ),
            ),
            reply_to_id=message["reply_to"]["mid"],
            raw_kind="message",
        )
    ]


def test_instagram_echo() -> None:
    mid = f"{IG_MID}OmVjaG8x"
    assert parse("instagram_echo") == [
        ig_dm(
            EventKind.ECHO,
            mid,
            1749418060000,
            customer=Customer(IGSID),
            message_id=mid,
            text="¡Sí! Te mando el enlace 💙",
            raw_kind="message_echo",
        )
    ]


def test_instagram_unsend_is_a_delete() -> None:
    mid = f"{IG_MID}OnVuc2VuZDE"
    assert parse("instagram_unsend") == [
        ig_dm(
            EventKind.DELETE,
            f"{mid}#delete",
            1749418120000,
            customer=Customer(IGSID),
            message_id=mid,
            raw_kind="message_deleted",
        )
    ]


def test_instagram_seen_is_a_read_status_of_one_message() -> None:
    mid = f"{IG_MID}OmVjaG8x"
    assert parse("instagram_seen") == [
        ig_dm(
            EventKind.STATUS,
            f"{mid}#read",
            1749418130000,
            customer=Customer(IGSID),
            message_id=mid,
            status=DeliveryState.READ,
            raw_kind="read",
        )
    ]


def test_instagram_messaging_seen_key_is_read_too() -> None:
    doc = load("meta", "instagram_seen")
    event = doc["entry"][0]["messaging"][0]
    event["messaging_seen"] = event.pop("read")
    [status] = parse_doc(doc)
    assert (status.kind, status.status, status.raw_kind) == (EventKind.STATUS, DeliveryState.READ, "messaging_seen")


def test_instagram_story_reply_carries_the_story() -> None:
    mid = f"{IG_MID}OnN0b3J5MQ"
    assert parse("instagram_story_reply") == [
        ig_dm(
            EventKind.MESSAGE,
            mid,
            1749418200000,
            customer=Customer(IGSID),
            message_id=mid,
            text="Where can I buy this? 😍",
            attachments=(
                Attachment(
                    "story_reply",
                    "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=17954321098765432&signature=StOrY",
                ),
            ),
            raw_kind="message",
        )
    ]


def test_instagram_unsupported_content_still_reaches_the_agent() -> None:
    mid = f"{IG_MID}OnVuc3VwMQ"
    assert parse("instagram_unsupported") == [
        ig_dm(
            EventKind.MESSAGE,
            mid,
            1749418300000,
            customer=Customer(IGSID),
            message_id=mid,
            attachments=(Attachment("unsupported"),),
            raw_kind="message",
        )
    ]


# --- Instagram comments and mentions ----------------------------------------------------------
def test_instagram_comment() -> None:
    assert parse("instagram_comment") == [
        ig_comment(
            EventKind.PUBLIC_POST,
            "17865799348089039",
            1749418400000,
            customer=Customer(IGSID, handle="sana.k"),
            message_id="17865799348089039",
            text="Size M? 🤔 需要中号",
            conversation_ref="17918195224117851",
            public_kind=PublicKind.COMMENT,
            raw_kind="comments",
        )
    ]


def test_instagram_comment_reply() -> None:
    [event] = parse("instagram_comment_reply")
    assert (event.kind, event.public_kind, event.reply_to_id, event.conversation_ref) == (
        EventKind.PUBLIC_POST,
        PublicKind.REPLY,
        "17865799348089039",
        "17918195224117851",
    )


def test_instagram_live_comment() -> None:
    assert parse("instagram_live_comment") == [
        ig_comment(
            EventKind.PUBLIC_POST,
            "17999123400011122",
            1749418500000,
            customer=Customer("6731829301920000", handle="lukas.ü"),
            message_id="17999123400011122",
            text="Is the discount code still valid? 🔥🔥",
            conversation_ref="17900011122233344",
            public_kind=PublicKind.COMMENT,
            raw_kind="live_comments",
        )
    ]


def test_instagram_comment_by_the_account_itself_is_an_echo() -> None:
    doc = load("meta", "instagram_comment_reply")
    doc["entry"][0]["changes"][0]["value"]["from"] = {"id": IG, "username": "acme"}
    [event] = parse_doc(doc)
    assert (event.kind, event.customer, event.reply_to_id) == (
        EventKind.ECHO,
        Customer("unknown:17865799348089777"),
        "17865799348089039",
    )


def test_instagram_mention_in_a_comment() -> None:
    assert parse("instagram_mention_comment") == [
        ig_comment(
            EventKind.PUBLIC_POST,
            "17865799348090001#mention",
            1749418600000,
            customer=Customer("unknown:17865799348090001"),
            message_id="17865799348090001",
            conversation_ref="17918195224117999",
            public_kind=PublicKind.MENTION,
            raw_kind="mentions",
        )
    ]


def test_instagram_mention_in_a_caption() -> None:
    assert parse("instagram_mention_caption") == [
        ig_comment(
            EventKind.PUBLIC_POST,
            "17918195224118888#mention",
            1749418700000,
            customer=Customer("unknown:17918195224118888"),
            message_id="17918195224118888",
            conversation_ref="17918195224118888",
            public_kind=PublicKind.MENTION,
            raw_kind="mentions.caption",
        )
    ]


# --- WhatsApp ---------------------------------------------------------------------------------
def test_whatsapp_text_with_business_scoped_user_id() -> None:
    wamid = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTNBRjUxNUI1QUVCNkY0RkE2MgA="
    assert parse("whatsapp_text") == [
        whatsapp(
            EventKind.MESSAGE,
            wamid,
            1749416383000,
            customer=Customer(WA_ID, name="Sheena Nelson", alt_ids=(BSUID,)),
            message_id=wamid,
            text="Does it come in another color? Grüße 🇺🇸",
            raw_kind="text",
        )
    ]


def test_whatsapp_sender_known_only_by_business_scoped_id() -> None:
    wamid = "wamid.HBgMOTE5ODc2NTQzMjEwFQIAEhgUM0FCQ0RFRjAxMjM0NTY3ODlBQgA="
    assert parse("whatsapp_bsuid_only") == [
        whatsapp(
            EventKind.MESSAGE,
            wamid,
            1749416999000,
            customer=Customer("IN.88123456789012345678", name="Ravi 🙂"),
            message_id=wamid,
            text="Namaste 🙏 my order shows delivered but it isn't",
            raw_kind="text",
        )
    ]


def test_whatsapp_image_with_caption() -> None:
    wamid = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUJCMDAxMTIyMzM0NDU1NjY3NwA="
    assert parse("whatsapp_image") == [
        whatsapp(
            EventKind.MESSAGE,
            wamid,
            1749416450000,
            customer=SHEENA,
            message_id=wamid,
            text="The box arrived crushed 📦💥",
            attachments=(Attachment("image", "whatsapp-media:1479537139650973", "The box arrived crushed 📦💥"),),
            raw_kind="image",
        )
    ]


def test_whatsapp_location() -> None:
    wamid = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUxPQzAwMTEyMjMzNDQ1NTY2NwA="
    assert parse("whatsapp_location") == [
        whatsapp(
            EventKind.MESSAGE,
            wamid,
            1749416500000,
            customer=SHEENA,
            message_id=wamid,
            attachments=(
                Attachment("location", "geo:48.137154,11.576124", "Marienplatz, Marienplatz 1, 80331 München"),
            ),
            raw_kind="location",
        )
    ]


def test_whatsapp_contacts() -> None:
    wamid = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUNPTlQwMDExMjIzMzQ0NTU2NgA="
    assert parse("whatsapp_contacts") == [
        whatsapp(
            EventKind.MESSAGE,
            wamid,
            1749416550000,
            customer=SHEENA,
            message_id=wamid,
            attachments=(Attachment("contacts", caption="Hiro Tanaka, Jürgen Weiß"),),
            raw_kind="contacts",
        )
    ]


def test_whatsapp_template_button_reply_answers_the_template() -> None:
    wamid = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUJVVFQwMDExMjIzMzQ0NTU2NgA="
    assert parse("whatsapp_button") == [
        whatsapp(
            EventKind.MESSAGE,
            wamid,
            1749416600000,
            customer=SHEENA,
            message_id=wamid,
            text="Reschedule delivery",
            reply_to_id="wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJCMEQ5NjFFRkE0QTE3QkMwRkUA",
            raw_kind="button",
        )
    ]


def test_whatsapp_interactive_list_reply() -> None:
    wamid = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUlOVEUwMDExMjIzMzQ0NTU2NgA="
    assert parse("whatsapp_interactive") == [
        whatsapp(
            EventKind.MESSAGE,
            wamid,
            1749416650000,
            customer=SHEENA,
            message_id=wamid,
            text="Refund 💶",
            reply_to_id="wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJDMTIzNDU2Nzg5QUJDREVGMDEA",
            raw_kind="interactive",
        )
    ]


def test_whatsapp_reaction_names_the_message_reacted_to() -> None:
    wamid = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQVJFQUMwMDExMjIzMzQ0NTU2NgA="
    assert parse("whatsapp_reaction") == [
        whatsapp(
            EventKind.REACTION,
            wamid,
            1749416700000,
            customer=SHEENA,
            message_id="wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJCMEQ5NjFFRkE0QTE3QkMwRkUA",
            emoji="👍🏽",
            raw_kind="reaction",
        )
    ]


def test_whatsapp_unsupported_type_still_reaches_the_agent() -> None:
    wamid = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQVVOU1UwMDExMjIzMzQ0NTU2NgA="
    assert parse("whatsapp_unsupported") == [
        whatsapp(
            EventKind.MESSAGE,
            wamid,
            1749416750000,
            customer=SHEENA,
            message_id=wamid,
            text="[The customer sent a message WhatsApp cannot show here (Message type unknown)."
            " Ask them to send it another way.]",
            attachments=(Attachment("unsupported"),),
            raw_kind="unsupported",
        )
    ]


@pytest.mark.parametrize(
    ("name", "state", "ts"),
    [
        ("whatsapp_status_sent", DeliveryState.SENT, 1750263771000),
        ("whatsapp_status_delivered", DeliveryState.DELIVERED, 1750263773000),
        ("whatsapp_status_read", DeliveryState.READ, 1750263790000),
    ],
)
def test_whatsapp_statuses(name: str, state: DeliveryState, ts: int) -> None:
    assert parse(name) == [
        whatsapp(
            EventKind.STATUS,
            f"{OUT_WAMID}#{state.value}",
            ts,
            customer=Customer(WA_ID),
            message_id=OUT_WAMID,
            status=state,
            raw_kind="statuses",
        )
    ]


def test_whatsapp_failed_status_carries_the_error() -> None:
    wamid = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJGQUlMRUQwMDExMjIzMzQ0NTUA"
    assert parse("whatsapp_status_failed") == [
        whatsapp(
            EventKind.STATUS,
            f"{wamid}#failed",
            1750263800000,
            customer=Customer(WA_ID),
            message_id=wamid,
            status=DeliveryState.FAILED,
            status_error="131047: Re-engagement message",
            raw_kind="statuses",
        )
    ]


def test_whatsapp_top_level_errors_are_kept_raw() -> None:
    doc = load("meta", "whatsapp_errors")
    [event] = parse("whatsapp_errors")
    assert_unknown(
        event,
        channel=Channel.WHATSAPP,
        account_id=PHONE_ID,
        raw_kind="errors",
        raw=doc["entry"][0]["changes"][0]["value"]["errors"][0],
        ts=0,  # errors carry no time of their own
    )


def test_whatsapp_status_of_an_unknown_kind_is_kept_raw() -> None:
    doc = load("meta", "whatsapp_status_read")
    status = doc["entry"][0]["changes"][0]["value"]["statuses"][0]
    status["status"] = "deleted"
    [event] = parse_doc(doc)
    assert_unknown(
        event, channel=Channel.WHATSAPP, account_id=PHONE_ID, raw_kind="statuses", raw=status, ts=1750263790000
    )


# --- batches ----------------------------------------------------------------------------------
def test_mixed_batch_parses_every_entry_and_every_element_in_order() -> None:
    doc = load("meta", "batch_mixed")
    events = parse("batch_mixed")
    assert [(e.kind, e.channel, e.event_id) for e in events if e.kind is not EventKind.UNKNOWN] == [
        (EventKind.MESSAGE, Channel.MESSENGER, "m_batch_0001_Zm9vYmFy"),
        (EventKind.ECHO, Channel.MESSENGER, "m_batch_0002_ZWNobw"),
        (EventKind.STATUS, Channel.MESSENGER, f"read:{PSID}:1749420000200"),
        (EventKind.MESSAGE, Channel.MESSENGER, "m_batch_0003_YmF6"),
        (EventKind.STATUS, Channel.MESSENGER, "m_batch_0000_b2xk#delivered"),
        (EventKind.STATUS, Channel.MESSENGER, f"delivery:{PSID2}:1749420000000"),
        (EventKind.REACTION, Channel.MESSENGER, events[6].event_id),
        (EventKind.PUBLIC_POST, Channel.FACEBOOK_COMMENT, "1102938475610293_872634510300000"),
    ]
    reaction = events[6]
    assert (reaction.message_id, reaction.emoji) == (
        "m_batch_0000_b2xk",
        doc["entry"][1]["messaging"][2]["reaction"]["emoji"],
    )
    assert not [e for e in events if e.kind is EventKind.UNKNOWN]
    assert events[3].text == "Où est ma commande ? 🇫🇷"
    assert events[3].customer == Customer(PSID2)
    assert events[-1].customer == ANN
    # Ordering is by platform time, not position: entry 2's message is the oldest.
    delivery = adapter.parse(wire_body("meta", "batch_mixed"), Verification())
    assert [e.timestamp_ms for e in delivery.sorted_events()] == sorted(e.timestamp_ms for e in events)


def test_one_bad_element_becomes_unknown_and_the_rest_survive() -> None:
    doc = load("meta", "batch_mixed")
    bad = {"sender": {"id": PSID}, "recipient": {"id": PAGE}, "timestamp": 1749420000500, "message": {"text": "no mid"}}
    doc["entry"][0]["messaging"].insert(1, bad)
    doc["entry"][2]["changes"].append({"field": "feed", "value": "not an object"})
    events = parse_doc(doc)
    good = parse("batch_mixed")
    assert [e for e in events if e.raw_kind not in ("message", "feed")] == [
        e for e in good if e.raw_kind not in ("message", "feed")
    ]
    assert len(events) == len(good) + 2
    unknown = [e for e in events if e.kind is EventKind.UNKNOWN]
    assert {e.raw_kind for e in unknown} == {"message", "feed"}
    [no_mid] = [e for e in unknown if e.raw_kind == "message"]
    assert no_mid.raw == bad
    assert no_mid.timestamp_ms == 1749420000500
    assert sum(e.kind is EventKind.MESSAGE for e in events) == 2


def test_a_thousand_entry_batch_yields_a_thousand_messages() -> None:
    entries = [
        {
            "id": PAGE,
            "time": 1749420000000 + i,
            "messaging": [
                {
                    "sender": {"id": f"psid-{i % 37}"},
                    "recipient": {"id": PAGE},
                    "timestamp": 1749420000000 + i,
                    "message": {"mid": f"m_{i:04d}", "text": f"nº{i} 😟"},
                }
            ],
        }
        for i in range(1000)
    ]
    events = parse_doc({"object": "page", "entry": entries})
    assert [e.event_id for e in events] == [f"m_{i:04d}" for i in range(1000)]
    assert {e.kind for e in events} == {EventKind.MESSAGE}


def test_the_same_unknown_element_has_the_same_id_in_any_batch() -> None:
    doc = load("meta", "messenger_reaction")
    optin = {"type": "notification_messages", "payload": "ORDER_UPDATES", "title": "Order updates"}
    doc["entry"][0]["messaging"][0]["optin"] = optin
    del doc["entry"][0]["messaging"][0]["reaction"]
    [alone] = parse_doc(doc)
    assert (alone.kind, alone.raw_kind) == (EventKind.UNKNOWN, "optin")
    batched = load("meta", "batch_mixed")
    batched["entry"][0]["messaging"].append(doc["entry"][0]["messaging"][0])
    [again] = [e for e in parse_doc(batched) if e.raw == alone.raw]
    assert again.event_id == alone.event_id


def test_instagram_dm_delivered_as_a_messages_change() -> None:
    doc = load("meta", "instagram_dm")
    entry = doc["entry"][0]
    entry["changes"] = [{"field": "messages", "value": entry.pop("messaging")[0]}]
    assert parse_doc(doc) == parse("instagram_dm")


def test_an_id_too_long_to_be_a_platform_id_makes_its_element_unknown() -> None:
    """Ids go into DynamoDB keys; an absurd one must not make an item DynamoDB refuses forever."""
    doc = load("meta", "batch_mixed")
    element = doc["entry"][0]["messaging"][0]
    element["message"]["mid"] = "m_" + "x" * 400
    events = parse_doc(doc)
    [odd] = [e for e in events if e.raw is not None and e.raw == element]
    assert (odd.kind, odd.raw_kind) == (EventKind.UNKNOWN, "message")
    assert len(odd.event_id) < 100
    assert len(events) == len(parse("batch_mixed"))
    doc["entry"][0]["id"] = "9" * 400
    with pytest.raises(MalformedPayload, match=r"entry\[0\].id is missing or not an id"):
        parse_doc(doc)


def test_entry_with_none_of_the_known_arrays_is_kept_raw() -> None:
    entry = {"id": PAGE, "time": 1749420000, "hop_context": [{"app_id": 1}]}
    [event] = parse_doc({"object": "page", "entry": [entry]})
    assert_unknown(event, channel=Channel.FACEBOOK_COMMENT, account_id=PAGE, raw_kind="entry", raw=entry, ts=0)


def test_standby_messages_are_the_customers_marked_standby() -> None:
    """Another app owns the thread (handover): the message still shows on the case, marked standby."""
    doc = load("meta", "messenger_message")
    entry = doc["entry"][0]
    entry["standby"] = entry.pop("messaging")
    [event] = parse_doc(doc)
    [normal] = parse("messenger_message")
    assert event.standby is True
    assert event == replace(normal, standby=True)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not valid JSON"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b'{"object":"page","entry":[', "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"object":"page","entry":[],"x":NaN}', "not valid JSON"),
        (b'{"entry":[]}', "object must be one of"),
        (b'{"object":"user","entry":[]}', "object must be one of"),
        (b'{"object":"page"}', "entry must be a list"),
        (b'{"object":"page","entry":{"id":"1"}}', "entry must be a list"),
        (b'{"object":"page","entry":["x"]}', r"entry\[0\] must be an object"),
        (b'{"object":"page","entry":[{"time":1}]}', r"entry\[0\].id is missing"),
        (b'{"object":"page","entry":[{"id":"1","messaging":{}}]}', r"entry\[0\].messaging must be a list"),
        (b'{"object":"page","entry":' + b"[" * 70 + b"]" * 70 + b"}", "nests deeper"),
    ],
)
def test_bad_envelope_is_malformed_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedPayload, match=reason):
        adapter.parse(body, Verification())


def test_empty_entry_list_is_a_valid_delivery_of_nothing() -> None:
    assert adapter.parse(b'{"object":"page","entry":[]}', Verification()).events == ()
