"""Case rules that need no storage: threading decisions and how events change a case."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from socialcare.model.case import Case, CaseStatus, Priority
from socialcare.model.events import PlatformEvent
from socialcare.rules.case_sla import SlaInForce, answered, awaiting_message, status_changed, with_sla
from socialcare.rules.escalation import with_escalation


class Threading(StrEnum):
    APPEND = "append"  # the customer's active case takes the message
    REOPEN = "reopen"  # a recently resolved case comes back to life
    NEW = "new"  # a new case (the first, or a follow-up of a closed/long-resolved one)


@dataclass(frozen=True, slots=True)
class ThreadingDecision:
    action: Threading
    case: Case | None  # the case to append to or reopen; None for NEW
    follow_up_of: str | None = None


def decide_threading(current: Case | None, event_timestamp_ms: int, reopen_window_ms: int) -> ThreadingDecision:
    """Where a customer message goes, given the customer's current case on this brand account.

    The rule (documented in the README):
    - an active case (open, pending customer, pending internal) takes every new message,
      public or private, from any channel of the same brand account;
    - a resolved case reopens when the customer writes within the reopen window after
      resolution (measured on the platform's timestamp, so a late retry still counts);
    - a closed case never reopens, nor does one resolved longer ago than the window:
      a new case starts and remembers the old one as ``follow_up_of``.
    """
    if current is None:
        return ThreadingDecision(Threading.NEW, None)
    if current.status.is_active:
        return ThreadingDecision(Threading.APPEND, current)
    if (
        current.status is CaseStatus.RESOLVED
        and current.resolved_at_ms is not None
        and event_timestamp_ms - current.resolved_at_ms <= reopen_window_ms
    ):
        return ThreadingDecision(Threading.REOPEN, current)
    return ThreadingDecision(Threading.NEW, None, follow_up_of=current.case_id)


def new_case(
    event: PlatformEvent,
    *,
    case_id: str,
    team: str,
    now_ms: int,
    sla: SlaInForce,
    priority: Priority = Priority.NORMAL,
    follow_up_of: str | None = None,
) -> Case:
    assert event.customer is not None
    case = Case(
        case_id=case_id,
        platform=event.platform,
        account_id=event.account_id,
        customer=event.customer,
        status=CaseStatus.OPEN,
        priority=priority,
        team=team,
        created_at_ms=now_ms,
        updated_at_ms=now_ms,
        follow_up_of=follow_up_of,
        status_since_ms=now_ms,
        version=0,
    )
    return apply_inbound(case, event, now_ms=now_ms, sla=sla)


def apply_inbound(case: Case, event: PlatformEvent, *, now_ms: int, sla: SlaInForce) -> Case:
    """A customer message joins the case: it now awaits an answer, due by the SLA in force (the
    policy for the message's channel, counted in business time on its calendar).

    Out-of-order arrival is safe: times only ever move to the earlier waiting start and the
    later last-inbound, whatever order the messages come in. A message delivered in standby
    (another app holds the Messenger/Instagram thread) is shown on the case and opens the
    messaging window, but starts no response clock: the brand cannot answer it from here.
    The case's escalation schedule (its case clock) follows the due time.
    """
    assert event.customer is not None
    ts = event.timestamp_ms
    status = case.status
    reopen_count = case.reopen_count
    if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        status = CaseStatus.OPEN
        reopen_count += 1
    elif status is CaseStatus.PENDING_CUSTOMER:
        status = CaseStatus.OPEN
    answered_after = event.standby or (case.last_outbound_at_ms is not None and case.last_outbound_at_ms >= ts)
    customer = case.customer
    if set(event.customer.all_ids) - set(customer.all_ids) or (event.customer.name and not customer.name):
        customer = replace(
            customer,
            name=customer.name or event.customer.name,
            handle=customer.handle or event.customer.handle,
            alt_ids=tuple(
                i for i in dict.fromkeys((*customer.alt_ids, *event.customer.all_ids)) if i != customer.user_id
            ),
        )
    after = replace(
        case,
        status=status,
        reopen_count=reopen_count,
        customer=customer,
        channels=case.channels | {event.channel},
        last_inbound_by_channel={
            **case.last_inbound_by_channel,
            event.channel: max(ts, case.last_inbound_by_channel.get(event.channel, ts)),
        },
        last_inbound_at_ms=ts if case.last_inbound_at_ms is None else max(case.last_inbound_at_ms, ts),
        resolved_at_ms=None
        if status is CaseStatus.OPEN and case.status is CaseStatus.RESOLVED
        else case.resolved_at_ms,
        message_count=case.message_count + 1,
        updated_at_ms=now_ms,
        version=case.version + 1,
        follow_up=None,  # the customer answered: the pending cycle, if any, is over (the case is open)
    )
    after = status_changed(case, after, sla, now_ms)
    if not answered_after:
        after = awaiting_message(after, sla, event.channel, ts, now_ms)
    return with_sla(after, sla, now_ms)


def apply_outbound(case: Case, *, timestamp_ms: int, now_ms: int) -> Case:
    """The brand answered (from this system, or natively — an echo): the waiting stops, and with it
    the case clock's schedule (an answer older than the wait changes neither)."""
    is_answer = case.awaiting_reply_since_ms is not None and timestamp_ms >= case.awaiting_reply_since_ms
    first = case.first_response_at_ms
    if is_answer and first is None:
        first = timestamp_ms
    after = replace(
        case,
        last_outbound_at_ms=timestamp_ms
        if case.last_outbound_at_ms is None
        else max(case.last_outbound_at_ms, timestamp_ms),
        first_response_at_ms=first,
        message_count=case.message_count + 1,
        updated_at_ms=now_ms,
        version=case.version + 1,
    )
    return with_escalation(answered(after), None) if is_answer else after


def apply_read_receipt(case: Case, *, watermark_ms: int, now_ms: int) -> Case | None:
    """The customer read up to ``watermark_ms``; None when that is old news."""
    if case.customer_read_up_to_ms is not None and case.customer_read_up_to_ms >= watermark_ms:
        return None
    return replace(case, customer_read_up_to_ms=watermark_ms, updated_at_ms=now_ms, version=case.version + 1)


def add_customer_ids(case: Case, ids: tuple[str, ...], *, now_ms: int) -> Case:
    """The platform says the customer now also goes by ``ids`` (a new number, a new scoped id)."""
    customer = case.customer
    alt_ids = tuple(i for i in dict.fromkeys((*customer.alt_ids, *ids)) if i != customer.user_id)
    return replace(case, customer=replace(customer, alt_ids=alt_ids), updated_at_ms=now_ms, version=case.version + 1)
