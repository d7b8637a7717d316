"""Cases, events and entries for the contract tests, built with the domain rules ingest uses."""

from __future__ import annotations

from socialcare.ingest.entries import message_entry
from socialcare.model.case import Case, EntryKind, ThreadEntry
from socialcare.model.events import Channel, Customer, DeliveryState, PlatformEvent
from socialcare.rules.case_sla import SlaInForce
from socialcare.rules.cases import apply_inbound, new_case
from socialcare.rules.sla import ResponseTargets

from tests.event_support import message_event

PAGE = "104560123456789"
T0 = 1_767_225_600_000
TARGETS = ResponseTargets()


def message(
    mid: str, *, ts: int = T0, user: str = "psid-1", text: str | None = "hi", alt: tuple[str, ...] = ()
) -> PlatformEvent:
    return message_event(Channel.MESSENGER, PAGE, mid, ts, customer=Customer(user, alt_ids=alt), text=text)


def entry_for(event: PlatformEvent, case_id: str, *, kind: EntryKind = EntryKind.INBOUND) -> ThreadEntry:
    """The entry ingest makes of ``event``, as if received the moment it was sent."""
    author = event.customer.user_id if event.customer else "brand"
    return message_entry(event, case_id, kind, author=author, now_ms=event.timestamp_ms)


def opened(event: PlatformEvent, case_id: str) -> Case:
    return new_case(event, case_id=case_id, team="care", now_ms=event.timestamp_ms, sla=SlaInForce(TARGETS))


def joined(case: Case, event: PlatformEvent) -> Case:
    return apply_inbound(case, event, now_ms=event.timestamp_ms, sla=SlaInForce(TARGETS))


def pending_reply(case: Case, entry_id: str = "0000000000009#out-1", *, ts: int = T0 + 1000) -> ThreadEntry:
    """What the agent API stores before queueing a reply."""
    return ThreadEntry(
        case_id=case.case_id,
        entry_id=entry_id,
        kind=EntryKind.OUTBOUND,
        timestamp_ms=ts,
        channel=Channel.MESSENGER,
        author="alice",
        text="We are on it",
        delivery_state=DeliveryState.PENDING,
        delivery_state_at_ms=ts,
        received_at_ms=ts,
    )
