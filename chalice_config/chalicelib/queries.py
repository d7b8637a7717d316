"""The agent API's query parameters, validated into the core's list queries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time

from socialcare.agents.commands import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    ME,
    QUEUE_PAGE_SIZE,
    THREAD_PAGE_SIZE,
    UNASSIGNED,
    PageQuery,
    QueueQuery,
)
from socialcare.agents.identity import AGENT_ID_PATTERN
from socialcare.errors import InvalidRequest
from socialcare.model.case import CaseStatus, Priority
from socialcare.model.events import Channel

from chalicelib.commands import choice

Params = Mapping[str, Sequence[str]]
DAY_MS = 86_400_000


def single_params(params: Params, allowed: Sequence[str]) -> dict[str, str]:
    """Each parameter given once, only ``allowed`` ones (else ``InvalidRequest`` naming them)."""
    unknown = set(params) - set(allowed)
    if unknown:
        raise InvalidRequest(f"unknown query parameter(s) {sorted(unknown)}; allowed: {', '.join(allowed)}")
    single: dict[str, str] = {}
    for name, values in params.items():
        if len(values) != 1:
            raise InvalidRequest(f"give the query parameter {name} once")
        single[name] = values[0]
    return single


def _limit(value: str | None, default: int = DEFAULT_PAGE_SIZE) -> int:
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(value)


def parse_page_query(params: Params, *, default_limit: int = DEFAULT_PAGE_SIZE) -> PageQuery:
    single = single_params(params, ("limit", "cursor"))
    return PageQuery(limit=_limit(single.get("limit"), default_limit), cursor=single.get("cursor") or None)


def parse_case_query(params: Params) -> PageQuery:
    """The case view's query: how many of the thread's newest entries it shows."""
    single = single_params(params, ("limit",))
    return PageQuery(limit=_limit(single.get("limit"), THREAD_PAGE_SIZE))


def parse_thread_query(params: Params) -> PageQuery:
    """A page of a case's thread: ``limit`` entries older than ``cursor`` (the newest without one)."""
    single = single_params(params, ("limit", "cursor"))
    return PageQuery(limit=_limit(single.get("limit"), THREAD_PAGE_SIZE), cursor=single.get("cursor") or None)


def parse_queue_query(params: Params) -> QueueQuery:
    """The filters as given; which of them a list serves together is the core's to say."""
    single = single_params(
        params, ("status", "channel", "priority", "assignee", "resolved_from", "resolved_to", "limit", "cursor")
    )
    statuses = None
    if "status" in single:
        statuses = frozenset(choice(v.strip(), "status", CaseStatus) for v in single["status"].split(","))
    assignee = single.get("assignee")
    if assignee is not None and assignee not in (ME, UNASSIGNED) and not AGENT_ID_PATTERN.match(assignee):
        raise InvalidRequest("assignee must be an agent id, 'me' or 'none'")
    start = _day_ms(single.get("resolved_from"), "resolved_from")
    end = _day_ms(single.get("resolved_to"), "resolved_to")
    if start is not None and end is not None and end < start:
        raise InvalidRequest("resolved_to is before resolved_from")
    return QueueQuery(
        statuses=statuses,
        channel=choice(single["channel"], "channel", Channel) if "channel" in single else None,
        priority=choice(single["priority"], "priority", Priority) if "priority" in single else None,
        assignee=assignee,
        finished_from_ms=start,
        finished_until_ms=end + DAY_MS if end is not None else None,  # resolved_to is a whole day
        limit=_limit(single.get("limit"), QUEUE_PAGE_SIZE),
        cursor=single.get("cursor") or None,
    )


def _day_ms(value: str | None, name: str) -> int | None:
    """A date (``YYYY-MM-DD``, UTC) as the epoch milliseconds of its midnight."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidRequest(f"{name} must be a date, YYYY-MM-DD") from exc
    if len(value) != 10:
        raise InvalidRequest(f"{name} must be a date, YYYY-MM-DD")
    return int(datetime.combine(day, time(0, 0), tzinfo=UTC).timestamp() * 1000)
