"""Event metrics from one case write: the case before and after it, to the metric points it made.

One place derives them all, from the one thing every writer (ingest, the agent API, the outbound
sender, the case clock) leaves behind: the case item before and after its write, as the table's
stream delivers it to the clock function. So no writer counts anything itself, and a metric cannot
be counted by one path and forgotten by another.

What a write can show:

- **messages in**: the message count grew and the brand's last reply did not move; by the channel
  whose last customer message moved. A message older than the channel's last one (delivered late)
  counts only when it started or moved the wait: otherwise it looks exactly like a late echo of an
  old brand reply, and is not counted;
- **an answer**: the customer was waiting and the brand's last reply moved past the wait, which
  ended. First or next response (whether the case had been answered before), its wall time from the
  oldest unanswered message, its business time on the calendar of the policy that applied (less the
  time its clock spent paused), and whether it came by the due time the case carried (met/missed);
- **a resolution**: an active case became resolved (or closed without being resolved): its time from
  opening, wall and business, and met/missed against the policy's resolution target, if it has one;
- **a reopening** (the reopen count grew), **a hand-off to a department** (the case entered
  ``pending_internal``), **an escalation** (the case clock recorded a tier it had not recorded).

Every point carries the case's team and a channel: where the awaited answer goes (the channel of the
message that set the due time, else the last one the customer wrote on). A stream record delivered
twice counts twice: the figures are as exact as the stream's at-least-once delivery.
"""

from __future__ import annotations

from collections.abc import Callable

from socialcare.model import metrics as m
from socialcare.model.case import Case, CaseStatus
from socialcare.model.events import Channel
from socialcare.model.metrics import MetricPoint, Unit
from socialcare.rules.case_sla import SlaInForce, awaited_channel, case_facts
from socialcare.rules.policies import SlaClock
from socialcare.rules.views import filed_channel

_SECOND_MS = 1000
_FINISHED = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


Sla = Callable[[], SlaInForce]
"""The SLA in force, asked for only when a figure needs a calendar or a target (``CachedSla``)."""


def case_metrics(before: Case | None, after: Case, sla: Sla) -> list[MetricPoint]:
    """Every metric point the write from ``before`` (``None``: a new case) to ``after`` made."""
    points = inbound_messages(before, after)
    if before is None:
        return points
    points += answer_metrics(before, after, sla)
    points += resolution_metrics(before, after, sla)
    points += _counted(before, after)
    return points


def case_channel(case: Case) -> Channel:
    """The channel a case's figures are filed under: where its awaited answer goes."""
    return filed_channel(case)


def _point(name: str, value: float, case: Case, channel: Channel, unit: Unit = Unit.COUNT) -> MetricPoint:
    return MetricPoint(name, value, unit, ((m.TEAM, case.team), (m.CHANNEL, channel.value)))


def _seconds(ms: int) -> float:
    return max(ms, 0) / _SECOND_MS


def inbound_messages(before: Case | None, after: Case) -> list[MetricPoint]:
    if before is None:
        return (
            [_point(m.INBOUND_MESSAGES, after.message_count, after, awaited_channel(after))]
            if after.message_count
            else []
        )
    added = after.message_count - before.message_count
    if added <= 0 or after.last_outbound_at_ms != before.last_outbound_at_ms:
        return []  # nothing added, or the brand's reply (or its echo) was
    moved = sorted(
        channel
        for channel, at_ms in after.last_inbound_by_channel.items()
        if before.last_inbound_by_channel.get(channel) != at_ms
    )
    if moved:
        return [_point(m.INBOUND_MESSAGES, added, after, moved[0])]
    waiting, was_waiting = after.awaiting_reply_since_ms, before.awaiting_reply_since_ms
    if waiting is not None and (was_waiting is None or waiting < was_waiting):
        return [_point(m.INBOUND_MESSAGES, added, after, case_channel(after))]  # a late, older message
    return []  # a late message nothing shows was the customer's (an old echo looks the same)


def answered_at(before: Case, after: Case) -> int | None:
    """When the brand answered the customer in this write, if it did."""
    waiting = before.awaiting_reply_since_ms
    replied = after.last_outbound_at_ms
    if waiting is None or after.awaiting_reply_since_ms is not None or replied is None:
        return None
    if replied == before.last_outbound_at_ms or replied < waiting:
        return None  # the wait ended without an answer (resolved or closed instead)
    return replied


def answer_metrics(before: Case, after: Case, sla: Sla) -> list[MetricPoint]:
    at = answered_at(before, after)
    if at is None:
        return []
    assert before.awaiting_reply_since_ms is not None
    first = before.first_response_at_ms is None
    clock = SlaClock.FIRST_RESPONSE if first else SlaClock.NEXT_RESPONSE
    waited = at - before.awaiting_reply_since_ms
    business = _business_time(before, clock, sla(), at)
    wall_name, business_name = (
        (m.FIRST_RESPONSE_TIME, m.FIRST_RESPONSE_BUSINESS_TIME)
        if first
        else (m.NEXT_RESPONSE_TIME, m.NEXT_RESPONSE_BUSINESS_TIME)
    )
    channel = case_channel(before)
    points = [
        _point(wall_name, _seconds(waited), before, channel, Unit.SECONDS),
        _point(business_name, _seconds(business), before, channel, Unit.SECONDS),
    ]
    due = before.response_due_at_ms
    if due is not None:  # no due time: the clock was paused, or the policy sets no target
        name = m.target_met(clock.value) if at <= due else m.target_missed(clock.value)
        points.append(_point(name, 1, before, channel))
    return points


def _business_time(before: Case, clock: SlaClock, sla: SlaInForce, at: int) -> int:
    """Business time from the oldest unanswered message to the answer, less the time the response
    clock stood paused: the pauses it was credited with, and the one its status still makes."""
    facts = case_facts(before)
    policy, calendar = sla.policy(facts)
    assert before.awaiting_reply_since_ms is not None
    paused = before.paused_ms.get(clock, 0)
    if policy.pauses_clock(clock, before.status) and facts.awaiting_reply_since_ms is not None:
        paused += calendar.business_time_between(max(facts.awaiting_reply_since_ms, facts.status_since_ms), at)
    return calendar.business_time_between(before.awaiting_reply_since_ms, at) - paused


def resolution_metrics(before: Case, after: Case, sla: Sla) -> list[MetricPoint]:
    if not before.status.is_active or after.status not in _FINISHED:
        return []
    finished = after.resolved_at_ms if after.status is CaseStatus.RESOLVED else after.closed_at_ms
    at = finished if finished is not None else after.updated_at_ms
    policy, calendar = sla().policy(case_facts(before))
    # ``after`` carries the pause its last status made (every writer applies ``status_changed``).
    business = calendar.business_time_between(after.created_at_ms, at) - after.paused_ms.get(SlaClock.RESOLUTION, 0)
    channel = awaited_channel(before)
    points = [
        _point(m.CASES_RESOLVED, 1, after, channel),
        _point(m.RESOLUTION_TIME, _seconds(at - after.created_at_ms), after, channel, Unit.SECONDS),
        _point(m.RESOLUTION_BUSINESS_TIME, _seconds(business), after, channel, Unit.SECONDS),
    ]
    target = policy.targets_ms.get(SlaClock.RESOLUTION)
    if target is not None:
        kind = SlaClock.RESOLUTION.value
        points.append(_point(m.target_met(kind) if business <= target else m.target_missed(kind), 1, after, channel))
    return points


def _counted(before: Case, after: Case) -> list[MetricPoint]:
    """Reopenings, hand-offs to a department and escalations: one point each."""
    points = []
    if after.reopen_count > before.reopen_count:
        points.append(_point(m.CASES_REOPENED, after.reopen_count - before.reopen_count, after, awaited_channel(after)))
    if after.status is CaseStatus.PENDING_INTERNAL and before.status is not CaseStatus.PENDING_INTERNAL:
        points.append(_point(m.DEPARTMENT_HANDOFFS, 1, after, case_channel(before)))
    tier = escalated_to(before, after)
    if tier is not None:
        points.append(_point(m.escalations(tier), 1, after, case_channel(after)))
    return points


def escalated_to(before: Case, after: Case) -> str | None:
    """The tier the case clock recorded in this write, if it recorded one."""
    now = after.escalation
    if now is None or now.tier is None:
        return None
    then = before.escalation
    if then is not None and (then.clock, then.started_at_ms, then.tier) == (now.clock, now.started_at_ms, now.tier):
        return None
    return now.tier.value
