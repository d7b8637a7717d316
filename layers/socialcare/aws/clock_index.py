"""The clock index on DynamoDB (``DueClocks``): ``CLOCKS#<shard>`` / ``<start at ms>#<case>#<generation>#<tier>``
(the sparse, KEYS_ONLY GSI of ``schema.py``), and the sweep's watermarks, one item
(``SWEEP#clocks`` / ``WATERMARKS``, an attribute per shard).

A shard is read with one Query of its sort-key range from the watermark to the end of ``until_ms``
(``BETWEEN``, so the watermark's own item comes back again and is dropped: one more item read, never
one started twice). A position is a sort key; the end of a range read to its last item is
``<until ms>~``, after every key of that millisecond and before the next. The keys hold the whole
execution input but its instant, which is the start time plus ``CLOCK_START_LEAD_MS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from socialcare import constants as c
from socialcare.aws import keys
from socialcare.aws.items import item_key, s
from socialcare.aws.wiring import lazy_client
from socialcare.model.escalation import ClockStart, EscalationTier
from socialcare.ports import DueClockPage

FIRST = "0"  # before every start time (13 digits)
END_OF_MS = "~"  # after "#": ``<ms>~`` follows every key of that millisecond
MARK_PREFIX = "w"


def end_of(until_ms: int) -> str:
    return f"{until_ms:013d}{END_OF_MS}"


def clock_of(sort_key: str) -> ClockStart:
    """The clock a key of the index names (what the clock function would have started)."""
    start_at_ms, case_id, generation, tier = keys.parse_clock_sort_key(sort_key)
    return ClockStart(case_id, generation, EscalationTier(tier), start_at_ms + c.CLOCK_START_LEAD_MS)


class ClockIndex:
    def __init__(self, table_name: str, *, client: Any | None = None) -> None:
        self._table = table_name
        self._client = lazy_client("dynamodb", client)

    def due(self, shard: int, *, after: str | None, until_ms: int, limit: int) -> DueClockPage:
        response = self._client().query(
            TableName=self._table,
            IndexName=c.CLOCK_INDEX,
            KeyConditionExpression="#pk = :pk AND #sk BETWEEN :from AND :until",
            ExpressionAttributeNames={"#pk": c.CLOCK_INDEX_PK, "#sk": c.CLOCK_INDEX_SK},
            ExpressionAttributeValues={
                ":pk": s(keys.clock_pk(shard)),
                ":from": s(after or FIRST),
                ":until": s(end_of(until_ms)),
            },
            Limit=limit + 1,  # the watermark's own item may come back first
        )
        positions = [str(item[c.CLOCK_INDEX_SK]["S"]) for item in response.get("Items", [])]
        positions = [position for position in positions if position != after]
        more = "LastEvaluatedKey" in response or len(positions) > limit
        kept = positions[:limit]
        return DueClockPage(
            clocks=tuple((position, clock_of(position)) for position in kept),
            end=None if more else end_of(until_ms),
        )

    def watermarks(self) -> dict[int, str]:
        response = self._client().get_item(
            TableName=self._table, Key=item_key(keys.CLOCK_SWEEP_PK, keys.WATERMARKS_SK), ConsistentRead=True
        )
        item = response.get("Item") or {}
        return {
            int(name.removeprefix(MARK_PREFIX)): str(value["S"])
            for name, value in item.items()
            if name.startswith(MARK_PREFIX) and name.removeprefix(MARK_PREFIX).isdigit()
        }

    def save_watermarks(self, marks: Mapping[int, str]) -> None:
        item = item_key(keys.CLOCK_SWEEP_PK, keys.WATERMARKS_SK)
        item.update({f"{MARK_PREFIX}{shard:02d}": s(position) for shard, position in marks.items()})
        self._client().put_item(TableName=self._table, Item=item)
