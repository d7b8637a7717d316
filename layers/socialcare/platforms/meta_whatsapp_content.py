"""What a WhatsApp message says: the text an agent reads and the attachments, for each message type.

The customer's words are never dropped: a button or list answer reads as its title, a Flow
answer (``nfm_reply``) as a readable summary of its ``response_json``, an order as its items,
and content the API cannot deliver (``unsupported``) as a clear placeholder. Unknown or future
types become a text-less message with an attachment named after the type, so the agent sees
that something arrived.
"""

from __future__ import annotations

import json
import math
from typing import Any

from socialcare.model.events import Attachment
from socialcare.platforms.fields import (
    JsonObject,
    as_id,
    clean_text,
    loose_str,
    obj,
    opt_id,
    opt_list,
    opt_obj,
    opt_str,
)

MEDIA_TYPES = {"image": "image", "audio": "audio", "video": "video", "document": "file", "sticker": "sticker"}
# Composed summaries (orders, Flow answers) are cut here: they are for reading, the raw is kept.
MAX_SUMMARY_CHARS = 2000
# Beyond this a number is printed as given, not as an amount (and never converted to a float).
_MAX_AMOUNT = 10**15

Content = tuple[str | None, tuple[Attachment, ...]]


def content_of(message_type: str, message: JsonObject) -> Content:
    """(text, attachments) of one message (or of the new version inside an ``edit``)."""
    if message_type == "text":
        return opt_str(obj(message, "text"), "body"), ()
    if message_type in MEDIA_TYPES:
        # Media come as ids to download later, never as URLs; the caption is the customer's words.
        media = obj(message, message_type)
        media_id = opt_id(media, "id")
        caption = loose_str(media, "caption")
        url = f"whatsapp-media:{media_id}" if media_id else None
        return caption, (Attachment(kind=MEDIA_TYPES[message_type], url=url, caption=caption),)
    if message_type == "location":
        location = obj(message, "location")
        latitude, longitude = location.get("latitude"), location.get("longitude")
        url = f"geo:{latitude},{longitude}" if _is_number(latitude) and _is_number(longitude) else None
        label = ", ".join(p for p in (loose_str(location, "name"), loose_str(location, "address")) if p)
        return None, (Attachment(kind="location", url=url, caption=label or None),)
    if message_type == "contacts":
        return None, (Attachment(kind="contacts", caption=_contact_names(message)),)
    if message_type == "button":  # a quick-reply button of a template
        button = obj(message, "button")
        return opt_str(button, "text") or loose_str(button, "payload"), ()
    if message_type == "interactive":
        return _interactive(obj(message, "interactive"))
    if message_type == "order":
        return order_summary(obj(message, "order")), (Attachment(kind="order"),)
    if message_type == "unsupported":
        return unsupported_text(message), (Attachment(kind="unsupported"),)
    return None, (Attachment(kind=message_type),)  # future types


def _contact_names(message: JsonObject) -> str | None:
    names = []
    for card in opt_list(message, "contacts"):
        name = card.get("name") if isinstance(card, dict) else None
        formatted = loose_str(name if isinstance(name, dict) else None, "formatted_name")
        if formatted:
            names.append(formatted)
    return ", ".join(names) or None


def _interactive(interactive: JsonObject) -> Content:
    reply_type = opt_str(interactive, "type")
    if reply_type in ("button_reply", "list_reply"):
        reply = obj(interactive, reply_type)
        return opt_str(reply, "title") or loose_str(reply, "id"), ()
    if reply_type == "nfm_reply":
        return flow_summary(obj(interactive, "nfm_reply")), (Attachment(kind="flow_reply"),)
    return None, (Attachment(kind="interactive"),)  # future interactive kinds


def flow_summary(reply: JsonObject) -> str | None:
    """A Flow (or address) answer as the agent reads it: "Form reply: date: 2026-01-15; notes: ring twice".

    ``response_json`` is a JSON string of the answers; ``flow_token`` is the business's own
    reference, not the customer's words. When it cannot be read, the ``body`` is shown.
    """
    body = loose_str(reply, "body")
    label = "Address" if loose_str(reply, "name") == "address_message" else "Form reply"
    answers = _decoded(reply.get("response_json"))
    if not isinstance(answers, dict):
        return f"{label}: {body}" if body else None
    parts = [f"{key}: {_readable(value)}" for key, value in answers.items() if key != "flow_token"]
    if not parts:
        return f"{label}: {body}" if body else None
    return clean_text(f"{label}: " + "; ".join(parts), MAX_SUMMARY_CHARS)


def _decoded(value: Any) -> Any:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def _readable(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value):
        return ", ".join(str(v) for v in value)
    try:
        return json.dumps(value, ensure_ascii=False)
    except (ValueError, RecursionError):
        return "…"


def order_summary(order: JsonObject) -> str:
    """An order as the agent reads it: "Order: 2 × SKU-1 at 12.50 EUR, 1 × SKU-2 at 5.00 EUR — “gift wrap”"."""
    items = []
    for item in opt_list(order, "product_items"):
        if not isinstance(item, dict):
            continue
        product = as_id(item.get("product_retailer_id")) or "item"
        quantity = _amount(item.get("quantity"), decimals=0) or "?"
        price = _amount(item.get("item_price"), decimals=2)
        currency = loose_str(item, "currency") or ""
        items.append(f"{quantity} × {product}" + (f" at {price} {currency}".rstrip() if price else ""))
    summary = "Order: " + (", ".join(items) if items else "no items")
    note = loose_str(order, "text")
    if note:
        summary += f" — “{note}”"
    return clean_text(summary, MAX_SUMMARY_CHARS)


def _amount(value: Any, *, decimals: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str):
        return value or None
    if abs(value) >= _MAX_AMOUNT or (isinstance(value, float) and not math.isfinite(value)):
        return str(value)
    return f"{value:.{decimals}f}" if decimals or isinstance(value, float) else str(value)


def unsupported_text(message: JsonObject) -> str:
    """A clear placeholder for content WhatsApp could not hand to the API (code 131051, 131060...)."""
    unsupported = opt_obj(message, "unsupported")
    what = loose_str(unsupported, "type")
    errors = opt_list(message, "errors")
    error = errors[0] if errors and isinstance(errors[0], dict) else None
    reason = loose_str(error, "title") or loose_str(error, "message")
    detail = ", ".join(p for p in (f"type {what}" if what else None, reason) if p)
    suffix = f" ({detail})" if detail else ""
    return f"[The customer sent a message WhatsApp cannot show here{suffix}. Ask them to send it another way.]"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
