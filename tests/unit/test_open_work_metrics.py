"""Issue 10, item 2: the open-work publisher's gauges against hand-computed figures, on cases whose due
times come from the Berlin office's calendar across the spring-forward weekend; the series it writes;
the teams it watches."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from socialcare.clock import ManualClock
from socialcare.memory.metrics import MemoryMetricSink, MemoryOpenWork
from socialcare.metrics.open_work import open_work_points
from socialcare.metrics.publisher import OpenWorkPublisher
from socialcare.metrics.teams import watched_teams
from socialcare.model import metrics as m
from socialcare.model.case import Case, CaseStatus
from socialcare.model.events import Channel
from socialcare.model.metrics import MetricPoint
from socialcare.rules.case_sla import SlaInForce
from socialcare.rules.cases import apply_outbound, new_case
from socialcare.rules.routing_rules import RoutingRules
from socialcare.rules.sla import ResponseTargets
from socialcare.rules.views import summarize

from tests.sla_config_support import ALWAYS, BERLIN, POLICIES
from tests.unit.test_cases import message

pytestmark = pytest.mark.unit

STORED = SlaInForce.from_documents({"version": 1, **POLICIES}, [BERLIN, ALWAYS], ResponseTargets())


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


NOW = utc("2026-03-30T07:20:00")  # Monday 09:20 in Berlin, the first working morning of summer time


def opened(case_id: str, at: str, channel: Channel, team: str = "care") -> Case:
    return new_case(message(utc(at), channel, case_id), case_id=case_id, team=team, now_ms=utc(at), sla=STORED)


def fixture() -> list[Case]:
    # Friday 16:30 CET: 30 business minutes that day, due Monday 09:30 CEST, warned at 09:15: at risk now.
    at_risk = opened("C1", "2026-03-27T15:30:00", Channel.MESSENGER)
    # Friday 16:10 CET: 50 business minutes that day, due Monday 09:10 CEST (07:10 UTC): in breach now
    # (were Monday's 09:10 taken at Friday's UTC offset, it would be 08:10 UTC, not yet due).
    in_breach = opened("C2", "2026-03-27T15:10:00", Channel.X_POST)
    # Answered, then handed to a department: no wait, but backlog and waiting on a department.
    handed = apply_outbound(opened("C3", "2026-03-30T06:00:00", Channel.WHATSAPP), timestamp_ms=NOW, now_ms=NOW)
    handed = replace(handed, status=CaseStatus.PENDING_INTERNAL)
    # Billing's case, written a minute ago: waiting, not yet warned.
    billing = opened("C4", "2026-03-30T07:19:00", Channel.MESSENGER, team="billing")
    resolved = replace(opened("C5", "2026-03-27T10:00:00", Channel.MESSENGER), status=CaseStatus.RESOLVED)
    assert at_risk.response_due_at_ms == utc("2026-03-30T07:30:00")
    assert at_risk.escalation is not None
    assert at_risk.escalation.warn_at_ms == utc("2026-03-30T07:15:00")
    assert in_breach.response_due_at_ms == utc("2026-03-30T07:10:00")
    return [at_risk, in_breach, handed, billing, resolved]


def gauges(points: list[MetricPoint], **dimensions: str) -> dict[str, float]:
    wanted = tuple((name, dimensions[name]) for name in m.DIMENSIONS if name in dimensions)
    return {p.name: p.value for p in points if p.dimensions == wanted}


def published() -> tuple[list[MetricPoint], MemoryMetricSink, int]:
    work = MemoryOpenWork()
    for case in fixture():
        work.put_case(case)
    sink = MemoryMetricSink()
    run = OpenWorkPublisher(work, sink, teams=("billing", "care", "trained-care"), clock=ManualClock(NOW)).publish()
    assert {at for at, _ in sink.published} == {NOW}
    assert (run.teams, run.cases, run.items_read, run.requests) == (3, 4, 4, 1)
    return [point for _, point in sink.published], sink, run.points


def test_each_team_gets_its_backlog_waits_risk_breaches_and_departments() -> None:
    points, _, _ = published()
    assert gauges(points, team="care") == {
        m.BACKLOG: 3,
        m.UNANSWERED: 2,
        m.OLDEST_UNANSWERED_AGE: (NOW - utc("2026-03-27T15:10:00")) / 1000,  # 2 days 16 h 10 min
        m.AT_RISK: 1,
        m.IN_BREACH: 1,
        m.WAITING_ON_DEPARTMENTS: 1,
    }
    assert gauges(points, team="billing") == {
        m.BACKLOG: 1,
        m.UNANSWERED: 1,
        m.OLDEST_UNANSWERED_AGE: 60,
        m.AT_RISK: 0,
        m.IN_BREACH: 0,
        m.WAITING_ON_DEPARTMENTS: 0,
    }
    assert set(gauges(points, team="trained-care").values()) == {0}, "a quiet team reads 0, not nothing"


def test_channels_pairs_and_the_total_add_up() -> None:
    points, _, count = published()
    assert gauges(points, channel="messenger") == {
        m.BACKLOG: 2,
        m.UNANSWERED: 2,
        m.OLDEST_UNANSWERED_AGE: (NOW - utc("2026-03-27T15:30:00")) / 1000,
        m.AT_RISK: 1,
        m.IN_BREACH: 0,
    }
    assert gauges(points, team="care", channel="x_post")[m.IN_BREACH] == 1
    assert gauges(points) == {
        m.BACKLOG: 4,
        m.UNANSWERED: 3,
        m.OLDEST_UNANSWERED_AGE: (NOW - utc("2026-03-27T15:10:00")) / 1000,
        m.AT_RISK: 1,
        m.IN_BREACH: 1,
        m.WAITING_ON_DEPARTMENTS: 1,
    }
    pairs = {p.dimensions for p in points if len(p.dimensions) == 2}
    assert pairs == {
        (("team", "care"), ("channel", "messenger")),
        (("team", "care"), ("channel", "x_post")),
        (("team", "care"), ("channel", "whatsapp")),
        (("team", "billing"), ("channel", "messenger")),
    }, "a team and channel pair only while it has work"
    assert {p.dimension("channel") for p in points if len(p.dimensions) == 1 and p.dimension("channel")} == {
        str(channel) for channel in Channel
    }, "every channel's totals, zeros included"
    assert count == 4 * 5 + 3 * 6 + len(Channel) * 5 + 6


def test_no_open_work_still_publishes_zeros_for_every_team_and_channel() -> None:
    points = open_work_points({"care": ()}, NOW)
    assert gauges(points, team="care")[m.BACKLOG] == 0
    assert gauges(points)[m.OLDEST_UNANSWERED_AGE] == 0
    assert all(p.value == 0 for p in points)


def test_more_than_a_thousand_points_go_out_in_requests_of_at_most_a_thousand() -> None:
    work = MemoryOpenWork()
    sink = MemoryMetricSink()
    teams = [f"team-{i:03d}" for i in range(200)]
    run = OpenWorkPublisher(work, sink, teams=teams, clock=ManualClock(NOW)).publish()
    assert run.points == 200 * 6 + len(Channel) * 5 + 6
    assert run.requests == sink.requests == 2


def test_the_watched_teams_are_the_default_the_accounts_and_the_routing_rules_teams() -> None:
    assert watched_teams("care", {"1": "care-uk", "2": "care"}, None) == ("care", "care-uk", "trained-care")
    rules = RoutingRules.from_config(
        {
            "version": 1,
            "sensitive_team": "welfare",
            "default": {"team": "general"},
            "rules": [
                {"name": "press", "when": {"accounts": ["9"]}, "then": {"team": "pr"}},
                {"name": "vip", "when": {"channels": ["x_post"]}, "then": {"priority": "high"}},
            ],
        }
    )
    assert watched_teams("care", {}, rules) == ("care", "general", "pr", "welfare")


def test_cases_waiting_on_each_department_are_counted_by_department() -> None:
    cases = fixture()
    legal = replace(cases[2], case_id="C6", waiting_on="legal")
    billing = replace(cases[2], waiting_on="billing")
    back = replace(cases[2], case_id="C7", status=CaseStatus.OPEN, waiting_on="billing")  # answered: not waiting
    points = open_work_points({"care": [summarize(k) for k in (*cases[:2], billing, legal, back)]}, NOW)
    waiting = {p.dimensions: p.value for p in points if p.name == m.WAITING_ON_DEPARTMENT}
    assert waiting == {(("department", "billing"),): 1, (("department", "legal"),): 1}
