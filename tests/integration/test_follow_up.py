"""The follow-up's real ASL file in moto's Step Functions engine (``tests/follow_up_support.py``).

Steps fall a second or two after the case starts waiting for the customer (Wait really sleeps; the
instants are whole seconds). The cases are written as the agent API writes them, and the tasks are
read from the outbound queue the machine sends them to.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from socialcare.aws.case_clocks import StepFunctionsFollowUps
from socialcare.model.case import CaseStatus
from socialcare.model.tasks import CaseTask, TaskKind

from tests.follow_up_support import FollowUpWorld, answered_case, follow_up_world, schedule_in

pytestmark = pytest.mark.integration

CUSTOMER_WRITES = CaseStatus.OPEN  # ingest moves pending_customer -> open on the customer's message


@pytest.fixture
def world(aws_env: None) -> Iterator[FollowUpWorld]:
    with follow_up_world() as opened:
        yield opened


def now_ms() -> int:
    return int(time.time() * 1000)


def wait_for_tasks(world: FollowUpWorld, count: int, *, timeout_s: float = 6.0) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    while len(received) < count and time.monotonic() < deadline:
        received += world.tasks()
        time.sleep(0.05)
    return received


def test_a_case_left_waiting_is_nudged_then_auto_resolved(world: FollowUpWorld) -> None:
    start = now_ms()
    case = world.pend(answered_case("C-SILENT", start), schedule_in(start, nudge_s=0.2, resolve_s=1.2))
    assert case.follow_up is not None
    since = case.follow_up.pending_since

    nudge, resolve = wait_for_tasks(world, 2)
    assert nudge == {"v": 1, "task": "nudge", "case_id": "C-SILENT", "pending_since": since}
    assert resolve == {"v": 1, "task": "auto_resolve", "case_id": "C-SILENT", "pending_since": since}
    assert [CaseTask.from_doc(t).kind for t in (nudge, resolve)] == [TaskKind.NUDGE, TaskKind.AUTO_RESOLVE]
    assert world.finish("C-SILENT", 1)["status"] == "SUCCEEDED"
    assert world.states_entered("C-SILENT", 1) == [
        "WaitForStep", "ReadCase", "Decide", "SendNudge", "WaitToResolve", "ReadCase", "Decide", "SendAutoResolve",
    ]  # fmt: skip
    assert world.tasks() == []


def test_the_customers_reply_before_the_nudge_ends_the_follow_up_without_a_task(world: FollowUpWorld) -> None:
    start = now_ms()
    case = world.pend(answered_case("C-REPLIED", start), schedule_in(start, nudge_s=0.2, resolve_s=1.2))
    _, started = world.write(case, replace(case, status=CUSTOMER_WRITES, awaiting_reply_since_ms=start + 50))
    assert started is None

    assert world.finish("C-REPLIED", 1)["status"] == "SUCCEEDED"
    assert world.states_entered("C-REPLIED", 1) == ["WaitForStep", "ReadCase", "Decide", "FollowUpEnded"]
    assert world.tasks() == []


def test_an_agent_reopening_or_resolving_mid_wait_ends_the_follow_up(world: FollowUpWorld) -> None:
    start = now_ms()
    reopened = world.pend(answered_case("C-REOPENED", start), schedule_in(start, nudge_s=0.2, resolve_s=1.2))
    resolved = world.pend(answered_case("C-RESOLVED", start), schedule_in(start, nudge_s=0.2, resolve_s=1.2))
    world.write(resolved, resolved.with_status(CaseStatus.RESOLVED, start + 50))  # before the nudge
    [nudge] = wait_for_tasks(world, 1)
    assert nudge["case_id"] == "C-REOPENED"
    world.write(reopened, reopened.with_status(CaseStatus.OPEN, now_ms()))  # between nudge and auto-resolve

    assert world.finish("C-RESOLVED", 1)["status"] == "SUCCEEDED"
    assert world.states_entered("C-RESOLVED", 1) == ["WaitForStep", "ReadCase", "Decide", "FollowUpEnded"]
    assert world.finish("C-REOPENED", 1)["status"] == "SUCCEEDED"
    assert world.states_entered("C-REOPENED", 1)[-3:] == ["ReadCase", "Decide", "FollowUpEnded"]
    assert world.tasks() == [], "no auto-resolve for either"


def test_a_later_pending_cycle_ends_the_earlier_follow_up(world: FollowUpWorld) -> None:
    start = now_ms()
    first = world.pend(answered_case("C-AGAIN", start), schedule_in(start, nudge_s=0.3, resolve_s=None))
    opened, _ = world.write(first, first.with_status(CaseStatus.OPEN, start + 50))
    again = world.pend(opened, schedule_in(start + 100, nudge_s=60, resolve_s=None))
    assert (first.follow_up_cycle, again.follow_up_cycle) == (1, 2)

    assert world.finish("C-AGAIN", 1)["status"] == "SUCCEEDED"
    assert world.states_entered("C-AGAIN", 1) == ["WaitForStep", "ReadCase", "Decide", "FollowUpEnded"]
    assert world.tasks() == [], "pending again, but since another instant: the first cycle's nudge is not sent"
    assert sorted(e["name"] for e in world.executions()) == ["follow-up-C-AGAIN-1", "follow-up-C-AGAIN-2"]


def test_a_plan_with_one_step_takes_only_that_step(world: FollowUpWorld) -> None:
    start = now_ms()
    world.pend(answered_case("C-NUDGE-ONLY", start), schedule_in(start, nudge_s=0.2, resolve_s=None))
    world.pend(answered_case("C-RESOLVE-ONLY", start), schedule_in(start, nudge_s=None, resolve_s=0.2))

    tasks = wait_for_tasks(world, 2)
    assert sorted((t["case_id"], t["task"]) for t in tasks) == [
        ("C-NUDGE-ONLY", "nudge"),
        ("C-RESOLVE-ONLY", "auto_resolve"),
    ]
    assert world.states_entered("C-NUDGE-ONLY", 1) == ["WaitForStep", "ReadCase", "Decide", "SendLastNudge"]
    assert world.states_entered("C-RESOLVE-ONLY", 1) == ["WaitForStep", "ReadCase", "Decide", "SendAutoResolve"]


def test_a_duplicate_start_does_not_create_a_second_follow_up(world: FollowUpWorld) -> None:
    start = now_ms()
    case = answered_case("C-TWICE", start)
    pending = world.pend(case, schedule_in(start, nudge_s=60, resolve_s=120))
    again = world.timers.case_changed(case, pending)  # a stream record delivered again: same name and input
    assert again is not None
    other = {**again.input, "at": "2030-01-01T00:00:00Z"}
    StepFunctionsFollowUps(world.machine_arn, client=world.sfn).start("C-TWICE", 1, other)  # ExecutionAlreadyExists
    assert world.timers.case_changed(pending, pending) is None, "a later write of the same cycle starts none"
    assert [e["name"] for e in world.executions()] == ["follow-up-C-TWICE-1"]
