"""The follow-up an agent's action gives a case it sets to ``pending_customer`` (a status change, or
"move to private"): the nudge and auto-resolve of the case's SLA policy, on its calendar, from now.

The policy is the SLA in force's (``rules.case_sla``: the stored policy set, the per-channel defaults
while none is stored); the local stack's ``[sla] follow_up_seconds`` replaces its times. The rest is
``rules.follow_up``.
"""

from __future__ import annotations

from socialcare.model.case import Case
from socialcare.model.follow_up import FollowUpSchedule
from socialcare.rules.case_sla import SlaInForce, case_facts
from socialcare.rules.follow_up import enters_pending, plan_follow_up, with_follow_up


def with_agent_follow_up(sla: SlaInForce, before: Case, after: Case, now_ms: int) -> Case:
    """``after`` with its follow-up (``rules.follow_up.with_follow_up``), planned when it starts a cycle."""
    schedule = planned_follow_up(sla, after, now_ms) if enters_pending(before, after.status) else None
    return with_follow_up(before, after, schedule)


def planned_follow_up(sla: SlaInForce, case: Case, now_ms: int) -> FollowUpSchedule | None:
    policy, calendar = sla.policy(case_facts(case))
    return plan_follow_up(sla.targets.follow_up or policy.follow_up, calendar, case, pending_since_ms=now_ms)
