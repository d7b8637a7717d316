"""The follow-up's real ASL file in moto's Step Functions engine (``tests/follow_up_support.py``).

Steps fall a second or two after the case starts waiting for the customer (Wait really sleeps; the
instants are whole seconds). The cases are written as the agent API writes them, and the tasks are
read from the outbound queue the machine sends them to.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from socialcare.aws.case_clocks import StepFunctionsFollowUps
from socialcare.model.case import CaseStatus
from socialcare.model.tasks import CaseTask, TaskKind

from tests.follow_up_support import FollowUpWorld, answered_case, schedule_in
from tests.state_machine_support import collect, now_ms

pytestmark = pytest.mark.integration

CUSTOMER_WRITES = CaseStatus.OPEN  # ingest moves pending_customer -> open on the customer's message


def test_a_case_left_waiting_is_nudged_then_auto_resolved(follow_ups: FollowUpWorld) -> None:
    start = now_ms()
    case = follow_ups.pend(answered_case("C-SILENT", start), schedule_in(start, nudge_s=0.2, resolve_s=1.2))
    assert case.follow_up is not None
    since = case.follow_up.pending_since

    nudge, resolve = collect(follow_ups.tasks, 2)
    assert nudge == {"v": 1, "task": "nudge", "case_id": "C-SILENT", "pending_since": since}
    assert resolve == {"v": 1, "task": "auto_resolve", "case_id": "C-SILENT", "pending_since": since}
    assert [CaseTask.from_doc(t).kind for t in (nudge, resolve)] == [TaskKind.NUDGE, TaskKind.AUTO_RESOLVE]
    assert follow_ups.finish("C-SILENT", 1)["status"] == "SUCCEEDED"
    assert follow_ups.states_entered("C-SILENT", 1) == [
        "WaitForStep", "ReadCase", "Decide", "SendNudge", "WaitToResolve", "ReadCase", "Decide", "SendAutoResolve",
    ]  # fmt: skip
    assert follow_ups.tasks() == []


def test_the_customers_reply_before_the_nudge_ends_the_follow_up_without_a_task(follow_ups: FollowUpWorld) -> None:
    start = now_ms()
    case = follow_ups.pend(answered_case("C-REPLIED", start), schedule_in(start, nudge_s=1.0, resolve_s=2.0))
    _, started = follow_ups.write(case, replace(case, status=CUSTOMER_WRITES, awaiting_reply_since_ms=start + 50))
    assert started is None

    assert follow_ups.finish("C-REPLIED", 1)["status"] == "SUCCEEDED"
    assert follow_ups.states_entered("C-REPLIED", 1) == ["WaitForStep", "ReadCase", "Decide", "FollowUpEnded"]
    assert follow_ups.tasks() == []


def test_an_agent_reopening_or_resolving_mid_wait_ends_the_follow_up(follow_ups: FollowUpWorld) -> None:
    start = now_ms()
    # Two seconds between nudge and auto-resolve: time to reopen the case on a busy machine.
    reopened = follow_ups.pend(answered_case("C-REOPENED", start), schedule_in(start, nudge_s=0.2, resolve_s=2.2))
    resolved = follow_ups.pend(answered_case("C-RESOLVED", start), schedule_in(start, nudge_s=1.0, resolve_s=2.0))
    follow_ups.write(resolved, resolved.with_status(CaseStatus.RESOLVED, start + 50))  # before the nudge
    [nudge] = collect(follow_ups.tasks, 1)
    assert nudge["case_id"] == "C-REOPENED"
    follow_ups.write(reopened, reopened.with_status(CaseStatus.OPEN, now_ms()))  # between nudge and auto-resolve

    assert follow_ups.finish("C-RESOLVED", 1)["status"] == "SUCCEEDED"
    assert follow_ups.states_entered("C-RESOLVED", 1) == ["WaitForStep", "ReadCase", "Decide", "FollowUpEnded"]
    assert follow_ups.finish("C-REOPENED", 1)["status"] == "SUCCEEDED"
    assert follow_ups.states_entered("C-REOPENED", 1)[-3:] == ["ReadCase", "Decide", "FollowUpEnded"]
    assert follow_ups.tasks() == [], "no auto-resolve for either"


def test_a_later_pending_cycle_ends_the_earlier_follow_up(follow_ups: FollowUpWorld) -> None:
    start = now_ms()
    first = follow_ups.pend(answered_case("C-AGAIN", start), schedule_in(start, nudge_s=1.0, resolve_s=None))
    opened, _ = follow_ups.write(first, first.with_status(CaseStatus.OPEN, start + 50))
    again = follow_ups.pend(opened, schedule_in(start + 100, nudge_s=60, resolve_s=None))
    assert (first.follow_up_cycle, again.follow_up_cycle) == (1, 2)

    assert follow_ups.finish("C-AGAIN", 1)["status"] == "SUCCEEDED"
    assert follow_ups.states_entered("C-AGAIN", 1) == ["WaitForStep", "ReadCase", "Decide", "FollowUpEnded"]
    assert follow_ups.tasks() == [], "pending again, but since another instant: the first cycle's nudge is not sent"
    assert sorted(e["name"] for e in follow_ups.executions()) == ["follow-up-C-AGAIN-1", "follow-up-C-AGAIN-2"]


def test_a_plan_with_one_step_takes_only_that_step(follow_ups: FollowUpWorld) -> None:
    start = now_ms()
    follow_ups.pend(answered_case("C-NUDGE-ONLY", start), schedule_in(start, nudge_s=0.2, resolve_s=None))
    follow_ups.pend(answered_case("C-RESOLVE-ONLY", start), schedule_in(start, nudge_s=None, resolve_s=0.2))

    tasks = collect(follow_ups.tasks, 2)
    assert sorted((t["case_id"], t["task"]) for t in tasks) == [
        ("C-NUDGE-ONLY", "nudge"),
        ("C-RESOLVE-ONLY", "auto_resolve"),
    ]
    assert follow_ups.states_entered("C-NUDGE-ONLY", 1) == ["WaitForStep", "ReadCase", "Decide", "SendLastNudge"]
    assert follow_ups.states_entered("C-RESOLVE-ONLY", 1) == ["WaitForStep", "ReadCase", "Decide", "SendAutoResolve"]


def test_a_duplicate_start_does_not_create_a_second_follow_up(follow_ups: FollowUpWorld) -> None:
    start = now_ms()
    case = answered_case("C-TWICE", start)
    pending = follow_ups.pend(case, schedule_in(start, nudge_s=60, resolve_s=120))
    again = follow_ups.on_stream(case, pending)  # a stream record delivered again: same name and input
    assert again is not None
    other = {**again.input, "at": "2030-01-01T00:00:00Z"}
    StepFunctionsFollowUps(follow_ups.machine_arn, client=follow_ups.sfn).start(
        "C-TWICE", 1, other
    )  # ExecutionAlreadyExists
    assert follow_ups.on_stream(pending, pending) is None, "a later write of the same cycle starts none"
    assert [e["name"] for e in follow_ups.executions()] == ["follow-up-C-TWICE-1"]
