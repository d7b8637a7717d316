"""Webhook payloads in each platform's real shape, for tests, the local sandbox and the demo.

Builders return plain dicts (JSON-ready). Meta events go into an entry with ``meta_entry`` and
entries into a delivery with ``meta_delivery`` (one POST may batch many of both); X arrays go into
``x_delivery``; a Telegram update is a whole delivery by itself. ``encode_*`` turn a payload into
the exact bytes the platform sends, which is what gets signed (see ``signing``).

Shapes follow the platforms' documentation (see PLATFORMS.md); identifiers default to
realistic-looking values so a payload can be built with only what a test cares about.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

Payload = dict[str, Any]


# --- serialisation --------------------------------------------------------------------------
def encode_meta(payload: Mapping[str, Any]) -> bytes:
    """Meta's bytes: compact JSON with every non-ASCII character escaped (``\\u00e4``, surrogate
    pairs for emoji). Its signature covers exactly these bytes."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def encode_x(payload: Mapping[str, Any]) -> bytes:
    """X sends UTF-8 JSON, non-ASCII characters as themselves."""
    return _utf8_json(payload)


def encode_telegram(update: Mapping[str, Any]) -> bytes:
    """Telegram sends UTF-8 JSON, non-ASCII characters as themselves."""
    return _utf8_json(update)


def _utf8_json(doc: Mapping[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- Meta envelope --------------------------------------------------------------------------
def meta_entry(account_id: str, events: Iterable[Payload], *, time: int | None = None) -> Payload:
    """One ``entry[]`` object for a Page, IG account or WABA.

    ``events`` may mix messaging events and changes (``{"field", "value"}``); they are filed under
    ``messaging`` and ``changes``. ``time`` is ms for Messenger, seconds for feed/Instagram
    comments, and absent for WhatsApp, as Meta sends it.
    """
    messaging: list[Payload] = []
    changes: list[Payload] = []
    for event in events:
        (changes if "field" in event and "value" in event else messaging).append(event)
    entry: Payload = {"id": account_id}
    if time is not None:
        entry["time"] = time
    if messaging:
        entry["messaging"] = messaging
    if changes:
        entry["changes"] = changes
    return entry


def meta_delivery(object_type: str, entries: Iterable[Payload]) -> Payload:
    """``{"object": "page" | "instagram" | "whatsapp_business_account", "entry": [...]}``."""
    return {"object": object_type, "entry": list(entries)}


def _messaging(sender: str, recipient: str, timestamp_ms: int | None, **body: Any) -> Payload:
    event: Payload = {"sender": {"id": sender}, "recipient": {"id": recipient}}
    if timestamp_ms is not None:
        event["timestamp"] = timestamp_ms
    event.update(body)
    return event


def _message(mid: str, text: str | None, attachments: Sequence[tuple[str, str]], reply_to_mid: str | None) -> Payload:
    """The ``message`` object Messenger and Instagram DMs share; attachments are (type, url) pairs."""
    message: Payload = {"mid": mid}
    if text is not None:
        message["text"] = text
    if attachments:
        message["attachments"] = [{"type": kind, "payload": {"url": url}} for kind, url in attachments]
    if reply_to_mid is not None:
        message["reply_to"] = {"mid": reply_to_mid}
    return message


# --- Messenger ------------------------------------------------------------------------------
def messenger_message(
    page_id: str,
    psid: str,
    mid: str,
    text: str | None,
    timestamp_ms: int,
    *,
    attachments: Sequence[tuple[str, str]] = (),
    reply_to_mid: str | None = None,
    quick_reply_payload: str | None = None,
) -> Payload:
    """A customer's message; ``attachments`` are (type, url) pairs: image, audio, video, file..."""
    message = _message(mid, text, attachments, reply_to_mid)
    if quick_reply_payload is not None:
        message["quick_reply"] = {"payload": quick_reply_payload}
    return _messaging(psid, page_id, timestamp_ms, message=message)


def messenger_echo(
    page_id: str, psid: str, mid: str, text: str, timestamp_ms: int, *, app_id: int = 1517776481860111
) -> Payload:
    """The Page's own message (sent by this system or from the Page inbox), echoed back."""
    message = {"is_echo": True, "app_id": app_id, "mid": mid, "text": text}
    return _messaging(page_id, psid, timestamp_ms, message=message)


def messenger_edit(page_id: str, psid: str, mid: str, text: str, num_edit: int, timestamp_ms: int) -> Payload:
    return _messaging(psid, page_id, timestamp_ms, message_edit={"mid": mid, "text": text, "num_edit": num_edit})


def messenger_read(page_id: str, psid: str, watermark_ms: int, timestamp_ms: int) -> Payload:
    """The customer read everything the Page sent up to ``watermark_ms``."""
    return _messaging(psid, page_id, timestamp_ms, read={"watermark": watermark_ms})


def messenger_delivered(page_id: str, psid: str, watermark_ms: int, *, mids: Sequence[str] = ()) -> Payload:
    """A delivery receipt; Meta sends these without a timestamp, and ``mids`` may be missing."""
    delivery: Payload = {"watermark": watermark_ms}
    if mids:
        delivery["mids"] = list(mids)
    return _messaging(psid, page_id, None, delivery=delivery)


def messenger_postback(page_id: str, psid: str, title: str, payload: str, timestamp_ms: int, mid: str) -> Payload:
    return _messaging(psid, page_id, timestamp_ms, postback={"title": title, "payload": payload, "mid": mid})


def messenger_reaction(page_id: str, psid: str, mid: str, emoji: str, timestamp_ms: int) -> Payload:
    reaction = {"mid": mid, "action": "react", "reaction": "other", "emoji": emoji}
    return _messaging(psid, page_id, timestamp_ms, reaction=reaction)


# --- Instagram DMs --------------------------------------------------------------------------
def instagram_dm(
    ig_id: str,
    igsid: str,
    mid: str,
    text: str | None,
    timestamp_ms: int,
    *,
    attachments: Sequence[tuple[str, str]] = (),
    reply_to_mid: str | None = None,
    is_unsupported: bool = False,
) -> Payload:
    message = _message(mid, text, attachments, reply_to_mid)
    if is_unsupported:
        message["is_unsupported"] = True
    return _messaging(igsid, ig_id, timestamp_ms, message=message)


def instagram_echo(ig_id: str, igsid: str, mid: str, text: str, timestamp_ms: int) -> Payload:
    return _messaging(ig_id, igsid, timestamp_ms, message={"mid": mid, "text": text, "is_echo": True})


def instagram_unsend(ig_id: str, igsid: str, mid: str, timestamp_ms: int) -> Payload:
    """The customer unsent a DM."""
    return _messaging(igsid, ig_id, timestamp_ms, message={"mid": mid, "is_deleted": True})


def instagram_seen(ig_id: str, igsid: str, mid: str, timestamp_ms: int) -> Payload:
    """``messaging_seen``: the customer saw the account's message ``mid``."""
    return _messaging(igsid, ig_id, timestamp_ms, read={"mid": mid})


# --- Facebook Page feed and Instagram comments (changes[]) ----------------------------------
def facebook_comment(
    page_id: str,
    post_id: str,
    comment_id: str,
    user_id: str,
    user_name: str,
    message: str | None,
    created_time_s: int,
    *,
    parent_id: str | None = None,
    verb: str = "add",
    photo: str | None = None,
) -> Payload:
    """A comment on one of the Page's posts; top-level unless ``parent_id`` names another comment.

    ``user_id == page_id`` is the Page's own comment. ``page_id`` is part of the shape only
    through ``post_id`` ("<page>_<post>"), so it is checked for consistency here.
    """
    if not post_id.startswith(f"{page_id}_"):
        raise ValueError("Page post ids are '<page id>_<post id>'")
    value: Payload = {
        "from": {"id": user_id, "name": user_name},
        "post": {"status_type": "added_photos", "is_published": True, "updated_time": _iso(created_time_s)},
        "item": "comment",
        "verb": verb,
        "comment_id": comment_id,
        "post_id": post_id,
        "parent_id": parent_id or post_id,
        "created_time": created_time_s,
    }
    if message is not None:
        value["message"] = message
    if photo is not None:
        value["photo"] = photo
    return {"field": "feed", "value": value}


def facebook_post(
    post_id: str, user_id: str, user_name: str, message: str, created_time_s: int, *, verb: str = "add"
) -> Payload:
    """A visitor post on the Page (item "status")."""
    value = {
        "from": {"id": user_id, "name": user_name},
        "item": "status",
        "verb": verb,
        "post_id": post_id,
        "message": message,
        "published": 1,
        "created_time": created_time_s,
    }
    return {"field": "feed", "value": value}


def facebook_reaction(post_id: str, user_id: str, user_name: str, reaction_type: str, created_time_s: int) -> Payload:
    value = {
        "from": {"id": user_id, "name": user_name},
        "item": "reaction",
        "verb": "add",
        "post_id": post_id,
        "parent_id": post_id,
        "reaction_type": reaction_type,
        "created_time": created_time_s,
    }
    return {"field": "feed", "value": value}


def instagram_comment(
    comment_id: str,
    user_id: str,
    username: str,
    text: str,
    media_id: str,
    *,
    parent_id: str | None = None,
    field: str = "comments",
    media_product_type: str = "FEED",
) -> Payload:
    """A comment on the account's media (``field="live_comments"`` during a live broadcast)."""
    value: Payload = {
        "from": {"id": user_id, "username": username},
        "media": {"id": media_id, "media_product_type": media_product_type},
        "id": comment_id,
        "text": text,
    }
    if parent_id is not None:
        value["parent_id"] = parent_id
    return {"field": field, "value": value}


def instagram_mention(media_id: str, comment_id: str | None = None) -> Payload:
    """An @mention in a comment (``comment_id``) or a media caption (no ``comment_id``): ids only."""
    value: Payload = {"media_id": media_id}
    if comment_id is not None:
        value["comment_id"] = comment_id
    return {"field": "mentions", "value": value}


# --- WhatsApp Cloud API ---------------------------------------------------------------------
def whatsapp_value(
    phone_number_id: str,
    *,
    contacts: Sequence[Payload] = (),
    messages: Sequence[Payload] = (),
    statuses: Sequence[Payload] = (),
    display_phone_number: str = "15550783881",
) -> Payload:
    """A ``messages`` change of a WhatsApp Business Account (put it in ``meta_entry(waba_id, ...)``)."""
    value: Payload = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": display_phone_number, "phone_number_id": phone_number_id},
    }
    if contacts:
        value["contacts"] = list(contacts)
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {"field": "messages", "value": value}


def wa_contact(wa_id: str, name: str, *, user_id: str | None = None) -> Payload:
    """``user_id`` is the business-scoped user id (BSUID) Meta adds alongside the phone number."""
    contact: Payload = {"profile": {"name": name}, "wa_id": wa_id}
    if user_id is not None:
        contact["user_id"] = user_id
    return contact


def wa_message(
    wamid: str,
    wa_id: str,
    timestamp_s: int,
    message_type: str,
    content: Payload | None = None,
    *,
    context_id: str | None = None,
    from_user_id: str | None = None,
) -> Payload:
    """Any inbound message type: ``content`` goes under the type's key (``{"body": ...}`` for text)."""
    message: Payload = {"from": wa_id, "id": wamid, "timestamp": str(timestamp_s), "type": message_type}
    if from_user_id is not None:
        message["from_user_id"] = from_user_id
    if context_id is not None:
        message["context"] = {"from": "15550783881", "id": context_id}
    if content is not None:
        message[message_type] = content
    return message


def whatsapp_message(
    phone_number_id: str,
    wa_id: str,
    wamid: str,
    text: str,
    timestamp_s: int,
    *,
    name: str = "Sheena Nelson",
    user_id: str | None = None,
    context_id: str | None = None,
) -> Payload:
    """A customer's text message, with the contact card Meta sends alongside it."""
    return whatsapp_value(
        phone_number_id,
        contacts=[wa_contact(wa_id, name, user_id=user_id)],
        messages=[wa_message(wamid, wa_id, timestamp_s, "text", {"body": text}, context_id=context_id)],
    )


def wa_status(
    wamid: str,
    status: str,
    recipient_id: str,
    timestamp_s: int,
    *,
    errors: Sequence[tuple[int, str]] = (),
) -> Payload:
    """One ``statuses[]`` element; ``errors`` are (code, title) pairs, sent with ``failed``."""
    element: Payload = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp_s),
        "recipient_id": recipient_id,
    }
    if status in ("sent", "delivered"):
        element["conversation"] = {"id": "c0ffee00c0ffee00c0ffee00c0ffee00", "origin": {"type": "service"}}
        element["pricing"] = {"billable": False, "pricing_model": "PMP", "category": "service"}
    if errors:
        element["errors"] = [
            {"code": code, "title": title, "message": title, "error_data": {"details": title}} for code, title in errors
        ]
    return element


def whatsapp_status(
    phone_number_id: str,
    wamid: str,
    status: str,
    recipient_id: str,
    timestamp_s: int,
    *,
    errors: Sequence[tuple[int, str]] = (),
) -> Payload:
    """The status of a message the business sent: sent, delivered, read, played or failed."""
    return whatsapp_value(
        phone_number_id, statuses=[wa_status(wamid, status, recipient_id, timestamp_s, errors=errors)]
    )


# --- X Account Activity API -----------------------------------------------------------------
def x_user(
    user_id: str,
    screen_name: str,
    name: str | None = None,
    *,
    created_at_ms: int | None = None,
    followers: int = 42,
    verified: bool = False,
) -> Payload:
    """A v1.1 user object; ``created_at_ms`` gives it the account's creation time (``created_at``)."""
    user: Payload = {
        "id": int(user_id),
        "id_str": user_id,
        "name": name or screen_name,
        "screen_name": screen_name,
        "protected": False,
        "verified": verified,
        "followers_count": followers,
        "profile_image_url_https": f"https://pbs.twimg.com/profile_images/{user_id}/normal.jpg",
    }
    if created_at_ms is not None:
        user["created_at"] = _x_created_at(created_at_ms)
    return user


def x_tweet(
    tweet_id: str,
    user: Payload,
    text: str,
    timestamp_ms: int,
    *,
    in_reply_to: tuple[str, Payload] | None = None,
    mentions: Sequence[Payload] = (),
    media_urls: Sequence[str] = (),
) -> Payload:
    """A v1.1 tweet object. ``in_reply_to`` is (tweet id, author user object); ``mentions`` are
    user objects. Texts over 140 characters are truncated with the full text in ``extended_tweet``,
    as the API does."""
    entities: Payload = {
        "hashtags": [],
        "urls": [],
        "symbols": [],
        "user_mentions": [
            {"id": int(u["id_str"]), "id_str": u["id_str"], "screen_name": u["screen_name"], "name": u["name"]}
            for u in mentions
        ],
    }
    if media_urls:
        entities["media"] = [
            {"id_str": f"{tweet_id}{i}", "type": "photo", "media_url_https": url} for i, url in enumerate(media_urls)
        ]
    tweet: Payload = {
        "created_at": _x_created_at(timestamp_ms),
        "id": int(tweet_id),
        "id_str": tweet_id,
        "text": text,
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "truncated": False,
        "in_reply_to_status_id": None,
        "in_reply_to_status_id_str": None,
        "in_reply_to_user_id": None,
        "in_reply_to_user_id_str": None,
        "in_reply_to_screen_name": None,
        "user": user,
        "is_quote_status": False,
        "entities": entities,
        "lang": "en",
        "timestamp_ms": str(timestamp_ms),
    }
    if in_reply_to is not None:
        status_id, author = in_reply_to
        tweet |= {
            "in_reply_to_status_id": int(status_id),
            "in_reply_to_status_id_str": status_id,
            "in_reply_to_user_id": int(author["id_str"]),
            "in_reply_to_user_id_str": author["id_str"],
            "in_reply_to_screen_name": author["screen_name"],
        }
    if len(text) > 140:
        tweet |= {
            "text": text[:139] + "…",
            "truncated": True,
            "extended_tweet": {"full_text": text, "entities": entities},
        }
    return tweet


def x_dm(
    event_id: str,
    sender_id: str,
    recipient_id: str,
    text: str,
    created_timestamp_ms: int,
    *,
    media_url: str | None = None,
) -> Payload:
    """A ``direct_message_events[]`` element (``message_create``)."""
    message_data: Payload = {"text": text, "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}}
    if media_url is not None:
        message_data["attachment"] = {
            "type": "media",
            "media": {"id_str": f"{event_id}1", "type": "photo", "media_url_https": media_url},
        }
    return {
        "type": "message_create",
        "id": event_id,
        "created_timestamp": str(created_timestamp_ms),
        "message_create": {
            "target": {"recipient_id": recipient_id},
            "sender_id": sender_id,
            "message_data": message_data,
        },
    }


def x_dm_echo(event_id: str, brand_id: str, customer_id: str, text: str, created_timestamp_ms: int) -> Payload:
    """A DM the brand sent (from this system or X's own app): sender is the brand."""
    dm = x_dm(event_id, brand_id, customer_id, text, created_timestamp_ms)
    dm["message_create"]["source_app_id"] = "268278"
    return dm


def x_tweet_delete(tweet_id: str, user_id: str, timestamp_ms: int) -> Payload:
    return {"status": {"id": tweet_id, "user_id": user_id}, "timestamp_ms": str(timestamp_ms)}


def x_mark_read(reader_id: str, other_id: str, last_read_event_id: str, created_timestamp_ms: int) -> Payload:
    """``reader_id`` read the conversation with ``other_id`` up to ``last_read_event_id``."""
    return {
        "created_timestamp": str(created_timestamp_ms),
        "sender_id": reader_id,
        "target": {"recipient_id": other_id},
        "last_read_event_id": last_read_event_id,
    }


def x_typing(sender_id: str, recipient_id: str, created_timestamp_ms: int) -> Payload:
    return {
        "created_timestamp": str(created_timestamp_ms),
        "sender_id": sender_id,
        "target": {"recipient_id": recipient_id},
    }


def x_favorite(favorite_id: str, user: Payload, tweet: Payload, timestamp_ms: int) -> Payload:
    return {
        "id": favorite_id,
        "created_at": _x_created_at(timestamp_ms),
        "timestamp_ms": timestamp_ms,
        "favorited_status": tweet,
        "user": user,
    }


def x_follow(source: Payload, target: Payload, timestamp_ms: int, *, unfollow: bool = False) -> Payload:
    return {
        "type": "unfollow" if unfollow else "follow",
        "created_timestamp": str(timestamp_ms),
        "target": target,
        "source": source,
    }


def x_delivery(for_user_id: str, *, users: Iterable[Payload] = (), **arrays: Any) -> Payload:
    """``{"for_user_id": ..., "<kind>_events": [...], "users": {id: profile}}``.

    ``users`` are ``x_user`` objects, turned into the id-keyed map DM deliveries carry (the creation
    time as ``created_timestamp`` in ms, as DM deliveries write it).
    """
    delivery: Payload = {"for_user_id": for_user_id, **arrays}
    profiles = {u["id_str"]: _x_dm_profile(u) for u in users}
    if profiles:
        delivery["users"] = profiles
    return delivery


def _x_dm_profile(user: Payload) -> Payload:
    profile: Payload = {
        "id": user["id_str"],
        "name": user["name"],
        "screen_name": user["screen_name"],
        "protected": False,
        "verified": user["verified"],
        "followers_count": user["followers_count"],
    }
    if "created_at" in user:
        _weekday, month, day, clock, _offset, year = user["created_at"].split()
        hour, minute, second = (int(part) for part in clock.split(":"))
        created = datetime(int(year), _MONTHS.index(month) + 1, int(day), hour, minute, second, tzinfo=UTC)
        profile["created_timestamp"] = str(int(created.timestamp()) * 1000)
    return profile


# --- Telegram Bot API -----------------------------------------------------------------------
def telegram_user(
    user_id: int, first_name: str, *, last_name: str | None = None, username: str | None = None
) -> Payload:
    user: Payload = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}
    if last_name is not None:
        user["last_name"] = last_name
    if username is not None:
        user["username"] = username
    return user


def telegram_chat(user_or_group: Payload | int, *, title: str | None = None, chat_type: str = "private") -> Payload:
    """A private chat with a user (pass the user object) or a group (pass its negative id)."""
    if isinstance(user_or_group, dict):
        chat = {k: v for k, v in user_or_group.items() if k in ("id", "first_name", "last_name", "username")}
        return {**chat, "type": "private"}
    return {"id": user_or_group, "title": title or "Support group", "type": chat_type}


def telegram_message(
    update_id: int,
    message_id: int,
    user: Payload,
    text: str | None,
    date_s: int,
    *,
    chat: Payload | None = None,
    reply_to: Payload | None = None,
    caption: str | None = None,
    photo_file_id: str | None = None,
    document: tuple[str, str] | None = None,
    voice_file_id: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Payload:
    """An update with a ``message``. ``chat`` defaults to the private chat with ``user``;
    ``reply_to`` is the message object replied to; ``document`` is (file_id, file_name)."""
    message = _telegram_message_object(message_id, user, text, date_s, chat=chat)
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    if photo_file_id is not None:
        message["photo"] = [
            {"file_id": f"{photo_file_id}-s", "file_unique_id": "AQADs", "width": 90, "height": 67, "file_size": 1234},
            {"file_id": photo_file_id, "file_unique_id": "AQADm", "width": 1280, "height": 960, "file_size": 98765},
        ]
    if document is not None:
        file_id, file_name = document
        message["document"] = {"file_name": file_name, "mime_type": "application/pdf", "file_id": file_id}
    if voice_file_id is not None:
        message["voice"] = {"duration": 3, "mime_type": "audio/ogg", "file_id": voice_file_id, "file_size": 6543}
    if caption is not None:
        message["caption"] = caption
    if extra:
        message.update(extra)
    return {"update_id": update_id, "message": message}


def telegram_edit(
    update_id: int,
    message_id: int,
    user: Payload,
    text: str,
    date_s: int,
    edit_date_s: int,
    *,
    chat: Payload | None = None,
) -> Payload:
    message = _telegram_message_object(message_id, user, text, date_s, chat=chat)
    message["edit_date"] = edit_date_s
    return {"update_id": update_id, "edited_message": message}


def telegram_update(update_id: int, kind: str, content: Payload) -> Payload:
    """Any other update kind: callback_query, channel_post, my_chat_member, message_reaction..."""
    return {"update_id": update_id, kind: content}


def _telegram_message_object(
    message_id: int, user: Payload, text: str | None, date_s: int, *, chat: Payload | None
) -> Payload:
    message: Payload = {
        "message_id": message_id,
        "from": user,
        "chat": chat if chat is not None else telegram_chat(user),
        "date": date_s,
    }
    if text is not None:
        message["text"] = text
    return message


# --- time formats ---------------------------------------------------------------------------
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _x_created_at(timestamp_ms: int) -> str:
    """X's ``created_at``: "Wed Oct 10 20:19:24 +0000 2018" (English names whatever the locale)."""
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    weekday, month = _WEEKDAYS[moment.weekday()], _MONTHS[moment.month - 1]
    return f"{weekday} {month} {moment.day:02d} {moment:%H:%M:%S} +0000 {moment.year}"


def _iso(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
