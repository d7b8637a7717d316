"""Every list, paged through its cursor on DynamoDB (moto), is exactly its view in key order: random
cases, random views, random page sizes; no case skipped or repeated, no page over its limit, and the
same order as the in-memory twin's."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from socialcare.aws import schema
from socialcare.aws.items import case_item
from socialcare.aws.view_reads import case_page
from socialcare.memory.agents import MemoryAgentStore
from socialcare.model.case import Case, CaseMark, CaseStatus, Priority
from socialcare.model.events import Channel, Customer
from socialcare.model.views import CaseView, Dimension
from socialcare.rules.views import finished_range

from tests.case_support import care_case
from tests.conftest import AwsResources

pytestmark = pytest.mark.integration

T0 = 1_767_225_600_000
MINUTE = 60_000
AGENTS = ("alice", "bob")
_teams = itertools.count()


@st.composite
def cases(draw: st.DrawFn, team: str) -> list[Case]:
    """Up to 60 cases of ``team``: active and finished, set aside or not, with few distinct due times (ties)."""
    found = []
    for n in range(draw(st.integers(0, 60))):
        status = draw(st.sampled_from(list(CaseStatus)))
        due = draw(st.one_of(st.none(), st.integers(0, 8).map(lambda m: T0 + m * MINUTE)))
        finished = T0 + draw(st.integers(0, 20)) * MINUTE
        case = care_case(
            f"01JH-{team}-{n:04d}",
            draw(st.sampled_from([Channel.MESSENGER, Channel.X_POST, Channel.WHATSAPP])),
            "page-1",
            Customer(f"u-{n}", name=f"Customer {n}"),
            T0 - draw(st.integers(0, 5)) * MINUTE,
            team=team,
            status=status,
            priority=draw(st.sampled_from(list(Priority))),
            owner=draw(st.sampled_from([None, *(f"{a}-{team}" for a in AGENTS)])),
            response_due_at_ms=due if status.is_active else None,
            awaiting_reply_since_ms=T0 if due is not None and status.is_active else None,
            resolved_at_ms=finished if status is CaseStatus.RESOLVED else None,
            closed_at_ms=finished if status is CaseStatus.CLOSED else None,
        )
        if status.is_active and draw(st.integers(0, 9)) == 0:
            case = replace(case, mark=CaseMark("spam", ("links 3",)), response_due_at_ms=None)
        found.append(case)
    return found


def views(team: str) -> st.SearchStrategy[CaseView]:
    active = [s.value for s in CaseStatus if s.is_active]
    ranged = st.tuples(st.integers(0, 20), st.integers(0, 20)).map(
        lambda pair: finished_range(T0 + min(pair) * MINUTE, T0 + max(pair) * MINUTE + MINUTE)
    )
    return st.one_of(
        st.just(CaseView(Dimension.QUEUE, team)),
        st.just(CaseView(Dimension.REVIEW, team)),
        st.lists(st.sampled_from(active), min_size=1, max_size=3, unique=True).map(
            lambda values: CaseView(Dimension.STATUS, team, tuple(sorted(values)))
        ),
        st.sampled_from(["messenger", "x_post", "whatsapp"]).map(lambda v: CaseView(Dimension.CHANNEL, team, (v,))),
        st.sampled_from([p.value for p in Priority]).map(lambda v: CaseView(Dimension.PRIORITY, team, (v,))),
        st.sampled_from(["none", f"alice-{team}"]).map(lambda v: CaseView(Dimension.ASSIGNEE, team, (v,))),
        st.sampled_from(AGENTS).map(lambda a: CaseView(Dimension.MINE, f"{a}-{team}")),
        st.tuples(
            st.lists(st.sampled_from(["resolved", "closed"]), min_size=1, max_size=2, unique=True),
            st.one_of(st.just((None, None)), ranged),
        ).map(lambda given: CaseView(Dimension.HISTORY, team, tuple(sorted(given[0])), *given[1])),
    )


@st.composite
def scenario(draw: st.DrawFn) -> tuple[list[Case], CaseView, list[int]]:
    team = f"t{next(_teams)}"
    return draw(cases(team)), draw(views(team)), draw(st.lists(st.integers(1, 30), min_size=1, max_size=6))


def pages(aws: AwsResources, table: str, view: CaseView, sizes: list[int]) -> Iterator[tuple[int, list[str]]]:
    start = None
    for size in itertools.cycle(sizes):
        page = case_page(aws.dynamodb, table, view, limit=size, start=start)
        yield size, [summary.case_id for summary in page.items]
        if page.next_position is None:
            return
        start = page.next_position


def put(aws: AwsResources, table: str, found: list[Case]) -> None:
    for first in range(0, len(found), 25):
        batch: list[dict[str, Any]] = [{"PutRequest": {"Item": case_item(k)}} for k in found[first : first + 25]]
        aws.dynamodb.batch_write_item(RequestItems={table: batch})


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario())
def test_the_pages_of_a_list_are_its_view_in_key_order(
    aws: AwsResources, drawn: tuple[list[Case], CaseView, list[int]]
) -> None:
    found, view, sizes = drawn
    table = f"views-{view.scope}"  # a table of its own: moto reads an index by walking the whole table
    aws.dynamodb.create_table(**schema.create_table_kwargs(table))
    put(aws, table, found)
    twin = MemoryAgentStore()
    for case in found:
        twin.put_case(case)
    expected = [summary.case_id for summary in twin.case_list(view, limit=1_000, start=None).items]
    listed: list[str] = []
    for number, (size, ids) in enumerate(pages(aws, table, view, sizes)):
        assert len(ids) <= size
        assert number <= len(expected) + 1, "the pages never ended"
        listed += ids
    aws.dynamodb.delete_table(TableName=table)
    assert listed == expected
