"""The keyed views of cases: which lists a case is on, in which order, and on which shard.

Every list the agent API offers is one *view*: a dimension (the team's queue, a status, a channel, a
priority, an assignee, the review queue, an agent's own cases, the history of resolved and closed
cases), its scope (the team; the agent for their own cases) and a value. A case is *placed* on the
views it belongs to, each with a sort key; a list is its view's cases in sort-key order. The
DynamoDB adapter keeps each dimension as a sparse index (``socialcare.aws.schema``) whose partition
holds exactly a view's cases, so a page reads what it returns; the in-memory twin sorts the same
placements.

- The team's queue and the dimensions under it hold the active cases not set aside as spam or troll,
  soonest response due first (``<due ms, 13 digits>#<case id>``; a case with no answer due sorts
  after every due one, by id). A marked case is in the review queue instead, oldest first.
- A case is on one channel: the one it is *filed* under, where its awaited answer goes (else the one
  the customer last wrote on) — the channel its metrics count it in.
- The assignee dimension is the team's cases by owner, ``none`` for the unassigned; an agent's own
  cases (all teams, set-aside ones too) are a dimension of their own.
- History is a team's resolved (closed) cases, the latest resolved (closed) first: the sort key is
  the time counted down from ``FINISHED_MAX_MS``, so every view reads in ascending key order.

A team-level view is written to ``VIEW_SHARDS`` partitions, ``shard = view_shard(case id)``: a surge
of new cases to one team spreads its index writes over them (5,000 new cases a second to one team is
about 312 write units a second per shard, under DynamoDB's 1,000 per key). An agent's own cases are
never hot and are not sharded.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from socialcare.errors import UnsupportedFilter
from socialcare.model.case import Case, CaseStatus, Priority
from socialcare.model.events import Channel
from socialcare.model.summary import CaseSummary
from socialcare.model.views import CaseView, Dimension, Placement
from socialcare.rules.case_sla import awaited_channel
from socialcare.rules.sla import NOT_DUE_MS

VIEW_SHARDS = 16
FINISHED_MAX_MS = 9_999_999_999_999
UNASSIGNED = "none"  # the assignee dimension's value for cases nobody owns


def view_shard(case_id: str) -> int:
    """The case's shard, the same on every write (CRC-32 of its id: stable across processes)."""
    return zlib.crc32(case_id.encode("utf-8")) % VIEW_SHARDS


def filed_channel(case: Case) -> Channel:
    """Where the case's awaited answer goes, else where its customer last wrote (its first channel)."""
    return case.response_channel or awaited_channel(case)


def due_sort_key(due_ms: int | None, case_id: str) -> str:
    return f"{due_ms if due_ms is not None else NOT_DUE_MS:013d}#{case_id}"


def finished_sort_key(finished_ms: int, case_id: str) -> str:
    """Counted down, so the latest finished sorts first."""
    return f"{FINISHED_MAX_MS - finished_ms:013d}#{case_id}"


def finished_at(case: Case) -> int:
    finished = case.closed_at_ms if case.status is CaseStatus.CLOSED else case.resolved_at_ms
    return finished if finished is not None else case.updated_at_ms


def finished_range(from_ms: int | None, until_ms: int | None) -> tuple[str | None, str | None]:
    """The history's sort-key range of cases finished at ``from_ms`` or later and before ``until_ms``."""
    lower = f"{FINISHED_MAX_MS - until_ms + 1:013d}" if until_ms is not None else None
    upper = f"{FINISHED_MAX_MS - from_ms:013d}$" if from_ms is not None else None  # '$' sorts after '#'
    return lower, upper


def placements(case: Case) -> tuple[Placement, ...]:
    """Every view ``case`` is on, with its sort key there."""
    if not case.status.is_active:
        key = finished_sort_key(finished_at(case), case.case_id)
        return (Placement(Dimension.HISTORY, case.team, case.status.value, key),)
    due = due_sort_key(case.response_due_at_ms, case.case_id)
    mine = (Placement(Dimension.MINE, case.owner, "", due),) if case.owner else ()
    if case.mark is not None:
        # Off the response clock, so never due: the due key orders the review queue by case id (a ULID), i.e.
        # by creation, and one sort key serves both of the queue index's lists.
        return (Placement(Dimension.REVIEW, case.team, "", due), *mine)
    team = case.team
    return (
        Placement(Dimension.QUEUE, team, "", due),
        Placement(Dimension.STATUS, team, case.status.value, due),
        Placement(Dimension.CHANNEL, team, filed_channel(case).value, due),
        Placement(Dimension.PRIORITY, team, case.priority.value, due),
        Placement(Dimension.ASSIGNEE, team, case.owner or UNASSIGNED, due),
        *mine,
    )


def summarize(case: Case) -> CaseSummary:
    """The case as its lists show it (what the views' index items carry, read back)."""
    finished = None if case.status.is_active else finished_at(case)
    escalation = case.escalation
    return CaseSummary(
        case_id=case.case_id,
        team=case.team,
        status=case.status,
        priority=case.priority,
        channel=filed_channel(case),
        account_id=case.account_id,
        created_at_ms=case.created_at_ms,
        customer_id=case.customer.user_id,
        customer_name=case.customer.name,
        customer_handle=case.customer.handle,
        owner=case.owner,
        awaiting_reply_since_ms=case.awaiting_reply_since_ms,
        response_due_at_ms=case.response_due_at_ms,
        routing=case.routing,
        sensitive=case.sensitive,
        language=case.language,
        mark=case.mark,
        sla_tier=escalation.tier if escalation else None,
        finished_at_ms=finished,
        warn_at_ms=escalation.warn_at_ms if escalation else None,
        waiting_on=case.waiting_on,
    )


def queue_of(cases: Iterable[Case], team: str) -> tuple[CaseSummary, ...]:
    """The team's queue (its active cases not set aside), soonest due first: the twins' open work."""
    placed = [
        (placement.sort_key, case)
        for case in cases
        for placement in placements(case)
        if placement.dimension is Dimension.QUEUE and placement.scope == team
    ]
    return tuple(summarize(case) for _, case in sorted(placed, key=lambda pair: pair[0]))


# ---- which list a request asks for -------------------------------------------------------------
ACTIVE = frozenset(s for s in CaseStatus if s.is_active)
FINISHED = frozenset(s for s in CaseStatus if not s.is_active)
SUPPORTED = (
    "one filter a request: status (one or more active statuses), channel, priority or assignee "
    "(an agent id, 'me' or 'none'); or the history, status=resolved and/or closed, optionally with "
    "resolved_from/resolved_to"
)


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """A team queue request's filters, as given (``None``: not given)."""

    statuses: frozenset[CaseStatus] | None = None
    channel: Channel | None = None
    priority: Priority | None = None
    assignee: str | None = None  # an agent id or UNASSIGNED
    finished_from_ms: int | None = None
    finished_until_ms: int | None = None


def team_view(team: str, filters: QueueFilters) -> CaseView:
    """The one view that serves ``filters`` on ``team``'s queue; ``UnsupportedFilter`` when none does."""
    statuses = filters.statuses
    history = statuses is not None and statuses <= FINISHED
    ranged = filters.finished_from_ms is not None or filters.finished_until_ms is not None
    given = [
        name
        for name, value in (
            ("status", statuses),
            ("channel", filters.channel),
            ("priority", filters.priority),
            ("assignee", filters.assignee),
        )
        if value is not None
    ]
    if len(given) > 1 or (statuses is not None and not history and not statuses <= ACTIVE) or (ranged and not history):
        asked = ", ".join([*given, *(["resolved_from/resolved_to"] if ranged else [])])
        raise UnsupportedFilter(f"no list serves {asked} together; the lists serve {SUPPORTED}")
    if statuses is not None and history:
        lower, upper = finished_range(filters.finished_from_ms, filters.finished_until_ms)
        return CaseView(Dimension.HISTORY, team, _values(statuses), lower, upper)
    if statuses is not None and statuses != ACTIVE:
        return CaseView(Dimension.STATUS, team, _values(statuses))
    if filters.channel is not None:
        return CaseView(Dimension.CHANNEL, team, (filters.channel.value,))
    if filters.priority is not None:
        return CaseView(Dimension.PRIORITY, team, (filters.priority.value,))
    if filters.assignee is not None:
        return CaseView(Dimension.ASSIGNEE, team, (filters.assignee,))
    return CaseView(Dimension.QUEUE, team)


def _values(statuses: Iterable[CaseStatus]) -> tuple[str, ...]:
    return tuple(sorted(s.value for s in statuses))
