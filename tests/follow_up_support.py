"""The follow-up's ASL file, run in moto's Step Functions engine (``tests/state_machine_support.py``):
the case table, the outbound queue the machine hands its tasks to, and the machine created from
``infra/state_machines/follow_up.asl.json`` with the same substitutions the CDK app gives.

Cases are written as the agent API writes them — ``rules.follow_up.with_follow_up`` on the status
change, the item, then ``start_follow_up`` (what the clock function does on the stream) —
with schedules of a second or two (Wait really sleeps).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from socialcare.aws.case_clocks import StepFunctionsFollowUps
from socialcare.aws.items import case_item
from socialcare.model.case import Case, CaseStatus
from socialcare.model.follow_up import FollowUpSchedule, follow_up_name
from socialcare.rules.follow_up import with_follow_up
from socialcare.timers.follow_up import FollowUpStart, start_follow_up

from tests.case_clock_support import new_case
from tests.state_machine_support import TABLE, Runs, asl_path, create_machine, engine_on, receive_all

FOLLOW_UP_ASL = asl_path("follow_up")


def answered_case(case_id: str, now_ms: int) -> Case:
    """An open case whose customer was answered just now: ready to wait for the customer."""
    case = new_case(case_id, now_ms - 1_000)
    return replace(case, awaiting_reply_since_ms=None, first_response_at_ms=now_ms, last_outbound_at_ms=now_ms)


def schedule_in(now_ms: int, *, nudge_s: float | None, resolve_s: float | None) -> FollowUpSchedule:
    """A cycle pending since ``now_ms`` with its steps these seconds later (``None``: off)."""

    def at(seconds: float | None) -> int | None:
        return None if seconds is None else now_ms + int(seconds * 1000)

    return FollowUpSchedule(now_ms, nudge_at_ms=at(nudge_s), resolve_at_ms=at(resolve_s))


@dataclass
class FollowUpWorld(Runs):
    outbound_url: str

    def name_of(self, case_id: str, number: int) -> str:
        return follow_up_name(case_id, number)

    def on_stream(self, before: Case, after: Case) -> FollowUpStart | None:
        """What the clock function does with the write's stream record: start the follow-up it needs."""
        return start_follow_up(StepFunctionsFollowUps(self.machine_arn, client=self.sfn), before, after)

    def write(
        self, before: Case, after: Case, schedule: FollowUpSchedule | None = None
    ) -> tuple[Case, FollowUpStart | None]:
        """One case write as the agent API makes it: the follow-up, the item, then the stream's start."""
        written = replace(with_follow_up(before, after, schedule), version=before.version + 1)
        self.put(written)
        return written, self.on_stream(before, written)

    def pend(self, case: Case, schedule: FollowUpSchedule) -> Case:
        """The agent sets ``case`` (stored) to wait for the customer: a cycle with ``schedule`` starts."""
        pending, started = self.write(
            case, case.with_status(CaseStatus.PENDING_CUSTOMER, schedule.pending_since_ms), schedule
        )
        assert started is not None
        return pending

    def put(self, case: Case) -> None:
        self.dynamodb.put_item(TableName=TABLE, Item=case_item(case))

    def tasks(self) -> list[dict[str, Any]]:
        """The tasks handed to the outbound queue so far, in arrival order."""
        return receive_all(self.sqs, self.outbound_url)


def follow_up_machine(dynamodb: Any, sfn: Any, sqs: Any) -> FollowUpWorld:
    """The outbound queue and the follow-up machine, in a moto whose engine is on (the table made)."""
    outbound_url = sqs.create_queue(QueueName="outbound")["QueueUrl"]
    machine_arn = create_machine(sfn, "follow-up", "follow_up", {"TableName": TABLE, "OutboundQueueUrl": outbound_url})
    return FollowUpWorld(dynamodb, sfn, sqs, machine_arn, outbound_url)


@contextmanager
def follow_up_world() -> Iterator[FollowUpWorld]:
    """moto with its Step Functions engine on; create boto3 clients only inside (credentials set by the caller)."""
    with engine_on() as aws:
        world = follow_up_machine(aws.dynamodb, aws.sfn, aws.sqs)
        try:
            yield world
        finally:
            world.stop_running()
