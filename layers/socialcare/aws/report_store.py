"""What the reports read and the stream consumer writes, on DynamoDB (``ports.ReportReads``).

Day facts: one item per case and UTC day, ``REPORTDAY#<yyyy-mm-dd>`` / ``CASE#<case_id>``, each fact
an attribute ``f#<fact key>`` holding its JSON document; a fact recorded again overwrites itself
(UpdateItem ``SET``), so the stream's redeliveries change nothing. Customers' messages are counts, one
item per case and UTC quarter hour with messages (``CASE#<case_id>#Q<hhmm>``): per channel, language
and sentiment, ``n#...`` messages and ``s#...`` their scores' sum, ADDed by one UpdateItem per case and
quarter hour of a stream batch, conditioned on the stream position it counted through (``pos``), so a
record delivered again is never counted twice. Its size grows with the kinds of message, not their
number: about 150 bytes for a case writing in one language and mood. A day is read with one Query of
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

from botocore.exceptions import ClientError

from socialcare import constants as c
from socialcare.aws import keys
from socialcare.aws.config_store import CachedSla, ConfigStore
from socialcare.aws.items import n, s
from socialcare.aws.paging import query_all
from socialcare.aws.report_archive import ReportArchive
from socialcare.aws.view_reads import whole_queue
from socialcare.aws.wiring import AwsClients, lazy_client
from socialcare.clock import Clock
from socialcare.model.case import Priority
from socialcare.model.day_facts import DayFact, FactKind
from socialcare.model.events import Channel
from socialcare.model.summary import CaseSummary
from socialcare.rules.sla import ResponseTargets

REPORT_FACTS_RETENTION_DAYS = 400
FACT_PREFIX = "f#"
COUNTS_ENTITY = "day_messages"
COUNT_PREFIX = "n#"  # n#<channel>#<language>#<sentiment>: messages
SCORE_PREFIX = "s#"  # s#<channel>#<language>#<sentiment>: their scores' sum
POSITION = "pos"  # the stream position counted through
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

    def count_messages(self, day: str, case_id: str, facts: Sequence[DayFact], *, first: str, last: str) -> bool:
        quarter_ms = facts[0].count_key[0]
        values: Item = {":first": s(first), ":last": s(last), ":at": n(quarter_ms), ":case": s(case_id)}
        values[":entity"], values[":ttl"] = s(COUNTS_ENTITY), n(_expires_at_s(day))
        names = {"#pos": POSITION, "#ttl": c.TTL_ATTRIBUTE}
        adds = []
        for i, fact in enumerate(facts):
            names[f"#n{i}"], values[f":n{i}"] = COUNT_PREFIX + _count_name(fact), n(fact.messages)
            adds.append(f"#n{i} :n{i}")
            if fact.score is not None:
                names[f"#s{i}"], values[f":s{i}"] = SCORE_PREFIX + _count_name(fact), {"N": repr(fact.score)}
                adds.append(f"#s{i} :s{i}")
        try:
            self._client().update_item(
                TableName=self._table,
                Key=_counts_key(day, case_id, quarter_ms),
                UpdateExpression="SET #pos = :last, at_ms = :at, case_id = :case, entity = :entity, #ttl = :ttl "
                + "ADD "
                + ", ".join(adds),
                ConditionExpression="attribute_not_exists(#pos) OR #pos < :first",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False  # counted there already: the stream delivered it again
            raise
        return True

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
            found += _counts(item)
        return found

    def team_backlog(self, team: str) -> list[CaseSummary]:
        return whole_queue(self._client(), self._table, team)[0]

    def _query(self, **params: Any) -> Iterator[Mapping[str, Any]]:
        return query_all(self._client(), TableName=self._table, **params)


def _counts_key(day: str, case_id: str, quarter_ms: int) -> Item:
    hhmm = f"{quarter_ms % 86_400_000 // 3_600_000:02d}{quarter_ms % 3_600_000 // 60_000:02d}"
    return {c.PARTITION_KEY: s(keys.report_day_pk(day)), c.SORT_KEY: s(f"{keys.REPORT_CASE_PREFIX}{case_id}#Q{hhmm}")}


def _count_name(fact: DayFact) -> str:
    _, channel, language, sentiment = fact.count_key
    return f"{channel}#{language}#{sentiment}"


def _counts(item: Mapping[str, Any]) -> list[DayFact]:
    """A counts item's messages, one fact per channel, language and sentiment."""
    if item.get("entity", {}).get("S") != COUNTS_ENTITY:
        return []
    found = []
    for name, value in sorted(item.items()):
        if not name.startswith(COUNT_PREFIX):
            continue
        channel, language, sentiment = name.removeprefix(COUNT_PREFIX).split("#")
        score = item.get(SCORE_PREFIX + name.removeprefix(COUNT_PREFIX))
        fact = DayFact(
            kind=FactKind.INBOUND,
            case_id=item["case_id"]["S"],
            at_ms=int(item["at_ms"]["N"]),
            team="",
            channel=Channel(channel),
            priority=Priority.NORMAL,
            account_id="",
            language=None if language == "-" else language,
            sentiment=None if sentiment == "-" else sentiment,
            score=None if score is None else float(score["N"]),
            messages=int(value["N"]),
        )
        found.append(fact)
    return found


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
