"""The open-work snapshot: the teams' active cases at one instant, to the care floor's gauges.

For each active case (what the queue index holds, as case summaries; its channel is the one it is
filed under, ``rules.views.filed_channel``): it is in the **backlog**; its customer waits for
an answer (**unanswered**) since its oldest unanswered message (the **oldest unanswered age** is the
longest such wait); a waiting case is **in breach** once its due time has passed, else **at risk**
once its case clock's warning instant has passed; a case in ``pending_internal`` **waits on a
department**. A case whose clock is paused (pending) has no due time and is neither.

Which series are written, and why: every team's totals and every channel's totals (across teams)
and the grand total, zeros included, so a dashboard line falls to 0 when the work is done rather
than stopping at its last value; a team-and-channel pair only while that team has work on that
channel, because each pair ever written is a billed series. Waiting on departments is by team only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from socialcare.model import metrics as m
from socialcare.model.case import CaseStatus
from socialcare.model.events import Channel
from socialcare.model.metrics import MetricPoint, Unit
from socialcare.model.summary import CaseSummary

Dimensions = tuple[tuple[str, str], ...]


@dataclass(slots=True)
class Tally:
    backlog: int = 0
    unanswered: int = 0
    oldest_waiting_since_ms: int | None = None
    at_risk: int = 0
    in_breach: int = 0
    waiting_on_departments: int = 0

    def count(self, case: CaseSummary, now_ms: int) -> None:
        self.backlog += 1
        if case.status is CaseStatus.PENDING_INTERNAL:
            self.waiting_on_departments += 1
        since = case.awaiting_reply_since_ms
        if since is None:
            return
        self.unanswered += 1
        if self.oldest_waiting_since_ms is None or since < self.oldest_waiting_since_ms:
            self.oldest_waiting_since_ms = since
        due = case.response_due_at_ms
        if due is not None and due <= now_ms:
            self.in_breach += 1
        elif case.warn_at_ms is not None and case.warn_at_ms <= now_ms:
            self.at_risk += 1

    def add(self, other: Tally) -> None:
        self.backlog += other.backlog
        self.unanswered += other.unanswered
        self.at_risk += other.at_risk
        self.in_breach += other.in_breach
        self.waiting_on_departments += other.waiting_on_departments
        since = other.oldest_waiting_since_ms
        if since is not None and (self.oldest_waiting_since_ms is None or since < self.oldest_waiting_since_ms):
            self.oldest_waiting_since_ms = since

    def points(self, dimensions: Dimensions, now_ms: int, *, departments: bool) -> list[MetricPoint]:
        oldest = self.oldest_waiting_since_ms
        age_s = max(now_ms - oldest, 0) / 1000 if oldest is not None else 0.0
        points = [
            MetricPoint(m.BACKLOG, self.backlog, Unit.COUNT, dimensions),
            MetricPoint(m.UNANSWERED, self.unanswered, Unit.COUNT, dimensions),
            MetricPoint(m.OLDEST_UNANSWERED_AGE, age_s, Unit.SECONDS, dimensions),
            MetricPoint(m.AT_RISK, self.at_risk, Unit.COUNT, dimensions),
            MetricPoint(m.IN_BREACH, self.in_breach, Unit.COUNT, dimensions),
        ]
        if departments:
            points.append(MetricPoint(m.WAITING_ON_DEPARTMENTS, self.waiting_on_departments, Unit.COUNT, dimensions))
        return points


def open_work_points(by_team: Mapping[str, Iterable[CaseSummary]], now_ms: int) -> list[MetricPoint]:
    """The gauges of the teams' active cases at ``now_ms`` (see the module's rules for which series)."""
    pairs: dict[tuple[str, Channel], Tally] = {}
    for team, cases in by_team.items():
        for case in cases:
            pairs.setdefault((team, case.channel), Tally()).count(case, now_ms)
    teams = {team: Tally() for team in by_team}
    channels = {channel: Tally() for channel in Channel}
    total = Tally()
    points: list[MetricPoint] = []
    for (team, channel), tally in sorted(pairs.items()):
        points += tally.points(((m.TEAM, team), (m.CHANNEL, channel.value)), now_ms, departments=False)
        teams[team].add(tally)
        channels[channel].add(tally)
        total.add(tally)
    for team, tally in sorted(teams.items()):
        points += tally.points(((m.TEAM, team),), now_ms, departments=True)
    for channel, tally in channels.items():
        points += tally.points(((m.CHANNEL, channel.value),), now_ms, departments=False)
    return points + total.points((), now_ms, departments=True) + department_points(by_team)


def department_points(by_team: Mapping[str, Iterable[CaseSummary]]) -> list[MetricPoint]:
    """Cases waiting on each department (its open escalation), every department with one: a handful of
    series, one per department the brand configured."""
    waiting: dict[str, int] = {}
    for cases in by_team.values():
        for case in cases:
            if case.status is CaseStatus.PENDING_INTERNAL and case.waiting_on:
                waiting[case.waiting_on] = waiting.get(case.waiting_on, 0) + 1
    return [
        MetricPoint(m.WAITING_ON_DEPARTMENT, count, Unit.COUNT, ((m.DEPARTMENT, department),))
        for department, count in sorted(waiting.items())
    ]
