"""Whether a case write must start a follow-up, and with which input.

Call ``start_follow_up(follow_ups, before, after)`` after every committed case write, with the case as
it was read (``None`` for a new case) and as written. The cycle and schedule on ``after`` come from
``rules.follow_up.with_follow_up``, applied before the write. A follow-up starts only when the write
began a new pending cycle with a schedule; its execution, ``follow-up-<case id>-<cycle>``, then
waits, reads the case and hands the outbound function its ``nudge`` and ``auto_resolve`` tasks.
Starting is idempotent (the name), so calling again after a retried write does no harm.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialcare.model.case import Case, CaseStatus
from socialcare.model.escalation import instant_text
from socialcare.model.follow_up import FollowUpPlan
from socialcare.ports import FollowUps


@dataclass(frozen=True, slots=True)
class FollowUpStart:
    """A follow-up to start (``follow-up-<case_id>-<cycle>``) and its input, what the machine reads first."""

    case_id: str
    cycle: int
    input: dict[str, str]


def follow_up_start(before: Case | None, after: Case) -> FollowUpStart | None:
    """The follow-up ``after`` needs started, or ``None`` (none needed, or one already runs)."""
    schedule = after.follow_up
    if schedule is None or after.status is not CaseStatus.PENDING_CUSTOMER:
        return None
    if before is not None and before.case_id == after.case_id and before.follow_up_cycle == after.follow_up_cycle:
        return None  # the cycle's follow-up started with an earlier write
    plan = schedule.plan
    first_at = schedule.resolve_at_ms if plan is FollowUpPlan.RESOLVE else schedule.nudge_at_ms
    assert first_at is not None  # a schedule has at least one step (FollowUpSchedule)
    execution_input = {
        "case_id": after.case_id,
        "cycle": str(after.follow_up_cycle),
        "pending_since": schedule.pending_since,
        "plan": plan.value,
        "at": instant_text(first_at),
    }
    if plan is FollowUpPlan.NUDGE_THEN_RESOLVE and schedule.resolve_at_ms is not None:
        execution_input["resolve_at"] = instant_text(schedule.resolve_at_ms)
    return FollowUpStart(case_id=after.case_id, cycle=after.follow_up_cycle, input=execution_input)


def start_follow_up(follow_ups: FollowUps, before: Case | None, after: Case) -> FollowUpStart | None:
    """Start, through ``follow_ups``, the follow-up the write needs; what was started (``None``: nothing)."""
    start = follow_up_start(before, after)
    if start is None:
        return None
    follow_ups.start(start.case_id, start.cycle, start.input)
    return start
