"""The agent API's JSON documents of the SLA results: configuration documents with their versions,
and a case's SLA view. Times as in ``views`` (ISO 8601 UTC with milliseconds, or null); business
time in milliseconds, targets in business minutes (as the policy documents give them)."""

from __future__ import annotations

from typing import Any

from socialcare.agents.sla_results import CaseSla, ConfigList, ConfigResult
from socialcare.model.config import ConfigKind
from socialcare.rules.policies import MINUTE_MS
from socialcare.rules.sla import ClockDue, PausedClock

from chalicelib.views import iso

_WRAPPER = {ConfigKind.CALENDAR: "calendar", ConfigKind.DEPARTMENT: "department"}


def handles(result: object) -> bool:
    return isinstance(result, ConfigResult | ConfigList | CaseSla)


def version_of(result: object) -> int | None:
    """The ETag a result carries: a configuration's version."""
    return result.version if isinstance(result, ConfigResult) else None


def document(result: object) -> dict[str, Any]:
    if isinstance(result, ConfigResult):
        return config_view(result)
    if isinstance(result, ConfigList):
        return {f"{_WRAPPER[result.kind]}s": [config_view(item) for item in result.items]}
    if isinstance(result, CaseSla):
        return case_sla_view(result)
    raise TypeError(f"no document for {type(result).__name__}")


def config_view(result: ConfigResult) -> dict[str, Any]:
    """The policy set and the routing rules flat (their document holds the version); a calendar or
    department wrapped."""
    meta = {
        "version": result.version,
        "updated_at": iso(result.updated_at_ms),
        "updated_by": result.updated_by,
    }
    if result.kind in (ConfigKind.SLA_POLICIES, ConfigKind.ROUTING_RULES):
        return {**dict(result.document), **meta, "source": result.source}
    return {**meta, _WRAPPER[result.kind]: dict(result.document)}


def case_sla_view(view: CaseSla) -> dict[str, Any]:
    due, policy, calendar = view.due, view.policy, view.calendar
    breaches = [
        {"clock": d.clock.value, "due_at": iso(d.breach_at_ms), "overdue_ms": -d.remaining_ms}
        for d in due.running
        if view.now_ms >= d.breach_at_ms
    ]
    breaches += [
        {"clock": p.clock.value, "due_at": None, "overdue_ms": -p.remaining_ms}
        for p in due.paused
        if p.remaining_ms <= 0
    ]
    schedule = view.case.escalation
    return {
        "case_id": view.case.case_id,
        "case_version": view.case.version,
        "computed_at": iso(due.computed_at_ms),
        "policy": {"name": policy.name, "version": view.policy_version, "source": _source(view)},
        "calendar": {
            "name": calendar.calendar.name,
            "time_zone": calendar.calendar.time_zone,
            "open_now": calendar.open_now,
            "reopens_at": iso(calendar.reopens_at_ms),
            "reopens": calendar.reopens,
        },
        "targets_minutes": {clock.value: ms // MINUTE_MS for clock, ms in policy.targets_ms.items()},
        "clocks": [_running(d, view.now_ms) for d in due.running],
        "breaches": breaches,
        "paused": [_paused(p) for p in due.paused],
        "escalation_tier": schedule.tier.value if schedule is not None and schedule.tier is not None else None,
    }


def _source(view: CaseSla) -> str:
    return "defaults" if view.policy_version == 0 else "stored"


def _running(due: ClockDue, now_ms: int) -> dict[str, Any]:
    return {
        "clock": due.clock.value,
        "started_at": iso(due.started_at_ms),
        "target_minutes": due.target_ms // MINUTE_MS,
        "warn_at": iso(due.warn_at_ms),
        "due_at": iso(due.breach_at_ms),
        "second_tier_at": iso(due.second_tier_at_ms),
        "remaining_ms": due.remaining_ms,
        "breached": now_ms >= due.breach_at_ms,
    }


def _paused(paused: PausedClock) -> dict[str, Any]:
    return {
        "clock": paused.clock.value,
        "started_at": iso(paused.started_at_ms),
        "paused_since": iso(paused.paused_since_ms),
        "target_minutes": paused.target_ms // MINUTE_MS,
        "remaining_ms": paused.remaining_ms,
    }
