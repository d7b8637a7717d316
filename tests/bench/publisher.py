"""The open-work publisher's cost against closed history: the metrics function (``functions/metrics``,
the deployed file) on 1,000 open cases, first with no closed case, then with 100,000 closed ones
written beside them (BatchWriteItem, 25 items a request, as the history a brand accumulates).

What DynamoDB bills and what its latency follows is the items a Query reads (``ScannedCount``); the
publisher reads the queue index, where only active cases are, so that figure must not move. The run
time is moto's: moto answers a Query on an index by walking every item of the table, so on moto the
time does grow with history — in DynamoDB an index Query reads only its partition.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from dataclasses import dataclass, replace
from typing import Any

from tests.bench.ddb_cost import DynamoDBCalls, item_size
from tests.bench.setup import LambdaContext, load_function

OPEN = 1_000
CLOSED = 100_000
RUNS = 3
T0 = 1_767_225_600_000
TEAMS = {"care": 700, "billing": 300}  # open cases per team; trained-care (sensitive cases) has none


@dataclass(frozen=True)
class PublisherFigures:
    closed: int
    open: int
    items_read: int
    queries: int
    read_units: float  # eventually consistent index reads: 0.5 per 4 KB of items, per team's Query
    median_s: float
    points: int
    put_requests: int
    seed_s: float  # writing the closed history


def _cases(count: int, *, team: str, start: int, closed: bool) -> list[Any]:
    from socialcare.model.case import CaseStatus
    from socialcare.model.events import Channel, Customer

    from tests.case_support import care_case

    cases = []
    for i in range(start, start + count):
        case = care_case(
            f"{team}-{'c' if closed else 'o'}-{i:06d}",
            Channel.MESSENGER if i % 2 else Channel.X_POST,
            "page-1",
            Customer(user_id=f"u-{i}", name="Customer Name"),
            T0 + i,
            team=team,
            message_count=3,
            last_inbound_by_channel={Channel.MESSENGER: T0 + i},
            awaiting_reply_since_ms=None if closed or i % 3 else T0 + i,
            response_due_at_ms=None if closed or i % 3 else T0 + i + 3_600_000,
        )
        if closed:
            case = replace(case, status=CaseStatus.CLOSED, closed_at_ms=T0 + i + 60_000)
        cases.append(case)
    return cases


def _write(ddb: Any, table: str, cases: list[Any]) -> None:
    from socialcare.aws.items import case_item

    for first in range(0, len(cases), 25):
        batch = [{"PutRequest": {"Item": case_item(case)}} for case in cases[first : first + 25]]
        ddb.batch_write_item(RequestItems={table: batch})


def _read_units(open_items: dict[str, list[Any]]) -> float:
    from socialcare.aws.items import case_item

    return sum(0.5 * math.ceil(sum(item_size(case_item(c)) for c in cases) / 4096) for cases in open_items.values())


def _measure(handler: Any, calls: DynamoDBCalls, *, closed: int, units: float, seed_s: float) -> PublisherFigures:
    times, summary = [], {}
    calls.take()
    calls.recording = True
    for _ in range(RUNS):
        started = time.perf_counter()
        summary = handler.handler({}, LambdaContext())
        times.append(time.perf_counter() - started)
    calls.recording = False
    queries = sum(1 for op, _ in calls.take() if op == "Query")
    return PublisherFigures(
        closed=closed,
        open=summary["open_cases"],
        items_read=summary["items_read"],
        queries=queries // RUNS,
        read_units=units,
        median_s=statistics.median(times),
        points=summary["points"],
        put_requests=summary["requests"],
        seed_s=seed_s,
    )


def run(closed: int = CLOSED) -> list[PublisherFigures]:
    import boto3
    from moto import mock_aws
    from socialcare import constants as c
    from socialcare.aws import schema

    with mock_aws():
        table = "bench-metrics"
        ddb = boto3.client("dynamodb")
        ddb.create_table(**schema.create_table_kwargs(table))
        os.environ.update(
            {
                c.ENV_TABLE_NAME: table,
                c.ENV_DEFAULT_TEAM: "care",
                c.ENV_ACCOUNT_TEAMS: json.dumps({"page-billing": "billing"}),
            }
        )
        open_cases = {team: _cases(n, team=team, start=0, closed=False) for team, n in TEAMS.items()}
        for cases in open_cases.values():
            _write(ddb, table, cases)
        units = _read_units(open_cases)
        handler = load_function(c.METRICS_FUNCTION)
        calls = DynamoDBCalls.installed()
        figures = [_measure(handler, calls, closed=0, units=units, seed_s=0.0)]
        started = time.perf_counter()
        per_team = closed // len(TEAMS)
        for team in TEAMS:
            _write(ddb, table, _cases(per_team, team=team, start=0, closed=True))
        seed_s = time.perf_counter() - started
        figures.append(_measure(handler, calls, closed=per_team * len(TEAMS), units=units, seed_s=seed_s))
        return figures
