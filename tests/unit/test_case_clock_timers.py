"""The case clock's decisions in code: the schedule a case write stores (``rules.escalation``) and
whether it starts a clock (``timers.service``), on the in-memory twin of ``CaseClocks``."""

from __future__ import annotations

from dataclasses import replace

import pytest
from socialcare import constants as c
from socialcare.aws.items import case_item, item_to_case
from socialcare.clock import ManualClock
from socialcare.memory.case_clocks import MemoryCaseClocks
from socialcare.model.case import Case, CaseStatus
from socialcare.model.escalation import EscalationTier, clock_name, instant_text
from socialcare.rules.escalation import with_escalation
from socialcare.rules.policies import SlaClock
from socialcare.rules.sla import DueTimes
from socialcare.timers.service import CaseClockTimers, clock_start

from tests.case_clock_support import due_in, new_case

pytestmark = pytest.mark.unit

T0 = 1_767_258_000_000  # 2026-01-01T09:00:00Z
MIN = 60_000
DAY = 24 * 60 * MIN


def due(
    start: int, *, warn: int = 45, breach: int = 60, second: int | None = 90, clock: SlaClock = SlaClock.FIRST_RESPONSE
) -> DueTimes:
    return due_in(
        start, warn_s=warn * 60, breach_s=breach * 60, second_s=None if second is None else second * 60, clock=clock
    )


def written(
    before: Case | None, after: Case, due_times: DueTimes | None, clocks: MemoryCaseClocks, *, now: int = T0 + DAY
) -> Case:
    """The write and the clock function's start, by default a day on (every tier here is near)."""
    case = with_escalation(after, due_times)
    CaseClockTimers(clocks, clock=ManualClock(now)).case_changed(before, case)
    return case


def test_a_new_case_awaiting_an_answer_starts_generation_one_aimed_at_the_warning() -> None:
    clocks = MemoryCaseClocks()
    case = written(None, new_case("C1", T0), due(T0), clocks)
    assert case.clock_generation == 1
    assert case.escalation is not None
    assert (case.escalation.warn_at_ms, case.escalation.breach_at_ms) == (T0 + 45 * MIN, T0 + 60 * MIN)
    assert clocks.started == {
        "case-C1-1": {"case_id": "C1", "generation": "1", "tier": "warn", "at": "2026-01-01T09:45:00Z"}
    }


def test_a_due_time_moved_later_keeps_the_generation_and_starts_nothing() -> None:
    clocks = MemoryCaseClocks()
    case = written(None, new_case("C1", T0), due(T0), clocks)
    later = written(case, case, due(T0, warn=50, breach=70), clocks)
    assert later.clock_generation == 1
    assert later.escalation is not None
    assert later.escalation.breach_at_ms == T0 + 70 * MIN
    assert list(clocks.started) == ["case-C1-1"]


def test_an_answer_clears_the_schedule_and_the_next_customer_message_starts_the_next_generation() -> None:
    clocks = MemoryCaseClocks()
    case = written(None, new_case("C1", T0), due(T0), clocks)
    answered = written(case, replace(case, awaiting_reply_since_ms=None, first_response_at_ms=T0 + MIN), None, clocks)
    assert answered.escalation is None
    assert answered.clock_generation == 1, "the generation is kept: the next clock needs a new name"
    again = replace(answered, awaiting_reply_since_ms=T0 + 10 * MIN)
    next_response = written(answered, again, due(T0 + 10 * MIN, clock=SlaClock.NEXT_RESPONSE), clocks)
    assert next_response.clock_generation == 2
    assert list(clocks.started) == ["case-C1-1", "case-C1-2"]
    assert clocks.started["case-C1-2"]["at"] == instant_text(T0 + 55 * MIN)


def test_a_tier_moved_earlier_starts_the_next_generation_after_the_recorded_tier() -> None:
    clocks = MemoryCaseClocks()
    case = written(None, new_case("C1", T0), due(T0), clocks)
    assert case.escalation is not None
    warned = replace(case, escalation=replace(case.escalation, tier=EscalationTier.WARN, tier_owner="agent-7"))
    stricter = written(warned, warned, due(T0, warn=30, breach=40, second=60), clocks)  # an urgent priority
    assert stricter.clock_generation == 2
    assert stricter.escalation is not None
    assert stricter.escalation.tier is EscalationTier.WARN, "the warning already sent is not sent again"
    assert clocks.started["case-C1-2"] == {
        "case_id": "C1",
        "generation": "2",
        "tier": "breach",
        "at": instant_text(T0 + 40 * MIN),
    }


def test_a_resolved_case_has_no_schedule_and_starts_no_clock() -> None:
    clocks = MemoryCaseClocks()
    case = written(None, new_case("C1", T0), due(T0), clocks)
    resolved = written(case, case.with_status(CaseStatus.RESOLVED, T0 + MIN), due(T0), clocks)
    assert resolved.escalation is None
    assert clock_start(case, resolved) is None
    assert list(clocks.started) == ["case-C1-1"]


def test_a_duplicate_start_keeps_the_first_clock() -> None:
    clocks = MemoryCaseClocks()
    case = with_escalation(new_case("C1", T0), due(T0))
    timers = CaseClockTimers(clocks, clock=ManualClock(T0 + 35 * MIN))
    first = timers.case_changed(None, case)
    assert timers.case_changed(None, case) == first
    clocks.start("C1", 1, {"tier": "other"})
    assert first is not None
    assert clocks.started == {clock_name("C1", 1): first.input}


def test_no_clock_starts_when_every_tier_of_the_cycle_is_recorded() -> None:
    case = with_escalation(new_case("C1", T0), due(T0, second=None))
    assert case.escalation is not None
    done = replace(case, escalation=replace(case.escalation, tier=EscalationTier.BREACH))
    assert clock_start(None, done) is None


def test_the_schedule_survives_the_case_item_and_times_are_whole_seconds_in_z() -> None:
    case = with_escalation(new_case("C1", T0), due_in(T0 + 1, warn_s=1, breach_s=2, second_s=3))
    assert case.escalation is not None
    recorded = replace(case, escalation=replace(case.escalation, tier=EscalationTier.BREACH, tier_owner="agent-7"))
    item = case_item(recorded)
    assert item["sla_warn_at"] == {"S": "2026-01-01T09:00:02Z"}, "rounded up: never wake before the instant"
    assert item["sla_warn_at_ms"] == {"N": str(T0 + 1001)}
    assert (item["sla_generation"], item["sla_owner"], item["sla_tier_rank"]) == (
        {"N": "1"},
        {"S": "agent-7"},
        {"N": "2"},
    )
    assert item_to_case(item) == recorded
    unassigned = case_item(replace(case, owner=None))
    assert unassigned["sla_owner"] == {"S": ""}


# ---- the lazy start ------------------------------------------------------------------------------


def test_a_clock_starts_only_once_its_first_tier_is_within_the_lead_and_margin() -> None:
    case = with_escalation(new_case("C1", T0), due(T0))  # warns at T0 + 45 min
    start_at = T0 + 45 * MIN - c.CLOCK_START_LEAD_MS
    assert start_at == T0 + 35 * MIN
    for now, starts in (
        (T0, False),  # written long before: the sweep starts it when it comes due
        (start_at - c.CLOCK_START_MARGIN_MS - 1, False),
        (start_at - c.CLOCK_START_MARGIN_MS, True),  # due within the margin: started at once
        (T0 + 50 * MIN, True),  # late (the stream lagged): at once, the machine catches up
    ):
        clocks = MemoryCaseClocks()
        started = CaseClockTimers(clocks, clock=ManualClock(now)).case_changed(None, case)
        assert (started is not None) == starts, now - T0
        assert list(clocks.started) == (["case-C1-1"] if starts else [])


def test_the_case_item_carries_the_clock_in_the_clock_index_while_an_answer_is_awaited() -> None:
    case = with_escalation(new_case("C-INDEXED", T0), due(T0))
    item = case_item(case)
    assert item[c.CLOCK_INDEX_PK]["S"].startswith("CLOCKS#")
    assert 0 <= int(item[c.CLOCK_INDEX_PK]["S"].removeprefix("CLOCKS#")) < c.CLOCK_SHARDS
    assert item[c.CLOCK_INDEX_SK] == {"S": f"{T0 + 35 * MIN:013d}#C-INDEXED#1#warn"}
    assert case.escalation is not None
    warned = replace(case, escalation=replace(case.escalation, tier=EscalationTier.WARN))
    assert case_item(warned)[c.CLOCK_INDEX_SK] == {"S": f"{T0 + 50 * MIN:013d}#C-INDEXED#1#breach"}
    answered = with_escalation(replace(case, awaiting_reply_since_ms=None, first_response_at_ms=T0 + MIN), None)
    assert c.CLOCK_INDEX_PK not in case_item(answered), "answered: out of the index, never started"
    resolved = with_escalation(case.with_status(CaseStatus.RESOLVED, T0 + MIN), due(T0))
    assert c.CLOCK_INDEX_SK not in case_item(resolved)


def test_the_clock_index_spreads_cases_over_its_shards() -> None:
    shards = {case_item(with_escalation(new_case(f"C{i}", T0), due(T0)))[c.CLOCK_INDEX_PK]["S"] for i in range(400)}
    assert len(shards) == c.CLOCK_SHARDS
