"""Issue 8, items 1 and 2: every case write computes its due times from the SLA in force — the stored
policy set on its business calendar — and keeps the facts its clocks run on (the awaited message's
clock, the status change, the time paused), so an admin's change applies to due times computed after it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from socialcare.aws.config_store import CachedSla
from socialcare.clock import ManualClock
from socialcare.memory.config_store import MemoryConfigStore
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.model.case import Case, CaseStatus, Priority
from socialcare.model.config import POLICY_SET_NAME, ConfigKind, StoredConfig
from socialcare.model.events import Channel
from socialcare.rules.case_sla import SlaInForce, answered, case_facts, status_changed, with_sla
from socialcare.rules.cases import apply_inbound, apply_outbound, new_case
from socialcare.rules.sla import ResponseTargets

from tests.sla_config_support import ALWAYS, BERLIN, POLICIES
from tests.unit.test_cases import message

pytestmark = pytest.mark.unit

MIN = 60_000
TARGETS = ResponseTargets()


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def policies(*extra: dict[str, Any], version: int = 1) -> dict[str, Any]:
    return {"version": version, "policies": [*POLICIES["policies"], *extra]}


STORED = SlaInForce.from_documents(policies(), [BERLIN, ALWAYS], TARGETS)


def opened(at: int, channel: Channel = Channel.MESSENGER, sla: SlaInForce = STORED, **kw: Any) -> Case:
    return new_case(message(at, channel), case_id="C1", team="care", now_ms=at, sla=sla, **kw)


def test_a_message_after_hours_on_friday_is_due_monday_morning_in_business_time() -> None:
    # Friday 4 December 2026, 16:30 in Berlin (15:30 UTC): 30 business minutes left that day.
    case = opened(utc("2026-12-04T15:30:00"))
    assert case.response_due_at_ms == utc("2026-12-07T08:30:00")  # Monday 09:30 in Berlin
    assert case.escalation is not None
    assert case.escalation.breach_at_ms == case.response_due_at_ms
    # Warned with a quarter of the hour left: Monday 09:15 Berlin.
    assert case.escalation.warn_at_ms == utc("2026-12-07T08:15:00")


def test_the_most_specific_policy_applies_on_its_own_calendar() -> None:
    case = opened(utc("2026-12-05T22:00:00"), Channel.WHATSAPP, priority=Priority.URGENT)  # Saturday night
    assert case.response_due_at_ms == utc("2026-12-05T22:15:00")  # 24/7: fifteen minutes
    normal = opened(utc("2026-12-05T22:00:00"), Channel.WHATSAPP)
    assert normal.response_due_at_ms == utc("2026-12-07T09:00:00")  # Monday 10:00 Berlin


def test_without_a_stored_policy_set_the_per_channel_targets_apply_around_the_clock() -> None:
    at = utc("2026-12-05T22:00:00")
    case = opened(at, Channel.X_POST, sla=SlaInForce(TARGETS))
    assert case.response_due_at_ms == at + 60 * MIN


def test_a_later_message_on_a_faster_channel_brings_the_due_time_forward() -> None:
    sla = SlaInForce(TARGETS)
    at = utc("2026-12-01T10:00:00")
    case = opened(at, Channel.MESSENGER, sla=sla)  # 240 minutes
    assert case.response_due_at_ms == at + 240 * MIN
    later = apply_inbound(case, message(at + 10 * MIN, Channel.X_POST, "m2"), now_ms=at + 10 * MIN, sla=sla)
    assert later.response_due_at_ms == at + 70 * MIN  # the public post's hour, from its own time
    assert (later.awaiting_reply_since_ms, later.response_channel) == (at, Channel.X_POST)
    slower = apply_inbound(later, message(at + 20 * MIN, Channel.MESSENGER, "m3"), now_ms=at + 20 * MIN, sla=sla)
    assert slower.response_due_at_ms == at + 70 * MIN


def pausing(version: int = 1) -> SlaInForce:
    """A 24/7 policy whose response clocks stop while the case waits on a department."""
    policy = {
        "name": "default",
        "calendar": "always",
        "match": {},
        "targets_minutes": {"first_response": 60, "next_response": 60},
        "pauses": {"first_response": ["pending_internal"], "next_response": ["pending_internal"]},
    }
    return SlaInForce.from_documents({"version": version, "policies": [policy]}, [ALWAYS], TARGETS)


def test_a_pausing_status_stops_the_response_clock_and_the_pause_is_not_counted_after() -> None:
    sla = pausing()
    t0 = utc("2026-12-01T10:00:00")
    case = opened(t0, sla=sla)
    assert case.response_due_at_ms == t0 + 60 * MIN
    # 20 minutes in, the agent hands the case to a department: no due time while it waits.
    waiting = with_sla(
        status_changed(case, case.with_status(CaseStatus.PENDING_INTERNAL, t0 + 20 * MIN), sla, t0 + 20 * MIN),
        sla,
        t0 + 20 * MIN,
    )
    assert waiting.response_due_at_ms is None
    assert waiting.escalation is None
    assert waiting.status_since_ms == t0 + 20 * MIN
    # Back after 100 minutes: 40 minutes of the target were left, so it is due 40 minutes later.
    back_at = t0 + 120 * MIN
    back = with_sla(status_changed(waiting, waiting.with_status(CaseStatus.OPEN, back_at), sla, back_at), sla, back_at)
    assert back.paused_ms == {"first_response": 100 * MIN}
    assert back.response_due_at_ms == back_at + 40 * MIN
    assert back.escalation is not None
    assert back.escalation.breach_at_ms == back_at + 40 * MIN
    # The answer ends the response clock and forgets its pause; the next message starts afresh.
    done = apply_outbound(back, timestamp_ms=back_at + MIN, now_ms=back_at + MIN)
    assert (done.response_due_at_ms, done.paused_ms, done.response_started_at_ms) == (None, {}, None)
    assert answered(back).paused_ms == {}


def test_the_resolution_clock_keeps_its_pause_across_the_customers_silence() -> None:
    t0 = utc("2026-12-01T08:00:00")  # Tuesday 09:00 in Berlin
    case = apply_outbound(opened(t0), timestamp_ms=t0 + 5 * MIN, now_ms=t0 + 5 * MIN)
    pending = status_changed(case, case.with_status(CaseStatus.PENDING_CUSTOMER, t0 + 60 * MIN), STORED, t0 + 60 * MIN)
    # The customer answers at 13:00 Berlin: the three business hours they took do not count.
    back = apply_inbound(pending, message(t0 + 240 * MIN, mid="m2"), now_ms=t0 + 240 * MIN, sla=STORED)
    assert back.status is CaseStatus.OPEN
    assert back.paused_ms == {"resolution": 180 * MIN}
    assert case_facts(back).paused_ms


def test_a_policy_change_applies_to_due_times_computed_after_it_within_a_minute() -> None:
    clock = ManualClock(utc("2026-12-01T10:00:00"))
    store = MemoryConfigStore()
    sla = CachedSla(store, TARGETS, clock=clock)
    first = sla()
    assert not first.stored  # nothing stored yet: the per-channel targets
    at = clock()
    assert opened(at, Channel.X_POST, sla=first).response_due_at_ms == at + 60 * MIN
    quick = {"name": "default", "calendar": "always", "match": {}, "targets_minutes": {"first_response": 5}}
    record = AuditRecord("b" * 26, at, "admin", "admin", AuditAction.SLA_POLICIES_UPDATED, subject="calendar/always")
    store.save_config(StoredConfig(ConfigKind.CALENDAR, "always", 1, ALWAYS, at, "admin"), record)
    store.save_config(
        StoredConfig(ConfigKind.SLA_POLICIES, POLICY_SET_NAME, 1, {"version": 1, "policies": [quick]}, at, "admin"),
        replace(record, record_id="c" * 26),
    )
    assert sla() is first  # read at most once a minute
    clock.advance(minutes=1)
    now = clock()
    current = sla()
    assert current.stored
    assert current.version == 1
    assert opened(now, Channel.X_POST, sla=current).response_due_at_ms == now + 5 * MIN
