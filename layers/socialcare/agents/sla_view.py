"""A case's SLA as it stands now: which policy applies (and its version), on which calendar, the
targets, the running clocks with their due times and business time remaining, the breaches, the
paused clocks, and when the team is back if it is closed now.

Computed here with ``rules.sla.due_times`` from the case's facts and the stored policy set (the
per-channel response targets on a 24/7 calendar while none is stored), so an admin's change shows
at once; the due times stored on the case and its escalation tier come from the case clock.
"""

from __future__ import annotations

from socialcare.agents import access
from socialcare.agents.base import CASE_ID_PATTERN
from socialcare.agents.identity import Caller
from socialcare.agents.sla_base import SlaActions
from socialcare.agents.sla_results import DEFAULTS_VERSION, CalendarNow, CaseSla
from socialcare.errors import CaseNotFound, NoOpenTime
from socialcare.model.case import Case
from socialcare.model.events import Channel
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.sla import CaseClockFacts, due_times


class SlaViews(SlaActions):
    def case_sla(self, caller: Caller, case_id: str) -> CaseSla:
        if not CASE_ID_PATTERN.match(case_id):
            raise CaseNotFound(f"no case {case_id}")
        case = self._deps.cases.get_case(case_id)
        access.require_view(caller, case)
        config = self._sla_config()
        now = self._clock()
        facts = case_clock_facts(case)
        policy = config.policies.policy_for(
            account=facts.account_id, channel=facts.channel, priority=facts.priority, team=facts.team
        )
        due = due_times(config.policies, config.calendars, facts, lambda: now)
        return CaseSla(
            case=case,
            policy=policy,
            policy_version=due.policy_version if config.stored else DEFAULTS_VERSION,
            calendar=calendar_now(config.calendars[policy.calendar], now),
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


def case_clock_facts(case: Case) -> CaseClockFacts:
    """What the case's clocks depend on, from the case item as it is stored.

    The case records neither when its status last changed nor the time its clocks spent paused:
    its last update stands in for the first (a later instant, so a pause counts from then), and
    no paused time is carried. The due times the case clock stores are computed on each write.
    """
    return CaseClockFacts(
        account_id=case.account_id,
        channel=awaited_channel(case),
        priority=case.priority,
        team=case.team,
        status=case.status,
        status_since_ms=case.updated_at_ms,
        opened_at_ms=case.created_at_ms,
        awaiting_reply_since_ms=case.awaiting_reply_since_ms,
        first_response_at_ms=case.first_response_at_ms,
        last_outbound_at_ms=case.last_outbound_at_ms,
    )


def awaited_channel(case: Case) -> Channel:
    """The channel the customer last wrote on (where the awaited answer goes), else the case's first."""
    if case.last_inbound_by_channel:
        return max(case.last_inbound_by_channel.items(), key=lambda item: item[1])[0]
    return min(case.channels, default=Channel.MESSENGER)
