"""Items read / items returned of every documented list of cases, over its first 3 pages, at 1,000 and at
100,000 cases.

The lists (``GET /queues/{team}/cases`` with each filter, ``/me/cases``, the review queue, the
resolved and closed history) are each a view on its own sparse index, merged across 16 shards
(``socialcare.aws.paging.merged_page``). The first 1,000 cases are realistic case items written with
BatchWriteItem (700 active: every status, channel, priority and owner, a few set aside as spam;
300 resolved or closed); the 100,000 add 99,000 resolved and closed cases to the same team's history,
written in bulk (moto's own put of each, as its BatchWriteItem does) with only what an index holds of
them (their keys and the history's projected attributes: the views read nothing else, and moto writes
an item in time with its attributes). Items read is the sum
of the Queries' ``ScannedCount`` (what DynamoDB bills), counted from the responses; items returned is
what the pages held. Pages are the list routes' default size (``QUEUE_PAGE_SIZE``), followed by their
cursor as a client does.

moto answers a Query on an index by walking (and sorting) every item of the table, which at 100,000
items would take minutes; while the lists are read (nothing is written then) its Query is given the
items of the asked partition only (``_partition_lookup``), which changes nothing it answers.
"""

from __future__ import annotations

import bisect
import contextlib
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from tests.bench.setup import REGION

OPEN = 700
FINISHED = 300
HISTORY = 99_000
PAGES = 3
TEAM = "care"
AGENTS = ("alice", "bob", "carol", "dave")
T0 = 1_767_225_600_000
MINUTE = 60_000
DAY = 86_400_000


@dataclass(frozen=True)
class ViewFigures:
    label: str
    cases: int  # in the table
    read: int  # items the Queries read (ScannedCount)
    returned: int  # items the pages returned
    queries: int
    pages: int

    @property
    def ratio(self) -> float:
        return self.read / self.returned if self.returned else 1.0


@dataclass(frozen=True)
class ViewsRun:
    figures: list[ViewFigures]
    page_size: int
    seed_s: float
    seconds: float
    small_pages: list[ViewFigures]  # the team queue at 25 a page (the API's other lists' default)


class _Counted:
    """The DynamoDB client, counting what each Query read and returned."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()  # a page's shards are read from several threads at once
        self.read = self.returned = self.queries = 0

    def query(self, **params: Any) -> dict[str, Any]:
        resp: dict[str, Any] = self._client.query(**params)
        with self._lock:
            self.read += int(resp["ScannedCount"])
            self.returned += int(resp["Count"])
            self.queries += 1
        return resp


def _views() -> list[tuple[str, Any]]:
    """Every documented list: its label and the view the agent API reads for it."""
    from socialcare.model.case import CaseStatus, Priority
    from socialcare.model.events import Channel
    from socialcare.model.views import CaseView, Dimension
    from socialcare.rules.views import QueueFilters, team_view

    def queue(**filters: Any) -> Any:
        return team_view(TEAM, QueueFilters(**filters))

    found: list[tuple[str, Any]] = [("team queue (no filter)", queue())]
    found += [(f"status={s.value}", queue(statuses=frozenset({s}))) for s in CaseStatus if s.is_active]
    found += [
        ("status=open,pending_customer", queue(statuses=frozenset({CaseStatus.OPEN, CaseStatus.PENDING_CUSTOMER})))
    ]
    found += [(f"channel={ch.value}", queue(channel=ch)) for ch in Channel]
    found += [(f"priority={p.value}", queue(priority=p)) for p in Priority]
    found += [("assignee=me (alice)", queue(assignee="alice")), ("assignee=none", queue(assignee="none"))]
    found += [("assignee=bob", queue(assignee="bob"))]
    found += [
        ("/me/cases (alice)", CaseView(Dimension.MINE, "alice")),
        ("review queue", CaseView(Dimension.REVIEW, TEAM)),
    ]
    found += [(f"history status={s.value}", queue(statuses=frozenset({s}))) for s in CaseStatus if not s.is_active]
    found += [("history status=resolved,closed", queue(statuses=frozenset(s for s in CaseStatus if not s.is_active)))]
    return found


def _cases(rng: random.Random) -> list[Any]:
    """1,000 cases of the care team as ingest and the agents leave them."""
    from socialcare.model.case import CaseMark, CaseRouting, CaseStatus, Priority
    from socialcare.model.events import Channel, Customer

    from tests.case_support import care_case

    channels = list(Channel)
    cases = []
    for i in range(OPEN + FINISHED):
        channel = rng.choices(channels, weights=[20, 10, 15, 8, 25, 8, 6, 8])[0]
        created = T0 - rng.randrange(3 * DAY)
        status = rng.choices(
            [CaseStatus.OPEN, CaseStatus.PENDING_CUSTOMER, CaseStatus.PENDING_INTERNAL], weights=[60, 25, 15]
        )[0]
        awaiting = status is CaseStatus.OPEN
        case = care_case(
            f"01JBENCH{i:06d}",
            channel,
            "page-1",
            Customer(f"u-{i}", name=f"Customer {i}"),
            created,
            status=status,
            priority=rng.choices(list(Priority), weights=[10, 60, 25, 5])[0],
            owner=rng.choices([None, *AGENTS], weights=[40, 15, 15, 15, 15])[0],
            awaiting_reply_since_ms=created if awaiting else None,
            response_due_at_ms=created + rng.randrange(5, 24 * 60) * MINUTE if awaiting else None,
            message_count=rng.randrange(1, 9),
            last_inbound_at_ms=created,
            last_inbound_by_channel={channel: created},
            routing=CaseRouting("default", (), ("order",) if i % 3 else (), 1),
            language="en",
        )
        if i >= OPEN:
            done = rng.choice([CaseStatus.RESOLVED, CaseStatus.CLOSED])
            finished = created + rng.randrange(1, 48 * 60) * MINUTE
            case = replace(case, status=done, response_due_at_ms=None, awaiting_reply_since_ms=None)
            case = replace(case, resolved_at_ms=finished, closed_at_ms=finished if done is CaseStatus.CLOSED else None)
        elif i % 33 == 0:
            case = replace(case, mark=CaseMark("spam", ("links 3",)), response_due_at_ms=None)
        cases.append(case)
    return cases


def _history_items(rng: random.Random) -> Iterator[dict[str, Any]]:
    """99,000 resolved and closed cases of the team over two years, as the history's index holds them."""
    from socialcare import constants as c
    from socialcare.aws import keys, schema
    from socialcare.model.views import Dimension
    from socialcare.rules.views import finished_sort_key, view_shard

    where = schema.VIEW_INDEXES[Dimension.HISTORY]
    for i in range(HISTORY):
        case_id = f"01JHIST{i:07d}"
        status = "resolved" if i % 5 else "closed"
        created = T0 - rng.randrange(730 * DAY)
        yield {
            c.PARTITION_KEY: {"S": keys.case_pk(case_id)},
            c.SORT_KEY: {"S": keys.CASE_SK},
            where.index.partition_key: {"S": keys.view_pk(where.prefix, TEAM, status, view_shard(case_id))},
            where.index.sort_key: {"S": finished_sort_key(created + rng.randrange(1, 3 * DAY), case_id)},
            "status": {"S": status},
            "priority": {"S": "normal"},
            "channel": {"S": "messenger"},
            "owner": {"S": rng.choice(AGENTS)},
            "customer_id": {"S": f"h-{i}"},
            "customer_name": {"S": "Customer"},
            "created_at_ms": {"N": str(created)},
            "account_id": {"S": "page-1"},
        }


def _write(ddb: Any, table: str, items: Iterator[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25:
            ddb.batch_write_item(RequestItems={table: batch})
            batch = []
    if batch:
        ddb.batch_write_item(RequestItems={table: batch})


def _write_in_bulk(table: str, items: Iterator[dict[str, Any]]) -> None:
    """Each item put as moto's BatchWriteItem puts it, without the HTTP request around every 25: the
    request is the same for every batch, and half of moto's time."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
    for item in items:
        backend.put_item(table, item)


def _measure(ddb: Any, table: str, label: str, view: Any, cases: int, page_size: int) -> ViewFigures:
    from socialcare.aws.view_reads import case_page

    counted = _Counted(ddb)
    start, returned, pages = None, 0, 0
    for _ in range(PAGES):
        page = case_page(counted, table, view, limit=page_size, start=start)
        returned += len(page.items)
        pages += 1
        if page.next_position is None:
            break
        start = page.next_position
    return ViewFigures(label, cases, counted.read, returned, counted.queries, pages)


@contextlib.contextmanager
def _partition_lookup() -> Iterator[None]:
    """moto's index Query, given only the items of the asked partition from the asked sort-key range on
    (and the one after it, which is what makes moto answer a LastEvaluatedKey at a full Limit): what it
    answers is unchanged, as it skips every other item. Read-only while it lasts."""
    from moto.dynamodb.models.table import Table

    query, all_items = Table.query, Table.all_items
    asked = threading.local()
    partitions: dict[tuple[int, str, str], dict[str, tuple[list[str], list[Any]]]] = {}

    def partition_of(table: Any, pk: str, sk: str, value: str) -> tuple[list[str], list[Any]]:
        grouped = partitions.get((id(table), pk, sk))
        if grouped is None:
            found: dict[str, list[tuple[str, Any]]] = {}
            for item in all_items(table):
                key, sort = item.attrs.get(pk), item.attrs.get(sk)
                if key is not None and sort is not None and key.type == "S":
                    found.setdefault(key.value, []).append((sort.value, item))
            grouped = {}
            for key_value, pairs in found.items():
                pairs.sort(key=lambda pair: pair[0])
                grouped[key_value] = ([sort for sort, _ in pairs], [item for _, item in pairs])
            partitions[(id(table), pk, sk)] = grouped
        return grouped.get(value, ([], []))

    def candidates(self: Any) -> list[Any]:
        hint = getattr(asked, "hint", None)
        if hint is None:
            return list(all_items(self))
        pk, value, sk, comparison, bounds = hint
        keys, items = partition_of(self, pk, sk, value)
        lo = bounds[0] if comparison in ("BETWEEN", ">=", ">") else None
        hi = bounds[-1] if comparison in ("BETWEEN", "<=", "<") else None
        first = bisect.bisect_left(keys, lo) if lo is not None else 0
        last = bisect.bisect_right(keys, hi) if hi is not None else len(items)
        return items[first : last + 1]

    def partition_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        conditions = kwargs.get("hash_key_conditions") or []
        ranges = kwargs.get("range_key_conditions") or []
        index = args[7] if len(args) > 7 else kwargs.get("index_name")
        if index and len(conditions) == 1 and conditions[0][1].type == "S" and len(ranges) <= 1:
            schema = self.get_index(index).schema
            sk = ranges[0][0] if ranges else next(k["AttributeName"] for k in schema if k["KeyType"] == "RANGE")
            comparison, bounds = (ranges[0][1], [v.value for v in ranges[0][2]]) if ranges else (None, [])
            asked.hint = (conditions[0][0], conditions[0][1].value, sk, comparison, bounds)
        try:
            return query(self, *args, **kwargs)
        finally:
            asked.hint = None

    Table.query, Table.all_items = partition_query, candidates  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.query, Table.all_items = query, all_items  # type: ignore[method-assign]


def run() -> ViewsRun:
    import boto3
    from moto import mock_aws
    from socialcare.agents.commands import QUEUE_PAGE_SIZE
    from socialcare.aws import schema
    from socialcare.aws.items import case_item

    started = time.perf_counter()
    rng = random.Random(11)
    views = _views()
    figures: list[ViewFigures] = []
    with mock_aws():
        ddb = boto3.client("dynamodb")
        table = "bench-views"
        spec = schema.create_table_kwargs(table)
        spec.pop("StreamSpecification")  # no stream consumer here; moto would keep a record of every write
        ddb.create_table(**spec)
        cases = _cases(rng)
        _write(ddb, table, (case_item(case) for case in cases))
        with _partition_lookup():
            figures += [_measure(ddb, table, label, view, len(cases), QUEUE_PAGE_SIZE) for label, view in views]
            small = [_measure(ddb, table, views[0][0], views[0][1], len(cases), 25)]
        seeding = time.perf_counter()
        _write_in_bulk(table, _history_items(rng))
        seed_s = time.perf_counter() - seeding
        total = len(cases) + HISTORY
        with _partition_lookup():
            figures += [_measure(ddb, table, label, view, total, QUEUE_PAGE_SIZE) for label, view in views]
            small.append(_measure(ddb, table, views[0][0], views[0][1], total, 25))
    return ViewsRun(figures, QUEUE_PAGE_SIZE, seed_s, time.perf_counter() - started, small)
