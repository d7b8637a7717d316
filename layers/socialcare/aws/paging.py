"""Pages of DynamoDB Queries for the agent API's lists: one partition (``query_page``), or a list kept
in several partitions merged in sort-key order (``merged_page``). Query on keys and indexes, never
Scan, and never a FilterExpression: a list reads what it returns.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from socialcare import constants as c
from socialcare.aws.items import s
from socialcare.errors import InvalidCursor
from socialcare.ports import Page, Position

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
    limit: int,
    start: Position | None,
    convert: Callable[[Mapping[str, Any]], T],
) -> Page[T]:
    """One page of one partition (a case's audit trail, a crisis's held messages): one Query."""
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
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": query.forward,
        "Limit": limit,
    }
    if query.index:
        params["IndexName"] = query.index[0]
    else:
        params["ConsistentRead"] = True
    if start is not None:
        _check_start(query, start)
        params["ExclusiveStartKey"] = {k: s(v) for k, v in start.items()}
    resp = client.query(**params)
    items = resp.get("Items", [])
    last = resp.get("LastEvaluatedKey")
    return Page([convert(i) for i in items], {k: v["S"] for k, v in last.items()} if last and items else None)


def _check_start(query: ListQuery, start: Position) -> None:
    if set(start) != set(query.key_names) or start.get(query.partition_key) != query.partition:
        raise InvalidCursor("the cursor does not belong to this list")
    if query.sort_prefix and not start[c.SORT_KEY].startswith(query.sort_prefix):
        raise InvalidCursor("the cursor does not belong to this list")


# ---- a list kept in several partitions, merged in sort-key order -----------------------------------
PROBE_SHARE = 3  # the probe reads room / (PROBE_SHARE * partitions) items: a third of the room, all told
TRIM = 0.9  # a bound lowered on evidence leaves this share of the room filled (so the rest rarely overflows)
WAVES = (1, 1, 2, 4, 8)  # partitions read at once, wave after wave (the last wave takes all that are left)
MAX_PARALLEL = 8
_AFTER = " "  # appended to a key, the smallest key above it: a space sorts below every character keys hold


@dataclass(frozen=True, slots=True)
class Shards:
    """One list's partitions on one index, by value (a list of several statuses merges several values'
    shards), and its sort-key range (both ends inclusive, None: open)."""

    index: str
    partition_key: str
    sort_key: str
    groups: tuple[tuple[str, ...], ...]
    lower: str | None = None
    upper: str | None = None


@dataclass(slots=True)
class MergedPage:
    """The items of one page in sort-key order; ``last_key``: where the next page starts (after it),
    None when the list is done. ``items_read``: what the Queries read (``ScannedCount``), in ``queries``."""

    items: list[dict[str, Any]]
    last_key: str | None
    items_read: int = 0
    queries: int = 0


Kept = tuple[str, int, dict[str, Any]]  # an item's sort key, its value's group, the item


@dataclass(slots=True)
class _Round:
    """One round's reads: items kept, the bound they are complete to, partitions read to their end."""

    hi: str | None  # None: every partition read through the list's upper end
    bounded: bool = False  # hi came from what was read (a partition's last item), not the list's end
    kept: list[Kept] = field(default_factory=list)
    ends: dict[str, str | None] = field(default_factory=dict)  # partition -> its last key (None: empty)


def merged_page(client: Any, table: str, shards: Shards, *, limit: int, after: str | None) -> MergedPage:
    """Up to ``limit`` items of the list after the key ``after``, in sort-key order, reading about what
    it returns.

    A list sharded over ``n`` partitions (16 per value, a hash of the case id choosing one) cannot
    know where its next ``limit`` items end without reading: a Query of every partition with
    ``Limit=limit`` reads up to ``n`` times the page to return it. Instead a page is read in *rounds*,
    each of which ends at a bound ``hi`` that every partition is read exactly up to, so that nothing
    beyond it is read:

    1. **Probe**: one partition of each value (chosen by the position, so rounds and pages spread over
       them) is read from the position with ``Limit = room / (3 n)`` (at least 1). The lowest of their
       last items is ``hi``: with a value's cases spread evenly over its 16 partitions, the list holds
       about 16 times as many items up to it as the probe read, a third of the room on average.
    2. **Bounded reads**: the other partitions are read in waves (1, 1, 2, 4, then 8 at once, in
       parallel) over the key range (position, ``hi``], each with ``Limit`` = the room left, so a
       partition can never return more than the page has room for; one that fills its limit lowers
       ``hi`` to its last item. After each wave, the partitions read so far estimate how many items
       the list holds up to ``hi`` (each value's count scaled by its partitions not yet read); when
       that exceeds the room, ``hi`` is lowered to the kept item where the estimate is ``TRIM`` of the
       room. A probe that landed far gives itself away after a couple of partitions, while few items
       lie above the lowered bound.
    3. What is kept up to ``hi`` is complete across every partition: it joins the page, and the next
       round starts after ``hi``. Rounds continue while at least half the page is left to fill; a
       shorter page is returned rather than a round that would likely overrun (``limit`` is a most).

    Items are read and not returned only when a bound is lowered (step 2), and a lowered bound leaves
    few above it: the ratio of items read to items returned stays near 1 whatever the list's size,
    since every read is bounded by the position and ``hi``, never by a partition's depth (at the
    API's default page of 25 over 16 shards, ≈ 1.15 on average; larger pages come closer to 1). A
    page's last key is the last item it returned (every partition was read up to it), so the next
    page starts after it in every partition: no item is skipped or repeated, and the cursor is one
    sort key. Partitions read to their end drop out of the page's later rounds. ``items_read`` is the
    sum of the Queries' ``ScannedCount`` (what DynamoDB bills and what latency follows)."""
    reader = _Reader(client, table, shards)
    page: list[dict[str, Any]] = []
    live = [list(group) for group in shards.groups]
    lo = after
    while True:
        found = _round(reader, live, lo, limit - len(page))
        page += [item for _, _, item in found.kept]
        if not found.bounded:
            return MergedPage(page, None, reader.items_read, reader.queries)
        lo = found.hi
        live = [[p for p in group if p not in found.ends or (found.ends[p] or "") > (lo or "")] for group in live]
        if not any(live):  # every partition was read to its end
            return MergedPage(page, None, reader.items_read, reader.queries)
        if limit - len(page) < max(1, (limit + 1) // 2):
            return MergedPage(page, lo, reader.items_read, reader.queries)


def _round(reader: _Reader, groups: Sequence[Sequence[str]], lo: str | None, room: int) -> _Round:
    turn = zlib.crc32((lo or "").encode("utf-8"))
    rotated = [[*g[turn % len(g) :], *g[: turn % len(g)]] for g in groups if g]
    group_of = {p: i for i, g in enumerate(rotated) for p in g}
    sizes = [len(g) for g in rotated]
    probes = [g[0] for g in rotated]
    rest = [
        p for depth in range(max(sizes)) for g in rotated if depth > 0 and depth < len(g) for p in g[depth : depth + 1]
    ]
    n = sum(sizes)
    found = _Round(reader.upper)
    read = [0] * len(rotated)
    waves = [probes, *_waves(rest)]
    for number, wave in enumerate(waves):
        limit = max(1, room // (PROBE_SHARE * n)) if number == 0 else max(room - len(found.kept), 1)
        for partition, (items, more) in zip(wave, reader.read(wave, lo, found.hi, limit), strict=True):
            group = group_of[partition]
            if more is not None and (found.hi is None or more < found.hi):
                found.hi, found.bounded = more, True
            elif more is None and not found.bounded:
                found.ends[partition] = items[-1][0] if items else None
            found.kept += [(key, group, item) for key, item in items]
            read[group] += 1
        _settle(
            found, room, [size / max(done, 1) for size, done in zip(sizes, read, strict=True)], number < len(waves) - 1
        )
    return found


def _waves(partitions: list[str]) -> list[list[str]]:
    waves, done = [], 0
    for size in (*WAVES[:-1], len(partitions)):
        if done >= len(partitions):
            break
        waves.append(partitions[done : done + size])
        done += size
    return waves


def _settle(found: _Round, room: int, scale: list[float], more_to_read: bool) -> None:
    """Keep what is complete up to ``hi``; lower ``hi`` when the partitions read say the room will
    overflow (``scale``: each value's partitions over those of them read)."""
    hi = found.hi
    kept = sorted((k for k in found.kept if hi is None or k[0] <= hi), key=lambda k: k[0])
    if found.bounded and more_to_read and sum(scale[group] for _, group, _ in kept) > room:
        estimate, keep = 0.0, 0
        for _, group, _ in kept:
            estimate += scale[group]
            if estimate > room * TRIM:
                break
            keep += 1
        kept = kept[: max(keep, 1)]
    kept = kept[:room]
    if len(kept) < len(found.kept) and kept and (hi is None or kept[-1][0] < hi):
        found.hi, found.bounded = kept[-1][0], True
    found.kept = kept


class _Reader:
    """Bounded Queries of the list's partitions, counting what they read."""

    def __init__(self, client: Any, table: str, shards: Shards) -> None:
        self._client = client
        self._table = table
        self._shards = shards
        self.upper = shards.upper
        self.items_read = 0
        self.queries = 0

    def read(
        self, partitions: Sequence[str], lo: str | None, hi: str | None, limit: int
    ) -> list[tuple[list[tuple[str, dict[str, Any]]], str | None]]:
        """Each partition's items in (``lo``, ``hi``] (at most ``limit``, with their sort keys), and the
        key it stopped at when it may hold more (None: read through ``hi``)."""
        if len(partitions) == 1:
            return [self._read(partitions[0], lo, hi, limit)]
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(partitions))) as pool:
            return list(pool.map(lambda p: self._read(p, lo, hi, limit), partitions))

    def _read(
        self, partition: str, lo: str | None, hi: str | None, limit: int
    ) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        shards = self._shards
        lower = max(filter(None, (lo + _AFTER if lo is not None else None, shards.lower)), default=None)
        if lower is not None and hi is not None and lower > hi:
            return [], None
        values: dict[str, Any] = {":pk": s(partition)}
        condition = "#pk = :pk"
        if lower is not None and hi is not None:
            condition += " AND #sk BETWEEN :lo AND :hi"
            values.update({":lo": s(lower), ":hi": s(hi)})
        elif lower is not None:
            condition += " AND #sk >= :lo"
            values[":lo"] = s(lower)
        elif hi is not None:
            condition += " AND #sk <= :hi"
            values[":hi"] = s(hi)
        names = {"#pk": shards.partition_key, **({"#sk": shards.sort_key} if "#sk" in condition else {})}
        resp = self._client.query(
            TableName=self._table,
            IndexName=shards.index,
            KeyConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            Limit=limit,
        )
        self.queries += 1
        self.items_read += int(resp.get("ScannedCount", len(resp.get("Items", []))))
        items = [(str(item[shards.sort_key]["S"]), item) for item in resp.get("Items", [])]
        last = resp.get("LastEvaluatedKey")
        return items, (str(last[shards.sort_key]["S"]) if last else None)


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
