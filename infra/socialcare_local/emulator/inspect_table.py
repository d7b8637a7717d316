"""Read cases back from the table the way an operator would: keyed access only, never a Scan.

Used by the demo's summary and the end-to-end tests. Items come back as plain Python values
(numbers as ``int``), and the reader is tolerant of attributes it does not know.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from socialcare import constants as c
from socialcare.aws import keys

_deserializer = TypeDeserializer()


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A low-level DynamoDB item as plain values (Decimal integers become ``int``)."""
    return {key: _plain_value(_deserializer.deserialize(value)) for key, value in item.items()}


def _plain_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain_value(v) for v in value]
    if isinstance(value, set):
        return {_plain_value(v) for v in value}
    if isinstance(value, dict):
        return {k: _plain_value(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class CaseView:
    item: dict[str, Any]
    thread: list[dict[str, Any]] = field(default_factory=list)

    @property
    def case_id(self) -> str:
        return str(self.item.get("case_id") or str(self.item.get(c.PARTITION_KEY, "")).removeprefix("CASE#"))

    @property
    def channels(self) -> list[str]:
        value = self.item.get("channels") or []
        return sorted(str(v) for v in value)

    @property
    def status(self) -> str:
        return str(self.item.get("status", "?"))

    @property
    def team(self) -> str:
        return str(self.item.get("team", "?"))

    @property
    def priority(self) -> str:
        return str(self.item.get("priority", "?"))

    @property
    def customer(self) -> str:
        name = self.item.get("customer_name") or self.item.get("customer_handle")
        user = self.item.get("customer_id", "?")
        return f"{name} ({user})" if name else str(user)

    @property
    def message_count(self) -> int:
        return int(self.item.get("message_count") or 0)

    def entries(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.thread if kind is None or e.get("kind") == kind]

    def entry(self, entry_id: str) -> dict[str, Any] | None:
        """The thread entry with this id (its sort key is ``MSG#<entry id>``)."""
        return next((e for e in self.thread if e.get(c.SORT_KEY) == f"MSG#{entry_id}"), None)


class TableReader:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self.dynamodb = dynamodb
        self.table_name = table_name

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        paginator = self.dynamodb.get_paginator("query")
        for page in paginator.paginate(TableName=self.table_name, **kwargs):
            for item in page.get("Items", []):
                yield plain(item)

    def customer_cases(self, account_id: str, user_ids: Iterable[str], *, with_thread: bool = True) -> list[CaseView]:
        """Every case of one customer on one brand account (GSI2), oldest first, deduplicated."""
        seen: dict[str, CaseView] = {}
        for user_id in user_ids:
            for item in self._query(
                IndexName=c.CUSTOMER_INDEX,
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": c.CUSTOMER_INDEX_PK},
                ExpressionAttributeValues={":pk": {"S": f"CUST#{account_id}#{user_id}"}},
            ):
                case_id = str(item[c.PARTITION_KEY]).removeprefix("CASE#")  # the index holds keys only
                if case_id not in seen and (found := self.case(case_id, with_thread=with_thread)) is not None:
                    seen[case_id] = found
        return sorted(seen.values(), key=lambda v: (str(v.item.get(c.CUSTOMER_INDEX_SK, "")), v.case_id))

    def thread(self, case_id: str) -> list[dict[str, Any]]:
        """A case's thread entries in table order (platform timestamp, then id)."""
        return list(
            self._query(
                KeyConditionExpression="#pk = :pk AND begins_with(#sk, :msg)",
                ExpressionAttributeNames={"#pk": c.PARTITION_KEY, "#sk": c.SORT_KEY},
                ExpressionAttributeValues={":pk": {"S": f"CASE#{case_id}"}, ":msg": {"S": "MSG#"}},
            )
        )

    def case(self, case_id: str, *, with_thread: bool = True) -> CaseView | None:
        response = self.dynamodb.get_item(
            TableName=self.table_name,
            Key={c.PARTITION_KEY: {"S": f"CASE#{case_id}"}, c.SORT_KEY: {"S": "CASE"}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item:
            return None
        return CaseView(plain(item), self.thread(case_id) if with_thread else [])

    def current_case_pointer(self, account_id: str, user_id: str) -> dict[str, Any] | None:
        response = self.dynamodb.get_item(
            TableName=self.table_name,
            Key={c.PARTITION_KEY: {"S": f"CUST#{account_id}#{user_id}"}, c.SORT_KEY: {"S": "CURRENT"}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return plain(item) if item else None

    def queue(self, team: str = c.DEFAULT_TEAM) -> list[dict[str, Any]]:
        """A team's active cases not set aside, most urgent first: the summaries its queue index's 16
        shards hold (GSI1), each with its ``case_id``."""
        found = [
            {**item, "case_id": str(item[c.PARTITION_KEY]).removeprefix("CASE#")}
            for partition in keys.queue_pks(team)
            for item in self._query(
                IndexName=c.QUEUE_INDEX,
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": c.QUEUE_INDEX_PK},
                ExpressionAttributeValues={":pk": {"S": partition}},
            )
        ]
        return sorted(found, key=lambda item: str(item[c.QUEUE_INDEX_SK]))

    def platform_message(self, platform: str, account_id: str, message_id: str) -> dict[str, Any] | None:
        """The index entry of one platform message (its case and thread entry), if it was stored."""
        response = self.dynamodb.get_item(
            TableName=self.table_name,
            Key={
                c.PARTITION_KEY: {"S": f"PMSG#{platform}#{account_id}#{message_id}"},
                c.SORT_KEY: {"S": "PMSG"},
            },
            ConsistentRead=True,
        )
        item = response.get("Item")
        return plain(item) if item else None
