"""A case's follow-up: what its follow-up machine (a Step Functions execution) waits for while the case
waits for the customer (``pending_customer``).

Each time a case enters ``pending_customer`` a new *pending cycle* starts (``Case.follow_up_cycle``
counts them) with its own execution, ``follow-up-<case id>-<cycle>``. The instants are computed in
code when the cycle starts (``rules.follow_up``) and stored on the case item, so the machine only
compares and waits: at ``nudge_at`` it hands the outbound function a ``nudge`` task, at
``resolve_at`` an ``auto_resolve`` task — each only if the case is still pending since the same
instant (``pending_since``). Either step may be off (``None``) by policy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class FollowUpPlan(StrEnum):
    """Which steps a cycle's execution takes (its input's ``plan``; the ASL file spells these too)."""

    NUDGE_THEN_RESOLVE = "nudge_then_resolve"
    NUDGE = "nudge"  # nudge, never auto-resolve
    RESOLVE = "resolve"  # auto-resolve without a nudge


@dataclass(frozen=True, slots=True)
class FollowUpSchedule:
    """One pending cycle: when the case started waiting for the customer, and when the nudge and the
    auto-resolve fall (epoch ms; ``None``: that step is off). At least one step is on."""

    pending_since_ms: int
    nudge_at_ms: int | None = None
    resolve_at_ms: int | None = None

    def __post_init__(self) -> None:
        if self.nudge_at_ms is None and self.resolve_at_ms is None:
            raise ValueError("a follow-up needs a nudge or an auto-resolve")

    @property
    def plan(self) -> FollowUpPlan:
        if self.nudge_at_ms is None:
            return FollowUpPlan.RESOLVE
        return FollowUpPlan.NUDGE if self.resolve_at_ms is None else FollowUpPlan.NUDGE_THEN_RESOLVE

    @property
    def pending_since(self) -> str:
        return pending_since_text(self.pending_since_ms)


def follow_up_name(case_id: str, cycle: int) -> str:
    """The execution name of a pending cycle's follow-up: deterministic, so a duplicate start finds the first."""
    return f"follow-up-{case_id}-{cycle}"


def pending_since_text(epoch_ms: int) -> str:
    """``2026-03-02T09:30:00.125Z``: the instant a cycle began, to the millisecond (so two cycles never
    share it), as the case item, the execution and the tasks carry it and compare it as text."""
    seconds, millis = divmod(epoch_ms, 1000)
    return f"{dt.datetime.fromtimestamp(seconds, dt.UTC):%Y-%m-%dT%H:%M:%S}.{millis:03d}Z"
