"""WhatsApp Cloud API ``messages`` changes: inbound ``messages[]`` and ``statuses[]`` of our sends.

The brand account is ``metadata.phone_number_id`` (replies are sent from it), not the WABA id of
the entry. Timestamps are strings of seconds. Every element of ``messages[]``, ``statuses[]`` and
``errors[]`` yields an event; one that is not understood becomes UNKNOWN on its own.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from socialcare.model.events import Attachment, Channel, Customer, DeliveryState, EventKind, PlatformEvent
from socialcare.platforms.fields import (
    JsonObject,
    as_id,
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
    unknown_event,
)

_CHANNEL = Channel.WHATSAPP
_MEDIA_TYPES = {"image": "image", "audio": "audio", "video": "video", "document": "file", "sticker": "sticker"}


def parse_whatsapp_messages(value: JsonObject, waba_id: str) -> list[PlatformEvent]:
    metadata = value.get("metadata")
    phone_number_id = as_id(metadata.get("phone_number_id")) if isinstance(metadata, dict) else None
    account_id = phone_number_id or waba_id  # UNKNOWN events still need an account to be filed under
    contacts = [c for c in opt_list(value, "contacts") if isinstance(c, dict)]
    messages = opt_list(value, "messages")
    statuses = opt_list(value, "statuses")
    errors = opt_list(value, "errors")

    events: list[PlatformEvent] = []
    for message in messages:
        events += guarded(
            partial(_message, message, phone_number_id, contacts),
            channel=_CHANNEL,
            account_id=account_id,
            raw_kind="messages",
            raw=message,
            times=_times(message),
        )
    for status in statuses:
        events += guarded(
            partial(_status, status, phone_number_id),
            channel=_CHANNEL,
            account_id=account_id,
            raw_kind="statuses",
            raw=status,
            times=_times(status),
        )
    for error in errors:  # delivery-level errors (e.g. a message type the API cannot receive)
        events.append(unknown_event(channel=_CHANNEL, account_id=account_id, raw_kind="errors", raw=error))
    if not (messages or statuses or errors):
        events.append(unknown_event(channel=_CHANNEL, account_id=account_id, raw_kind="messages", raw=value))
    return events


def _times(element: Any) -> tuple[Any, ...]:
    return (element.get("timestamp"),) if isinstance(element, dict) else ()


def _routed(phone_number_id: str | None) -> str:
    # Without phone_number_id an event cannot be tied to (or answered from) the right number.
    if phone_number_id is None:
        shape_error("metadata.phone_number_id is missing")
    return phone_number_id


# --- inbound messages -----------------------------------------------------------------------
def _message(message: Any, phone_number_id: str | None, contacts: list[JsonObject]) -> list[PlatformEvent]:
    account_id = _routed(phone_number_id)
    if not isinstance(message, dict):
        shape_error("messages[] must be objects")
    wamid = req_id(message, "id")
    wa_id = opt_id(message, "from")  # the phone number; absent when only a business-scoped id is shared
    scoped_id = opt_id(message, "from_user_id")
    contact = _contact_for(contacts, wa_id, scoped_id)
    contact_scoped_id = as_id(contact.get("user_id")) if contact else None
    user_id = wa_id or scoped_id or contact_scoped_id
    if user_id is None:
        shape_error("message has no sender")
    alt_ids = tuple(dict.fromkeys(i for i in (scoped_id, contact_scoped_id) if i and i != user_id))
    profile = contact.get("profile") if contact else None
    context = opt_obj(message, "context")
    message_type = opt_str(message, "type") or "unknown"
    text, attachments, reacted_to = _content(message_type, message)
    event = PlatformEvent(
        kind=EventKind.MESSAGE,
        platform=_CHANNEL.platform,
        channel=_CHANNEL,
        account_id=account_id,
        event_id=wamid,
        timestamp_ms=first_ms(message.get("timestamp")),
        customer=Customer(
            user_id=user_id,
            name=loose_str(profile if isinstance(profile, dict) else None, "name"),
            alt_ids=alt_ids,
        ),
        message_id=wamid,
        text=text,
        attachments=attachments,
        reply_to_id=(opt_id(context, "id") if context is not None else None) or reacted_to,
        raw_kind=message_type,
    )
    return [event]


def _contact_for(contacts: list[JsonObject], wa_id: str | None, scoped_id: str | None) -> JsonObject | None:
    for contact in contacts:
        if wa_id is not None and as_id(contact.get("wa_id")) == wa_id:
            return contact
        if scoped_id is not None and as_id(contact.get("user_id")) == scoped_id:
            return contact
    return None


def _content(message_type: str, message: JsonObject) -> tuple[str | None, tuple[Attachment, ...], str | None]:
    """(text, attachments, id of the message reacted to) for each message type.

    Unknown or future types become a text-less message with an attachment named after the type,
    so the agent sees that something arrived instead of nothing.
    """
    if message_type == "text":
        return opt_str(obj(message, "text"), "body"), (), None
    if message_type in _MEDIA_TYPES:
        # Media come as ids to download later, never as URLs; the caption is the customer's words.
        media = obj(message, message_type)
        media_id = opt_id(media, "id")
        caption = loose_str(media, "caption")
        url = f"whatsapp-media:{media_id}" if media_id else None
        return caption, (Attachment(kind=_MEDIA_TYPES[message_type], url=url, caption=caption),), None
    if message_type == "location":
        location = obj(message, "location")
        latitude, longitude = location.get("latitude"), location.get("longitude")
        url = f"geo:{latitude},{longitude}" if _is_number(latitude) and _is_number(longitude) else None
        label = ", ".join(p for p in (loose_str(location, "name"), loose_str(location, "address")) if p)
        return None, (Attachment(kind="location", url=url, caption=label or None),), None
    if message_type == "contacts":
        names = []
        for card in opt_list(message, "contacts"):
            name = card.get("name") if isinstance(card, dict) else None
            formatted = loose_str(name if isinstance(name, dict) else None, "formatted_name")
            if formatted:
                names.append(formatted)
        return None, (Attachment(kind="contacts", caption=", ".join(names) or None),), None
    if message_type == "button":  # a quick-reply button of a template
        return opt_str(obj(message, "button"), "text"), (), None
    if message_type == "interactive":
        interactive = obj(message, "interactive")
        reply_type = opt_str(interactive, "type")
        reply = opt_obj(interactive, reply_type) if reply_type in ("button_reply", "list_reply") else None
        if reply is not None:
            return opt_str(reply, "title"), (), None
        return None, (Attachment(kind="interactive"),), None  # flows (nfm_reply) and future kinds
    if message_type == "reaction":
        reaction = obj(message, "reaction")
        # An empty emoji means the customer removed their reaction.
        return opt_str(reaction, "emoji") or None, (Attachment(kind="reaction"),), opt_id(reaction, "message_id")
    return None, (Attachment(kind=message_type),), None  # unsupported, order, system, future types


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- statuses of the brand's messages -------------------------------------------------------
def _status(status: Any, phone_number_id: str | None) -> list[PlatformEvent]:
    account_id = _routed(phone_number_id)
    if not isinstance(status, dict):
        shape_error("statuses[] must be objects")
    wamid = req_id(status, "id")
    name = opt_str(status, "status") or "missing"
    try:
        state = DeliveryState(name)
    except ValueError:
        not_modelled("statuses")  # a status this system does not know (e.g. "deleted", "warning")
    recipient = opt_id(status, "recipient_id")
    scoped = opt_id(status, "recipient_user_id")
    user_id = recipient or scoped
    customer = None
    if user_id is not None:
        customer = Customer(user_id=user_id, alt_ids=(scoped,) if scoped and scoped != user_id else ())
    event = PlatformEvent(
        kind=EventKind.STATUS,
        platform=_CHANNEL.platform,
        channel=_CHANNEL,
        account_id=account_id,
        event_id=f"{wamid}#{state.value}",
        timestamp_ms=first_ms(status.get("timestamp")),
        customer=customer,
        message_id=wamid,
        status=state,
        status_error=_error_text(opt_list(status, "errors")),
        raw_kind="statuses",
    )
    return [event]


def _error_text(errors: list[Any]) -> str | None:
    if not errors or not isinstance(errors[0], dict):
        return None
    error = errors[0]
    code = as_id(error.get("code"))
    title = loose_str(error, "title") or loose_str(error, "message")
    text = ": ".join(p for p in (code, title) if p)
    return text or None
