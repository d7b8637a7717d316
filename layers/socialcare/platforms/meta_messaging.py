"""Messenger and Instagram DM events (``entry[].messaging[]`` and ``entry[].standby[]``), which share one shape.

Every event has ``sender.id``, ``recipient.id`` and a ``timestamp`` in ms; what it is depends on
which key it carries:

- ``message`` -> MESSAGE; ECHO when the brand sent it (``is_echo`` in any form Meta writes it,
  or the sender is the account itself: the customer is then the recipient); DELETE when
  Instagram's ``is_deleted``; attachments, ``reply_to.mid``, story replies and ad ``referral`` kept;
- ``message_edit`` -> EDIT, one per ``num_edit``;
- ``reaction`` (Messenger ``message_reactions``, Instagram reactions) -> REACTION of the message
  ``reaction.mid``: ``emoji`` is the emoji (or the reaction's name), None for ``unreact``.
  The rule for every platform: a reaction is never a message and never opens a case;
- ``read`` / ``messaging_seen`` -> STATUS read (a watermark, or one ``mid`` on Instagram);
- ``delivery`` -> STATUS delivered, one per ``mids[]`` element plus one for the watermark;
- ``postback`` -> MESSAGE whose text is the button's title and payload: the customer pressed
  a button ("Talk to a person"), which Messenger shows in the thread as their message;
- anything else (referrals, optins, handovers...) -> UNKNOWN, kept raw.

Events delivered in ``standby[]`` (another app owns the thread, handover protocol) are parsed
alike and marked ``standby``; Meta leaves the ``payload`` out of standby postbacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from socialcare.model.events import (
    Attachment,
    Channel,
    Customer,
    DeliveryState,
    EventKind,
    PlatformEvent,
    Referral,
)
from socialcare.platforms.fields import (
    JsonObject,
    content_digest,
    event_time,
    guarded,
    is_true,
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


@dataclass(frozen=True, slots=True)
class _Thread:
    """Where an event was delivered: the channel, the brand account, and how."""

    channel: Channel
    account_id: str
    entry_time: Any
    standby: bool

    def event(self, kind: EventKind, event_id: str, time: tuple[int, bool], **fields: Any) -> PlatformEvent:
        return PlatformEvent(
            kind=kind,
            platform=self.channel.platform,
            channel=self.channel,
            account_id=self.account_id,
            event_id=event_id,
            timestamp_ms=time[0],
            timestamp_estimated=time[1],
            standby=self.standby,
            **fields,
        )


def parse_messaging_event(
    event: Any, *, channel: Channel, account_id: str, entry_time: Any, standby: bool = False
) -> list[PlatformEvent]:
    """One ``messaging[]`` (or ``standby[]``) element to events; never raises (not understood -> one UNKNOWN)."""
    kind = messaging_kind(event)
    times = (event.get("timestamp"), entry_time) if isinstance(event, dict) else (entry_time,)
    thread = _Thread(channel, account_id, entry_time, standby)

    def build() -> list[PlatformEvent]:
        if not isinstance(event, dict):
            shape_error("messaging event must be an object")
        parser = _PARSERS.get(kind)
        if parser is None:
            not_modelled(kind)  # referrals, optins, handovers...
        return parser(event, thread)

    return guarded(build, channel=channel, account_id=account_id, raw_kind=kind, raw=event, times=times)


def messaging_kind(event: Any) -> str:
    """The kind of a messaging event: the first modelled key it carries, else its first other key."""
    if not isinstance(event, dict):
        return "messaging"
    for key in _PARSERS:  # a modelled kind wins over extra keys Meta may add beside it
        if key in event:
            return key
    return next((key for key in event if key not in _ENVELOPE_KEYS), "messaging")


def _party(event: JsonObject, key: str) -> str:
    return req_id(obj(event, key), "id")


def _time(event: JsonObject, thread: _Thread, *more: Any) -> tuple[int, bool]:
    return event_time(event.get("timestamp"), *more, thread.entry_time)


def _customer_of(event: JsonObject, thread: _Thread, brand_flag: Any = False) -> tuple[Customer, bool]:
    """(the customer, whether the brand sent the event). The brand is never its own customer:
    when it is the sender (flagged, or its own id), the customer is the recipient."""
    sender = _party(event, "sender")
    from_brand = is_true(brand_flag) or sender == thread.account_id
    return Customer(user_id=_party(event, "recipient") if from_brand else sender), from_brand


def _message(event: JsonObject, thread: _Thread) -> list[PlatformEvent]:
    msg = obj(event, "message")
    mid = req_id(msg, "mid")
    customer, echo = _customer_of(event, thread, msg.get("is_echo"))
    time = _time(event, thread)
    if is_true(msg.get("is_deleted")):  # Instagram "unsend"
        return [
            thread.event(
                EventKind.DELETE,
                f"{mid}#delete",
                time,
                customer=customer,
                message_id=mid,
                raw_kind="message_deleted",
            )
        ]
    attachments = list(_attachments(msg))
    if is_true(msg.get("is_unsupported")):  # Instagram: content the API cannot show (some stickers, GIFs)
        attachments.append(Attachment(kind="unsupported"))
    reply_to = opt_obj(msg, "reply_to")
    reply_to_id = None
    if reply_to is not None:
        reply_to_id = opt_id(reply_to, "mid")
        story = opt_obj(reply_to, "story")  # Instagram: a reply to the brand's story
        if story is not None:
            attachments.append(Attachment(kind="story_reply", url=loose_str(story, "url")))
    return [
        thread.event(
            EventKind.ECHO if echo else EventKind.MESSAGE,
            mid,
            time,
            customer=customer,
            message_id=mid,
            text=opt_str(msg, "text"),
            attachments=tuple(attachments),
            reply_to_id=reply_to_id,
            referral=referral_of(msg.get("referral")),
            raw_kind="message_echo" if echo else "message",
            echo_tag=loose_str(msg, "metadata") if echo else None,
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


def referral_of(value: Any) -> Referral | None:
    """Ad / link context (Messenger ``referral``, WhatsApp click-to-WhatsApp ``referral``); display only."""
    if not isinstance(value, dict):
        return None
    ads = value.get("ads_context_data")
    ads = ads if isinstance(ads, dict) else None
    referral = Referral(
        source=loose_str(value, "source_type") or loose_str(value, "source"),
        source_id=loose_str(value, "source_id") or loose_str(value, "ad_id"),
        url=loose_str(value, "source_url") or loose_str(ads, "photo_url") or loose_str(ads, "video_url"),
        headline=loose_str(value, "headline") or loose_str(ads, "ad_title"),
        body=loose_str(value, "body"),
        ref=loose_str(value, "ref"),
        click_id=loose_str(value, "ctwa_clid"),
    )
    return referral if referral != Referral() else None


def _edit(event: JsonObject, thread: _Thread) -> list[PlatformEvent]:
    edit = obj(event, "message_edit")
    mid = req_id(edit, "mid")
    time = _time(event, thread)
    text = opt_str(edit, "text")
    # num_edit counts the edits of one message, so each edit dedupes on its own; without it the
    # platform's time does, or (no time either) the new text.
    number = opt_id(edit, "num_edit") or (content_digest(text)[:16] if time[1] else str(time[0]))
    customer, _from_brand = _customer_of(event, thread)
    return [
        thread.event(
            EventKind.EDIT,
            f"{mid}#edit#{number}",
            time,
            customer=customer,
            message_id=mid,
            text=text,
            raw_kind="message_edit",
        )
    ]


def _reaction(event: JsonObject, thread: _Thread) -> list[PlatformEvent]:
    reaction = obj(event, "reaction")
    target = req_id(reaction, "mid")
    customer, from_brand = _customer_of(event, thread)
    if from_brand:
        not_modelled("reaction", "brand_reaction")  # the brand reacting is not customer activity
    removed = (loose_str(reaction, "action") or "react").lower() == "unreact"
    emoji = None if removed else (loose_str(reaction, "emoji") or loose_str(reaction, "reaction") or "other")
    # A reaction has no id of its own: the element's digest tells reactions apart and is the same on a retry.
    return [
        thread.event(
            EventKind.REACTION,
            f"{target}#reaction#{customer.user_id}#{content_digest(event)[:16]}",
            _time(event, thread),
            customer=customer,
            message_id=target,
            emoji=emoji,
            raw_kind="reaction",
            raw=event,
        )
    ]


def _postback(event: JsonObject, thread: _Thread) -> list[PlatformEvent]:
    postback = obj(event, "postback")
    sender = _party(event, "sender")
    time = _time(event, thread)
    # Postbacks carry a mid nowadays; older ones do not, and sender + ms time is then unique
    # and the same on every retry of the delivery (without a time, the element's digest is).
    mid = opt_id(postback, "mid") or f"postback:{sender}:{content_digest(event)[:16] if time[1] else time[0]}"
    return [
        thread.event(
            EventKind.MESSAGE,
            mid,
            time,
            customer=Customer(user_id=sender),
            message_id=mid,
            text=_postback_text(loose_str(postback, "title"), postback.get("payload")),
            referral=referral_of(postback.get("referral")),
            raw_kind="postback",
        )
    ]


def _postback_text(title: str | None, payload: Any) -> str | None:
    """What the customer pressed and what the button said to the bot, e.g. "Talk to a person (payload: AGENT)"."""
    code = payload if isinstance(payload, str) and payload else None
    if code is None or code == title:
        return title
    return f"{title} (payload: {code})" if title else f"(payload: {code})"


def _read(event: JsonObject, thread: _Thread) -> list[PlatformEvent]:
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
        thread.event(
            EventKind.STATUS,
            event_id,
            _time(event, thread, watermark),
            customer=Customer(user_id=reader),
            message_id=mid,
            status=DeliveryState.READ,
            watermark_ms=watermark,
            raw_kind=key,
        )
    ]


def _delivery(event: JsonObject, thread: _Thread) -> list[PlatformEvent]:
    # Delivery receipts often have no timestamp of their own; the watermark always is one.
    delivery = obj(event, "delivery")
    customer = Customer(user_id=_party(event, "sender"))
    watermark = to_ms(delivery.get("watermark"))
    mids = opt_list(delivery, "mids")
    if watermark is None and not mids:
        shape_error("delivery events need mids or a watermark")
    time = _time(event, thread, watermark)

    def status(event_id: str, mid: str | None, watermark_ms: int | None) -> PlatformEvent:
        return thread.event(
            EventKind.STATUS,
            event_id,
            time,
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
    "reaction": _reaction,
    "read": _read,
    "messaging_seen": _read,
    "delivery": _delivery,
    "postback": _postback,
}
