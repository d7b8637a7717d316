"""Threading decisions and how events change a case: pure rules, no storage."""

from __future__ import annotations

from dataclasses import replace

import pytest
from socialcare.errors import InvalidTransition
from socialcare.model.case import CaseStatus
from socialcare.model.events import Channel, Customer, EventKind, Platform, PlatformEvent, PublicKind
from socialcare.rules.case_sla import SlaInForce
from socialcare.rules.cases import (
    Threading,
    apply_inbound,
    apply_outbound,
    apply_read_receipt,
    decide_threading,
    new_case,
)
from socialcare.rules.sla import ResponseTargets

pytestmark = pytest.mark.unit

HOUR = 3_600_000
T0 = 1_767_225_600_000
TARGETS = ResponseTargets()


def message(ts: int, channel: Channel = Channel.X_DM, mid: str = "m1") -> PlatformEvent:
    public = channel.is_public
    return PlatformEvent(
        kind=EventKind.PUBLIC_POST if public else EventKind.MESSAGE,
        platform=Platform.X,
        channel=channel,
        account_id="brand",
        event_id=mid,
        timestamp_ms=ts,
        customer=Customer("joe", name="Joe"),
        message_id=mid,
        text="hello",
        public_kind=PublicKind.MENTION if public else None,
    )


def test_first_message_opens_a_case_due_by_the_channel_target() -> None:
    case = new_case(message(T0, Channel.X_POST), case_id="C1", team="care", now_ms=T0 + 5, sla=SlaInForce(TARGETS))
    assert case.status is CaseStatus.OPEN
    assert case.awaiting_reply_since_ms == T0
    assert case.response_due_at_ms == T0 + 60 * 60_000  # public: one hour
    assert case.channels == {Channel.X_POST}
    assert case.message_count == 1


def test_active_case_takes_messages_from_another_channel() -> None:
    case = new_case(message(T0, Channel.X_POST), case_id="C1", team="care", now_ms=T0, sla=SlaInForce(TARGETS))
    decision = decide_threading(case, T0 + HOUR, reopen_window_ms=72 * HOUR)
    assert decision.action is Threading.APPEND
    after = apply_inbound(case, message(T0 + HOUR, Channel.X_DM, "m2"), now_ms=T0 + HOUR, sla=SlaInForce(TARGETS))
    assert after.channels == {Channel.X_POST, Channel.X_DM}
    assert after.awaiting_reply_since_ms == T0  # still waiting since the first message
    assert after.message_count == 2


def test_out_of_order_message_moves_waiting_start_earlier_never_later() -> None:
    case = new_case(message(T0 + HOUR, mid="late"), case_id="C1", team="care", now_ms=T0, sla=SlaInForce(TARGETS))
    after = apply_inbound(case, message(T0, mid="early"), now_ms=T0 + 2 * HOUR, sla=SlaInForce(TARGETS))
    assert after.awaiting_reply_since_ms == T0
    assert after.last_inbound_at_ms == T0 + HOUR


def test_brand_answer_stops_the_clock_and_sets_first_response() -> None:
    case = new_case(message(T0), case_id="C1", team="care", now_ms=T0, sla=SlaInForce(TARGETS))
    answered = apply_outbound(case, timestamp_ms=T0 + 600_000, now_ms=T0 + 600_000)
    assert answered.awaiting_reply_since_ms is None
    assert answered.response_due_at_ms is None
    assert answered.first_response_at_ms == T0 + 600_000
    again = apply_inbound(answered, message(T0 + HOUR, mid="m2"), now_ms=T0 + HOUR, sla=SlaInForce(TARGETS))
    assert again.awaiting_reply_since_ms == T0 + HOUR
    assert again.first_response_at_ms == T0 + 600_000


def test_message_older_than_the_answer_does_not_restart_the_clock() -> None:
    case = new_case(message(T0), case_id="C1", team="care", now_ms=T0, sla=SlaInForce(TARGETS))
    answered = apply_outbound(case, timestamp_ms=T0 + 10_000, now_ms=T0 + 10_000)
    late = apply_inbound(answered, message(T0 + 5_000, mid="m0"), now_ms=T0 + 20_000, sla=SlaInForce(TARGETS))
    assert late.awaiting_reply_since_ms is None


def test_resolved_case_reopens_within_window_and_counts_it() -> None:
    case = new_case(message(T0), case_id="C1", team="care", now_ms=T0, sla=SlaInForce(TARGETS))
    resolved = case.with_status(CaseStatus.RESOLVED, T0 + HOUR)
    decision = decide_threading(resolved, T0 + 2 * HOUR, reopen_window_ms=72 * HOUR)
    assert decision.action is Threading.REOPEN
    reopened = apply_inbound(resolved, message(T0 + 2 * HOUR, mid="m2"), now_ms=T0 + 2 * HOUR, sla=SlaInForce(TARGETS))
    assert reopened.status is CaseStatus.OPEN
    assert reopened.reopen_count == 1
    assert reopened.resolved_at_ms is None


def test_resolved_case_past_window_and_closed_case_start_a_follow_up() -> None:
    case = new_case(message(T0), case_id="C1", team="care", now_ms=T0, sla=SlaInForce(TARGETS))
    resolved = case.with_status(CaseStatus.RESOLVED, T0)
    late = decide_threading(resolved, T0 + 73 * HOUR, reopen_window_ms=72 * HOUR)
    assert (late.action, late.follow_up_of) == (Threading.NEW, "C1")
    closed = resolved.with_status(CaseStatus.CLOSED, T0 + HOUR)
    soon = decide_threading(closed, T0 + 2 * HOUR, reopen_window_ms=72 * HOUR)
    assert (soon.action, soon.follow_up_of) == (Threading.NEW, "C1")


def test_pending_customer_case_opens_again_when_the_customer_writes() -> None:
    case = new_case(message(T0), case_id="C1", team="care", now_ms=T0, sla=SlaInForce(TARGETS))
    pending = case.with_status(CaseStatus.PENDING_CUSTOMER, T0 + 1)
    after = apply_inbound(pending, message(T0 + HOUR, mid="m2"), now_ms=T0 + HOUR, sla=SlaInForce(TARGETS))
    assert after.status is CaseStatus.OPEN
    assert after.reopen_count == 0


def test_closed_case_cannot_change_status() -> None:
    case = new_case(message(T0), case_id="C1", team="care", now_ms=T0, sla=SlaInForce(TARGETS))
    closed = case.with_status(CaseStatus.CLOSED, T0)
    with pytest.raises(InvalidTransition):
        closed.with_status(CaseStatus.OPEN, T0 + 1)


def test_read_receipts_only_move_forward() -> None:
    case = new_case(message(T0), case_id="C1", team="care", now_ms=T0, sla=SlaInForce(TARGETS))
    read = apply_read_receipt(case, watermark_ms=T0 + 100, now_ms=T0 + 200)
    assert read is not None
    assert read.customer_read_up_to_ms == T0 + 100
    assert apply_read_receipt(read, watermark_ms=T0 + 50, now_ms=T0 + 300) is None


def test_new_ids_seen_on_the_customer_are_remembered() -> None:
    first = replace(message(T0), customer=Customer("16505551234"))
    case = new_case(first, case_id="C1", team="care", now_ms=T0, sla=SlaInForce(TARGETS))
    second = replace(message(T0 + 1, mid="m2"), customer=Customer("16505551234", "Sheena", alt_ids=("US.1349",)))
    after = apply_inbound(case, second, now_ms=T0 + 1, sla=SlaInForce(TARGETS))
    assert after.customer.all_ids == ("16505551234", "US.1349")
    assert after.customer.name == "Sheena"


def test_last_message_is_remembered_per_channel_for_messaging_windows() -> None:
    case = new_case(message(T0, Channel.X_POST), case_id="C1", team="care", now_ms=T0, sla=SlaInForce(TARGETS))
    after = apply_inbound(case, message(T0 + HOUR, Channel.X_DM, "m2"), now_ms=T0 + HOUR, sla=SlaInForce(TARGETS))
    late = apply_inbound(after, message(T0 + 10, Channel.X_DM, "m0"), now_ms=T0 + HOUR, sla=SlaInForce(TARGETS))
    assert late.last_inbound_by_channel == {Channel.X_POST: T0, Channel.X_DM: T0 + HOUR}
