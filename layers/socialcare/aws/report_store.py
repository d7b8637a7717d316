"""What the reports read and the stream consumer writes, on DynamoDB (``ports.ReportReads``).

Day facts: one item per case and UTC day, ``REPORTDAY#<yyyy-mm-dd>`` / ``CASE#<case_id>``, each fact
an attribute ``f#<fact key>`` holding its JSON document; a fact recorded again overwrites itself
(UpdateItem ``SET``), so the stream's redeliveries change nothing. A day is read with one Query of
its partition (paged), so reading a day costs about one item per case that had a fact that day. The
items expire ``REPORT_FACTS_RETENTION_DAYS`` after their day (TTL): the stored reports in S3 are the
record; the facts are what a report is recomputed from.

The backlog is a team's queue index (active cases not set aside, its 16 shards), as case summaries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from socialcare import constants as c
from socialcare.aws import keys
from socialcare.aws.config_store import CachedSla, ConfigStore
from socialcare.aws.items import n, s
from socialcare.aws.paging import query_all
from socialcare.aws.report_archive import ReportArchive
from socialcare.aws.view_reads import whole_queue
from socialcare.aws.wiring import AwsClients, lazy_client
from socialcare.clock import Clock
from socialcare.model.day_facts import DayFact
from socialcare.model.summary import CaseSummary
from socialcare.rules.sla import ResponseTargets

REPORT_FACTS_RETENTION_DAYS = 400
FACT_PREFIX = "f#"
Item = dict[str, Any]


class ReportStore:
    def __init__(self, table_name: str, *, client: Any = None) -> None:
        self._table = table_name
        self._client = lazy_client("dynamodb", client)

    def record_facts(self, day: str, case_id: str, facts: Sequence[DayFact]) -> None:
        if not facts:
            return
        attributes = fact_attributes(day, case_id, facts)
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        self._client().update_item(
            TableName=self._table,
            Key=_day_key(day, case_id),
            UpdateExpression="SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(attributes))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={f":a{i}": value for i, value in enumerate(attributes.values())},
        )

    def day_facts(self, day: str) -> list[DayFact]:
        found: list[DayFact] = []
        for item in self._query(
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": c.PARTITION_KEY},
            ExpressionAttributeValues={":pk": s(keys.report_day_pk(day))},
        ):
            found += [
                DayFact.from_document(json.loads(value["S"]))
                for name, value in sorted(item.items())
                if name.startswith(FACT_PREFIX)
            ]
        return found

    def team_backlog(self, team: str) -> list[CaseSummary]:
        return whole_queue(self._client(), self._table, team)[0]

    def _query(self, **params: Any) -> Iterator[Mapping[str, Any]]:
        return query_all(self._client(), TableName=self._table, **params)


def _day_key(day: str, case_id: str) -> Item:
    return {c.PARTITION_KEY: s(keys.report_day_pk(day)), c.SORT_KEY: s(keys.REPORT_CASE_PREFIX + case_id)}


def fact_attributes(day: str, case_id: str, facts: Sequence[DayFact]) -> Item:
    """The attributes ``facts`` set on their case's item of ``day`` (each fact under ``f#<its key>``)."""
    item: Item = {"entity": s("day_facts"), "case_id": s(case_id), c.TTL_ATTRIBUTE: n(_expires_at_s(day))}
    for fact in facts:
        item[FACT_PREFIX + fact.key] = s(json.dumps(fact.to_document(), separators=(",", ":"), sort_keys=True))
    return item


def day_item(day: str, case_id: str, facts: Sequence[DayFact]) -> Item:
    """A whole day item (what recording ``facts`` one by one leaves): for loading many at once."""
    return {**_day_key(day, case_id), **fact_attributes(day, case_id, facts)}


def _expires_at_s(day: str) -> int:
    end = datetime.combine(date.fromisoformat(day), time(0, 0), tzinfo=UTC) + timedelta(
        days=REPORT_FACTS_RETENTION_DAYS
    )
    return int(end.timestamp())


@dataclass(frozen=True, slots=True)
class ReportAdapters:
    """What the reports service runs on in AWS: its reads, the stored reports and the SLA in force."""

    reads: ReportStore
    archive: ReportArchive
    sla: CachedSla


def report_adapters(
    table_name: str, bucket: str, targets: ResponseTargets, *, clients: AwsClients, clock: Clock
) -> ReportAdapters:
    """The adapters of the report function and of the agent API's report routes, on their clients."""
    dynamodb = clients("dynamodb")
    return ReportAdapters(
        ReportStore(table_name, client=dynamodb),
        ReportArchive(bucket, client=clients("s3")),
        CachedSla(ConfigStore(table_name, client=dynamodb), targets, clock=clock),
    )
