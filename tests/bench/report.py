"""The daily report's cost: a day of ``CASES`` cases and the report function making and storing it.

The table holds what the stream consumer would have left: each case's day facts (created, its
customer's message with its sentiment, a first response, for most a resolution, for some a breach or
a reopening) and the cases still open in their team's queue; the SLA in force is a Berlin office
calendar's. Seeding writes the items directly (BatchWriteItem; the day items in the
format ``ReportStore`` records), since moto's UpdateItem is slow. The report function is the deployed
handler file, invoked with ``{"date": ...}``; its DynamoDB reads are counted from the responses.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

from socialcare.model.case import Priority
from socialcare.model.day_facts import DayFact, FactKind
from socialcare.model.events import Channel, Customer

from tests.bench.setup import LambdaContext, load_function

CASES = int(os.environ.get("BENCH_REPORT_CASES", "10000"))
AGENTS = 40
DAY = "2026-03-30"
DAY_START_MS = 1_774_828_800_000  # 2026-03-30T00:00:00Z (the report's time zone is UTC here)
MIN = 60_000
CHANNELS = tuple(Channel)


@dataclass(frozen=True)
class ReportFigures:
    cases: int  # new cases the stored report counts
    seed_seconds: float
    seconds: float
    read_seconds: float  # of a second run, split: reading (moto's Query) and computing the two documents
    compute_seconds: float
    items_read: int
    requests: int
    stored_bytes: int


def _facts(i: int) -> list[DayFact]:
    case_id = f"case-{i:05d}"
    created = DAY_START_MS + i * 8_000  # spread over the day
    base: dict[str, Any] = {
        "case_id": case_id,
        "team": "care" if i % 5 else "billing",
        "channel": CHANNELS[i % len(CHANNELS)],
        "priority": Priority.HIGH if CHANNELS[i % len(CHANNELS)].is_public else Priority.NORMAL,
        "account_id": "104729318529001",
    }
    owner = f"agent-{i % AGENTS:02d}"
    answered = created + (5 + i % 90) * MIN
    facts = [
        DayFact(kind=FactKind.CREATED, at_ms=created, tags=(("delivery", "billing", "returns")[i % 3],), **base),
        DayFact(
            kind=FactKind.INBOUND,
            at_ms=created,
            **{**base, "team": "", "account_id": "", "priority": Priority.NORMAL},
            message_id=f"{created:013d}#m-{i}",
            language="es",
            sentiment=("negative", "neutral", "positive")[i % 3],
            score=(i % 3 - 1) * 0.5,
        ),
        DayFact(
            kind=FactKind.FIRST_RESPONSE,
            at_ms=answered,
            owner=owner,
            since_ms=created,
            clock_ms=created,
            due_ms=created + 60 * MIN,
            **base,
        ),
    ]
    if i % 10 < 7:
        facts.append(DayFact(kind=FactKind.RESOLVED, at_ms=answered + 30 * MIN, owner=owner, since_ms=created, **base))
    if i % 12 == 0:
        facts.append(
            DayFact(kind=FactKind.TIER, at_ms=created + 60 * MIN, owner=owner, tier="breach",
                    sla_clock="first_response", clock_ms=created, **base)
        )  # fmt: skip
    if i % 33 == 0:
        facts.append(DayFact(kind=FactKind.REOPENED, at_ms=answered + 90 * MIN, owner=owner, **base))
    return facts


def _batch_write(ddb: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        ddb.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
        )


def seed(ddb: Any, table: str) -> None:
    from socialcare.aws.config_store import config_item
    from socialcare.aws.items import case_item
    from socialcare.aws.report_store import day_item
    from socialcare.model.config import POLICY_SET_NAME, ConfigKind, StoredConfig

    from tests.case_support import care_case
    from tests.sla_config_support import ALWAYS, BERLIN, POLICIES

    documents = [(ConfigKind.CALENDAR, "berlin-office", BERLIN), (ConfigKind.CALENDAR, "always", ALWAYS)]
    documents.append((ConfigKind.SLA_POLICIES, POLICY_SET_NAME, {"version": 1, **POLICIES}))
    items = [config_item(StoredConfig(kind, name, 1, doc, DAY_START_MS, "bench")) for kind, name, doc in documents]
    for i in range(CASES):
        facts = _facts(i)
        items.append(day_item(DAY, facts[0].case_id, facts))
        if i % 10 >= 7:  # still open at the day's end, half of them awaiting an answer
            first = facts[0]
            waiting = {"awaiting_reply_since_ms": first.at_ms, "response_due_at_ms": first.at_ms + 60 * MIN}
            case = care_case(
                first.case_id, first.channel, first.account_id, Customer(f"c{i}"), first.at_ms, team=first.team,
                **(waiting if i % 2 else {}),
            )  # fmt: skip
            items.append(case_item(case))
    _batch_write(ddb, table, items)


def run(table: str, bucket: str) -> ReportFigures:
    import boto3
    from socialcare import constants as c

    ddb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    started = time.perf_counter()
    seed(ddb, table)
    seeded = time.perf_counter() - started
    counts = {"items": 0, "requests": 0}

    def count(parsed: dict[str, Any], **_: Any) -> None:
        counts["requests"] += 1
        counts["items"] += int(parsed.get("Count", 1 if parsed.get("Item") else 0))

    reader = boto3.client("dynamodb")
    reader.meta.events.register("after-call.dynamodb.*", count)
    os.environ.update({c.ENV_TABLE_NAME: table, c.ENV_REPORTS_BUCKET: bucket, c.ENV_REPORT_TIME_ZONE: "UTC"})
    handler = load_function(c.REPORT_FUNCTION)
    handler.wire(clients={"dynamodb": reader, "s3": s3}, clock=lambda: DAY_START_MS + 86_400_000 + 15 * MIN)
    started = time.perf_counter()
    result = handler.handler({"date": DAY}, LambdaContext())
    seconds = time.perf_counter() - started
    stored = sum(s3.head_object(Bucket=bucket, Key=key)["ContentLength"] for key in result["stored"][0]["keys"])
    report = json.loads(s3.get_object(Bucket=bucket, Key=result["stored"][0]["keys"][0])["Body"].read())
    items, requests = counts["items"], counts["requests"]
    read, compute = _split(handler)
    return ReportFigures(report["totals"]["new_cases"], seeded, seconds, read, compute, items, requests, stored)


def _split(handler: Any) -> tuple[float, float]:
    """The same day again through the handler's service: the reads, then the pure computation."""
    from datetime import date

    service = handler._wiring.get()
    day = date.fromisoformat(DAY)
    started = time.perf_counter()
    data = service.period_data(service.window(day, day))
    read = time.perf_counter() - started
    started = time.perf_counter()
    service.accountability_document(data)
    service.marketing_document(data)
    return read, time.perf_counter() - started
