"""WhatsApp Cloud API changes: inbound ``messages[]``, the Business app's ``message_echoes[]`` and the
``statuses[]`` of the brand's sends (fields ``messages``, ``smb_message_echoes`` and ``standby``).

The brand account is ``metadata.phone_number_id`` (replies are sent from it), not the WABA id of
the entry. Timestamps are strings of seconds. Every element yields an event; one that is not
understood becomes UNKNOWN on its own. By message ``type``:

- text, media, location, contacts, ``button``, ``interactive`` (button, list and Flow answers),
  ``order``, ``unsupported`` (a placeholder text) and future types -> MESSAGE (what it says:
  ``meta_whatsapp_content``), with the click-to-WhatsApp ``referral`` and any product enquired about;
- ``reaction`` -> REACTION of ``reaction.message_id``; an empty or missing ``emoji`` is the
  removal of the reaction (emoji None);
- ``edit`` -> EDIT of ``edit.original_message_id`` with the new text; ``revoke`` -> DELETE of
  ``revoke.original_message_id`` (coexistence numbers);
- ``system`` -> IDENTITY_CHANGE (the customer's number or business-scoped id changed: the current
  ids on ``customer``, the former in ``previous_ids``); other system notices kept raw;
- ``message_echoes[]`` (the brand wrote from the WhatsApp Business app) -> ECHO to the customer
  ``to`` (its edits and revokes -> EDIT / DELETE of the brand's message), which stops the
  response clock like any answer of the brand; a message ``from`` the business number is one too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from socialcare.model.events import Attachment, Channel, Customer, DeliveryState, EventKind, PlatformEvent
from socialcare.platforms.fields import (
    JsonObject,
    as_id,
    content_digest,
    event_time,
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
from socialcare.platforms.meta_messaging import referral_of
from socialcare.platforms.meta_whatsapp_content import content_of

_CHANNEL = Channel.WHATSAPP
# system.type values that say the customer's ids changed.
_NUMBER_CHANGES = frozenset({"user_changed_number", "customer_changed_number"})
_USER_ID_CHANGES = frozenset({"user_changed_user_id"})


@dataclass(frozen=True, slots=True)
class _Number:
    """The business number a change was delivered for."""

    phone_number_id: str | None
    display_number: str | None
    contacts: list[JsonObject]
    standby: bool

    def routed(self) -> str:
        """The account of the number's events. Without ``phone_number_id`` an event cannot be
        tied to (or answered from) the right number, so each element fails before its content."""
        if self.phone_number_id is None:
            shape_error("metadata.phone_number_id is missing")
        return self.phone_number_id

    def event(self, kind: EventKind, event_id: str, element: JsonObject, **fields: Any) -> PlatformEvent:
        timestamp, estimated = event_time(element.get("timestamp"))
        return PlatformEvent(
            kind=kind,
            platform=_CHANNEL.platform,
            channel=_CHANNEL,
            account_id=self.routed(),
            event_id=event_id,
            timestamp_ms=timestamp,
            timestamp_estimated=estimated,
            standby=self.standby,
            **fields,
        )


def whatsapp_account(value: JsonObject) -> str | None:
    """The business phone number id a WhatsApp change is addressed to."""
    metadata = value.get("metadata")
    return as_id(metadata.get("phone_number_id")) if isinstance(metadata, dict) else None


def parse_whatsapp_messages(value: JsonObject, waba_id: str, *, standby: bool = False) -> list[PlatformEvent]:
    metadata = value.get("metadata")
    phone_number_id = whatsapp_account(value)
    account_id = phone_number_id or waba_id  # UNKNOWN events still need an account to be filed under
    number = _Number(
        phone_number_id=phone_number_id,
        display_number=as_id(metadata.get("display_phone_number")) if isinstance(metadata, dict) else None,
        contacts=[c for c in opt_list(value, "contacts") if isinstance(c, dict)],
        standby=standby,
    )
    arrays = (
        ("messages", partial(_message, number=number)),
        ("message_echoes", partial(_echo, number=number)),
        ("statuses", partial(_status, number=number)),
    )
    events: list[PlatformEvent] = []
    found = False
    for key, parse in arrays:
        for element in opt_list(value, key):
            found = True
            events += guarded(
                partial(parse, element),
                channel=_CHANNEL,
                account_id=account_id,
                raw_kind=key,
                raw=element,
                times=_times(element),
            )
    for error in opt_list(value, "errors"):  # delivery-level errors (e.g. a message type the API cannot receive)
        found = True
        events.append(unknown_event(channel=_CHANNEL, account_id=account_id, raw_kind="errors", raw=error))
    if not found:
        events.append(unknown_event(channel=_CHANNEL, account_id=account_id, raw_kind="messages", raw=value))
    return events


def _times(element: Any) -> tuple[Any, ...]:
    return (element.get("timestamp"),) if isinstance(element, dict) else ()


# --- inbound messages -----------------------------------------------------------------------
def _message(message: Any, number: _Number) -> list[PlatformEvent]:
    number.routed()
    if not isinstance(message, dict):
        shape_error("messages[] must be objects")
    wamid = req_id(message, "id")
    if number.display_number is not None and opt_id(message, "from") == number.display_number:
        return _echo(message, number)  # the business number writing: the brand, never a customer
    message_type = opt_str(message, "type") or "unknown"
    if message_type == "system":  # no contacts[] and no customer words: an identity change
        return [_identity_change(message, wamid, number)]
    customer = _sender(message, number)
    if message_type == "reaction":
        reaction = obj(message, "reaction")
        return [
            number.event(
                EventKind.REACTION,
                wamid,
                message,
                customer=customer,
                message_id=req_id(reaction, "message_id"),
                emoji=loose_str(reaction, "emoji"),  # empty or absent: the reaction was removed
                raw_kind="reaction",
                raw=message,
            )
        ]
    if message_type in ("edit", "revoke"):
        return [_change_of(message, message_type, wamid, customer, number)]
    text, attachments = content_of(message_type, message)
    context = opt_obj(message, "context")
    return [
        number.event(
            EventKind.MESSAGE,
            wamid,
            message,
            customer=customer,
            message_id=wamid,
            text=text,
            attachments=attachments + _enquired_product(context),
            reply_to_id=opt_id(context, "id") if context is not None else None,
            referral=referral_of(message.get("referral")),
            raw_kind=message_type,
        )
    ]


def _sender(message: JsonObject, number: _Number) -> Customer:
    wa_id = opt_id(message, "from")  # the phone number; absent when only a business-scoped id is shared
    scoped_id = opt_id(message, "from_user_id")
    contact = _contact_for(number.contacts, wa_id, scoped_id)
    contact_scoped_id = as_id(contact.get("user_id")) if contact else None
    user_id = wa_id or scoped_id or contact_scoped_id
    if user_id is None:
        shape_error("message has no sender")
    alt_ids = tuple(dict.fromkeys(i for i in (scoped_id, contact_scoped_id) if i and i != user_id))
    profile = contact.get("profile") if contact else None
    return Customer(
        user_id=user_id, name=loose_str(profile if isinstance(profile, dict) else None, "name"), alt_ids=alt_ids
    )


def _contact_for(contacts: list[JsonObject], wa_id: str | None, scoped_id: str | None) -> JsonObject | None:
    for contact in contacts:
        if wa_id is not None and as_id(contact.get("wa_id")) == wa_id:
            return contact
        if scoped_id is not None and as_id(contact.get("user_id")) == scoped_id:
            return contact
    return None


def _enquired_product(context: JsonObject | None) -> tuple[Attachment, ...]:
    """A message sent from a product's "Message business" button names the product."""
    product = opt_obj(context, "referred_product") if context is not None else None
    if product is None:
        return ()
    return (Attachment(kind="product", caption=loose_str(product, "product_retailer_id")),)


def _change_of(
    message: JsonObject, message_type: str, wamid: str, customer: Customer, number: _Number
) -> PlatformEvent:
    """An ``edit`` (the new version of ``original_message_id``) or a ``revoke`` (its deletion)."""
    change = obj(message, message_type)
    original = req_id(change, "original_message_id")
    if message_type == "revoke":
        return number.event(
            EventKind.DELETE, f"{original}#delete", message, customer=customer, message_id=original, raw_kind="revoke"
        )
    new_version = obj(change, "message")
    text, _attachments = content_of(opt_str(new_version, "type") or "text", new_version)
    return number.event(
        EventKind.EDIT,
        # Each edit has its own wamid; with the text it tells the edits of one message apart.
        f"{original}#edit#{content_digest(wamid, text)[:16]}",
        message,
        customer=customer,
        message_id=original,
        text=text,
        raw_kind="edit",
    )


def _identity_change(message: JsonObject, wamid: str, number: _Number) -> PlatformEvent:
    """A ``system`` message: the customer's number (``user_changed_number``) or business-scoped id
    (``user_changed_user_id``) changed. Other notices (``customer_identity_changed``...) are kept raw."""
    system = obj(message, "system")
    change = loose_str(system, "type") or "unknown"
    phone, scoped = opt_id(message, "from"), opt_id(message, "from_user_id")

    def ids(*keys: str) -> list[str | None]:
        return [as_id(system.get(key)) for key in keys]

    if change in _NUMBER_CHANGES:
        current = ids("wa_id", "new_wa_id", "user_id", "parent_user_id")
        former = [phone, *ids("customer", "previous_user_id", "previous_parent_user_id")]
    elif change in _USER_ID_CHANGES:
        current = [*ids("user_id"), scoped, *ids("parent_user_id"), phone]
        former = ids("previous_user_id", "previous_parent_user_id")
    else:
        not_modelled(f"system.{change}", "system_notice")
    now = list(dict.fromkeys(i for i in current if i))
    before = tuple(dict.fromkeys(i for i in former if i and i not in now))
    if not now or not before:
        not_modelled(f"system.{change}", "identity_change_without_ids")
    return number.event(
        EventKind.IDENTITY_CHANGE,
        wamid,
        message,
        customer=Customer(user_id=now[0], alt_ids=tuple(now[1:])),
        previous_ids=before,
        text=loose_str(system, "body"),
        raw_kind=f"system.{change}",
        raw=message,
    )


# --- the brand's own messages from the WhatsApp Business app ---------------------------------
def _echo(echo: Any, number: _Number) -> list[PlatformEvent]:
    number.routed()
    if not isinstance(echo, dict):
        shape_error("message_echoes[] must be objects")
    wamid = req_id(echo, "id")
    to, to_scoped = opt_id(echo, "to"), opt_id(echo, "to_user_id")
    user_id = to or to_scoped
    if user_id is None:
        shape_error("an echo needs the customer it was sent to")
    customer = Customer(user_id=user_id, alt_ids=(to_scoped,) if to_scoped and to_scoped != user_id else ())
    message_type = opt_str(echo, "type") or "unknown"
    if message_type in ("edit", "revoke"):
        return [_change_of(echo, message_type, wamid, customer, number)]
    if message_type == "reaction":
        not_modelled("message_echoes.reaction", "brand_reaction")
    text, attachments = content_of(message_type, echo)
    context = opt_obj(echo, "context")
    return [
        number.event(
            EventKind.ECHO,
            wamid,
            echo,
            customer=customer,
            message_id=wamid,
            text=text,
            attachments=attachments,
            reply_to_id=opt_id(context, "id") if context is not None else None,
            raw_kind="smb_message_echo",
        )
    ]


# --- statuses of the brand's messages -------------------------------------------------------
def _status(status: Any, number: _Number) -> list[PlatformEvent]:
    number.routed()
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
    return [
        number.event(
            EventKind.STATUS,
            f"{wamid}#{state.value}",
            status,
            customer=customer,
            message_id=wamid,
            status=state,
            status_error=_error_text(opt_list(status, "errors")),
            raw_kind="statuses",
        )
    ]


def _error_text(errors: list[Any]) -> str | None:
    if not errors or not isinstance(errors[0], dict):
        return None
    error = errors[0]
    code = as_id(error.get("code"))
    title = loose_str(error, "title") or loose_str(error, "message")
    text = ": ".join(p for p in (code, title) if p)
    return text or None
