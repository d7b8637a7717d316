"""``socialcare report``'s tables: durations as a person reads them, and every part of the day's report
(figures, times, the balanced leaderboard, the backlog, the marketing summary) printed from the documents."""

from __future__ import annotations

import io
from datetime import date

import pytest
from rich.console import Console
from socialcare.reports.accountability import build_accountability
from socialcare.reports.marketing import build_marketing
from socialcare.reports.window import ReportWindow
from socialcare_local.report_view import duration, print_accountability, print_marketing

from tests.report_support import DAY_FACTS, ZONE, berlin, berlin_sla

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "–"), (45.4, "45s"), (600.0, "10m"), (4500.0, "1h 15m"), (231300.0, "2d 16h")],
)
def test_durations_read_like_a_person_says_them(seconds: float | None, shown: str) -> None:
    assert duration(seconds) == shown


def test_the_days_report_prints_every_part() -> None:
    window = ReportWindow.of(date(2026, 3, 30), date(2026, 3, 30), ZONE)
    report = build_accountability(
        window, DAY_FACTS, sla=berlin_sla(), teams=["care"], backlog=None, generated_at_ms=berlin(3, 31, 0, 15)
    )
    out = io.StringIO()
    console = Console(file=out, width=200)
    print_accountability(report, console)
    print_marketing(build_marketing(window, DAY_FACTS, generated_at_ms=0), console)
    text = out.getvalue()
    assert "Accountability report 2026-03-30 (Europe/Berlin)" in text
    assert "agent alice" in text
    assert "66.7%" in text  # first responses: 2 of 3 targets kept
    assert "1h 10m / 2d 16h" in text  # first responses, wall: p50 70 min, p90 64 h 15 min
    assert "67.9" in text  # alice's score
    assert "3 of 5 targets kept" in text
    assert "Backlog: not recorded" in text
    assert "Marketing summary 2026-03-30: 3 new cases" in text
    assert "delivery (2), press (1)" in text
