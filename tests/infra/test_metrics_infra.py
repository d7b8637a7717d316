"""Issue 10, items 2 and 4, in the synthesised template: the publisher's schedule, the care floor and
accountability dashboards built from ``socialcare_infra.dashboards`` (the data the local renderer
draws too), and the alarms on the stage's alarm topic."""

from __future__ import annotations

import json
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.model import metrics as m
from socialcare_infra import dashboards
from socialcare_infra.config import load_stage

from tests.infra.conftest import Synthesised
from tests.infra.helpers import function_id, ref_id

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def alarm(synth: Synthesised, name: str) -> dict[str, Any]:
    [found] = [a for a in synth.properties("AWS::CloudWatch::Alarm").values() if a["AlarmName"] == name]
    return found


def dashboard_body(synth: Synthesised, name: str) -> dict[str, Any]:
    """The dashboard's JSON, its CloudFormation references (region, alarm ARNs) read as placeholders."""
    [props] = [p for p in synth.properties("AWS::CloudWatch::Dashboard").values() if p["DashboardName"] == name]
    body = props["DashboardBody"]
    text = body if isinstance(body, str) else "".join(p if isinstance(p, str) else "REF" for p in body["Fn::Join"][1])
    return dict(json.loads(text))


def test_the_publisher_runs_every_minute_with_retries_and_an_alarmed_dead_letter_queue(synth: Synthesised) -> None:
    metrics_fn = function_id(synth.template, c.METRICS_FUNCTION)
    [schedule] = [
        p for p in synth.properties("AWS::Scheduler::Schedule").values() if ref_id(p["Target"]["Arn"]) == metrics_fn
    ]
    assert schedule["ScheduleExpression"] == "rate(1 minute)"
    target = schedule["Target"]
    assert ref_id(target["Arn"]) == function_id(synth.template, c.METRICS_FUNCTION)
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    missed = ref_id(target["DeadLetterConfig"]["Arn"])
    queues = {k: p["QueueName"] for k, p in synth.properties("AWS::SQS::Queue").items()}
    assert queues[missed] == f"socialcare-metrics-missed-runs-{synth.stage}"
    runs = alarm(synth, f"socialcare-{synth.stage}-metrics-missed-runs")
    assert ref_id(runs["Dimensions"][0]["Value"]) == missed
    assert (runs["Threshold"], runs["MetricName"]) == (0, "ApproximateNumberOfMessagesVisible")


@pytest.mark.parametrize("board", dashboards.DASHBOARDS, ids=lambda b: b.key)
def test_each_dashboard_is_deployed_from_the_shared_widget_definitions(
    synth: Synthesised, board: dashboards.Dashboard
) -> None:
    body = dashboard_body(synth, f"socialcare-{board.key}-{synth.stage}")
    graphs = {w["properties"]["title"]: w["properties"] for w in body["widgets"] if w["type"] == "metric"}
    assert list(graphs) == [widget.title for widget in board.widgets]
    for widget in board.widgets:
        graph = graphs[widget.title]
        assert graph["yAxis"]["left"]["label"] == widget.unit
        expressions = [row[0]["expression"] for row in graph["metrics"] if isinstance(row[0], dict)]
        metrics = [row for row in graph["metrics"] if isinstance(row[0], str)]
        for series in widget.series:
            if isinstance(series, dashboards.Attainment):
                met, missed = f"met_{series.kind}", f"missed_{series.kind}"
                assert f"100 * FILL({met}, 0) / (FILL({met}, 0) + FILL({missed}, 0))" in expressions
                assert [c.METRICS_NAMESPACE, m.target_met(series.kind), "service", "clock", met] in [
                    [*row[:4], row[4]["id"]] for row in metrics
                ]
            elif series.by is not None:
                schema = ",".join([c.METRICS_NAMESPACE, *series.dimension_names])
                service = f' service="{series.service}"' if series.service else ""
                term = f"SEARCH('{{{schema}}} MetricName=\"{series.metric}\"{service}', '{series.stat}', {widget.period_s})"
                assert term in expressions, (widget.title, term)
            else:
                dimensions = ["service", series.service] if series.service else []
                assert [c.METRICS_NAMESPACE, series.metric, *dimensions] in [
                    [x for x in row if isinstance(x, str)] for row in metrics
                ], (widget.title, series.metric)


def test_the_care_floor_shows_every_open_work_gauge_and_the_response_times() -> None:
    shown = {s.metric for w in dashboards.CARE_FLOOR.widgets for s in w.series if isinstance(s, dashboards.Series)}
    gauges = {m.BACKLOG, m.UNANSWERED, m.OLDEST_UNANSWERED_AGE, m.AT_RISK, m.IN_BREACH, m.WAITING_ON_DEPARTMENTS}
    assert gauges | {m.FIRST_RESPONSE_TIME, m.NEXT_RESPONSE_TIME, m.INBOUND_MESSAGES} <= shown
    # The local renderer reads series split by a dimension (moto matches a query without one to all).
    assert all(s.by for w in dashboards.CARE_FLOOR.widgets for s in w.series if isinstance(s, dashboards.Series))


def test_breaches_rising_and_a_long_wait_raise_alarms_on_the_publishers_totals(synth: Synthesised) -> None:
    rising = alarm(synth, f"socialcare-{synth.stage}-breaches-rising")
    [expression, breaches] = rising["Metrics"]
    assert expression["Expression"] == "DIFF(breaches)"
    stat = breaches["MetricStat"]
    assert (stat["Metric"]["MetricName"], stat["Metric"].get("Dimensions"), stat["Stat"]) == (
        m.IN_BREACH,
        None,
        "Maximum",
    )
    assert (rising["Threshold"], rising["ComparisonOperator"], rising["EvaluationPeriods"]) == (
        0,
        "GreaterThanThreshold",
        3,
    )
    waiting = alarm(synth, f"socialcare-{synth.stage}-oldest-unanswered")
    assert (waiting["Namespace"], waiting["MetricName"], waiting.get("Dimensions")) == (
        c.METRICS_NAMESPACE,
        m.OLDEST_UNANSWERED_AGE,
        None,
    )
    assert waiting["Threshold"] == load_stage(synth.stage).oldest_unanswered_alarm_minutes * 60


def test_webhook_4xx_bursts_and_outbound_failures_raise_alarms(synth: Synthesised) -> None:
    webhook = function_id(synth.template, c.WEBHOOK_FUNCTION)
    client_errors = alarm(synth, f"socialcare-{synth.stage}-webhook-4xx")
    assert (client_errors["Namespace"], client_errors["MetricName"]) == ("AWS/Lambda", "Url4xxCount")
    assert [d["Name"] for d in client_errors["Dimensions"]] == ["FunctionName"]
    assert ref_id(client_errors["Dimensions"][0]["Value"]) == webhook
    assert client_errors["Threshold"] == load_stage(synth.stage).webhook_4xx_alarm_count
    failures = alarm(synth, f"socialcare-{synth.stage}-outbound-failures")
    assert (failures["Namespace"], failures["MetricName"], failures["Dimensions"]) == (
        c.METRICS_NAMESPACE,
        m.OUTBOUND_FAILURES,
        [{"Name": "service", "Value": "outbound"}],
    )
    assert failures["Threshold"] == 0


def test_every_state_machine_has_a_failed_executions_alarm(synth: Synthesised) -> None:
    machines = set(synth.resources("AWS::StepFunctions::StateMachine"))
    alarmed = {
        ref_id(a["Dimensions"][0]["Value"])
        for a in synth.properties("AWS::CloudWatch::Alarm").values()
        if a.get("Namespace") == "AWS/States" and a["MetricName"] == "ExecutionsFailed"
    }
    assert machines
    assert alarmed == machines
