"""Issue 10, item 5, the local stack's parts on their own: EMF documents as PutMetricData data, the
schedule runner, and the dashboard page's table of latest values."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from aws_lambda_powertools.metrics import EphemeralMetrics
from socialcare_infra import dashboards
from socialcare_local.dashboard import Line, Panel, html_page, latest_rows
from socialcare_local.emulator.emf import EmfCapture, emf_document, metric_data
from socialcare_local.emulator.schedules import ScheduleRunner

pytestmark = pytest.mark.unit

AT = dt.datetime(2026, 3, 30, 7, 20, tzinfo=dt.UTC)
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)  # Powertools warns of a timestamp CloudWatch would skip


def powertools_document() -> dict[str, object]:
    """What the clock function prints: Powertools' EMF, one set of values, four dimension sets."""
    metrics = EphemeralMetrics(namespace="socialcare", service="clock")
    metrics.add_dimension(name="team", value="care")
    metrics.add_dimension(name="channel", value="x_dm")
    metrics.add_dimensions(team="care", service="clock")
    metrics.add_dimensions(service="clock")
    metrics.add_metric(name="FirstResponseTime", unit="Seconds", value=90)
    metrics.add_metric(name="FirstResponseTime", unit="Seconds", value=30)
    metrics.add_metric(name="InboundMessages", unit="Count", value=1)
    metrics.set_timestamp(NOW)
    return dict(metrics.serialize_metric_set())


def test_an_emf_document_becomes_one_datum_per_metric_and_dimension_set() -> None:
    data = metric_data(powertools_document())
    assert {ns for ns, _ in data} == {"socialcare"}
    found = {(d["MetricName"], tuple((x["Name"], x["Value"]) for x in d["Dimensions"])): d for _, d in data}
    assert set(found) == {
        (name, dims)
        for name in ("FirstResponseTime", "InboundMessages")
        for dims in (
            (("team", "care"), ("channel", "x_dm"), ("service", "clock")),
            (("team", "care"), ("service", "clock")),
            (("service", "clock"),),
        )
    }
    frt = found[("FirstResponseTime", (("service", "clock"),))]
    assert (frt["Values"], frt["Unit"], frt["Timestamp"]) == ([90.0, 30.0], "Seconds", NOW)


def test_only_emf_documents_are_metric_lines() -> None:
    assert emf_document(json.dumps(powertools_document())) is not None
    assert emf_document('{"level": "INFO", "message": "delivery ingested"}') is None
    assert emf_document('{"_aws": not json') is None
    assert emf_document('{"_aws": {"Timestamp": 1}}') is None, "no CloudWatchMetrics: a log line that has _aws"


def test_the_capture_keeps_emf_lines_and_stores_them_in_order() -> None:
    stored: list[tuple[str, list[dict[str, object]]]] = []

    class CloudWatch:
        def put_metric_data(self, *, Namespace: str, MetricData: list[dict[str, object]]) -> None:
            stored.append((Namespace, MetricData))

    capture = EmfCapture()
    capture.offer('{"level": "INFO"}\n' + json.dumps(powertools_document()) + "\n")  # before it starts: held
    capture.start(CloudWatch())
    try:
        assert capture.flush(timeout_s=5)
        assert [ns for ns, _ in stored] == ["socialcare"]
        assert capture.stored == len(stored[0][1]) == 6
    finally:
        capture.stop()


def test_a_schedule_runs_at_start_then_every_period_and_survives_a_failing_run() -> None:
    runs: list[float] = []
    started = time.monotonic()

    def run() -> str:
        runs.append(time.monotonic() - started)
        if len(runs) == 2:
            raise RuntimeError("throttled")
        return "done"

    runner = ScheduleRunner()
    runner.add("publisher", 0.2, run)
    runner.start()
    try:
        deadline = time.monotonic() + 5
        while len(runs) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        runner.stop()
    assert len(runs) >= 3
    assert runs[0] < 0.15, "the first run at once"
    assert 0.15 < runs[1] - runs[0] < 1.0
    schedule = runner.schedule("publisher")
    assert schedule.failures == 1
    assert schedule.runs == len(runs)


def test_run_now_runs_in_the_caller_after_a_run_in_progress_and_raises_its_error() -> None:
    inside = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def slow() -> str:
        order.append("scheduled")
        inside.set()
        release.wait(5)
        return "scheduled"

    runner = ScheduleRunner()
    runner.add("slow", 60, slow)
    runner.start()
    try:
        assert inside.wait(5)
        assert not runner.is_idle()
        threading.Timer(0.2, release.set).start()
        assert runner.run_now("slow") == "scheduled"
        assert order == ["scheduled", "scheduled"]
    finally:
        runner.stop()
    assert runner.is_idle()

    failing = ScheduleRunner()
    failing.add("bad", 60, lambda: 1 / 0, at_start=False)
    with pytest.raises(ZeroDivisionError):
        failing.run_now("bad")
    with pytest.raises(ValueError, match="exists already"):
        failing.add("bad", 60, lambda: None)
    with pytest.raises(ValueError, match="must be positive"):
        failing.add("never", 0, lambda: None)


def test_the_page_lists_each_lines_latest_value_and_escapes_what_it_shows() -> None:
    backlog, breach = dashboards.CARE_FLOOR.widgets[0], dashboards.CARE_FLOOR.widgets[2]
    earlier = AT - dt.timedelta(minutes=1)
    panels = [
        Panel(backlog, (Line("care", ((earlier, 4.0), (AT, 3.0))), Line("<b>pr</b>", ((AT, 1.5),)))),
        Panel(breach, (Line("care", ()),)),
    ]
    assert latest_rows(panels) == [
        ("Backlog by team", "care", "3", "cases", "07:20"),
        ("Backlog by team", "<b>pr</b>", "1.5", "cases", "07:20"),
    ]
    page = html_page(dashboards.CARE_FLOOR, panels, "care-floor.png", generated_at=AT)
    assert "&lt;b&gt;pr&lt;/b&gt;" in page
    assert "<b>pr</b>" not in page
    assert 'data-widget="Backlog by team" data-line="care" data-value="3"' in page
