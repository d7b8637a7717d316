"""The ``CaseClocks`` and ``FollowUps`` contracts, run against Step Functions (moto, executions recorded,
not run) and the twins."""

from __future__ import annotations

from typing import Any

import pytest
from socialcare.errors import CaseClockNotStarted, FollowUpNotStarted

from tests.conftest import AwsResources

WARN = {"case_id": "C1", "generation": "1", "tier": "warn", "at": "2026-01-01T09:45:00Z"}
NUDGE = {
    "case_id": "C1",
    "cycle": "1",
    "pending_since": "2026-01-01T09:00:00.000Z",
    "plan": "nudge",
    "at": "2026-01-02T09:00:00Z",
}


def test_a_clock_is_named_for_its_case_and_generation_and_started_with_its_input(backend: Any) -> None:
    backend.clocks.start("C1", 1, WARN)
    assert backend.clock_inputs() == {"case-C1-1": WARN}


def test_a_second_start_of_a_generation_keeps_the_first_clock_whatever_its_input(backend: Any) -> None:
    backend.clocks.start("C1", 1, WARN)
    backend.clocks.start("C1", 1, WARN)  # a retried write: same name, same input
    backend.clocks.start("C1", 1, {**WARN, "at": "2026-01-01T10:00:00Z"})  # same name, other input
    assert backend.clock_inputs() == {"case-C1-1": WARN}


def test_each_generation_is_a_clock_of_its_own(backend: Any) -> None:
    backend.clocks.start("C1", 1, WARN)
    backend.clocks.start("C1", 2, {**WARN, "generation": "2"})
    assert sorted(backend.clock_inputs()) == ["case-C1-1", "case-C1-2"]


def test_a_clock_that_cannot_start_is_a_domain_error(aws: AwsResources) -> None:
    import boto3
    from socialcare.aws.case_clocks import StepFunctionsCaseClocks

    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:nowhere"
    clocks = StepFunctionsCaseClocks(missing, client=boto3.client("stepfunctions", region_name="us-east-1"))
    with pytest.raises(CaseClockNotStarted, match="case-C1-1"):
        clocks.start("C1", 1, WARN)


def test_a_follow_up_is_named_for_its_case_and_cycle_and_started_once(backend: Any) -> None:
    backend.follow_ups.start("C1", 1, NUDGE)
    backend.follow_ups.start("C1", 1, {**NUDGE, "at": "2026-01-03T09:00:00Z"})  # same name: the first is kept
    backend.follow_ups.start("C1", 2, {**NUDGE, "cycle": "2"})
    assert backend.follow_up_inputs() == {"follow-up-C1-1": NUDGE, "follow-up-C1-2": {**NUDGE, "cycle": "2"}}
    assert backend.clock_inputs() == {}, "a follow-up is no case clock"


def test_a_follow_up_that_cannot_start_is_a_domain_error(aws: AwsResources) -> None:
    import boto3
    from socialcare.aws.case_clocks import StepFunctionsFollowUps

    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:nowhere"
    follow_ups = StepFunctionsFollowUps(missing, client=boto3.client("stepfunctions", region_name="us-east-1"))
    with pytest.raises(FollowUpNotStarted, match="follow-up-C1-1"):
        follow_ups.start("C1", 1, NUDGE)
