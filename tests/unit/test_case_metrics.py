"""Issue 10, item 1: the event metrics one case write makes, derived from the case before and after it,
against hand-computed figures — wall time, and business time on the Berlin office's calendar across
the spring-forward weekend (Sunday 29 March 2026: a naive UTC offset would be an hour out on Monday)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from socialcare.metrics.events import case_metrics
from socialcare.model import metrics as m
from socialcare.model.case import Case, CaseStatus
from socialcare.model.escalation import EscalationTier
from socialcare.model.events import Channel
from socialcare.model.metrics import MetricPoint, Unit
from socialcare.rules.case_sla import SlaInForce, answered, status_changed, with_sla
from socialcare.rules.cases import apply_inbound, apply_outbound, new_case
from socialcare.rules.sla import ResponseTargets

from tests.sla_config_support import ALWAYS, BERLIN, POLICIES
from tests.unit.test_cases import message

pytestmark = pytest.mark.unit

MIN_S = 60
STORED = SlaInForce.from_documents({"version": 1, **POLICIES}, [BERLIN, ALWAYS], ResponseTargets())


def stored() -> SlaInForce:
    return STORED


# Friday 27 March 2026, 16:30 in Berlin (CET, UTC+1): half an hour before the office closes.
FRIDAY_1630 = int(datetime(2026, 3, 27, 15, 30, tzinfo=UTC).timestamp() * 1000)


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def figures(points: list[MetricPoint]) -> dict[str, Any]:
    """name -> value, after checking every point is filed under the care team and one channel."""
    found: dict[str, Any] = {}
    for point in points:
        assert [name for name, _ in point.dimensions] == [m.TEAM, m.CHANNEL], point
        assert point.dimension(m.TEAM) == "care"
        found[point.name] = (point.value, point.dimension(m.CHANNEL))
    return found


def opened(at: int = FRIDAY_1630, channel: Channel = Channel.MESSENGER) -> Case:
    return new_case(message(at, channel, "m1"), case_id="C1", team="care", now_ms=at, sla=STORED)


def replied(case: Case, at: int) -> Case:
    return apply_outbound(case, timestamp_ms=at, now_ms=at)


def moved(case: Case, status: CaseStatus, at: int) -> Case:
    """A status change as the agent API writes it."""
    after = replace(case.with_status(status, at), version=case.version + 1)
    if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED) and case.awaiting_reply_since_ms is not None:
        after = answered(after)
    return with_sla(status_changed(case, after, STORED, at), STORED, at)


def test_a_new_case_counts_its_message_on_its_channel() -> None:
    case = opened(channel=Channel.WHATSAPP)
    assert figures(case_metrics(None, case, stored)) == {m.INBOUND_MESSAGES: (1, "whatsapp")}
    second = apply_inbound(case, message(FRIDAY_1630 + 60_000, Channel.X_DM, "m2"), now_ms=FRIDAY_1630, sla=STORED)
    assert figures(case_metrics(case, second, stored)) == {m.INBOUND_MESSAGES: (1, "x_dm")}


def test_a_first_answer_over_the_spring_forward_weekend_counts_wall_and_business_time() -> None:
    case = opened()
    assert case.response_due_at_ms == utc("2026-03-30T07:30:00")  # Monday 09:30 CEST: 30 min Friday + 30 Monday
    answer = utc("2026-03-30T07:20:00")  # Monday 09:20 CEST
    points = case_metrics(case, replied(case, answer), stored)
    assert figures(points) == {
        m.FIRST_RESPONSE_TIME: ((answer - FRIDAY_1630) / 1000, "messenger"),  # 2 days 15 h 50 min
        m.FIRST_RESPONSE_BUSINESS_TIME: (50 * MIN_S, "messenger"),  # 30 min Friday + 20 min Monday
        m.target_met("first_response"): (1, "messenger"),
    }
    assert (answer - FRIDAY_1630) / 1000 == (2 * 24 + 15) * 3600 + 50 * 60
    assert {p.name: p.unit for p in points}[m.FIRST_RESPONSE_TIME] is Unit.SECONDS


def test_a_late_next_answer_misses_its_target_and_counts_as_next_response() -> None:
    first = replied(opened(), utc("2026-03-30T07:20:00"))
    again = apply_inbound(
        first,
        message(utc("2026-03-30T07:30:00"), Channel.MESSENGER, "m2"),
        now_ms=utc("2026-03-30T07:30:00"),
        sla=STORED,
    )
    assert again.response_due_at_ms == utc("2026-03-30T09:30:00")  # next response: 120 business minutes
    late = utc("2026-03-30T10:00:00")
    assert figures(case_metrics(again, replied(again, late), stored)) == {
        m.NEXT_RESPONSE_TIME: (150 * MIN_S, "messenger"),
        m.NEXT_RESPONSE_BUSINESS_TIME: (150 * MIN_S, "messenger"),
        m.target_missed("next_response"): (1, "messenger"),
    }


def test_a_resolution_counts_its_time_from_opening_and_meets_the_resolution_target() -> None:
    case = replied(opened(), utc("2026-03-30T07:20:00"))
    resolved_at = utc("2026-03-30T12:00:00")  # Monday 14:00 CEST
    assert figures(case_metrics(case, moved(case, CaseStatus.RESOLVED, resolved_at), stored)) == {
        m.CASES_RESOLVED: (1, "messenger"),
        m.RESOLUTION_TIME: ((resolved_at - FRIDAY_1630) / 1000, "messenger"),  # 68.5 hours
        m.RESOLUTION_BUSINESS_TIME: (330 * MIN_S, "messenger"),  # 30 min Friday + 09:00-14:00 Monday
        m.target_met("resolution"): (1, "messenger"),  # 48 business hours
    }


def test_time_spent_pending_the_customer_is_not_counted_against_the_resolution() -> None:
    case = replied(opened(), utc("2026-03-30T07:20:00"))
    waiting = moved(case, CaseStatus.PENDING_CUSTOMER, utc("2026-03-30T08:00:00"))  # 10:00 CEST
    back = apply_inbound(
        waiting,
        message(utc("2026-03-30T10:00:00"), Channel.MESSENGER, "m2"),
        now_ms=utc("2026-03-30T10:00:00"),
        sla=STORED,
    )
    answered_back = replied(back, utc("2026-03-30T10:30:00"))
    done = moved(answered_back, CaseStatus.RESOLVED, utc("2026-03-30T12:00:00"))
    found = figures(case_metrics(answered_back, done, stored))
    assert found[m.RESOLUTION_BUSINESS_TIME] == ((330 - 120) * MIN_S, "messenger")  # 10:00-12:00 CEST paused


def test_closing_an_unanswered_case_ends_the_wait_without_counting_an_answer() -> None:
    case = opened()
    closed = moved(case, CaseStatus.CLOSED, utc("2026-03-30T08:00:00"))
    found = figures(case_metrics(case, closed, stored))
    assert set(found) == {m.CASES_RESOLVED, m.RESOLUTION_TIME, m.RESOLUTION_BUSINESS_TIME, m.target_met("resolution")}


def test_an_answer_while_the_clock_is_paused_has_times_but_no_target_verdict() -> None:
    default, *others = POLICIES["policies"]
    pausing = {**default, "pauses": {"first_response": ["pending_internal"]}}
    sla = SlaInForce.from_documents({"version": 2, "policies": [pausing, *others]}, [BERLIN, ALWAYS], ResponseTargets())
    case = new_case(
        message(FRIDAY_1630, Channel.MESSENGER, "m1"), case_id="C1", team="care", now_ms=FRIDAY_1630, sla=sla
    )
    at = utc("2026-03-30T07:00:00")  # Monday 09:00 CEST: 30 business minutes have passed
    after = replace(case.with_status(CaseStatus.PENDING_INTERNAL, at), version=case.version + 1)
    pending = with_sla(status_changed(case, after, sla, at), sla, at)
    assert pending.response_due_at_ms is None, "this policy pauses the first response while pending_internal"
    found = figures(case_metrics(pending, replied(pending, utc("2026-03-30T08:00:00")), lambda: sla))
    # The pause from 09:00 to 10:00 CEST is not business time against the first response.
    assert found == {
        m.FIRST_RESPONSE_TIME: ((utc("2026-03-30T08:00:00") - FRIDAY_1630) / 1000, "messenger"),
        m.FIRST_RESPONSE_BUSINESS_TIME: (30 * MIN_S, "messenger"),
    }


def test_a_brand_reply_is_not_an_inbound_message_and_a_late_echo_of_an_old_one_counts_nothing() -> None:
    case = replied(opened(), utc("2026-03-30T07:20:00"))
    echo = replace(replied(case, utc("2026-03-30T07:00:00")), last_outbound_at_ms=case.last_outbound_at_ms)
    assert case_metrics(case, echo, stored) == []


def test_a_reopening_and_a_hand_off_to_a_department_are_counted() -> None:
    case = replied(opened(), utc("2026-03-30T07:20:00"))
    resolved = moved(case, CaseStatus.RESOLVED, utc("2026-03-30T08:00:00"))
    at = utc("2026-03-30T09:00:00")
    reopened = apply_inbound(resolved, message(at, Channel.MESSENGER, "m3"), now_ms=at, sla=STORED)
    assert figures(case_metrics(resolved, reopened, stored)) == {
        m.INBOUND_MESSAGES: (1, "messenger"),
        m.CASES_REOPENED: (1, "messenger"),
    }
    handed = moved(replied(reopened, at + 60_000), CaseStatus.PENDING_INTERNAL, at + 120_000)
    assert figures(case_metrics(replied(reopened, at + 60_000), handed, stored)) == {
        m.DEPARTMENT_HANDOFFS: (1, "messenger")
    }


def test_each_tier_the_case_clock_records_counts_once() -> None:
    case = opened()
    assert case.escalation is not None
    warned = replace(case, escalation=replace(case.escalation, tier=EscalationTier.WARN), version=case.version + 1)
    breached = replace(
        warned, escalation=replace(case.escalation, tier=EscalationTier.BREACH), version=warned.version + 1
    )
    assert figures(case_metrics(case, warned, stored)) == {m.escalations("warn"): (1, "messenger")}
    assert figures(case_metrics(warned, breached, stored)) == {m.escalations("breach"): (1, "messenger")}
    assert case_metrics(breached, replace(breached, version=breached.version + 1), stored) == []


def test_the_case_clocks_own_write_of_the_customers_copy_counts_nothing_new() -> None:
    case = opened()
    assert case_metrics(case, replace(case, version=case.version + 1, customer_read_up_to_ms=FRIDAY_1630), stored) == []


def test_a_late_older_message_that_moves_the_wait_is_counted() -> None:
    case = opened()
    earlier = FRIDAY_1630 - 30 * 60_000
    late = apply_inbound(case, message(earlier, Channel.MESSENGER, "m0"), now_ms=FRIDAY_1630 + 60_000, sla=STORED)
    assert late.awaiting_reply_since_ms == earlier
    assert figures(case_metrics(case, late, stored)) == {m.INBOUND_MESSAGES: (1, "messenger")}
