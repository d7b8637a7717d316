"""Every case write sets or clears the case clock's schedule: inbound messages, replies (the sender's
and echoes: ``apply_outbound``) and agents' status changes, under today's per-channel targets."""

from __future__ import annotations

from dataclasses import replace

import pytest
from socialcare.agents.commands import StatusCommand
from socialcare.clock import ManualClock
from socialcare.model.case import Case, CaseStatus
from socialcare.model.escalation import EscalationTier
from socialcare.model.events import Channel
from socialcare.rules.case_sla import SlaInForce, case_facts, with_sla
from socialcare.rules.cases import apply_inbound, apply_outbound, new_case
from socialcare.rules.policies import SlaClock
from socialcare.rules.sla import (
    ALWAYS_OPEN,
    CaseClockFacts,
    ResponseTargets,
    due_times,
    policy_set_from_response_targets,
)
from socialcare.timers.service import clock_start

from tests.unit.test_agent_service import ALICE, CASE_ID, World
from tests.unit.test_cases import message

pytestmark = pytest.mark.unit

MIN = 60_000
T0 = 1_767_225_600_000
TARGETS = ResponseTargets()


def opened(channel: Channel = Channel.X_DM, at: int = T0, targets: ResponseTargets = TARGETS) -> Case:
    return new_case(message(at, channel), case_id="C1", team="care", now_ms=at + 5, sla=SlaInForce(targets))


def test_a_new_case_is_scheduled_to_warn_breach_and_escalate_with_its_due_time() -> None:
    case = opened(Channel.X_POST)
    schedule = case.escalation
    assert schedule is not None
    assert case.clock_generation == 1
    assert schedule.clock == SlaClock.FIRST_RESPONSE.value
    assert schedule.breach_at_ms == case.response_due_at_ms == T0 + 60 * MIN  # the queue's due time, unchanged
    assert (schedule.warn_at_ms, schedule.second_tier_at_ms) == (T0 + 45 * MIN, T0 + 90 * MIN)
    assert schedule.tier is None
    start = clock_start(None, case)
    assert start is not None
    assert start.input == {"case_id": "C1", "generation": "1", "tier": "warn", "at": start.input["at"]}


def test_the_schedule_is_what_the_policy_set_from_the_targets_gives() -> None:
    case = opened(Channel.WHATSAPP)
    due = SlaInForce(TARGETS).due_times(case_facts(case), T0)
    facts = CaseClockFacts(
        account_id=case.account_id,
        channel=Channel.WHATSAPP,
        priority=case.priority,
        team=case.team,
        status=case.status,
        status_since_ms=T0,
        opened_at_ms=T0,
        awaiting_reply_since_ms=T0,
    )
    expected = due_times(policy_set_from_response_targets(TARGETS), {"always": ALWAYS_OPEN}, facts, ManualClock(T0))
    assert due is not None
    assert due.running == expected.running


def test_another_message_of_the_same_wait_keeps_the_clock() -> None:
    case = opened()
    after = apply_inbound(
        case, message(T0 + 10 * MIN, Channel.X_DM, "m2"), now_ms=T0 + 10 * MIN, sla=SlaInForce(TARGETS)
    )
    assert after.escalation == case.escalation
    assert after.clock_generation == 1
    assert clock_start(case, after) is None  # the running clock follows


def test_a_public_message_that_makes_the_due_time_earlier_starts_a_new_clock() -> None:
    case = opened(Channel.X_DM)  # due in 240 minutes
    after = apply_inbound(
        case, message(T0 + 10 * MIN, Channel.X_POST, "m2"), now_ms=T0 + 10 * MIN, sla=SlaInForce(TARGETS)
    )
    assert after.response_due_at_ms == T0 + 70 * MIN
    assert after.escalation is not None
    assert after.escalation.breach_at_ms == T0 + 70 * MIN
    assert after.clock_generation == 2
    assert clock_start(case, after) is not None


def test_an_answer_clears_the_schedule_and_the_next_message_starts_the_next_response_clock() -> None:
    case = opened()
    answered = apply_outbound(case, timestamp_ms=T0 + 5 * MIN, now_ms=T0 + 5 * MIN)
    assert (answered.escalation, answered.response_due_at_ms, answered.clock_generation) == (None, None, 1)
    again = apply_inbound(
        answered, message(T0 + 30 * MIN, Channel.X_DM, "m2"), now_ms=T0 + 30 * MIN, sla=SlaInForce(TARGETS)
    )
    assert again.escalation is not None
    assert again.escalation.clock == SlaClock.NEXT_RESPONSE.value
    assert again.clock_generation == 2
    assert again.escalation.breach_at_ms == again.response_due_at_ms


def test_an_answer_older_than_the_wait_changes_nothing() -> None:
    case = opened(at=T0 + 10 * MIN)
    after = apply_outbound(case, timestamp_ms=T0, now_ms=T0 + 11 * MIN)
    assert after.escalation == case.escalation
    assert after.clock_generation == case.clock_generation


def test_a_standby_message_starts_no_clock() -> None:
    case = new_case(
        replace(message(T0, Channel.MESSENGER), standby=True),
        case_id="C1",
        team="care",
        now_ms=T0,
        sla=SlaInForce(TARGETS),
    )
    assert (case.escalation, case.clock_generation) == (None, 0)


def test_targets_come_from_a_config_document() -> None:
    targets = ResponseTargets.from_config({"minutes": {"x_post": 5}, "seconds": {"x_dm": 4}})
    assert (targets.target_ms(Channel.X_POST), targets.target_ms(Channel.X_DM)) == (5 * MIN, 4_000)
    assert targets.target_ms(Channel.WHATSAPP) == 240 * MIN
    assert ResponseTargets.from_config(targets.to_config()) == targets


def test_targets_in_seconds_schedule_in_seconds() -> None:
    quick = ResponseTargets(seconds={Channel.X_DM: 4})
    case = opened(targets=quick)
    assert case.escalation is not None
    assert (case.escalation.warn_at_ms, case.escalation.breach_at_ms, case.escalation.second_tier_at_ms) == (
        T0 + 3_000,
        T0 + 4_000,
        T0 + 6_000,
    )


def scheduled_world() -> World:
    """The agent service's world, its case scheduled as ingest leaves it."""
    world = World()
    world.store.put_case(with_sla(world.case, SlaInForce(TARGETS), world.clock()))
    return world


def test_resolving_clears_the_schedule_and_keeps_the_generation() -> None:
    world = scheduled_world()
    before = world.case
    assert before.escalation is not None
    world.service.change_status(ALICE, CASE_ID, StatusCommand(status=CaseStatus.RESOLVED, reason="answered by phone"))
    after = world.case
    assert (after.escalation, after.response_due_at_ms, after.clock_generation) == (None, None, 1)


def test_waiting_on_a_department_keeps_the_running_clock() -> None:
    world = scheduled_world()
    before = world.case
    world.service.change_status(ALICE, CASE_ID, StatusCommand(status=CaseStatus.PENDING_INTERNAL))
    after = world.case
    assert after.escalation == before.escalation
    assert after.clock_generation == before.clock_generation
    assert clock_start(before, after) is None


def test_reopening_a_case_still_awaiting_an_answer_starts_its_clock_again() -> None:
    world = scheduled_world()
    case = world.case
    resolved = replace(case, status=CaseStatus.RESOLVED, resolved_at_ms=T0, escalation=None)
    world.store.put_case(resolved, [])
    world.clock.advance(minutes=1)
    world.service.change_status(ALICE, CASE_ID, StatusCommand(status=CaseStatus.OPEN))
    after = world.case
    assert after.escalation is not None
    assert after.escalation.breach_at_ms == after.response_due_at_ms
    assert after.clock_generation == case.clock_generation + 1
    start = clock_start(resolved, after)
    assert start is not None
    assert start.input["tier"] == EscalationTier.WARN.value
