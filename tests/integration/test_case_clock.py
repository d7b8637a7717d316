"""The case clock's real ASL file in moto's Step Functions engine (``tests/case_clock_support.py``).

Targets are a second or so (Wait really sleeps): tiers fall on whole seconds, a fraction of a second
to a second and a half from the start. The cases are written as the services will write them —
``rules.escalation.with_escalation`` then the item, then ``CaseClockTimers.case_changed`` — and the
escalations are read from an SQS queue that an EventBridge rule on the bus feeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from socialcare.aws.items import case_item
from socialcare.model.case import CaseStatus
from socialcare.model.escalation import DETAIL_TYPES, EscalationTier, instant_text
from socialcare.rules.escalation import with_escalation
from socialcare.rules.policies import SlaClock
from socialcare.timers.service import clock_start

from tests.case_clock_support import ClockWorld, clock_world, due_in, new_case
from tests.state_machine_support import collect, now_ms

pytestmark = pytest.mark.integration

DETAIL_KEYS = {"case_id", "tier", "owner", "team", "due_at", "tier_at", "generation"}


@pytest.fixture
def world(aws_env: None) -> Iterator[ClockWorld]:
    with clock_world() as opened:
        yield opened


def test_a_case_left_unanswered_warns_then_breaches_then_reaches_the_second_tier(world: ClockWorld) -> None:
    start = now_ms()
    case, started = world.write(
        None, new_case("C-UNANSWERED", start), due_in(start, warn_s=0.3, breach_s=1.3, second_s=1.3)
    )
    assert started is not None
    assert started.name == "case-C-UNANSWERED-1"
    assert started.input == {"case_id": "C-UNANSWERED", "generation": "1", "tier": "warn", "at": started.input["at"]}

    assert world.finish("C-UNANSWERED", 1)["status"] == "SUCCEEDED"
    events = world.events()
    assert [e["detail-type"] for e in events] == [DETAIL_TYPES[t] for t in EscalationTier]
    assert {e["source"] for e in events} == {"socialcare"}
    schedule = case.escalation
    assert schedule is not None
    for event, tier, at_ms in zip(
        events, EscalationTier, (schedule.warn_at_ms, schedule.breach_at_ms, schedule.second_tier_at_ms), strict=True
    ):
        detail = event["detail"]
        assert set(detail) == DETAIL_KEYS, "ids, tier, people and times only: never message text"
        assert detail == {
            "case_id": "C-UNANSWERED",
            "tier": tier.value,
            "owner": "agent-7",
            "team": "care",
            "due_at": instant_text(schedule.breach_at_ms),
            "tier_at": instant_text(at_ms or 0),
            "generation": "1",
        }
    item = world.item("C-UNANSWERED")
    assert (item["sla_tier"], item["sla_tier_rank"], item["sla_tier_owner"]) == (
        {"S": "second_tier"},
        {"N": "3"},
        {"S": "agent-7"},
    )


def test_a_reply_before_the_warning_ends_the_clock_in_four_transitions_without_escalating(world: ClockWorld) -> None:
    start = now_ms()
    case, _ = world.write(None, new_case("C-ANSWERED", start), due_in(start, warn_s=0.3, breach_s=1.3, second_s=None))
    answered = replace(
        case, awaiting_reply_since_ms=None, first_response_at_ms=start + 100, last_outbound_at_ms=start + 100
    )
    answered, restarted = world.write(case, answered, None)  # nothing awaited any more: no schedule
    assert restarted is None
    assert answered.escalation is None
    assert answered.clock_generation == 1
    _resolved, restarted = world.write(answered, answered.with_status(CaseStatus.RESOLVED, start + 200), None)
    assert restarted is None

    assert world.finish("C-ANSWERED", 1)["status"] == "SUCCEEDED"
    assert world.states_entered("C-ANSWERED", 1) == ["WaitForTier", "ReadCase", "Decide", "ClockEnded"]
    assert world.transitions("C-ANSWERED", 1) <= 6
    assert world.events() == []
    assert "sla_tier" not in world.item("C-ANSWERED")


def test_the_clock_follows_a_due_time_that_moved_later(world: ClockWorld) -> None:
    start = now_ms()
    case, _ = world.write(None, new_case("C-MOVED", start), due_in(start, warn_s=0.3, breach_s=3.3, second_s=None))
    # Same cycle (same clock, same start), every tier later — say a policy with a longer target.
    moved, restarted = world.write(case, case, due_in(start, warn_s=1.3, breach_s=4.3, second_s=None))
    assert restarted is None, "the running clock follows; no second one"
    assert moved.clock_generation == 1
    assert moved.escalation is not None

    [warning] = collect(world.events, 1, timeout_s=5.0)
    assert warning["detail"]["tier_at"] == instant_text(moved.escalation.warn_at_ms)
    assert now_ms() >= moved.escalation.warn_at_ms - 1000  # the instant, in whole seconds
    assert world.states_entered("C-MOVED", 1)[:6] == [
        "WaitForTier", "ReadCase", "Decide", "AimAtWarn", "WaitForTier", "ReadCase",
    ]  # fmt: skip
    assert len(world.executions()) == 1


def test_a_case_resolved_mid_wait_ends_the_clock_without_escalating(world: ClockWorld) -> None:
    start = now_ms()
    case, _ = world.write(None, new_case("C-RESOLVED", start), due_in(start, warn_s=0.3, breach_s=1.3, second_s=1.3))
    world.dynamodb.put_item(  # resolved by a writer that left the schedule: the status alone ends the clock
        TableName="socialcare-clock",
        Item=case_item(replace(case.with_status(CaseStatus.RESOLVED, start + 50), version=2)),
    )

    assert world.finish("C-RESOLVED", 1)["status"] == "SUCCEEDED"
    assert world.states_entered("C-RESOLVED", 1) == ["WaitForTier", "ReadCase", "Decide", "ClockEnded"]
    assert world.events() == []
    assert "sla_tier" not in world.item("C-RESOLVED")


def test_a_duplicate_start_does_not_create_a_second_clock(world: ClockWorld) -> None:
    start = now_ms()
    case, first = world.write(None, new_case("C-TWICE", start), due_in(start, warn_s=60, breach_s=120, second_s=None))
    assert first is not None
    again = world.timers().case_changed(None, case)  # e.g. a retried write: same name, same input
    assert again == first
    other_input = dict(first.input, at=instant_text(start + 90_000))
    world.start(first, other_input)  # same name, other input: ExecutionAlreadyExists, left alone
    assert [e["name"] for e in world.executions()] == ["case-C-TWICE-1"]


def test_a_tier_is_never_recorded_backwards(world: ClockWorld) -> None:
    start = now_ms() - 5_000
    case = with_escalation(new_case("C-AHEAD", start), due_in(start, warn_s=1, breach_s=2, second_s=None))
    aiming_at_warning = clock_start(None, case)  # computed before the breach was recorded
    assert aiming_at_warning is not None
    assert aiming_at_warning.input["tier"] == "warn"
    assert case.escalation is not None
    world.put(replace(case, escalation=replace(case.escalation, tier=EscalationTier.BREACH)))
    world.start(aiming_at_warning)

    assert world.finish("C-AHEAD", 1)["status"] == "SUCCEEDED"
    assert world.states_entered("C-AHEAD", 1) == ["WaitForTier", "ReadCase", "Decide", "RecordWarn", "ClockEnded"]
    assert world.events() == []
    assert world.item("C-AHEAD")["sla_tier"] == {"S": "breach"}


def test_a_clock_of_an_older_generation_ends_when_it_wakes(world: ClockWorld) -> None:
    start = now_ms() - 60_000
    case = with_escalation(new_case("C-OLD", start), due_in(start, warn_s=1, breach_s=2, second_s=None))
    old_clock = clock_start(None, case)
    assert old_clock is not None
    # A reply, then a new customer message: the next-response clock is a new cycle, generation 2.
    world.put(case)
    newer, started = world.write(
        case, case, due_in(start + 50_000, warn_s=30, breach_s=60, second_s=None, clock=SlaClock.NEXT_RESPONSE)
    )
    assert newer.clock_generation == 2
    assert started is not None
    assert started.name == "case-C-OLD-2"
    world.start(old_clock)  # the generation-1 clock wakes late, after the write

    assert world.finish("C-OLD", 1)["status"] == "SUCCEEDED"
    assert world.states_entered("C-OLD", 1) == ["WaitForTier", "ReadCase", "Decide", "ClockEnded"]
    assert world.events() == []
