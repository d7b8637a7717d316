"""Telegram Bot API webhooks: one ``Update`` per POST, authenticated by the bot's secret token.

The bot is known from which secret token matched (``Verification.account_id``), not from the
payload. Telegram message ids are only unique within a chat, so messages are identified as
``"<chat id>:<message id>"``.

What becomes what:

- ``message`` that carries the customer's words or content -> MESSAGE (text or caption; photo,
  document, voice, video, sticker as attachments; a contact, location or venue as an attachment
  with a caption; a poll as its question); the bot's own -> ECHO;
- a service message (pins, members joining or leaving, chat title or photo changes, payments,
  forum topic events, video chats, giveaways...) and dice, games and invoices carry no words of
  the customer: never a blank case, but UNKNOWN with reason ``service_message``, raw kind
  ``message.<field>``, kept raw;
- ``edited_message`` -> EDIT (one per ``edit_date``);
- ``message_reaction`` -> REACTION of the message (``new_reaction`` empty: the reaction was removed);
- every other update (``callback_query``, ``channel_post``, ``my_chat_member``, reaction counts...)
  and any message that cannot be read -> UNKNOWN, kept raw.

UNKNOWN events and reactions are identified as ``update:<update_id>``. A body that is not an
Update with a 64-bit ``update_id`` is malformed. There is no GET handshake.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
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
    content_digest,
    event_time,
    load_json_object,
    loose_str,
    not_modelled,
    obj,
    opt_list,
    opt_obj,
    opt_str,
    req_id,
    shape_error,
    unknown_customer,
    with_received_time,
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
# Content a customer sends (beside text and captions); any other content field is a service
# message (pinned_message, new_chat_members, successful_payment, forum_topic_created...) or
# carries no words of the customer (dice, game, invoice).
_CUSTOMER_CONTENT = frozenset({*_MEDIA, "location", "venue", "contact", "poll", "story", "paid_media"})


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
        event = _parse_update(update, update_id, verification.account_id)
        return ParsedDelivery(
            platform=Platform.TELEGRAM, events=with_received_time([event], verification.received_at_ms)
        )


def _parse_update(update: JsonObject, update_id: int, bot_id: str) -> PlatformEvent:
    kind = next((key for key in update if key != "update_id"), "update")
    content = update.get(kind)
    raw_kind, reason = kind, "not_modelled"
    try:
        if kind == "message":
            return _message(obj(update, kind), bot_id)
        if kind == "edited_message":
            return _edit(obj(update, kind), bot_id)
        if kind == "message_reaction":
            return replace(_reaction(obj(update, kind), bot_id, update_id), raw=update)
    except EventShapeError as exc:
        raw_kind, reason = exc.raw_kind or kind, str(exc)
    except ValueError as exc:
        reason = str(exc)
    # channel_post, callback_query, my_chat_member..., a service message, or a message we cannot read
    timestamp, estimated = event_time(content.get("date") if isinstance(content, dict) else None)
    return PlatformEvent(
        kind=EventKind.UNKNOWN,
        platform=Platform.TELEGRAM,
        channel=_CHANNEL,
        account_id=bot_id,
        event_id=f"update:{update_id}",  # update ids are unique and sequential per bot
        timestamp_ms=timestamp,
        timestamp_estimated=estimated,
        raw_kind=raw_kind,
        raw=update,
        reason=reason,
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
    return _person(sender), False


def _person(user: JsonObject) -> Customer:
    names = [n for n in (loose_str(user, "first_name"), loose_str(user, "last_name")) if n]
    return Customer(user_id=req_id(user, "id"), name=" ".join(names) or None, handle=loose_str(user, "username"))


def _message(message: JsonObject, bot_id: str) -> PlatformEvent:
    chat_id, message_id = _ids(message)
    if _text(message) is None and not _CUSTOMER_CONTENT.intersection(message):
        field = next((key for key in message if key not in _MESSAGE_META), "empty")
        not_modelled(f"message.{field}", "service_message")  # never a blank case
    customer, echo = _customer(message, chat_id, bot_id)
    reply = opt_obj(message, "reply_to_message")
    reply_to_id = _ids(reply)[1] if reply is not None else None
    timestamp, estimated = event_time(message.get("date"))
    return PlatformEvent(
        kind=EventKind.ECHO if echo else EventKind.MESSAGE,
        platform=Platform.TELEGRAM,
        channel=_CHANNEL,
        account_id=bot_id,
        event_id=message_id,
        timestamp_ms=timestamp,
        timestamp_estimated=estimated,
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
    edit_time, estimated = event_time(message.get("edit_date"), message.get("date"))
    text = _text(message)
    # One edit per edit_date; without one, the new text tells edits apart.
    number = content_digest(text)[:16] if estimated else str(edit_time // 1000)
    return PlatformEvent(
        kind=EventKind.EDIT,
        platform=Platform.TELEGRAM,
        channel=_CHANNEL,
        account_id=bot_id,
        event_id=f"{message_id}#edit#{number}",
        timestamp_ms=edit_time,
        timestamp_estimated=estimated,
        customer=customer,
        message_id=message_id,
        text=text,
        attachments=_attachments(message),
        conversation_ref=chat_id,
        raw_kind="edited_message",
    )


def _reaction(reaction: JsonObject, bot_id: str, update_id: int) -> PlatformEvent:
    """A ``message_reaction``: the customer's reaction to a message is now ``new_reaction``."""
    chat_id = req_id(obj(reaction, "chat"), "id")
    message_id = f"{chat_id}:{req_id(reaction, 'message_id')}"
    user = opt_obj(reaction, "user")
    if user is None:  # an anonymous admin reacting as the chat
        actor = obj(reaction, "actor_chat")
        customer = Customer(user_id=req_id(actor, "id"), name=loose_str(actor, "title"))
    else:
        if req_id(user, "id") == bot_id:
            not_modelled("message_reaction", "brand_reaction")
        customer = _person(user)
    timestamp, estimated = event_time(reaction.get("date"))
    return PlatformEvent(
        kind=EventKind.REACTION,
        platform=Platform.TELEGRAM,
        channel=_CHANNEL,
        account_id=bot_id,
        event_id=f"update:{update_id}",
        timestamp_ms=timestamp,
        timestamp_estimated=estimated,
        customer=customer,
        message_id=message_id,
        emoji=_reaction_emoji(opt_list(reaction, "new_reaction")),
        conversation_ref=chat_id,
        raw_kind="message_reaction",
    )


def _reaction_emoji(reactions: list[Any]) -> str | None:
    """The first reaction now given (an emoji, or the name of a custom or paid one); None: removed."""
    for item in reactions:
        if isinstance(item, dict):
            return loose_str(item, "emoji") or loose_str(item, "type") or "other"
    return None


def _text(message: JsonObject) -> str | None:
    """The customer's words: the text, a media caption, or a poll's question."""
    text = opt_str(message, "text") or opt_str(message, "caption")
    if text is None:
        poll = message.get("poll")
        text = loose_str(poll if isinstance(poll, dict) else None, "question")
    return text


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
            label = ", ".join(p for p in (loose_str(place, "title"), loose_str(place, "address")) if p)
            return (Attachment(kind="location", url=url, caption=label or None),)
    contact = message.get("contact")
    if isinstance(contact, dict):
        names = (loose_str(contact, "first_name"), loose_str(contact, "last_name"), loose_str(contact, "phone_number"))
        return (Attachment(kind="contact", caption=" ".join(p for p in names if p) or None),)
    poll = message.get("poll")
    if isinstance(poll, dict):
        options = [loose_str(o, "text") for o in opt_list(poll, "options") if isinstance(o, dict)]
        return (Attachment(kind="poll", caption=" / ".join(o for o in options if o) or None),)
    other = next((key for key in ("story", "paid_media") if key in message), None)
    return (Attachment(kind=other),) if other is not None else ()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
