"""The case clock's ASL file, run in moto's Step Functions engine (``tests/state_machine_support.py``):
a table, the project's bus with a rule that routes every ``socialcare`` event to an SQS queue the
tests read, and the machine created from ``infra/state_machines/case_clock.asl.json`` with the same
substitutions the CDK app gives.

Wait states really sleep in moto, so scenarios use targets of a second or two; every execution still
running is stopped when the world closes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from socialcare.aws.case_clocks import StepFunctionsCaseClocks
from socialcare.aws.clock_index import ClockIndex
from socialcare.aws.items import case_item, item_key
from socialcare.clock import Clock, system_clock
from socialcare.model.case import Case
from socialcare.model.escalation import EVENT_SOURCE, clock_name
from socialcare.model.events import Channel, Customer
from socialcare.rules.escalation import with_escalation
from socialcare.rules.policies import SlaClock
from socialcare.rules.sla import ClockDue, DueTimes
from socialcare.timers.service import CaseClockTimers, ClockStart
from socialcare.timers.sweep import ClockSweep

from tests.case_support import care_case
from tests.state_machine_support import (
    REGION,
    TABLE,
    ExecutionReads,
    Runs,
    asl_path,
    create_machine,
    engine_on,
    receive_all,
)

__all__ = ["REGION", "TABLE"]

CASE_CLOCK_ASL = asl_path("case_clock")
BUS = "socialcare-bus"


def whole_second_ms(at_ms: int) -> int:
    return -(-at_ms // 1000) * 1000


def due_in(
    now_ms: int, *, warn_s: float, breach_s: float, second_s: float | None, clock: SlaClock = SlaClock.FIRST_RESPONSE
) -> DueTimes:
    """Due times for a response clock that started at ``now_ms`` with tiers after these seconds."""
    breach = now_ms + int(breach_s * 1000)
    return DueTimes(
        policy="test",
        policy_version=1,
        calendar="always",
        computed_at_ms=now_ms,
        running=(
            ClockDue(
                clock=clock,
                started_at_ms=now_ms,
                target_ms=breach - now_ms,
                warn_at_ms=now_ms + int(warn_s * 1000),
                breach_at_ms=breach,
                second_tier_at_ms=None if second_s is None else now_ms + int(second_s * 1000),
                remaining_ms=breach - now_ms,
            ),
        ),
    )


def new_case(case_id: str, now_ms: int, *, owner: str | None = "agent-7") -> Case:
    customer = Customer(user_id="psid-1", name="Joe Bloggs")
    return care_case(
        case_id,
        Channel.MESSENGER,
        "page-1",
        customer,
        now_ms,
        owner=owner,
        awaiting_reply_since_ms=now_ms,
        message_count=1,
    )


@dataclass
class MachineRuns(ExecutionReads):
    """The executions of one state machine in moto's engine: waiting for one to end, its history and
    the state transitions it was billed, the events its rules delivered to a queue; stopping those
    still running (every world does in teardown)."""

    sfn: Any
    sqs: Any
    machine_arn: str
    queue_url: str  # where a rule on the bus delivers the machine's events

    def events(self) -> list[dict[str, Any]]:
        """Every event delivered to the queue so far, in arrival order (``detail-type`` and ``detail``)."""
        received: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return received
            for message in messages:
                received.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def events_until(self, count: int, *, timeout_s: float = 5.0) -> list[dict[str, Any]]:
        """The events delivered until ``count`` have come (or ``timeout_s`` passed)."""
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout_s
        while len(received) < count and time.monotonic() < deadline:
            received += self.events()
            time.sleep(0.05)
        return received


def transitions_in(history: list[dict[str, Any]]) -> int:
    """State transitions, as Step Functions bills them: one per state entered."""
    return sum(1 for event in history if event["type"].endswith("StateEntered"))


@dataclass
class ClockWorld(Runs):
    queue_url: str

    def name_of(self, case_id: str, number: int) -> str:
        return clock_name(case_id, number)

    def timers(self, clock: Clock = system_clock) -> CaseClockTimers:
        """The clock function's decision, at ``clock``'s time (an earlier one: the write was made long
        before its first tier, so the clock is left to the sweep)."""
        return CaseClockTimers(self.case_clocks(), clock=clock)

    def case_clocks(self, machine_arn: str | None = None) -> StepFunctionsCaseClocks:
        return StepFunctionsCaseClocks(machine_arn or self.machine_arn, client=self.sfn)

    def sweep(self, clock: Clock = system_clock, *, machine_arn: str | None = None, limit: int = 100) -> ClockSweep:
        """The clock sweep on this table and machine (``machine_arn``: another one, say one that is missing)."""
        return ClockSweep(self.index, self.case_clocks(machine_arn), clock=clock, limit=limit)

    @property
    def index(self) -> ClockIndex:
        return ClockIndex(TABLE, client=self.dynamodb)

    def write(
        self, before: Case | None, after: Case, due: DueTimes | None, *, clock: Clock = system_clock
    ) -> tuple[Case, ClockStart | None]:
        """One case write as the services will make it: schedule, put the item, then the clock function's
        start (at ``clock``'s time)."""
        written = with_escalation(after, due)
        if before is not None:
            written = replace(written, version=before.version + 1)
        self.dynamodb.put_item(TableName=TABLE, Item=case_item(written))
        return written, self.timers(clock).case_changed(before, written)

    def put(self, case: Case) -> None:
        self.dynamodb.put_item(TableName=TABLE, Item=case_item(case))

    def start(self, start: ClockStart, input: dict[str, str] | None = None) -> None:
        self.case_clocks().start(start.case_id, start.generation, input or start.input)

    def item(self, case_id: str) -> dict[str, Any]:
        key = item_key(f"CASE#{case_id}", "CASE")
        return dict(self.dynamodb.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"])

    def events(self) -> list[dict[str, Any]]:
        """Every event delivered to the queue so far, in arrival order (``detail-type`` and ``detail``)."""
        return receive_all(self.sqs, self.queue_url)


def events_queue(sqs: Any, events: Any, bus: str, name: str) -> str:
    """A queue that a rule on ``bus`` fills with every ``socialcare`` event (what the tests read)."""
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps({"source": [EVENT_SOURCE]}))
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return queue_url


@contextmanager
def clock_world() -> Iterator[ClockWorld]:
    """moto with its Step Functions engine on; create boto3 clients only inside (credentials set by the caller)."""
    with engine_on() as aws:
        aws.events.create_event_bus(Name=BUS)
        queue_url = aws.sqs.create_queue(QueueName="escalations")["QueueUrl"]
        attributes = aws.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        aws.events.put_rule(Name="escalations", EventBusName=BUS, EventPattern=json.dumps({"source": [EVENT_SOURCE]}))
        aws.events.put_targets(
            Rule="escalations",
            EventBusName=BUS,
            Targets=[{"Id": "queue", "Arn": attributes["Attributes"]["QueueArn"]}],
        )
        machine_arn = create_machine(aws.sfn, "case-clock", "case_clock", {"TableName": TABLE, "EventBusName": BUS})
        world = ClockWorld(aws.dynamodb, aws.sfn, aws.sqs, machine_arn, queue_url)
        try:
            yield world
        finally:
            world.stop_running()


def stream_record(sequence: str, name: str, before: Case | None, after: Case) -> dict[str, Any]:
    """A case write as the table's stream hands it to the clock function (``NEW_AND_OLD_IMAGES``)."""
    change: dict[str, Any] = {
        "Keys": item_key(f"CASE#{after.case_id}", "CASE"),
        "NewImage": case_item(after),
        "SequenceNumber": sequence,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if before is not None:
        change["OldImage"] = case_item(before)
    return {"eventID": sequence, "eventName": name, "eventSource": "aws:dynamodb", "dynamodb": change}
