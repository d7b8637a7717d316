"""A case's SLA as it stands now: which policy applies (and its version), on which calendar, the
targets, the running clocks with their due times and business time remaining, the breaches, the
paused clocks, and when the team is back if it is closed now.

Computed here from the case's stored SLA facts (``rules.case_sla``: the awaited message's clock, the
status change, the paused time) and the stored policy set (the per-channel response targets on a 24/7
calendar while none is stored), so an admin's change shows at once; the due times stored on the case
were computed at its last write, and its escalation tier comes from the case clock.
"""

from __future__ import annotations

from socialcare.agents import access
from socialcare.agents.base import CASE_ID_PATTERN
from socialcare.agents.identity import Caller
from socialcare.agents.sla_base import SlaActions
from socialcare.agents.sla_results import DEFAULTS_VERSION, CalendarNow, CaseSla
from socialcare.errors import CaseNotFound, NoOpenTime
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.case_sla import SlaInForce, case_facts


class SlaViews(SlaActions):
    def case_sla(self, caller: Caller, case_id: str) -> CaseSla:
        if not CASE_ID_PATTERN.match(case_id):
            raise CaseNotFound(f"no case {case_id}")
        case = self._deps.cases.get_case(case_id)
        access.require_view(caller, case)
        config = self._sla_config()
        now = self._clock()
        targets = self._deps.response_targets
        sla = SlaInForce(targets, config.policies, config.calendars) if config.stored else SlaInForce(targets)
        facts = case_facts(case)
        policy, calendar = sla.policy(facts)
        due = sla.due_times(facts, now)
        return CaseSla(
            case=case,
            policy=policy,
            policy_version=due.policy_version if config.stored else DEFAULTS_VERSION,
            calendar=calendar_now(calendar, now),
            due=due,
            now_ms=now,
        )


def calendar_now(calendar: BusinessCalendar, now_ms: int) -> CalendarNow:
    if calendar.is_open(now_ms):
        return CalendarNow(calendar, open_now=True, reopens_at_ms=None, reopens=None)
    try:
        return CalendarNow(calendar, False, calendar.next_open(now_ms), calendar.describe_reopening(now_ms))
    except NoOpenTime:  # closed for over a year: there is no honest "back at" to give
        return CalendarNow(calendar, open_now=False, reopens_at_ms=None, reopens=None)
