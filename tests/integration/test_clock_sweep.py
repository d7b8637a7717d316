"""The lazy case clock on moto: the clock index the case writes keep, the clock function's decision to
start a clock at once or leave it, and the sweep that starts it when it comes due — with the real
ASL file in moto's Step Functions engine (``tests/case_clock_support.py``).

The lead (``CLOCK_START_LEAD_MS``, minutes) is longer than the tiers a test can wait for (seconds), so
a write made "long before its first tier" is a write whose clock function ran at an earlier time
(``ManualClock``); the sweep then runs at the real time and the machine really waits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
from socialcare import constants as c
from socialcare.clock import ManualClock
from socialcare.errors import ClockSweepIncomplete
from socialcare.model.escalation import DETAIL_TYPES, EscalationTier
from socialcare.rules.escalation import clock_shard
from socialcare.timers.service import clock_start
from socialcare_local.emulator.functions import LambdaContext, load_function, reset_function

from tests.case_clock_support import TABLE, ClockWorld, clock_world, due_in, new_case
from tests.state_machine_support import collect, now_ms

pytestmark = pytest.mark.integration

MIN = 60_000
HOUR = 60 * MIN
MISSING_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:nowhere"


@pytest.fixture
def world(aws_env: None) -> Iterator[ClockWorld]:
    with clock_world() as opened:
        yield opened


def long_ago() -> ManualClock:
    """The clock function's time for a write made well before the lead of its first tier."""
    return ManualClock(now_ms() - c.CLOCK_START_LEAD_MS - 5 * MIN)


def due_clocks(world: ClockWorld, case_id: str, *, until_ms: int) -> list[str]:
    page = world.index.due(clock_shard(case_id), after=None, until_ms=until_ms, limit=10)
    return [start.name for _, start in page.clocks if start.case_id == case_id]


def test_a_case_answered_before_its_start_time_never_starts_a_clock(world: ClockWorld) -> None:
    start = now_ms()
    case, started = world.write(
        None, new_case("C-QUICK", start), due_in(start, warn_s=2700, breach_s=3600, second_s=None)
    )
    assert started is None, "its warning is 45 minutes away: nothing starts now"
    assert due_clocks(world, "C-QUICK", until_ms=start + HOUR) == ["case-C-QUICK-1"]

    answered = replace(case, awaiting_reply_since_ms=None, first_response_at_ms=start + MIN, last_outbound_at_ms=start)
    world.write(case, answered, None)
    assert due_clocks(world, "C-QUICK", until_ms=start + HOUR) == [], "the answer took it out of the index"

    run = world.sweep(ManualClock(start + 2 * HOUR)).run()  # past the warning, the breach and beyond
    assert run.started == 0
    assert world.executions() == [], "no execution, no state transition"


def test_a_case_left_unanswered_is_started_by_the_sweep_and_warns_then_breaches(world: ClockWorld) -> None:
    start = now_ms()
    case, started = world.write(
        None, new_case("C-LATE", start), due_in(start, warn_s=1.3, breach_s=2.3, second_s=None), clock=long_ago()
    )
    assert started is None
    needed = clock_start(None, case)
    assert needed is not None

    run = world.sweep().run()
    assert run.started == 1
    [execution] = world.executions()
    assert execution["name"] == "case-C-LATE-1"
    described = world.sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == needed.input, "the input the clock function would have given"

    assert world.finish("C-LATE", 1)["status"] == "SUCCEEDED"
    events = world.events()
    assert [e["detail-type"] for e in events] == [
        DETAIL_TYPES[EscalationTier.WARN],
        DETAIL_TYPES[EscalationTier.BREACH],
    ]
    assert events[0]["detail"]["owner"] == "agent-7"
    assert world.item("C-LATE")["sla_tier"] == {"S": "breach"}
    assert world.sweep().run().started == 0, "the watermark moved past it"
    assert len(world.executions()) == 1


def test_a_due_time_moved_earlier_starts_the_new_generation_at_once(world: ClockWorld) -> None:
    start = now_ms()
    case, started = world.write(
        None, new_case("C-COMMENT", start), due_in(start, warn_s=2700, breach_s=3600, second_s=None)
    )
    assert started is None
    # A public comment: the answer is now due within seconds, a tier earlier than the DM's.
    earlier, started = world.write(case, case, due_in(start, warn_s=1, breach_s=30, second_s=None))
    assert earlier.clock_generation == 2
    assert started is not None
    assert [e["name"] for e in world.executions()] == ["case-C-COMMENT-2"]

    [warning] = collect(world.events, 1, timeout_s=5.0)
    assert (warning["detail-type"], warning["detail"]["generation"]) == ("SLA warning", "2")
    world.sweep(ManualClock(start + HOUR)).run()  # its index entry comes due: the same execution, found
    assert [e["name"] for e in world.executions()] == ["case-C-COMMENT-2"], "generation 1 never ran"


def test_a_sweep_that_fails_keeps_the_watermark_and_the_next_run_starts_the_clock(world: ClockWorld) -> None:
    start = now_ms()
    world.write(
        None, new_case("C-RETRY", start), due_in(start, warn_s=60, breach_s=120, second_s=None), clock=long_ago()
    )
    shard = clock_shard("C-RETRY")

    with pytest.raises(ClockSweepIncomplete, match=f"shard {shard:02d}"):
        world.sweep(machine_arn=MISSING_MACHINE).run()
    marks = world.index.watermarks()
    assert shard not in marks, "the failed shard is read again from where it was"
    assert len(marks) == c.CLOCK_SHARDS - 1, "the other shards moved on"
    assert world.executions() == []

    run = world.sweep().run()
    assert run.started == 1
    assert [e["name"] for e in world.executions()] == ["case-C-RETRY-1"]
    assert world.index.watermarks()[shard].endswith("~"), "read to the end of the range"


def test_a_run_starts_at_most_its_limit_per_shard_and_the_next_run_the_rest(world: ClockWorld) -> None:
    start = now_ms()
    shard = clock_shard("C-0")
    same_shard = [f"C-{i}" for i in range(200) if clock_shard(f"C-{i}") == shard][:3]
    for case_id in same_shard:
        world.write(
            None, new_case(case_id, start), due_in(start, warn_s=60, breach_s=120, second_s=None), clock=long_ago()
        )

    first = world.sweep(limit=2).run()
    assert (first.started, first.behind) == (2, (shard,))
    second = world.sweep(limit=2).run()
    assert (second.started, second.behind) == (1, ())
    assert sorted(e["name"] for e in world.executions()) == sorted(f"case-{i}-1" for i in same_shard)


def test_the_clock_sweep_function_runs_on_its_schedule(world: ClockWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    start = now_ms()
    world.write(None, new_case("C-FN", start), due_in(start, warn_s=60, breach_s=120, second_s=None), clock=long_ago())
    monkeypatch.setenv(c.ENV_CASE_CLOCK_ARN, world.machine_arn)
    monkeypatch.setenv(c.ENV_TABLE_NAME, TABLE)
    handler = load_function(c.CLOCK_SWEEP_FUNCTION)
    handler.wire(clients={"stepfunctions": world.sfn, "dynamodb": world.dynamodb})
    try:
        event = {"source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": {}}
        summary = handler.handler(event, LambdaContext("socialcare-clock_sweep-test", timeout_s=60))
        again = handler.handler(event, LambdaContext("socialcare-clock_sweep-test", timeout_s=60))
    finally:
        reset_function(handler)
    assert summary == {"started": 1, "shards_read": c.CLOCK_SHARDS, "behind": []}
    assert again["started"] == 0
    assert [e["name"] for e in world.executions()] == ["case-C-FN-1"]
