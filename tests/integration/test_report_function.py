"""The reports end to end on moto: customers write in (ingest), agents answer and resolve (case writes),
the table's stream reaches the clock function as Lambda gives it (case items and customers' messages,
through the mapping's two filters; it records the day facts), and
the report function makes Monday's reports and stores them in S3 under ``dt=2026-03-30``.

The report's DynamoDB reads are counted (items returned): they are the day's case items and the
queue — and stay the same with a month of other days' cases in the table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.aws.case_store import CaseStore
from socialcare.clock import ManualClock
from socialcare.errors import InvalidRequest
from socialcare.ingest.service import Ingestor
from socialcare.model.case import Case, CaseStatus
from socialcare.model.events import Channel, Customer, EventKind, Platform, PlatformEvent
from socialcare.rules.cases import apply_outbound
from socialcare_local.emulator.functions import LambdaContext, load_function, reset_function
from socialcare_local.emulator.streams import TableStream, matches_any

from tests.conftest import AwsResources

pytestmark = pytest.mark.integration

BUCKET = "socialcare-reports-test"
PAGE = "104560123456789"
MONDAY_UTC = 1_774_828_800_000  # 2026-03-30T00:00:00Z
MIN = 60_000


class FakeStepFunctions:
    """The case clocks' StartExecution, recorded (the clocks themselves are another test's)."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def start_execution(self, **params: Any) -> dict[str, str]:
        self.started.append(params["name"])
        return {"executionArn": f"arn:aws:states:us-east-1:123456789012:execution:clock:{params['name']}"}


@dataclass
class ItemsRead:
    """DynamoDB items returned to the report function: what its reads cost."""

    items: int = 0
    requests: int = 0

    def __call__(self, parsed: dict[str, Any], **_: Any) -> None:
        self.requests += 1
        self.items += int(parsed.get("Count", 1 if parsed.get("Item") else 0))


@dataclass
class World:
    aws: AwsResources
    store: CaseStore
    ingestor: Ingestor
    clock: ManualClock
    stream: TableStream
    clock_fn: ModuleType
    report_fn: ModuleType
    read: ItemsRead

    def write(self, customer: str, at_ms: int, text: str = "where is my parcel?") -> Case:
        self.clock.now_ms = at_ms
        event = PlatformEvent(
            kind=EventKind.MESSAGE,
            platform=Platform.META,
            channel=Channel.MESSENGER,
            account_id=PAGE,
            event_id=f"m-{customer}-{at_ms}",
            timestamp_ms=at_ms,
            customer=Customer(customer),
            message_id=f"m-{customer}-{at_ms}",
            text=text,
        )
        self.ingestor.ingest_event(event)
        return self.case_of(customer)

    def case_of(self, customer: str) -> Case:
        found = self.store.current_case(PAGE, [customer]).case
        assert found is not None
        return found

    def answer(self, customer: str, at_ms: int, owner: str) -> Case:
        case = replace(self.case_of(customer), owner=owner)
        after = apply_outbound(case, timestamp_ms=at_ms, now_ms=at_ms)
        self.store.save_case(self.case_of(customer), after)
        return after

    def resolve(self, customer: str, at_ms: int) -> None:
        case = self.case_of(customer)
        self.store.save_case(case, replace(case.with_status(CaseStatus.RESOLVED, at_ms), version=case.version + 1))

    def stream_to_clock_function(self) -> None:
        records = [r for r in self.stream.read() if matches_any(r, c.CLOCK_STREAM_FILTERS)]
        assert self.clock_fn.handler({"Records": records}, LambdaContext("socialcare-clock-test")) == {
            "batchItemFailures": []
        }

    def make_reports(self, event: dict[str, Any], now_ms: int) -> dict[str, Any]:
        self.report_fn.wire(clients={"dynamodb": self.counted_dynamodb(), "s3": self.aws.s3}, clock=lambda: now_ms)
        result: dict[str, Any] = self.report_fn.handler(event, LambdaContext("socialcare-report-test"))
        return result

    def counted_dynamodb(self) -> Any:
        import boto3

        client = boto3.client("dynamodb", region_name="us-east-1")
        client.meta.events.register("after-call.dynamodb.*", lambda parsed, **kw: self.read(parsed))
        return client

    def stored(self, key: str) -> bytes:
        return bytes(self.aws.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


@pytest.fixture
def world(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    import boto3

    aws.s3.create_bucket(Bucket=BUCKET)
    streams = boto3.client(
        "dynamodbstreams", region_name="us-east-1", endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com"
    )
    for name, value in {
        c.ENV_TABLE_NAME: aws.table_name,
        c.ENV_REPORTS_BUCKET: BUCKET,
        c.ENV_CASE_CLOCK_ARN: "arn:aws:states:us-east-1:123456789012:stateMachine:clock",
        c.ENV_ACCOUNT_TEAMS: json.dumps({PAGE: "care"}),
    }.items():
        monkeypatch.setenv(name, value)
    clock = ManualClock(MONDAY_UTC)
    store = CaseStore(aws.table_name, client=aws.dynamodb)
    clock_fn, report_fn = load_function(c.CLOCK_FUNCTION), load_function(c.REPORT_FUNCTION)
    clock_fn.wire(clients={"stepfunctions": FakeStepFunctions(), "dynamodb": aws.dynamodb})
    stream = TableStream.of_table(aws.dynamodb, streams, aws.table_name)
    try:
        yield World(aws, store, Ingestor(store, clock=clock), clock, stream, clock_fn, report_fn, ItemsRead())
    finally:
        reset_function(clock_fn)
        reset_function(report_fn)


def monday(hour: int, minute: int = 0) -> int:
    return MONDAY_UTC + hour * 3_600_000 + minute * MIN


def play_monday(world: World) -> None:
    # ann: wrote 09:00, alice answered 09:30, resolved 10:00. ben: wrote 11:00, bob answered 13:00 (the
    # 4-hour private target is kept). cat: wrote 15:00, still waiting at midnight.
    world.write("ann", monday(9))
    world.answer("ann", monday(9, 30), "alice")
    world.resolve("ann", monday(10))
    world.write("ben", monday(11))
    world.answer("ben", monday(13), "bob")
    world.write("cat", monday(15))
    world.stream_to_clock_function()


def test_the_days_reports_are_stored_as_json_and_csv_partitioned_by_date(world: World) -> None:
    play_monday(world)
    result = world.make_reports({"date": "2026-03-30"}, now_ms=monday(24, 15))
    keys = result["stored"][0]["keys"]
    assert sorted(keys) == [
        "reports/accountability-rows/dt=2026-03-30/rows.csv",
        "reports/accountability/dt=2026-03-30/accountability.json",
        "reports/leaderboard/dt=2026-03-30/leaderboard.csv",
        "reports/marketing/dt=2026-03-30/marketing.json",
    ]
    report = json.loads(world.stored("reports/accountability/dt=2026-03-30/accountability.json"))
    totals = report["totals"]
    assert (totals["new_cases"], totals["cases_handled"], totals["resolved"]) == (3, 2, 1)
    assert totals["first_response"]["wall_p50_s"] == 1800.0  # 30 min and 2 h: the nearer-rank middle is 30 min
    assert totals["first_response"]["wall_p90_s"] == 7200.0
    assert totals["sla"]["first_response"] == {"judged": 2, "met": 2, "attainment_pct": 100.0}
    assert [row["agent"] for row in report["agents"]] == ["alice", "bob"]
    assert report["backlog"]["total"] == {"open": 2, "awaiting_answer": 1, "overdue": 1, "oldest_waiting_s": 33300.0}
    marketing = json.loads(world.stored("reports/marketing/dt=2026-03-30/marketing.json"))
    assert marketing["volume"] == {"new_cases": 3, "customer_messages": 3, "resolved_cases": 1}
    assert [word for word in ('"ann"', '"alice"', "parcel") if word in json.dumps(marketing)] == []
    rows = world.stored("reports/accountability-rows/dt=2026-03-30/rows.csv").decode().splitlines()
    assert rows[1].startswith("2026-03-30,2026-03-30,total,,2,3,1,0,2,1800.0,7200.0,")
    head = world.aws.s3.head_object(Bucket=BUCKET, Key="reports/leaderboard/dt=2026-03-30/leaderboard.csv")
    assert head["ContentType"] == "text/csv"


def test_the_schedule_makes_yesterdays_reports(world: World) -> None:
    play_monday(world)
    assert world.make_reports({}, now_ms=monday(24, 15))["stored"][0]["date"] == "2026-03-30"


def test_a_bad_date_stores_nothing(world: World) -> None:
    with pytest.raises(InvalidRequest, match="date must be a date"):
        world.make_reports({"date": "30/03/2026"}, now_ms=monday(24, 15))
    assert world.aws.s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_a_days_reads_are_its_cases_and_do_not_grow_with_history(world: World) -> None:
    # A month of cases before Monday, answered and resolved, with their facts.
    for day in range(1, 29):
        for n in range(3):
            customer, at = f"old-{day}-{n}", MONDAY_UTC - day * 86_400_000 + 9 * 3_600_000
            world.write(customer, at)
            world.answer(customer, at + 10 * MIN, "alice")
            world.resolve(customer, at + 20 * MIN)
    world.stream_to_clock_function()
    play_monday(world)
    world.make_reports({"date": "2026-03-30"}, now_ms=monday(24, 15))
    # Monday's 3 case items (their facts) and 3 counts of their customers' messages (one per case and
    # quarter hour, each under 200 bytes: the same query's bytes), 1 SLA configuration query (nothing
    # stored: no item) and the care queue's 2 active cases: one item per thing on the report, in one
    # Query of the day, one of the configuration and one of each of the queue's 16 shards.
    assert world.read.items == 3 + 3 + 0 + 2
    assert world.read.requests == 1 + 1 + 16
