"""The accountability report against figures worked out by hand (``tests/report_support.py``): business
time on a Berlin office calendar across the weekend the clocks went forward, percentiles, SLA
attainment, reopen rate, escalations, the backlog, and a leaderboard that does not reward speed alone."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from socialcare.model.case import CaseStatus
from socialcare.model.day_facts import FactKind
from socialcare.model.events import Channel, Customer
from socialcare.reports.accountability import Backlog, build_accountability
from socialcare.reports.leaderboard import AgentFigures, leaderboard
from socialcare.reports.window import ReportWindow
from socialcare.rules.case_sla import SlaInForce, case_facts
from socialcare.rules.sla import ResponseTargets
from socialcare.rules.views import summarize

from tests.case_support import care_case
from tests.report_support import ACCOUNT, DAY_FACTS, ZONE, answer, berlin, berlin_sla, resolved

pytestmark = pytest.mark.unit

MONDAY = ReportWindow.of(date(2026, 3, 30), date(2026, 3, 30), ZONE)


def report(**kw: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"sla": berlin_sla(), "teams": ["care", "billing"], "backlog": None}
    options.update(kw)
    return build_accountability(MONDAY, DAY_FACTS, generated_at_ms=berlin(3, 31, 0, 15), **options)


def by(rows: list[dict[str, Any]], name: str, key: object) -> dict[str, Any]:
    return next(row for row in rows if row[name] == key)


def test_the_fixture_promised_what_the_calendar_gives() -> None:
    # Friday 16:30 CET + 60 business minutes on a 09-17 office = Monday 09:30 CEST, over the DST change.
    case = care_case("A", Channel.MESSENGER, ACCOUNT, Customer("u"), berlin(3, 27, 16, 30))
    policy, calendar = berlin_sla().policy(case_facts(case))
    assert calendar.add_business_time(berlin(3, 27, 16, 30), 60 * 60_000) == berlin(3, 30, 9, 30)
    assert policy.name == "default"


def test_times_are_wall_clock_and_business_time_percentiles_by_nearest_rank() -> None:
    totals = report()["totals"]
    # First responses: A 64 h 15 min (75 business minutes), B 20 min, C 70 min (10 business minutes).
    assert totals["first_response"] == {
        "count": 3,
        "wall_p50_s": 4200.0,
        "wall_p90_s": 231300.0,
        "business_p50_s": 1200.0,
        "business_p90_s": 4500.0,
    }
    assert totals["next_response"] == {
        "count": 1,
        "wall_p50_s": 10800.0,
        "wall_p90_s": 10800.0,
        "business_p50_s": 10800.0,
        "business_p90_s": 10800.0,
    }
    # Resolutions: A 65 h 30 min (150 business minutes), B 6 h, C 90 min (30 business minutes).
    assert totals["resolution"] == {
        "count": 3,
        "wall_p50_s": 21600.0,
        "wall_p90_s": 235800.0,
        "business_p50_s": 9000.0,
        "business_p90_s": 21600.0,
    }


def test_sla_attainment_reopen_rate_escalations_and_counts() -> None:
    totals = report()["totals"]
    assert totals["sla"] == {
        "first_response": {"judged": 3, "met": 2, "attainment_pct": 66.7},
        "next_response": {"judged": 1, "met": 0, "attainment_pct": 0.0},
        "resolution": {"judged": 3, "met": 3, "attainment_pct": 100.0},
    }
    assert (totals["cases_handled"], totals["new_cases"], totals["resolved"], totals["closed"]) == (4, 3, 3, 1)
    assert (totals["reopened"], totals["reopen_rate_pct"]) == (1, 33.3)
    assert totals["escalations"] == {"warn": 1, "breach": 1, "second_tier": 0}
    assert totals["csat"] == "not collected"


def test_per_agent_team_and_channel() -> None:
    doc = report()
    alice, bob = by(doc["agents"], "agent", "alice"), by(doc["agents"], "agent", "bob")
    assert [row["agent"] for row in doc["agents"]] == ["alice", "bob", None]  # the warned case had no owner
    assert (alice["cases_handled"], alice["resolved"], alice["escalations"]["breach"]) == (2, 2, 1)
    assert alice["sla"]["first_response"] == {"judged": 2, "met": 1, "attainment_pct": 50.0}
    assert (bob["cases_handled"], bob["closed"], bob["reopen_rate_pct"]) == (2, 1, 100.0)
    assert [row["team"] for row in doc["teams"]] == ["billing", "care"]  # a deployed team with nothing: zeros
    assert by(doc["teams"], "team", "billing")["cases_handled"] == 0
    x_post = by(doc["channels"], "channel", "x_post")
    assert (x_post["cases_handled"], x_post["first_response"]["business_p50_s"]) == (2, 600.0)
    assert doc["sla"] == {"source": "stored", "policy_version": 3}
    assert (doc["from"], doc["to"], doc["start"], doc["end"]) == (
        "2026-03-30",
        "2026-03-30",
        "2026-03-29T22:00:00.000Z",
        "2026-03-30T22:00:00.000Z",
    )


def test_an_answer_without_a_promised_due_time_is_judged_against_the_target_in_business_time() -> None:
    # Answered while its clock was paused (no due time on the queue): 50 business minutes of 60, kept;
    # with 20 of them paused, 80 business minutes are still 60 counted, kept.
    kept = answer(FactKind.FIRST_RESPONSE, "P", berlin(3, 30, 9), berlin(3, 30, 9, 50), None, "alice")
    paused = answer(
        FactKind.FIRST_RESPONSE, "Q", berlin(3, 30, 9), berlin(3, 30, 10, 20), None, "alice", paused_ms=20 * 60_000
    )
    late = answer(FactKind.FIRST_RESPONSE, "R", berlin(3, 30, 9), berlin(3, 30, 10, 1), None, "alice")
    doc = build_accountability(
        MONDAY, [kept, paused, late], sla=berlin_sla(), teams=["care"], backlog=None, generated_at_ms=0
    )
    assert doc["totals"]["sla"]["first_response"] == {"judged": 3, "met": 2, "attainment_pct": 66.7}
    assert doc["totals"]["first_response"]["business_p90_s"] == 3660.0  # 61 min: pauses shorten only paused cases


def test_no_target_no_judgement() -> None:
    # The per-channel defaults (no policy set stored) have no resolution target.
    doc = build_accountability(
        MONDAY,
        [resolved("A", berlin(3, 30, 9), berlin(3, 30, 10), "alice")],
        sla=SlaInForce(ResponseTargets()),
        teams=["care"],
        backlog=None,
        generated_at_ms=0,
    )
    assert doc["totals"]["sla"]["resolution"] == {"judged": 0, "met": 0, "attainment_pct": None}
    assert doc["totals"]["resolution"]["wall_p50_s"] == 3600.0
    assert doc["sla"] == {"source": "defaults", "policy_version": 0}


def test_backlog_at_the_days_end() -> None:
    customer = Customer("u1")
    read_at = berlin(3, 31, 0, 15)
    cases = (
        # awaiting since 16:00, due 17:00: overdue at 00:15; bob's
        care_case(
            "K1",
            Channel.MESSENGER,
            ACCOUNT,
            customer,
            berlin(3, 30, 16),
            owner="bob",
            awaiting_reply_since_ms=berlin(3, 30, 16),
            response_due_at_ms=berlin(3, 30, 17),
        ),
        # waiting for the customer: open, not awaiting an answer
        care_case("K2", Channel.X_POST, ACCOUNT, customer, berlin(3, 30, 11), status=CaseStatus.PENDING_CUSTOMER),
        # opened after midnight: not in Monday's backlog
        care_case(
            "K3", Channel.MESSENGER, ACCOUNT, customer, berlin(3, 31, 0, 5), awaiting_reply_since_ms=berlin(3, 31, 0, 5)
        ),
    )
    doc = report(backlog=Backlog(read_at, tuple(summarize(case) for case in cases)))
    backlog = doc["backlog"]
    assert backlog["read_at"] == "2026-03-30T22:15:00.000Z"
    assert backlog["total"] == {"open": 2, "awaiting_answer": 1, "overdue": 1, "oldest_waiting_s": 8 * 3600 + 900.0}
    assert by(backlog["teams"], "team", "billing")["open"] == 0
    assert by(backlog["agents"], "agent", "bob")["overdue"] == 1
    assert by(backlog["channels"], "channel", "x_post") == {
        "channel": "x_post",
        "open": 1,
        "awaiting_answer": 0,
        "overdue": 0,
        "oldest_waiting_s": None,
    }
    assert report()["backlog"] is None


def test_the_leaderboard_shows_every_component() -> None:
    board = report()["leaderboard"]
    alice, bob = board["entries"]
    assert (alice["agent"], alice["rank"], bob["agent"], bob["rank"]) == ("alice", 1, "bob", 2)
    # alice: 3 of 5 targets kept -> 4/7; 0 of 2 resolutions reopened -> 3/4; 1 breach over 2 cases -> 2/4;
    # the most cases -> 1. 100 x (0.4 x 4/7 + 0.3 x 3/4 + 0.15 x 2/4 + 0.15) = 67.857...
    assert alice["score"] == 67.9
    assert {name: c["value"] for name, c in alice["components"].items()} == {
        "sla_kept": 0.571,
        "quality": 0.75,
        "escalations": 0.5,
        "volume": 1.0,
    }
    assert alice["components"]["sla_kept"] == {
        "value": 0.571,
        "weight": 0.4,
        "points": 22.9,
        "basis": "3 of 5 targets kept",
    }
    # bob: 2 of 2 kept -> 3/4; his one resolution reopened -> 1/3; no escalation over 2 cases -> 3/4; 1.
    assert bob["score"] == pytest.approx(66.25, abs=0.05)
    assert bob["shown_not_scored"] == {"first_response_wall_p50_s": 4200.0, "csat": "not collected"}
    assert sum(board["weights"].values()) == pytest.approx(1.0)


def test_the_fastest_agent_is_not_the_best() -> None:
    # speedy answers in a minute and resolves six cases, four of which come back, one breached;
    # careful answers in 40 minutes (the target is 60) and resolves four that stay resolved.
    speedy = AgentFigures(
        handled=6, judged=12, met=12, resolved=6, reopened=4, escalated=1, first_response_p50_ms=60_000
    )
    careful = AgentFigures(
        handled=4, judged=8, met=8, resolved=4, reopened=0, escalated=0, first_response_p50_ms=2_400_000
    )
    board = leaderboard({"speedy": speedy, "careful": careful})
    ranked = [(entry["agent"], entry["score"]) for entry in board["entries"]]
    # careful: 100 x (0.4 x 9/10 + 0.3 x 5/6 + 0.15 x 5/6 + 0.15 x 4/6) = 83.5
    # speedy: 100 x (0.4 x 13/14 + 0.3 x 3/8 + 0.15 x 6/8 + 0.15 x 1) = 74.6
    assert ranked == [("careful", 83.5), ("speedy", 74.6)]
    assert board["entries"][1]["shown_not_scored"]["first_response_wall_p50_s"] == 60.0


def test_one_lucky_case_does_not_top_the_board() -> None:
    lucky = AgentFigures(handled=1, judged=2, met=2, resolved=1, reopened=0, escalated=0)
    steady = AgentFigures(handled=40, judged=80, met=76, resolved=40, reopened=2, escalated=1)
    board = leaderboard({"lucky": lucky, "steady": steady})
    assert [entry["agent"] for entry in board["entries"]] == ["steady", "lucky"]
    assert leaderboard({})["entries"] == []


def test_facts_outside_the_window_are_left_out() -> None:
    # F was answered on Sunday 23:30 CEST: kept under the UTC day the window starts in, but not Monday's.
    assert "F" not in {row["agent"] for row in report()["agents"]}
    only_f = build_accountability(
        MONDAY, [f for f in DAY_FACTS if f.case_id == "F"], sla=berlin_sla(), teams=[], backlog=None, generated_at_ms=0
    )
    assert only_f["totals"]["first_response"]["count"] == 0
    assert only_f["totals"]["cases_handled"] == 0
