"""One page of a DynamoDB Query for the agent API's lists: filtered, resumable, bounded in cost.

Reads are Query on keys and indexes, never Scan. A filtered list reads ahead (a larger ``Limit``)
and gives up after ``MAX_QUERIES_PER_PAGE`` queries: a very selective filter returns a short page
with a position to resume from, not a slow one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from socialcare import constants as c
from socialcare.aws.items import s
from socialcare.errors import InvalidCursor
from socialcare.ports import CaseFilter, Page, Position

T = TypeVar("T")


def every_item(client: Any, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item a Query returns, following its pages (for reads whose size the key already bounds)."""
    request = dict(params)
    while True:
        response = client.query(**request)
        yield from response.get("Items", [])
        if "LastEvaluatedKey" not in response:
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


MAX_QUERIES_PER_PAGE = 10


@dataclass(frozen=True, slots=True)
class ListQuery:
    """Which items a list reads: a partition of the table or of one index, optionally a sort-key prefix."""

    partition: str
    index: tuple[str, str, str] | None = None  # (index name, its partition key, its sort key)
    sort_prefix: str | None = None
    forward: bool = True

    @property
    def partition_key(self) -> str:
        return self.index[1] if self.index else c.PARTITION_KEY

    @property
    def key_names(self) -> tuple[str, ...]:
        return (c.PARTITION_KEY, c.SORT_KEY, *(self.index[1:] if self.index else ()))


def query_page(
    client: Any,
    table: str,
    query: ListQuery,
    *,
    flt: CaseFilter,
    limit: int,
    start: Position | None,
    convert: Callable[[Mapping[str, Any]], T],
) -> Page[T]:
    params = _query_params(table, query, flt, limit, start)
    key_names = query.key_names
    found: list[Mapping[str, Any]] = []
    for _ in range(MAX_QUERIES_PER_PAGE):
        resp = client.query(**params)
        batch = resp.get("Items", [])
        more = "LastEvaluatedKey" in resp
        for position, item in enumerate(batch):
            found.append(item)
            if len(found) == limit:
                exhausted = position == len(batch) - 1 and not more
                next_position = None if exhausted else {k: item[k]["S"] for k in key_names}
                return Page([convert(i) for i in found], next_position)
        if not more:
            return Page([convert(i) for i in found], None)
        params["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
    last = params["ExclusiveStartKey"]
    return Page([convert(i) for i in found], {k: v["S"] for k, v in last.items()})


def _query_params(table: str, query: ListQuery, flt: CaseFilter, limit: int, start: Position | None) -> dict[str, Any]:
    names = {"#qpk": query.partition_key}
    values: dict[str, Any] = {":qpk": s(query.partition)}
    condition = "#qpk = :qpk"
    if query.sort_prefix:
        names["#qsk"] = c.SORT_KEY
        values[":qsk"] = s(query.sort_prefix)
        condition += " AND begins_with(#qsk, :qsk)"
    params: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": condition,
        "ScanIndexForward": query.forward,
        "Limit": limit if flt.is_empty else min(max(limit * 4, 50), 500),
    }
    if query.index:
        params["IndexName"] = query.index[0]
    else:
        params["ConsistentRead"] = True
    filter_expr = _filter_expression(flt, names, values)
    if filter_expr:
        params["FilterExpression"] = filter_expr
    params["ExpressionAttributeNames"] = names
    params["ExpressionAttributeValues"] = values
    if start is not None:
        _check_start(query, start)
        params["ExclusiveStartKey"] = {k: s(v) for k, v in start.items()}
    return params


def _check_start(query: ListQuery, start: Position) -> None:
    if set(start) != set(query.key_names) or start.get(query.partition_key) != query.partition:
        raise InvalidCursor("the cursor does not belong to this list")
    if query.sort_prefix and not start[c.SORT_KEY].startswith(query.sort_prefix):
        raise InvalidCursor("the cursor does not belong to this list")


def _filter_expression(flt: CaseFilter, names: dict[str, str], values: dict[str, Any]) -> str:
    parts = []
    if flt.statuses:
        names["#st"] = "status"
        placeholders = []
        for i, status in enumerate(sorted(flt.statuses)):
            values[f":st{i}"] = s(status.value)
            placeholders.append(f":st{i}")
        parts.append(f"#st IN ({', '.join(placeholders)})")
    if flt.channel:
        names["#ch"] = "channels"
        values[":ch"] = s(flt.channel.value)
        parts.append("contains(#ch, :ch)")
    if flt.priority:
        names["#pr"] = "priority"
        values[":pr"] = s(flt.priority.value)
        parts.append("#pr = :pr")
    if flt.owner:
        names["#ow"] = "owner"
        values[":ow"] = s(flt.owner)
        parts.append("#ow = :ow")
    elif flt.unowned:
        names["#ow"] = "owner"
        parts.append("attribute_not_exists(#ow)")
    return " AND ".join(parts)


def conditional_put(
    table: str,
    item: dict[str, Any],
    condition: str,
    *,
    names: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A TransactWriteItems ``Put`` conditioned on ``condition`` (``#pk`` names the partition key)."""
    put: dict[str, Any] = {
        "TableName": table,
        "Item": item,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#pk": c.PARTITION_KEY, **(names or {})},
    }
    if values:
        put["ExpressionAttributeValues"] = dict(values)
    return {"Put": put}


def query_all(client: Any, **params: Any) -> Iterator[dict[str, Any]]:
    """Every item a Query gives, page after page (for reads that need them all: a day's facts, a queue)."""
    while True:
        resp = client.query(**params)
        yield from resp.get("Items", [])
        if "LastEvaluatedKey" not in resp:
            return
        params = {**params, "ExclusiveStartKey": resp["LastEvaluatedKey"]}
