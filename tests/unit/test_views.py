"""The keyed views (``rules.views``): which lists a case is on and in which order, its shard, and which
list serves a request's filters (or the refusal, naming the ones that are served)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from socialcare.errors import UnsupportedFilter
from socialcare.model.case import CaseMark, CaseStatus, Priority
from socialcare.model.events import Channel, Customer
from socialcare.model.views import CaseView, Dimension
from socialcare.rules.views import (
    FINISHED_MAX_MS,
    VIEW_SHARDS,
    QueueFilters,
    filed_channel,
    finished_range,
    placements,
    summarize,
    team_view,
    view_shard,
)

from tests.case_support import care_case

pytestmark = pytest.mark.unit

T0 = 1_767_225_600_000


def _case(**fields: object) -> object:
    return care_case("01JGZ8Q5K2M3N4P5Q6R7S8T001", Channel.MESSENGER, "page-1", Customer("u-1"), T0, **fields)


def test_the_shard_is_stable_and_spreads_cases_evenly() -> None:
    assert view_shard("01JGZ8Q5K2M3N4P5Q6R7S8T001") == view_shard("01JGZ8Q5K2M3N4P5Q6R7S8T001")
    counts = [0] * VIEW_SHARDS
    for i in range(16_000):
        counts[view_shard(f"01JGZ8Q5K2M3N4P5Q6{i:08d}")] += 1
    assert min(counts) > 850
    assert max(counts) < 1150


def test_an_active_case_is_on_one_list_of_each_dimension_soonest_due_first() -> None:
    case = _case(response_due_at_ms=T0 + 60_000, owner="alice", priority=Priority.HIGH)
    placed = {(p.dimension, p.scope, p.value): p.sort_key for p in placements(case)}
    due = f"{T0 + 60_000:013d}#01JGZ8Q5K2M3N4P5Q6R7S8T001"
    assert placed == {
        (Dimension.QUEUE, "care", ""): due,
        (Dimension.STATUS, "care", "open"): due,
        (Dimension.CHANNEL, "care", "messenger"): due,
        (Dimension.PRIORITY, "care", "high"): due,
        (Dimension.ASSIGNEE, "care", "alice"): due,
        (Dimension.MINE, "alice", ""): due,
    }
    unowned = {(p.dimension, p.value) for p in placements(replace(case, owner=None))}
    assert (Dimension.ASSIGNEE, "none") in unowned
    assert all(d is not Dimension.MINE for d, _ in unowned)


def test_a_set_aside_case_is_only_in_review_and_its_owners_list() -> None:
    marked = _case(mark=CaseMark("spam", ("links 3",)), owner="alice")
    assert {p.dimension for p in placements(marked)} == {Dimension.REVIEW, Dimension.MINE}


def test_history_counts_down_from_the_resolution_so_the_latest_sorts_first() -> None:
    early = _case(status=CaseStatus.RESOLVED, resolved_at_ms=T0)
    late = replace(early, case_id="01JGZ8Q5K2M3N4P5Q6R7S8T002", resolved_at_ms=T0 + 1)
    [early_key], [late_key] = ([p.sort_key for p in placements(k)] for k in (early, late))
    assert late_key < early_key
    assert early_key.startswith(f"{FINISHED_MAX_MS - T0:013d}#")
    closed = replace(early, status=CaseStatus.CLOSED, closed_at_ms=T0 + 5)
    [placement] = placements(closed)
    assert (placement.dimension, placement.value) == (Dimension.HISTORY, "closed")
    lower, upper = finished_range(T0, T0 + 1)
    assert lower is not None
    assert upper is not None
    assert lower <= early_key <= upper
    assert not lower <= late_key <= upper


def test_a_case_is_filed_under_the_channel_its_awaited_answer_goes_to() -> None:
    case = _case(
        channels=frozenset({Channel.MESSENGER, Channel.FACEBOOK_COMMENT}),
        last_inbound_by_channel={Channel.MESSENGER: T0, Channel.FACEBOOK_COMMENT: T0 + 5},
    )
    assert filed_channel(case) is Channel.FACEBOOK_COMMENT  # nothing awaited: where the customer last wrote
    assert filed_channel(replace(case, response_channel=Channel.MESSENGER)) is Channel.MESSENGER
    assert summarize(case).channel is Channel.FACEBOOK_COMMENT


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (QueueFilters(), CaseView(Dimension.QUEUE, "care")),
        (QueueFilters(statuses=frozenset(s for s in CaseStatus if s.is_active)), CaseView(Dimension.QUEUE, "care")),
        (
            QueueFilters(statuses=frozenset({CaseStatus.PENDING_CUSTOMER, CaseStatus.OPEN})),
            CaseView(Dimension.STATUS, "care", ("open", "pending_customer")),
        ),
        (QueueFilters(channel=Channel.X_DM), CaseView(Dimension.CHANNEL, "care", ("x_dm",))),
        (QueueFilters(priority=Priority.URGENT), CaseView(Dimension.PRIORITY, "care", ("urgent",))),
        (QueueFilters(assignee="none"), CaseView(Dimension.ASSIGNEE, "care", ("none",))),
        (
            QueueFilters(statuses=frozenset({CaseStatus.CLOSED, CaseStatus.RESOLVED})),
            CaseView(Dimension.HISTORY, "care", ("closed", "resolved")),
        ),
    ],
)
def test_each_filter_has_its_list(filters: QueueFilters, expected: CaseView) -> None:
    assert team_view("care", filters) == expected


@pytest.mark.parametrize(
    ("filters", "named"),
    [
        (QueueFilters(channel=Channel.X_DM, assignee="none"), "channel, assignee"),
        (QueueFilters(statuses=frozenset({CaseStatus.OPEN}), priority=Priority.HIGH), "status, priority"),
        (QueueFilters(statuses=frozenset({CaseStatus.RESOLVED}), channel=Channel.X_DM), "status, channel"),
        (QueueFilters(statuses=frozenset({CaseStatus.OPEN, CaseStatus.CLOSED})), "status"),
        (QueueFilters(finished_from_ms=T0), "resolved_from/resolved_to"),
        (QueueFilters(statuses=frozenset({CaseStatus.OPEN}), finished_until_ms=T0), "status, resolved_from"),
    ],
)
def test_combinations_no_list_serves_are_refused_naming_the_supported_ones(filters: QueueFilters, named: str) -> None:
    with pytest.raises(UnsupportedFilter, match=named) as refused:
        team_view("care", filters)
    assert refused.value.code == "unsupported_filter"
    assert "one filter a request" in refused.value.message
    assert "resolved_from" in refused.value.message


def test_a_range_of_history_is_a_key_range() -> None:
    view = team_view(
        "care", QueueFilters(statuses=frozenset({CaseStatus.RESOLVED}), finished_from_ms=T0, finished_until_ms=T0 + 10)
    )
    assert (view.lower, view.upper) == finished_range(T0, T0 + 10)
