"""The accountability report: per agent, team and channel, what the care floor did in the period.

Computed from the period's day facts (``model.day_facts``), the backlog read at its end and the SLA in
force (``rules.case_sla``: the policies and business calendars), nothing else — pure, so every figure
can be checked by hand:

- **cases handled**: distinct cases answered, resolved or closed in the period; **new cases**;
  **resolved**, **closed** (closed without being resolved: spam, duplicates);
- **first response**, **next response** and **resolution** times, p50 and p90 (nearest rank), in
  wall-clock time and in business time on the calendar of the policy that matches the case; a
  response from the oldest unanswered message, a resolution from the case's opening; business time
  less the time the policy paused that clock;
- **SLA attainment** per target kind: an answer kept its target when it came by the due time the case
  was promised (what the queue showed); a resolution when its business time was within the resolution
  target of the policy in force. A kind with no target is not judged (``attainment_pct`` null);
- **reopen rate**: reopenings in the period per resolution in the period, each reopening counted for
  whoever held the case (who resolved it);
- **escalations**: the escalation tiers the case clocks reached (warn, breach, second tier);
- **CSAT**: not collected (the system asks customers nothing yet), said so rather than guessed;
- **backlog at the period's end**: open cases, how many await an answer, how many are overdue, the
  longest wait — read from the teams' queues when the report is made (``read_at``).

A fact counts for the team, channel and owner it carried when it happened; an unowned one for the
agent ``null`` (answers of the brand's own app, unassigned cases).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from socialcare.model.case import CaseStatus
from socialcare.model.day_facts import RESPONSE_KINDS, DayFact, FactKind
from socialcare.model.summary import CaseSummary
from socialcare.reports.leaderboard import AgentFigures, leaderboard
from socialcare.reports.stats import iso, percent, percentile, seconds
from socialcare.reports.window import ReportWindow
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.case_sla import SlaInForce
from socialcare.rules.policies import SlaClock, SlaPolicy
from socialcare.rules.sla import CaseClockFacts

NOT_COLLECTED = "not collected"
TIMED_KINDS = (FactKind.FIRST_RESPONSE, FactKind.NEXT_RESPONSE, FactKind.RESOLVED)
TARGET_KINDS = (SlaClock.FIRST_RESPONSE, SlaClock.NEXT_RESPONSE, SlaClock.RESOLUTION)
TIERS = ("warn", "breach", "second_tier")
_TARGET_OF = {
    FactKind.FIRST_RESPONSE: SlaClock.FIRST_RESPONSE,
    FactKind.NEXT_RESPONSE: SlaClock.NEXT_RESPONSE,
    FactKind.RESOLVED: SlaClock.RESOLUTION,
}
_HANDLED = frozenset({*RESPONSE_KINDS, FactKind.RESOLVED, FactKind.CLOSED})


@dataclass(frozen=True, slots=True)
class Assessed:
    """A fact with its times and, where a target applies, whether it was kept."""

    fact: DayFact
    wall_ms: int | None = None
    business_ms: int | None = None
    met: bool | None = None  # None: no target to judge it by


@dataclass(frozen=True, slots=True)
class Backlog:
    """The active cases of every team, as read at ``read_at_ms``."""

    read_at_ms: int
    cases: tuple[CaseSummary, ...]


def assess(fact: DayFact, sla: SlaInForce) -> Assessed:
    target_kind = _TARGET_OF.get(fact.kind)
    if target_kind is None or fact.since_ms is None:
        return Assessed(fact)
    policy, calendar = _policy(fact, sla)
    wall = fact.at_ms - fact.since_ms
    business = max(0, calendar.business_time_between(fact.since_ms, fact.at_ms) - fact.paused_ms)
    target = policy.targets_ms.get(target_kind)
    met: bool | None
    if fact.kind in RESPONSE_KINDS and fact.due_ms is not None:
        met = fact.at_ms <= fact.due_ms
    elif target is not None:
        start = fact.clock_ms if fact.clock_ms is not None else fact.since_ms
        met = calendar.business_time_between(start, fact.at_ms) - fact.paused_ms <= target
    else:
        met = None
    return Assessed(fact, wall, business, met)


def _policy(fact: DayFact, sla: SlaInForce) -> tuple[SlaPolicy, BusinessCalendar]:
    facts = CaseClockFacts(
        account_id=fact.account_id,
        channel=fact.channel,
        priority=fact.priority,
        team=fact.team,
        status=CaseStatus.OPEN,
        status_since_ms=fact.at_ms,
        opened_at_ms=fact.since_ms or fact.at_ms,
    )
    return sla.policy(facts)


@dataclass
class Tally:
    """The figures of one agent, team or channel (or of everything)."""

    cases: set[str] = field(default_factory=set)
    new_cases: int = 0
    resolved: int = 0
    closed: int = 0
    reopened: int = 0
    times: dict[FactKind, list[tuple[int, int]]] = field(default_factory=dict)
    outcomes: dict[SlaClock, list[bool]] = field(default_factory=dict)
    tiers: Counter[str] = field(default_factory=Counter)

    def add(self, item: Assessed) -> None:
        fact = item.fact
        if fact.kind in _HANDLED:
            self.cases.add(fact.case_id)
        self.new_cases += fact.kind is FactKind.CREATED
        self.resolved += fact.kind is FactKind.RESOLVED
        self.closed += fact.kind is FactKind.CLOSED
        self.reopened += fact.kind is FactKind.REOPENED
        if fact.kind is FactKind.TIER and fact.tier:
            self.tiers[fact.tier] += 1
        if item.wall_ms is not None and item.business_ms is not None:
            self.times.setdefault(fact.kind, []).append((item.wall_ms, item.business_ms))
        if item.met is not None:
            self.outcomes.setdefault(_TARGET_OF[fact.kind], []).append(item.met)

    @property
    def judged(self) -> int:
        return sum(len(found) for found in self.outcomes.values())

    @property
    def met(self) -> int:
        return sum(sum(found) for found in self.outcomes.values())

    @property
    def escalated(self) -> int:
        """Tiers past the assignee's warning: the breaches a lead and the escalations a manager saw."""
        return self.tiers["breach"] + self.tiers["second_tier"]

    def figures(self) -> AgentFigures:
        first = [wall for wall, _ in self.times.get(FactKind.FIRST_RESPONSE, [])]
        return AgentFigures(
            handled=len(self.cases),
            judged=self.judged,
            met=self.met,
            resolved=self.resolved,
            reopened=self.reopened,
            escalated=self.escalated,
            first_response_p50_ms=percentile(first, 0.5),
        )

    def row(self) -> dict[str, Any]:
        return {
            "cases_handled": len(self.cases),
            "new_cases": self.new_cases,
            "resolved": self.resolved,
            "closed": self.closed,
            **{_TARGET_OF[kind].value: _times(self.times.get(kind, [])) for kind in TIMED_KINDS},
            "sla": {kind.value: _attainment(self.outcomes.get(kind, [])) for kind in TARGET_KINDS},
            "reopened": self.reopened,
            "reopen_rate_pct": percent(self.reopened, self.resolved),
            "escalations": {tier: self.tiers[tier] for tier in TIERS},
            "csat": NOT_COLLECTED,
        }


def _times(pairs: Sequence[tuple[int, int]]) -> dict[str, Any]:
    wall = [w for w, _ in pairs]
    business = [b for _, b in pairs]
    return {
        "count": len(pairs),
        "wall_p50_s": seconds(percentile(wall, 0.5)),
        "wall_p90_s": seconds(percentile(wall, 0.9)),
        "business_p50_s": seconds(percentile(business, 0.5)),
        "business_p90_s": seconds(percentile(business, 0.9)),
    }


def _attainment(outcomes: Sequence[bool]) -> dict[str, Any]:
    met = sum(outcomes)
    return {"judged": len(outcomes), "met": met, "attainment_pct": percent(met, len(outcomes))}


def _rows(tallies: Mapping[Any, Tally], name: str) -> list[dict[str, Any]]:
    keys = sorted(tallies, key=lambda key: (key is None, str(key)))
    return [{name: key, **tallies[key].row()} for key in keys]


def tallies(assessed: Iterable[Assessed], key: Callable[[DayFact], Any], seed: Iterable[Any] = ()) -> dict[Any, Tally]:
    found: dict[Any, Tally] = {k: Tally() for k in seed}
    for item in assessed:
        found.setdefault(key(item.fact), Tally()).add(item)
    return found


def build_accountability(
    window: ReportWindow,
    facts: Iterable[DayFact],
    *,
    sla: SlaInForce,
    teams: Iterable[str],
    backlog: Backlog | None,
    generated_at_ms: int,
) -> dict[str, Any]:
    """The report's document (JSON-ready); ``facts`` outside the window, and customers' messages (the
    marketing summary's), are left out."""
    assessed = [
        assess(fact, sla) for fact in facts if window.contains(fact.at_ms) and fact.kind is not FactKind.INBOUND
    ]
    total = Tally()
    for item in assessed:
        total.add(item)
    # An agent's row is their work: a case's opening is nobody's.
    worked = [item for item in assessed if item.fact.kind is not FactKind.CREATED]
    agents = tallies(worked, lambda fact: fact.owner)
    return {
        "report": "accountability",
        **period(window, generated_at_ms),
        "sla": {"source": "stored" if sla.stored else "defaults", "policy_version": sla.version},
        "totals": total.row(),
        "teams": _rows(tallies(assessed, lambda fact: fact.team, seed=teams), "team"),
        "channels": _rows(tallies(assessed, lambda fact: fact.channel.value), "channel"),
        "agents": _rows(agents, "agent"),
        "leaderboard": leaderboard({agent: tally.figures() for agent, tally in agents.items() if agent is not None}),
        "backlog": backlog_document(backlog, window, teams) if backlog is not None else None,
        "csat": NOT_COLLECTED,
    }


def period(window: ReportWindow, generated_at_ms: int) -> dict[str, Any]:
    return {
        "from": window.first.isoformat(),
        "to": window.last.isoformat(),
        "time_zone": window.time_zone,
        "start": iso(window.start_ms),
        "end": iso(window.end_ms),
        "generated_at": iso(generated_at_ms),
    }


def backlog_document(backlog: Backlog, window: ReportWindow, teams: Iterable[str]) -> dict[str, Any]:
    """The active cases opened before the period ended, as the queues showed them at ``read_at``."""
    cases = [case for case in backlog.cases if case.created_at_ms < window.end_ms]
    now = backlog.read_at_ms

    def rows(key: Callable[[CaseSummary], Any], name: str, seed: Iterable[Any] = ()) -> list[dict[str, Any]]:
        groups: dict[Any, list[CaseSummary]] = {k: [] for k in seed}
        for case in cases:
            groups.setdefault(key(case), []).append(case)
        ordered = sorted(groups, key=lambda k: (k is None, str(k)))
        return [{name: k, **_backlog_row(groups[k], now)} for k in ordered]

    return {
        "read_at": iso(now),
        "total": _backlog_row(cases, now),
        "teams": rows(lambda case: case.team, "team", seed=teams),
        "channels": rows(lambda case: case.channel.value, "channel"),
        "agents": rows(lambda case: case.owner, "agent"),
    }


def _backlog_row(cases: Sequence[CaseSummary], now_ms: int) -> dict[str, Any]:
    waiting = [case for case in cases if case.awaiting_reply_since_ms is not None]
    overdue = [case for case in waiting if case.response_due_at_ms is not None and case.response_due_at_ms < now_ms]
    oldest = min((since for case in waiting if (since := case.awaiting_reply_since_ms) is not None), default=None)
    return {
        "open": len(cases),
        "awaiting_answer": len(waiting),
        "overdue": len(overdue),
        "oldest_waiting_s": seconds(now_ms - oldest) if oldest is not None else None,
    }
