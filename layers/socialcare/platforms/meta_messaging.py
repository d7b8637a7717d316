"""Messenger and Instagram DM events (``entry[].messaging[]``), which share one shape.

Every event has ``sender.id``, ``recipient.id`` and a ``timestamp`` in ms; what it is depends on
which key it carries:

- ``message`` -> MESSAGE (ECHO when ``is_echo``: the customer is then the recipient; DELETE when
  Instagram's ``is_deleted``); attachments, ``reply_to.mid`` and Instagram story replies kept;
- ``message_edit`` -> EDIT, one per ``num_edit``;
- ``read`` / ``messaging_seen`` -> STATUS read (a watermark, or one ``mid`` on Instagram);
- ``delivery`` -> STATUS delivered, one per ``mids[]`` element plus one for the watermark;
- ``postback`` -> MESSAGE whose text is the button's title: the customer pressed a button
  ("Talk to a person"), which Messenger shows in the thread as their message;
- anything else (reactions, referrals, optins, handovers...) -> UNKNOWN, kept raw.
"""

from __future__ import annotations

from typing import Any

from socialcare.model.events import (
    Attachment,
    Channel,
    Customer,
    DeliveryState,
    EventKind,
    PlatformEvent,
)
from socialcare.platforms.fields import (
    JsonObject,
    first_ms,
    guarded,
    loose_str,
    not_modelled,
    obj,
    opt_id,
    opt_list,
    opt_obj,
    opt_str,
    req_id,
    shape_error,
    to_ms,
)

# Keys every messaging event has; the first other key says what kind of event it is.
_ENVELOPE_KEYS = frozenset({"sender", "recipient", "timestamp"})


def parse_messaging_event(event: Any, *, channel: Channel, account_id: str, entry_time: Any) -> list[PlatformEvent]:
    """One ``messaging[]`` element to events; never raises (not understood -> one UNKNOWN)."""
    kind = _kind_of(event)
    times = (event.get("timestamp"), entry_time) if isinstance(event, dict) else (entry_time,)

    def build() -> list[PlatformEvent]:
        if not isinstance(event, dict):
            shape_error("messaging event must be an object")
        parser = _PARSERS.get(kind)
        if parser is None:
            not_modelled(kind)  # reactions, referrals, optins, handovers...
        return parser(event, channel, account_id, entry_time)

    return guarded(build, channel=channel, account_id=account_id, raw_kind=kind, raw=event, times=times)


def _kind_of(event: Any) -> str:
    if not isinstance(event, dict):
        return "messaging"
    for key in _PARSERS:  # a modelled kind wins over extra keys Meta may add beside it
        if key in event:
            return key
    return next((key for key in event if key not in _ENVELOPE_KEYS), "messaging")


def _party(event: JsonObject, key: str) -> str:
    return req_id(obj(event, key), "id")


def _message(event: JsonObject, channel: Channel, account_id: str, entry_time: Any) -> list[PlatformEvent]:
    msg = obj(event, "message")
    mid = req_id(msg, "mid")
    echo = msg.get("is_echo") is True
    # On an echo the brand is the sender and the customer the recipient.
    customer = Customer(user_id=_party(event, "recipient" if echo else "sender"))
    timestamp = first_ms(event.get("timestamp"), entry_time)
    if msg.get("is_deleted") is True:  # Instagram "unsend"
        return [
            PlatformEvent(
                kind=EventKind.DELETE,
                platform=channel.platform,
                channel=channel,
                account_id=account_id,
                event_id=f"{mid}#delete",
                timestamp_ms=timestamp,
                customer=customer,
                message_id=mid,
                raw_kind="message_deleted",
            )
        ]
    attachments = list(_attachments(msg))
    if msg.get("is_unsupported") is True:  # Instagram: content the API cannot show (some stickers, GIFs)
        attachments.append(Attachment(kind="unsupported"))
    reply_to = opt_obj(msg, "reply_to")
    reply_to_id = None
    if reply_to is not None:
        reply_to_id = opt_id(reply_to, "mid")
        story = opt_obj(reply_to, "story")  # Instagram: a reply to the brand's story
        if story is not None:
            attachments.append(Attachment(kind="story_reply", url=loose_str(story, "url")))
    return [
        PlatformEvent(
            kind=EventKind.ECHO if echo else EventKind.MESSAGE,
            platform=channel.platform,
            channel=channel,
            account_id=account_id,
            event_id=mid,
            timestamp_ms=timestamp,
            customer=customer,
            message_id=mid,
            text=opt_str(msg, "text"),
            attachments=tuple(attachments),
            reply_to_id=reply_to_id,
            raw_kind="message_echo" if echo else "message",
        )
    ]


def _attachments(msg: JsonObject) -> list[Attachment]:
    found = []
    for item in opt_list(msg, "attachments"):
        if not isinstance(item, dict):
            shape_error("attachments[] must be objects")
        payload = item.get("payload")
        url = loose_str(payload, "url") if isinstance(payload, dict) else None
        found.append(
            Attachment(
                kind=loose_str(item, "type") or "unknown",
                url=url or loose_str(item, "url"),  # "fallback" attachments carry the url outside payload
                caption=loose_str(item, "title"),
            )
        )
    return found


def _edit(event: JsonObject, channel: Channel, account_id: str, entry_time: Any) -> list[PlatformEvent]:
    edit = obj(event, "message_edit")
    mid = req_id(edit, "mid")
    timestamp = first_ms(event.get("timestamp"), entry_time)
    # num_edit counts the edits of one message, so each edit dedupes on its own.
    number = opt_id(edit, "num_edit") or str(timestamp)
    return [
        PlatformEvent(
            kind=EventKind.EDIT,
            platform=channel.platform,
            channel=channel,
            account_id=account_id,
            event_id=f"{mid}#edit#{number}",
            timestamp_ms=timestamp,
            customer=Customer(user_id=_party(event, "sender")),
            message_id=mid,
            text=opt_str(edit, "text"),
            raw_kind="message_edit",
        )
    ]


def _postback(event: JsonObject, channel: Channel, account_id: str, entry_time: Any) -> list[PlatformEvent]:
    postback = obj(event, "postback")
    sender = _party(event, "sender")
    timestamp = first_ms(event.get("timestamp"), entry_time)
    # Postbacks carry a mid nowadays; older ones do not, and sender + ms time is then unique
    # and the same on every retry of the delivery.
    mid = opt_id(postback, "mid") or f"postback:{sender}:{timestamp}"
    return [
        PlatformEvent(
            kind=EventKind.MESSAGE,
            platform=channel.platform,
            channel=channel,
            account_id=account_id,
            event_id=mid,
            timestamp_ms=timestamp,
            customer=Customer(user_id=sender),
            message_id=mid,
            text=loose_str(postback, "title"),
            raw_kind="postback",
        )
    ]


def _read(event: JsonObject, channel: Channel, account_id: str, entry_time: Any) -> list[PlatformEvent]:
    # Messenger: read{watermark}; Instagram (messaging_seen): read{mid}; some carry both.
    key = "read" if "read" in event else "messaging_seen"
    read = obj(event, key)
    reader = _party(event, "sender")
    mid = opt_id(read, "mid")
    watermark = to_ms(read.get("watermark"))
    if mid is None and watermark is None:
        shape_error("read events need a mid or a watermark")
    event_id = f"{mid}#read" if mid is not None else f"read:{reader}:{watermark}"
    return [
        PlatformEvent(
            kind=EventKind.STATUS,
            platform=channel.platform,
            channel=channel,
            account_id=account_id,
            event_id=event_id,
            timestamp_ms=first_ms(event.get("timestamp"), watermark, entry_time),
            customer=Customer(user_id=reader),
            message_id=mid,
            status=DeliveryState.READ,
            watermark_ms=watermark,
            raw_kind=key,
        )
    ]


def _delivery(event: JsonObject, channel: Channel, account_id: str, entry_time: Any) -> list[PlatformEvent]:
    # Delivery receipts often have no timestamp of their own; the watermark always is one.
    delivery = obj(event, "delivery")
    customer = Customer(user_id=_party(event, "sender"))
    watermark = to_ms(delivery.get("watermark"))
    mids = opt_list(delivery, "mids")
    if watermark is None and not mids:
        shape_error("delivery events need mids or a watermark")
    timestamp = first_ms(event.get("timestamp"), watermark, entry_time)

    def status(event_id: str, mid: str | None, watermark_ms: int | None) -> PlatformEvent:
        return PlatformEvent(
            kind=EventKind.STATUS,
            platform=channel.platform,
            channel=channel,
            account_id=account_id,
            event_id=event_id,
            timestamp_ms=timestamp,
            customer=customer,
            message_id=mid,
            status=DeliveryState.DELIVERED,
            watermark_ms=watermark_ms,
            raw_kind="delivery",
        )

    events = []
    for mid in mids:
        if not isinstance(mid, str) or not mid:
            shape_error("delivery.mids[] must be strings")
        events.append(status(f"{mid}#delivered", mid, None))
    if watermark is not None:
        events.append(status(f"delivery:{customer.user_id}:{watermark}", None, watermark))
    return events


_PARSERS = {
    "message_edit": _edit,
    "message": _message,
    "read": _read,
    "messaging_seen": _read,
    "delivery": _delivery,
    "postback": _postback,
}
