"""Messages the system sends a customer on its own, and what a brand sets for them in its profile.

Two purposes: the **acknowledgement** of a new case (off until the brand enables it) and the
follow-up **nudge** of a case that waits for the customer. Both are templates checked when the
profile is saved (``profile_from_document``), with these placeholders:

- both: ``{customer_name}``, ``{customer_handle}``, ``{brand_name}``, ``{case_id}``;
- the acknowledgement also: ``{expected_reply}`` (the case's response due time in the SLA calendar's
  zone: "today by 14:30 CET", "Monday by 09:30 CET"), ``{availability}`` ("Our team is here now." or
  "Our team is away right now and back Monday 09:00 CET.") and, where the brand enables
  ``queue_position``, ``{queue_position}`` (the case's place in its team's queue: "3", or "more than
  50" past the count's bound).

A nudge outside WhatsApp's 24-hour window needs an approved template (``whatsapp_template``: its
``name``, ``language`` and optional ``components``); without one, no nudge goes out there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from socialcare.model.case import EntryKind, ThreadEntry
from socialcare.model.events import DeliveryState
from socialcare.model.outbound import OutboundRequest, ReplyMode

AUTOMATION_AUTHOR = "automation"  # the author of every automated thread entry

COMMON_PLACEHOLDERS: tuple[str, ...] = ("customer_name", "customer_handle", "brand_name", "case_id")
ACKNOWLEDGEMENT_PLACEHOLDERS: tuple[str, ...] = (
    *COMMON_PLACEHOLDERS,
    "expected_reply",
    "availability",
    "queue_position",
)
NUDGE_PLACEHOLDERS = COMMON_PLACEHOLDERS
MAX_AUTOMATED_TEXT = 1_000  # the shortest private channel's limit (Instagram DMs)

DEFAULT_ACKNOWLEDGEMENT_TEXT = "Thanks for your message! {availability} You can expect our reply {expected_reply}."
DEFAULT_NUDGE_TEXT = (
    "Hi again! We're still here to help with your request: just reply to this message whenever you're ready."
)


class Purpose(StrEnum):
    """Why an automated message is sent (``extra["automated"]`` on its thread entry)."""

    ACKNOWLEDGEMENT = "acknowledgement"
    NUDGE = "nudge"


@dataclass(frozen=True, slots=True)
class AcknowledgementSettings:
    enabled: bool = False
    text: str = DEFAULT_ACKNOWLEDGEMENT_TEXT
    queue_position: bool = False  # may the text name the case's place in the queue


@dataclass(frozen=True, slots=True)
class NudgeSettings:
    text: str = DEFAULT_NUDGE_TEXT
    # The approved WhatsApp template a nudge beyond the 24-hour window is sent as (None: none then).
    whatsapp_template: Mapping[str, object] | None = field(default=None)


# --- the thread entry of an automated message -----------------------------------------------------
# Its id is deterministic, so the message is stored once whatever runs it again (a redelivered
# task): the acknowledgement's follows the case's opening, a nudge's the moment the case began
# waiting for the customer (one nudge per wait). The entry's ``extra`` holds what sending it needs.
def automated_entry_id(purpose: Purpose, anchor_ms: int) -> str:
    return f"{anchor_ms:013d}#auto-{purpose.value}"


def automated_anchor(entry_id: str) -> int:
    """The instant an automated entry's id was made from (a nudge's ``pending_since``)."""
    return int(entry_id[:13])


def automated_entry(request: OutboundRequest, purpose: Purpose, *, now_ms: int, held: bool) -> ThreadEntry:
    """The PENDING (or, in a crisis, HELD) outbound entry of an automated message, authored by the automation."""
    extra = {"automated": purpose.value, "mode": request.mode.value, "recipient_id": request.recipient_id}
    if request.tag:
        extra["tag"] = request.tag
    if request.template is not None:
        extra["template"] = json.dumps(request.template, separators=(",", ":"), sort_keys=True)
    return ThreadEntry(
        case_id=request.case_id,
        entry_id=request.entry_id,
        kind=EntryKind.OUTBOUND,
        timestamp_ms=now_ms,
        channel=request.channel,
        author=AUTOMATION_AUTHOR,
        text=request.text,
        conversation_ref=request.conversation_ref,
        delivery_state=DeliveryState.HELD if held else DeliveryState.PENDING,
        delivery_state_at_ms=now_ms,
        extra=extra,
    )


def automated_purpose(entry: ThreadEntry) -> Purpose | None:
    """Why the automation sent this entry; None for anything a person (or the platform) wrote."""
    value = entry.extra.get("automated")
    return Purpose(value) if value in {p.value for p in Purpose} else None


def automated_request(entry: ThreadEntry, account_id: str) -> OutboundRequest:
    """The outbound request an automated entry stands for (to send it again, or once released)."""
    assert entry.channel is not None
    template: dict[str, Any] | None = json.loads(entry.extra["template"]) if "template" in entry.extra else None
    return OutboundRequest(
        case_id=entry.case_id,
        entry_id=entry.entry_id,
        channel=entry.channel,
        account_id=account_id,
        recipient_id=entry.extra["recipient_id"],
        mode=ReplyMode(entry.extra.get("mode", ReplyMode.PRIVATE.value)),
        text=entry.text or "",
        conversation_ref=entry.conversation_ref,
        tag=entry.extra.get("tag"),
        template=template,
    )
