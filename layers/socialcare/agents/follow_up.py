"""The follow-up an agent's action gives a case it sets to ``pending_customer`` (a status change, or
"move to private"): the nudge and auto-resolve of the case's SLA policy, on its calendar, from now.

The policy is the stored policy set's (the per-channel defaults while none is stored), read only
when the action starts a pending cycle; the local stack's ``[sla] follow_up_seconds`` replaces its
times. The rest is ``rules.follow_up``.
"""

from __future__ import annotations

from socialcare.agents.base import AgentDeps
from socialcare.agents.sla_base import sla_config_of
from socialcare.agents.sla_view import awaited_channel
from socialcare.errors import InvalidPolicy
from socialcare.model.case import Case
from socialcare.model.follow_up import FollowUpSchedule
from socialcare.rules.follow_up import enters_pending, plan_follow_up, with_follow_up


def with_agent_follow_up(deps: AgentDeps, before: Case, after: Case, now_ms: int) -> Case:
    """``after`` with its follow-up (``rules.follow_up.with_follow_up``), planned when it starts a cycle."""
    schedule = planned_follow_up(deps, after, now_ms) if enters_pending(before, after.status) else None
    return with_follow_up(before, after, schedule)


def planned_follow_up(deps: AgentDeps, case: Case, now_ms: int) -> FollowUpSchedule | None:
    source = deps.sla_config
    config = sla_config_of(source.sla_config() if source is not None else None, deps.targets)
    policy = config.policies.policy_for(
        account=case.account_id, channel=awaited_channel(case), priority=case.priority, team=case.team
    )
    calendar = config.calendars.get(policy.calendar)
    if calendar is None:
        raise InvalidPolicy(f"policy {policy.name}.calendar", f"no calendar named {policy.calendar!r}")
    return plan_follow_up(deps.targets.follow_up or policy.follow_up, calendar, case, pending_since_ms=now_ms)
