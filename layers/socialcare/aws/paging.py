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
_RANGES = {  # the sort-key condition, by whether there is a lower and an upper end
    (True, True): " AND #sk BETWEEN :lo AND :hi",
    (True, False): " AND #sk >= :lo",
    (False, True): " AND #sk <= :hi",
    (False, False): "",
}


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


@dataclass(frozen=True, slots=True)
class _Read:
    key: str  # the item's sort key
    group: int  # its value's group of partitions
    partition: str
    item: dict[str, Any]


@dataclass(slots=True)
class _Reads:
    """What one page has read: every item not yet returned, and how far each partition is read."""

    carried: list[_Read] = field(default_factory=list)  # read above the last bound: returned by a later round
    covered: dict[str, str] = field(default_factory=dict)  # partition -> the key it is read up to
    ended: set[str] = field(default_factory=set)  # partitions read through the list's end


@dataclass(slots=True)
class _Round:
    hi: str | None  # every partition is read up to hi (None: through the list's end)
    bounded: bool = False  # hi is an item's key (a partition had more beyond it), not the list's end
    done: set[str] = field(default_factory=set)  # partitions read up to hi this round


def merged_page(client: Any, table: str, shards: Shards, *, limit: int, after: str | None) -> MergedPage:
    """Up to ``limit`` items of the list after the key ``after``, in sort-key order, reading about what
    it returns.

    A list sharded over ``n`` partitions (16 per value, a hash of the case id choosing one) cannot
    know where its next ``limit`` items end without reading: a Query of every partition with
    ``Limit=limit`` reads up to ``n`` times the page to return it. Instead a page is read in *rounds*,
    each ending at a bound ``hi`` that every partition is read up to, and no further than it needs:

    1. **Probe**: one partition of each value (chosen by the position, so rounds and pages spread over
       them) is read from the position with ``Limit = room / (3 n)`` (at least 1). The lowest last item
       of those that had more is ``hi``: with a value's cases spread evenly over its 16 partitions, the
       list holds about 16 times as many items up to it as the probe read, a third of the room on
       average. While no partition has bounded the round (each read to its end), the next ones are
       read with their share of the room.
    2. **Bounded reads**: the other partitions are read in waves (1, 1, 2, 4, then 8 at once, in
       parallel) over the key range (where each was read up to, ``hi``], each with ``Limit`` = the room
       left, so none returns more than the page has room for; one that fills its limit lowers ``hi``
       to its last item. After each wave, the partitions read so far estimate how many items the list
       holds up to ``hi`` (each value's count scaled by its partitions not yet read); when that exceeds
       the room, ``hi`` is lowered to the item where the estimate is ``TRIM`` of the room: a probe that
       landed far gives itself away after a couple of partitions.
    3. What is read up to ``hi`` is complete across every partition: it joins the page. What was read
       beyond it is carried to the next round with how far each partition was read, so a lowered
       bound costs nothing while the page goes on. Rounds continue while at least half the page is
       left to fill; a shorter page is returned rather than a round that would likely overrun
       (``limit`` is a most).

    Items are read and not returned only when the page ends with items carried (read beyond its last
    bound): the ratio of items read to items returned stays near 1 whatever the list's size, since
    every read is bounded by where its partition was read up to and by ``hi``, never by a partition's
    depth (at the list routes' default page of 50 over 16 shards ≈ 1.03 on average; at 25 ≈ 1.1).
    A page's last key is the last item it returned and every partition was read up to it, so the next
    page starts after it in every partition: no item is skipped or repeated, and the cursor is one
    sort key. ``items_read`` is the sum of the Queries' ``ScannedCount`` (what DynamoDB bills and what
    latency follows)."""
    reader = _Reader(client, table, shards)
    page: list[_Read] = []
    reads = _Reads()
    lo = after
    while True:
        found = _round(reader, reads, lo, limit - len(page))
        page += sorted((r for r in reads.carried if found.hi is None or r.key <= found.hi), key=lambda r: r.key)
        reads.carried = [r for r in reads.carried if found.hi is not None and r.key > found.hi]
        if not found.bounded or (len(reads.ended) == reader.partitions and not reads.carried):
            return MergedPage([r.item for r in page], None, reader.items_read, reader.queries)
        lo = found.hi
        if limit - len(page) < max(1, (limit + 1) // 2):
            return MergedPage([r.item for r in page], lo, reader.items_read, reader.queries)


def _round(reader: _Reader, reads: _Reads, lo: str | None, room: int) -> _Round:
    """Read every partition up to a bound (steps 1 and 2); what is read joins ``reads.carried``."""
    turn = zlib.crc32((lo or "").encode("utf-8"))
    groups = [[p for p in g if p not in reads.ended] for g in reader.groups]
    rotated = [[*g[turn % len(g) :], *g[: turn % len(g)]] if g else [] for g in groups]
    probes = [g[0] for g in rotated if g]
    rest = [g[depth] for depth in range(1, max(map(len, rotated), default=0)) for g in rotated if depth < len(g)]
    group_of = {p: i for i, g in enumerate(rotated) for p in g}
    found = _Round(reader.upper)
    waves = [probes, *_waves(rest)] if probes else []
    for number, wave in enumerate(waves):
        wave_hi = found.hi
        room_left = max(room - _kept(reads, found), 1)
        limit = room_left
        if not found.bounded:  # a probe; after one read to its end, each partition its share of the room
            share = -(-room_left // (len(group_of) - len(found.done))) if number else 0
            limit = max(1, room // (PROBE_SHARE * len(group_of)), share)
        starts = [max(filter(None, (lo, reads.covered.get(p))), default=None) for p in wave]
        for partition, start, (items, more) in zip(
            wave, starts, reader.read(wave, starts, wave_hi, limit), strict=True
        ):
            reads.carried += [_Read(key, group_of[partition], partition, item) for key, item in items]
            found.done.add(partition)
            if more is not None:
                reads.covered[partition] = more
                if found.hi is None or more < found.hi:
                    found.hi, found.bounded = more, True
            elif wave_hi is not None:
                reads.covered[partition] = max(wave_hi, start or wave_hi)
            if more is None and wave_hi == reader.upper:
                reads.ended.add(partition)
        _trim(reads, found, room, group_of, [len(g) for g in rotated], more_to_read=number < len(waves) - 1)
    if not waves:  # every partition read to its end: what was carried fills the room
        _trim(reads, found, room, group_of, [], more_to_read=False)
    return found


def _kept(reads: _Reads, found: _Round) -> int:
    return sum(1 for r in reads.carried if found.hi is None or r.key <= found.hi)


def _waves(partitions: list[str]) -> list[list[str]]:
    waves, done = [], 0
    for size in (*WAVES[:-1], len(partitions)):
        if done >= len(partitions):
            break
        waves.append(partitions[done : done + size])
        done += size
    return waves


def _trim(
    reads: _Reads, found: _Round, room: int, group_of: dict[str, int], sizes: list[int], *, more_to_read: bool
) -> None:
    """Lower ``hi`` when what is read up to it would overflow the room, or when the partitions read so
    far say the ones still to read will: an item of a partition read this round stands for its value's
    partitions not yet read too (``sizes`` over those read); one of a partition read to its end in an
    earlier round stands for itself."""
    kept = sorted((r for r in reads.carried if found.hi is None or r.key <= found.hi), key=lambda r: r.key)

    done = [0] * len(sizes)
    for partition in found.done:
        done[group_of[partition]] += 1

    def weight(r: _Read) -> float:
        group = group_of.get(r.partition)
        if group is None:
            return 1.0
        return sizes[group] / done[group] if r.partition in found.done else 0.0

    keep = len(kept)
    if found.bounded and more_to_read and sum(map(weight, kept)) > room:
        estimate, keep = 0.0, 0
        for r in kept:
            estimate += weight(r)
            if estimate > room * TRIM:
                break
            keep += 1
        keep = max(keep, 1)
    keep = min(keep, room)
    if 0 < keep < len(kept):
        found.hi, found.bounded = kept[keep - 1].key, True


class _Reader:
    """Bounded Queries of the list's partitions, counting what they read."""

    def __init__(self, client: Any, table: str, shards: Shards) -> None:
        self._client = client
        self._table = table
        self._shards = shards
        self.groups = shards.groups
        self.partitions = sum(len(g) for g in shards.groups)
        self.upper = shards.upper
        self.items_read = 0
        self.queries = 0

    def read(
        self, partitions: Sequence[str], starts: Sequence[str | None], hi: str | None, limit: int
    ) -> list[tuple[list[tuple[str, dict[str, Any]]], str | None]]:
        """Each partition's items in (its start, ``hi``] (at most ``limit``, with their sort keys), and
        the key it stopped at when it may hold more (None: read through ``hi``)."""
        pairs = list(zip(partitions, starts, strict=True))
        if len(pairs) == 1:
            return [self._read(pairs[0][0], pairs[0][1], hi, limit)]
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(pairs))) as pool:
            return list(pool.map(lambda pair: self._read(pair[0], pair[1], hi, limit), pairs))

    def _read(
        self, partition: str, start: str | None, hi: str | None, limit: int
    ) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        shards = self._shards
        lower = max(filter(None, (start + _AFTER if start is not None else None, shards.lower)), default=None)
        if lower is not None and hi is not None and lower > hi:
            return [], None  # read up to hi already
        values = {":pk": s(partition), **{name: s(v) for name, v in ((":lo", lower), (":hi", hi)) if v is not None}}
        condition = "#pk = :pk" + _RANGES[(lower is not None, hi is not None)]
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
