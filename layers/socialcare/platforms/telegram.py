"""Telegram Bot API webhooks: one ``Update`` per POST, authenticated by the bot's secret token.

The bot is known from which secret token matched (``Verification.account_id``), not from the
payload. Telegram message ids are only unique within a chat, so messages are identified as
``"<chat id>:<message id>"``.

What becomes what: ``message`` -> MESSAGE (text or caption; photo, document, voice, video,
location... as attachments; the bot's own -> ECHO), ``edited_message`` -> EDIT (one per
``edit_date``); every other update (``callback_query``, ``channel_post``, ``my_chat_member``,
reactions...) and any message that cannot be read -> UNKNOWN, kept raw, identified as
``update:<update_id>``. A body that is not an Update with a 64-bit ``update_id`` is malformed.
There is no GET handshake.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from socialcare.errors import EventShapeError, HandshakeUnsupported, MalformedPayload
from socialcare.model.events import (
    Attachment,
    Channel,
    Customer,
    EventKind,
    ParsedDelivery,
    Platform,
    PlatformEvent,
)
from socialcare.platforms.base import HandshakeReply, Verification
from socialcare.platforms.credentials import PlatformCredentials
from socialcare.platforms.fields import (
    JsonObject,
    first_ms,
    lenient_ms,
    load_json_object,
    loose_str,
    obj,
    opt_obj,
    opt_str,
    req_id,
    shape_error,
    unknown_customer,
)
from socialcare.platforms.signatures import TELEGRAM_SECRET_HEADER, match_telegram_secret

_CHANNEL = Channel.TELEGRAM
# Update ids are sequential 32-bit numbers in practice; anything beyond 64 bits is not one.
_MAX_UPDATE_ID = 2**63
# Message content that maps to an attachment kind; the first present one is taken.
_MEDIA = {
    "photo": "image",
    "document": "file",
    "voice": "audio",
    "audio": "audio",
    "video": "video",
    "video_note": "video",
    "animation": "animation",
    "sticker": "sticker",
}
# Message fields that describe a message rather than being its content.
_MESSAGE_META = frozenset(
    {
        "message_id", "message_thread_id", "from", "sender_chat", "sender_boost_count", "sender_business_bot",
        "date", "business_connection_id", "chat", "forward_origin", "forward_from", "forward_from_chat",
        "forward_from_message_id", "forward_signature", "forward_sender_name", "forward_date",
        "is_topic_message", "is_automatic_forward", "reply_to_message", "external_reply", "quote",
        "reply_to_story", "via_bot", "edit_date", "has_protected_content", "is_from_offline",
        "media_group_id", "author_signature", "text", "entities", "link_preview_options", "effect_id",
        "caption", "caption_entities", "show_caption_above_media", "has_media_spoiler", "reply_markup",
    }
)  # fmt: skip


class TelegramAdapter:
    platform = Platform.TELEGRAM

    def handshake(self, query: Mapping[str, str], credentials: PlatformCredentials) -> HandshakeReply:
        raise HandshakeUnsupported("Telegram webhooks have no handshake")

    def verify(self, headers: Mapping[str, str], body: bytes, credentials: PlatformCredentials) -> Verification:
        bots = ((bot.bot_id, bot.secret_token) for bot in credentials.telegram_bots)
        return Verification(account_id=match_telegram_secret(bots, headers.get(TELEGRAM_SECRET_HEADER)))

    def parse(self, body: bytes, verification: Verification) -> ParsedDelivery:
        if not verification.account_id:
            raise MalformedPayload("the delivery was not matched to a bot")
        update = load_json_object(body)
        update_id = update.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id < _MAX_UPDATE_ID:
            raise MalformedPayload("update_id must be a non-negative 64-bit integer")
        return ParsedDelivery(
            platform=Platform.TELEGRAM, events=(_parse_update(update, update_id, verification.account_id),)
        )


def _parse_update(update: JsonObject, update_id: int, bot_id: str) -> PlatformEvent:
    kind = next((key for key in update if key != "update_id"), "update")
    content = update.get(kind)
    try:
        if kind == "message":
            return _message(obj(update, kind), bot_id)
        if kind == "edited_message":
            return _edit(obj(update, kind), bot_id)
    except (EventShapeError, ValueError):
        pass
    # channel_post, callback_query, my_chat_member, message_reaction..., or a message we cannot read
    date = content.get("date") if isinstance(content, dict) else None
    return PlatformEvent(
        kind=EventKind.UNKNOWN,
        platform=Platform.TELEGRAM,
        channel=_CHANNEL,
        account_id=bot_id,
        event_id=f"update:{update_id}",  # update ids are unique and sequential per bot
        timestamp_ms=lenient_ms(date),
        raw_kind=kind,
        raw=update,
    )


def _ids(message: JsonObject) -> tuple[str, str]:
    """(chat id, "<chat id>:<message id>")."""
    chat_id = req_id(obj(message, "chat"), "id")
    return chat_id, f"{chat_id}:{req_id(message, 'message_id')}"


def _customer(message: JsonObject, chat_id: str, bot_id: str) -> tuple[Customer, bool]:
    """The customer, and whether the message is the bot's own (an echo)."""
    sender = opt_obj(message, "from")
    if sender is None:  # anonymous group admins and channels write as a chat
        sender = obj(message, "sender_chat")
        return Customer(user_id=req_id(sender, "id"), name=loose_str(sender, "title")), False
    user_id = req_id(sender, "id")
    if user_id == bot_id:
        # Bots do not normally receive their own messages; if one does, in a private chat the
        # chat id is the customer's user id, elsewhere the customer is not named.
        chat = obj(message, "chat")
        private = chat.get("type") == "private"
        return (Customer(user_id=chat_id) if private else unknown_customer(_ids(message)[1])), True
    names = [n for n in (loose_str(sender, "first_name"), loose_str(sender, "last_name")) if n]
    return Customer(user_id=user_id, name=" ".join(names) or None, handle=loose_str(sender, "username")), False


def _message(message: JsonObject, bot_id: str) -> PlatformEvent:
    chat_id, message_id = _ids(message)
    customer, echo = _customer(message, chat_id, bot_id)
    reply = opt_obj(message, "reply_to_message")
    reply_to_id = _ids(reply)[1] if reply is not None else None
    return PlatformEvent(
        kind=EventKind.ECHO if echo else EventKind.MESSAGE,
        platform=Platform.TELEGRAM,
        channel=_CHANNEL,
        account_id=bot_id,
        event_id=message_id,
        timestamp_ms=first_ms(message.get("date")),
        customer=customer,
        message_id=message_id,
        text=_text(message),
        attachments=_attachments(message),
        reply_to_id=reply_to_id,
        conversation_ref=chat_id,  # private chat: the user; group: the group, shared by its members
        raw_kind="message",
    )


def _edit(message: JsonObject, bot_id: str) -> PlatformEvent:
    chat_id, message_id = _ids(message)
    customer, _echo = _customer(message, chat_id, bot_id)
    edit_time = first_ms(message.get("edit_date"), message.get("date"))
    return PlatformEvent(
        kind=EventKind.EDIT,
        platform=Platform.TELEGRAM,
        channel=_CHANNEL,
        account_id=bot_id,
        event_id=f"{message_id}#edit#{edit_time // 1000}",
        timestamp_ms=edit_time,
        customer=customer,
        message_id=message_id,
        text=_text(message),
        attachments=_attachments(message),
        conversation_ref=chat_id,
        raw_kind="edited_message",
    )


def _text(message: JsonObject) -> str | None:
    return opt_str(message, "text") or opt_str(message, "caption")


def _attachments(message: JsonObject) -> tuple[Attachment, ...]:
    caption = loose_str(message, "caption")
    for key, kind in _MEDIA.items():
        media = message.get(key)
        if media is None:
            continue
        if key == "photo":
            # A list of sizes of one picture, smallest first: the last is the original.
            if not isinstance(media, list) or not media:
                shape_error("photo must be a non-empty list")
            media = media[-1]
        if not isinstance(media, dict):
            shape_error(f"{key} must be an object")
        file_id = loose_str(media, "file_id")
        url = f"telegram-file:{file_id}" if file_id else None
        return (Attachment(kind=kind, url=url, caption=caption),)
    for key in ("location", "venue"):
        place = message.get(key)
        if isinstance(place, dict):
            point = place.get("location") if key == "venue" else place
            point = point if isinstance(point, dict) else {}
            lat, lon = point.get("latitude"), point.get("longitude")
            url = f"geo:{lat},{lon}" if _is_number(lat) and _is_number(lon) else None
            return (Attachment(kind="location", url=url, caption=loose_str(place, "title")),)
    if _text(message) is None:
        # Contacts, polls, dice, service messages (members joining...): name what arrived.
        other = next((key for key in message if key not in _MESSAGE_META), None)
        if other is not None:
            return (Attachment(kind=other),)
    return ()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
