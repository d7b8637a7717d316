"""The views' lists on DynamoDB (``rules.views``, ``aws/schema.py``): where a view's cases are, a page of
them merged across its shards (``paging.merged_page``), or all of them (the open-work gauges and the
report's backlog read a team's whole queue)."""

from __future__ import annotations

from typing import Any

from socialcare.aws import keys, schema
from socialcare.aws.items import item_to_summary
from socialcare.aws.paging import MergedPage, Shards, merged_page
from socialcare.errors import InvalidCursor
from socialcare.model.summary import CaseSummary
from socialcare.model.views import CaseView, Dimension
from socialcare.ports import Page, Position
from socialcare.rules.views import UNASSIGNED, VIEW_SHARDS


def view_shards(view: CaseView) -> Shards:
    """Where ``view``'s cases are: one partition per value and shard, on its dimension's index."""
    where = schema.VIEW_INDEXES[view.dimension]
    shards: list[int | None] = list(range(VIEW_SHARDS)) if view.dimension.sharded else [None]
    groups = tuple(
        tuple(keys.view_pk(where.prefix, view.scope, value, shard) for shard in shards) for value in view.values
    )
    index = where.index
    return Shards(index.name, index.partition_key, index.sort_key, groups, view.lower, view.upper)


def summaries(view: CaseView, items: list[dict[str, Any]]) -> list[CaseSummary]:
    """The view's index items as case summaries: a team view's items carry no team (it is the view's),
    and a dimension's index leaves out the attribute its partition key names (``value_of``)."""
    where = schema.VIEW_INDEXES[view.dimension]
    team = view.scope if view.dimension.sharded else None
    head = len(f"{where.prefix}#{view.scope}#")
    found = []
    for item in items:
        filled = item
        if where.value_of is not None:
            value = str(item[where.index.partition_key]["S"])[head:-3]  # <prefix>#<scope>#<value>#<shard>
            filled = {**item, **({where.value_of: {"S": value}} if value != UNASSIGNED else {})}
        found.append(item_to_summary(filled, where.order, team))
    return found


def view_page(client: Any, table: str, view: CaseView, *, limit: int, start: Position | None) -> MergedPage:
    """One page of ``view`` from ``start`` (a position of this view, ``{"list", "after"}``)."""
    if start is not None and (set(start) != {"list", "after"} or start["list"] != view.name):
        raise InvalidCursor("the cursor does not belong to this list")
    return merged_page(client, table, view_shards(view), limit=limit, after=start["after"] if start else None)


def case_page(client: Any, table: str, view: CaseView, *, limit: int, start: Position | None) -> Page[CaseSummary]:
    read = view_page(client, table, view, limit=limit, start=start)
    position = {"list": view.name, "after": read.last_key} if read.last_key is not None else None
    return Page(summaries(view, read.items), position)


def whole_queue(client: Any, table: str, team: str) -> tuple[list[CaseSummary], int]:
    """Every case of the team's queue (its 16 shards, each followed to its end), soonest due first, and
    the items read (``ScannedCount``)."""
    view = CaseView(Dimension.QUEUE, team)
    shards = view_shards(view)
    found: list[tuple[str, dict[str, Any]]] = []
    read = 0
    for partition in shards.groups[0]:
        params: dict[str, Any] = {
            "TableName": table,
            "IndexName": shards.index,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": shards.partition_key},
            "ExpressionAttributeValues": {":pk": {"S": partition}},
        }
        while True:
            resp = client.query(**params)
            found += [(str(item[shards.sort_key]["S"]), item) for item in resp.get("Items", [])]
            read += int(resp.get("ScannedCount", len(resp.get("Items", []))))
            if "LastEvaluatedKey" not in resp:
                break
            params["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
    found.sort(key=lambda pair: pair[0])
    return summaries(view, [item for _, item in found]), read
