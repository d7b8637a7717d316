"""Issue 10, item 2, through the real metrics function on moto: the teams' open work read from the queue
index and published to CloudWatch, with reads that do not grow with the closed history."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

import boto3
import pytest
from socialcare import constants as c
from socialcare.aws.items import case_item
from socialcare.clock import ManualClock
from socialcare.model.case import Case, CaseStatus
from socialcare.model.events import Channel, Customer
from socialcare_local.emulator.functions import LambdaContext, load_function, reset_function

from tests.case_support import care_case
from tests.conftest import AwsResources
from tests.infra.recording import CallRecorder, record_aws_calls

pytestmark = pytest.mark.integration

NOW = 1_774_855_200_000  # 2026-03-30T07:20:00Z
MIN = 60_000
SCHEDULED_EVENT = {"source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": {}}


@dataclass
class Publisher:
    aws: AwsResources
    cloudwatch: Any
    handler: ModuleType
    recorder: CallRecorder

    def run(self) -> dict[str, int]:
        self.recorder.take()
        with self.recorder.recording():
            summary = self.handler.handler(SCHEDULED_EVENT, LambdaContext("socialcare-metrics-test"))
        return dict(summary)

    def calls(self, action: str) -> list[dict[str, Any]]:
        return [params for name, params in self.recorder.calls if name == action]

    def value(self, metric: str, **dimensions: str) -> float | None:
        answer = self.cloudwatch.get_metric_data(
            MetricDataQueries=[
                {
                    "Id": "q",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": c.METRICS_NAMESPACE,
                            "MetricName": metric,
                            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                        },
                        "Period": 60,
                        "Stat": "Maximum",
                    },
                }
            ],
            StartTime=dt.datetime.fromtimestamp((NOW - 5 * MIN) / 1000, dt.UTC),
            EndTime=dt.datetime.fromtimestamp((NOW + 5 * MIN) / 1000, dt.UTC),
        )
        values = answer["MetricDataResults"][0]["Values"]
        return values[-1] if values else None


@pytest.fixture
def publisher(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[Publisher]:
    monkeypatch.setenv(c.ENV_TABLE_NAME, aws.table_name)
    monkeypatch.setenv(c.ENV_DEFAULT_TEAM, "care")
    monkeypatch.setenv(c.ENV_ACCOUNT_TEAMS, json.dumps({"page-billing": "billing"}))
    monkeypatch.delenv(c.ENV_ROUTING_RULES, raising=False)
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    handler = load_function(c.METRICS_FUNCTION)
    handler.wire(clients={"dynamodb": aws.dynamodb, "cloudwatch": cloudwatch}, clock=ManualClock(NOW))
    try:
        yield Publisher(aws, cloudwatch, handler, record_aws_calls(monkeypatch))
    finally:
        reset_function(handler)


def case(case_id: str, *, team: str = "care", waiting_min: int | None = None, due_in_min: int | None = None) -> Case:
    opened = NOW - 60 * MIN
    return care_case(
        case_id,
        Channel.X_DM,
        "page-1",
        Customer(user_id=f"u-{case_id}"),
        opened,
        team=team,
        message_count=1,
        last_inbound_by_channel={Channel.X_DM: opened},
        awaiting_reply_since_ms=None if waiting_min is None else NOW - waiting_min * MIN,
        response_due_at_ms=None if due_in_min is None else NOW + due_in_min * MIN,
    )


def put(aws: AwsResources, *cases: Case) -> None:
    """Items as the services write them, 25 to a BatchWriteItem (closed history seeds fast)."""
    items = [case_item(each) for each in cases]
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        aws.dynamodb.batch_write_item(RequestItems={aws.table_name: batch})


def closed(count: int, team: str) -> list[Case]:
    return [
        replace(case(f"old-{team}-{i}"), status=CaseStatus.CLOSED, closed_at_ms=NOW - (i + 2) * MIN)
        for i in range(count)
    ]


def test_every_watched_team_gets_its_gauges_in_cloudwatch(publisher: Publisher) -> None:
    put(
        publisher.aws,
        case("late", waiting_min=90, due_in_min=-30),
        case("fresh", waiting_min=5, due_in_min=55),
        case("answered"),
        case("b1", team="billing", waiting_min=10, due_in_min=50),
    )
    summary = publisher.run()
    assert summary == {"teams": 3, "open_cases": 4, "points": 2 * 5 + 3 * 6 + 8 * 5 + 6, "items_read": 4, "requests": 1}
    assert publisher.value("Backlog", team="care") == 3
    assert publisher.value("Unanswered", team="care") == 2
    assert publisher.value("InBreach", team="care") == 1
    assert publisher.value("OldestUnansweredAge", team="care") == 90 * 60
    assert publisher.value("Backlog", team="billing") == 1
    assert publisher.value("Backlog", team="trained-care") == 0, "sensitive cases' team, watched without rules"
    assert publisher.value("Backlog", channel="x_dm") == 4
    assert publisher.value("Backlog", team="care", channel="x_dm") == 3
    assert publisher.value("InBreach", team="billing", channel="x_dm") == 0
    [put_call] = publisher.calls("cloudwatch:PutMetricData")
    assert put_call["Namespace"] == c.METRICS_NAMESPACE
    stamps = {datum["Timestamp"] for datum in put_call["MetricData"]}
    assert stamps == {dt.datetime.fromtimestamp(NOW / 1000, dt.UTC)}, "one instant for the whole snapshot"


def test_reads_follow_the_open_cases_not_the_closed_history(publisher: Publisher) -> None:
    put(publisher.aws, *(case(f"open-{i}", waiting_min=i, due_in_min=60 - i) for i in range(30)))
    empty_history = publisher.run()
    queries = publisher.calls("dynamodb:Query")
    assert sorted((q["IndexName"], q["ExpressionAttributeValues"][":pk"]["S"]) for q in queries) == [
        (c.QUEUE_INDEX, f"QUEUE#{team}#{shard:02d}")
        for team in ("billing", "care", "trained-care")
        for shard in range(16)
    ], "one keyed Query of open work per team and shard, nothing else"
    assert {name for name, _ in publisher.recorder.calls if name.startswith("dynamodb:")} == {"dynamodb:Query"}

    put(publisher.aws, *closed(600, "care"), *closed(300, "billing"))
    long_history = publisher.run()
    assert empty_history["items_read"] == long_history["items_read"] == 30
    assert len(publisher.calls("dynamodb:Query")) == len(queries)


def test_a_team_with_more_open_cases_than_a_page_is_read_to_the_end(publisher: Publisher) -> None:
    big = "x" * 200_000  # ~200 KB per index item (the name is projected): one of DynamoDB's 1 MB pages holds 5
    put(
        publisher.aws,
        *(replace(case(f"o{i}", waiting_min=1), customer=Customer(f"u{i}", name=big)) for i in range(150)),
    )
    summary = publisher.run()
    assert summary["open_cases"] == summary["items_read"] == 150
    per_shard = Counter(
        q["ExpressionAttributeValues"][":pk"]["S"]
        for q in publisher.calls("dynamodb:Query")
        if q["ExpressionAttributeValues"][":pk"]["S"].startswith("QUEUE#care#")
    )
    assert len(per_shard) == 16
    assert max(per_shard.values()) > 1  # a shard's pages followed to its end
    assert publisher.value("Unanswered", team="care") == 150


@pytest.mark.parametrize(
    ("variable", "value", "error"),
    [
        (c.ENV_ACCOUNT_TEAMS, '{"page-1": ""}', "ACCOUNT_TEAMS must map account ids to team names"),
        (c.ENV_ACCOUNT_TEAMS, "[1]", "ACCOUNT_TEAMS must be a JSON object"),
        (c.ENV_ROUTING_RULES, '{"version": 0}', "ROUTING_RULES is invalid at version"),
        (c.ENV_TABLE_NAME, "", "TABLE_NAME is not set"),
    ],
)
def test_a_misconfigured_function_names_the_variable_and_publishes_nothing(
    publisher: Publisher, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, error: str
) -> None:
    monkeypatch.setenv(variable, value)
    publisher.handler.wire(clients={"dynamodb": publisher.aws.dynamodb, "cloudwatch": publisher.cloudwatch})
    with pytest.raises(RuntimeError, match=error):
        publisher.run()
    assert publisher.calls("cloudwatch:PutMetricData") == []
