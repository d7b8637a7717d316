"""The clock function on the table's stream, on moto: case writes made by ingest start the case clock
(the real ASL file in moto's Step Functions engine) exactly when they need one.

The stream is read as the local stack reads it (``socialcare_local.emulator.streams``) and filtered
with the event source mapping's pattern from the CDK app; targets are seconds, so a clock that is
started waits a few seconds and is stopped when the test ends.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.aws.case_store import CaseStore
from socialcare.clock import system_clock
from socialcare.ingest.service import Ingestor, IngestSettings
from socialcare.model.case import CaseStatus
from socialcare.model.events import Channel, EventKind
from socialcare.rules.escalation import clock_shard
from socialcare.rules.follow_up import with_follow_up
from socialcare.rules.sla import ResponseTargets
from socialcare_local.emulator.functions import LambdaContext, load_function, reset_function
from socialcare_local.emulator.streams import TableStream, matches

from tests.case_clock_support import REGION, TABLE, ClockWorld, clock_world
from tests.follow_up_support import FollowUpWorld, follow_up_machine, schedule_in
from tests.unit.test_cases import message

pytestmark = pytest.mark.integration

TARGETS = ResponseTargets(seconds={Channel.X_DM: 30})  # long enough never to wake during the test


@dataclass
class StreamWorld:
    clocks: ClockWorld
    stream: TableStream
    ingestor: Ingestor
    handler: ModuleType
    follow_ups: FollowUpWorld

    def feed(self, records: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Hand the new case records (or ``records``) to the clock function as one batch."""
        batch = records if records is not None else self.case_records()
        return dict(self.handler.handler({"Records": batch}, LambdaContext("socialcare-clock-test")) or {})

    def case_records(self) -> list[dict[str, Any]]:
        return [r for r in self.stream.read() if matches(r, c.CLOCK_STREAM_FILTER)]

    def clocks_started(self) -> list[str]:
        return sorted(e["name"] for e in self.clocks.executions())

    def follow_ups_started(self) -> list[str]:
        return sorted(e["name"] for e in self.follow_ups.executions())


@pytest.fixture
def world(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[StreamWorld]:
    import boto3

    with clock_world() as clocks:
        # botocore sends calls naming a stream ARN to an account endpoint (<account>.streams-ddb...),
        # which moto's in-process mock does not route: name the regional endpoint.
        streams = boto3.client(
            "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
        )
        follow_ups = follow_up_machine(clocks.dynamodb, clocks.sfn, clocks.sqs)
        monkeypatch.setenv(c.ENV_CASE_CLOCK_ARN, clocks.machine_arn)
        monkeypatch.setenv(c.ENV_FOLLOW_UP_ARN, follow_ups.machine_arn)
        monkeypatch.setenv(c.ENV_TABLE_NAME, TABLE)
        handler = load_function(c.CLOCK_FUNCTION)
        handler.wire(clients={"stepfunctions": clocks.sfn, "dynamodb": clocks.dynamodb})
        ingestor = Ingestor(
            CaseStore(TABLE, client=clocks.dynamodb), clock=system_clock, settings=IngestSettings(targets=TARGETS)
        )
        try:
            yield StreamWorld(
                clocks, TableStream.of_table(clocks.dynamodb, streams, TABLE), ingestor, handler, follow_ups
            )
        finally:
            follow_ups.stop_running()
            reset_function(handler)


def now_ms() -> int:
    return int(time.time() * 1000)


def test_a_new_case_starts_one_clock_and_a_second_message_of_the_same_wait_none(world: StreamWorld) -> None:
    start = now_ms()
    world.ingestor.ingest_event(message(start, Channel.X_DM, "m1"))
    records = world.case_records()
    assert {r["eventName"] for r in records} == {"INSERT"}
    assert all(r["dynamodb"]["Keys"]["SK"] == {"S": "CASE"} for r in records), "only case items pass the filter"
    assert world.feed(records) == {"batchItemFailures": []}
    [name] = world.clocks_started()
    assert name.endswith("-1")

    world.ingestor.ingest_event(message(start + 1_000, Channel.X_DM, "m2"))
    assert world.feed() == {"batchItemFailures": []}
    assert world.clocks_started() == [name], "the running clock follows the case"


def test_a_reply_starts_no_clock_and_a_duplicate_record_starts_none(world: StreamWorld) -> None:
    start = now_ms()
    world.ingestor.ingest_event(message(start, Channel.X_DM, "m1"))
    first = world.case_records()
    world.feed(first)
    assert len(world.clocks_started()) == 1

    echo = message(start + 2_000, Channel.X_DM, "m-brand")
    world.ingestor.ingest_event(
        echo.__class__(**{**{f: getattr(echo, f) for f in echo.__dataclass_fields__}, "kind": EventKind.ECHO})
    )
    answered = world.case_records()
    assert [r["eventName"] for r in answered] == ["MODIFY"]
    assert "sla_breach_at" not in answered[0]["dynamodb"]["NewImage"], "the answer cleared the schedule"
    world.feed(answered)
    assert len(world.clocks_started()) == 1

    world.feed(first)  # the stream delivers a record again (a retried batch)
    assert len(world.clocks_started()) == 1


def test_the_next_message_after_a_reply_starts_the_next_response_clock(world: StreamWorld) -> None:
    start = now_ms()
    world.ingestor.ingest_event(message(start, Channel.X_DM, "m1"))
    echo = message(start + 1_000, Channel.X_DM, "m-brand")
    world.ingestor.ingest_event(
        echo.__class__(**{**{f: getattr(echo, f) for f in echo.__dataclass_fields__}, "kind": EventKind.ECHO})
    )
    world.ingestor.ingest_event(message(start + 2_000, Channel.X_DM, "m2"))
    world.feed()
    names = world.clocks_started()
    assert [n.rsplit("-", 1)[1] for n in names] == ["1", "2"]


def test_an_agent_setting_the_case_to_wait_for_the_customer_starts_one_follow_up(world: StreamWorld) -> None:
    start = now_ms()
    world.ingestor.ingest_event(message(start, Channel.X_DM, "m1"))
    world.feed()
    cases = CaseStore(TABLE, client=world.clocks.dynamodb)
    case = cases.current_case("brand", ["joe"]).case
    assert case is not None
    answered = replace(case, awaiting_reply_since_ms=None, response_due_at_ms=None, escalation=None)
    pending = replace(answered.with_status(CaseStatus.PENDING_CUSTOMER, start + 1_000), version=case.version + 1)
    pending = with_follow_up(case, pending, schedule_in(start + 1_000, nudge_s=30, resolve_s=60))
    cases.save_case(case, pending)  # as the agent API writes it
    records = world.case_records()
    assert world.feed(records) == {"batchItemFailures": []}
    assert world.follow_ups_started() == [f"follow-up-{case.case_id}-1"]
    assert len(world.clocks_started()) == 1, "waiting for the customer starts no case clock"

    world.feed(records)  # delivered again
    world.ingestor.ingest_event(message(start + 2_000, Channel.X_DM, "m2"))  # the customer answers: open again
    assert world.feed() == {"batchItemFailures": []}
    assert world.follow_ups_started() == [f"follow-up-{case.case_id}-1"]


def test_a_dm_far_from_its_warning_starts_no_clock_until_a_public_comment_brings_it_near(world: StreamWorld) -> None:
    """The lazy start, from ingest's writes: a DM due in an hour is left to the sweep (the clock index
    holds it); the customer's public mention, due in a minute, is a new wait whose clock starts at once."""
    ingestor = Ingestor(
        CaseStore(TABLE, client=world.clocks.dynamodb),
        clock=system_clock,
        settings=IngestSettings(targets=ResponseTargets(seconds={Channel.X_DM: 3600, Channel.X_POST: 60})),
    )
    start = now_ms()
    ingestor.ingest_event(message(start, Channel.X_DM, "m-dm"))
    assert world.feed() == {"batchItemFailures": []}
    assert world.clocks_started() == [], "the DM warns in 45 minutes: the sweep starts its clock then"
    case = CaseStore(TABLE, client=world.clocks.dynamodb).current_case("brand", ["joe"]).case
    assert case is not None
    page = world.clocks.index.due(clock_shard(case.case_id), after=None, until_ms=start + 3_600_000, limit=5)
    assert [clock.name for _, clock in page.clocks] == [f"case-{case.case_id}-1"]
    ingestor.ingest_event(message(start + 1_000, Channel.X_POST, "m-post"))
    assert world.feed() == {"batchItemFailures": []}
    [name] = world.clocks_started()
    assert name.endswith("-2"), "the comment's wait, generation 2, started at once; generation 1 never ran"
