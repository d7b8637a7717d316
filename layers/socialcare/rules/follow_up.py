"""A case's follow-up while it waits for the customer: when to nudge them, when to resolve the case,
and whether a follow-up task still applies. Call ``with_follow_up`` on every write that may change
the status.

- Entering ``pending_customer`` starts a new cycle (``follow_up_cycle`` + 1) with the schedule
  ``plan_follow_up`` computed from the case's SLA policy; a new execution starts for it.
- Staying ``pending_customer`` keeps the cycle and its schedule (the running execution goes on).
- Any other status ends the cycle: no schedule (the running execution ends when it next wakes).

The nudge is left out where no automated message may go to the case (a triage rule said so, or it is
sensitive) or where it is marked spam or troll; a sensitive case is never resolved by automation —
a person decides when it is over.
"""

from __future__ import annotations

from dataclasses import replace

from socialcare.model.case import Case, CaseStatus
from socialcare.model.follow_up import FollowUpSchedule
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.policies import FollowUpPolicy


def plan_follow_up(
    policy: FollowUpPolicy, calendar: BusinessCalendar, case: Case, *, pending_since_ms: int
) -> FollowUpSchedule | None:
    """The cycle's nudge and auto-resolve, in business time on ``calendar``; ``None`` when both are off."""
    nudge_after = policy.nudge_after_ms
    if not case.automated_messages_allowed or case.sensitive or case.mark is not None:
        nudge_after = None
    resolve_after = None if case.sensitive else policy.auto_resolve_after_ms
    if nudge_after is None and resolve_after is None:
        return None

    def at(after_ms: int | None) -> int | None:
        return None if after_ms is None else calendar.add_business_time(pending_since_ms, after_ms)

    return FollowUpSchedule(pending_since_ms, nudge_at_ms=at(nudge_after), resolve_at_ms=at(resolve_after))


def with_follow_up(before: Case, after: Case, schedule: FollowUpSchedule | None) -> Case:
    """``after`` (``before`` as the write changes it) with the follow-up its item must store.

    ``schedule`` is what a new cycle gets (``plan_follow_up`` at the write's instant); it is used only
    when the write moves the case into ``pending_customer``."""
    if after.status is not CaseStatus.PENDING_CUSTOMER:
        return replace(after, follow_up=None)
    if before.status is CaseStatus.PENDING_CUSTOMER:
        return replace(after, follow_up=before.follow_up)
    return replace(after, follow_up=schedule, follow_up_cycle=before.follow_up_cycle + 1)


def enters_pending(before: Case, status: CaseStatus) -> bool:
    """Whether a write to ``status`` starts a pending cycle (so a schedule must be planned)."""
    return status is CaseStatus.PENDING_CUSTOMER and before.status is not CaseStatus.PENDING_CUSTOMER


def not_pending_since(case: Case, pending_since: str) -> str | None:
    """Why a follow-up task of the cycle that began at ``pending_since`` no longer applies to ``case``
    (``None``: it still does — the case has waited for the customer since that instant)."""
    if case.status is not CaseStatus.PENDING_CUSTOMER:
        return f"the case is {case.status.value}"
    if case.follow_up is None or case.follow_up.pending_since != pending_since:
        return "the case has waited for the customer since another instant (a later cycle)"
    return None
