"""The surge check in the app: its schedule (EventBridge Scheduler, every 5 minutes, retried, missed
runs kept and alarmed), its environment, and the alarm on its metric wired to the stage's alarm topic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from socialcare import constants as c
from socialcare_infra.stack import Sources
from socialcare_infra.synth import synthesise

from tests.infra.conftest import Synthesised
from tests.infra.helpers import function_id, ref_id

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def alarm_topic(synth: Synthesised) -> str:
    [topic] = [
        k
        for k, p in synth.properties("AWS::SNS::Topic").items()
        if p["TopicName"] == f"socialcare-alarms-{synth.stage}"
    ]
    return topic


def alarms(synth: Synthesised, **match: Any) -> list[dict[str, Any]]:
    return [
        a for a in synth.properties("AWS::CloudWatch::Alarm").values() if all(a.get(k) == v for k, v in match.items())
    ]


def test_the_surge_check_runs_every_five_minutes_retried_with_its_missed_runs_kept(synth: Synthesised) -> None:
    surge_fn = function_id(synth.template, c.SURGE_FUNCTION)
    [schedule] = [
        p
        for p in synth.properties("AWS::Scheduler::Schedule").values()
        if p["Target"]["Arn"] == {"Fn::GetAtt": [surge_fn, "Arn"]}
    ]
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    assert schedule["State"] == "ENABLED"
    target = schedule["Target"]
    assert target["Arn"] == {"Fn::GetAtt": [surge_fn, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    queues = {k: p["QueueName"] for k, p in synth.properties("AWS::SQS::Queue").items()}
    missed = ref_id(target["DeadLetterConfig"]["Arn"])
    assert queues[missed] == f"socialcare-surge-missed-runs-{synth.stage}"
    [missed_alarm] = alarms(synth, AlarmName=f"socialcare-{synth.stage}-surge-missed-runs")
    assert ref_id(missed_alarm["Dimensions"][0]["Value"]) == missed
    assert [ref_id(a) for a in missed_alarm["AlarmActions"]] == [alarm_topic(synth)]
    props = synth.template["Resources"][surge_fn]["Properties"]
    assert props["Timeout"] == c.SURGE_TIMEOUT_S
    assert props["Timeout"] < c.SURGE_CHECK_EVERY_MINUTES * 60, "a run ends before the next one starts"


def test_a_surge_raises_the_alarm_on_the_stages_alarm_topic(synth: Synthesised) -> None:
    [alarm] = alarms(synth, Namespace=c.METRICS_NAMESPACE, MetricName=c.SURGE_METRIC)
    assert alarm["AlarmName"] == f"socialcare-{synth.stage}-surge"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": c.SURGE_FUNCTION}]
    assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Sum", 300, 1)
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert alarm["TreatMissingData"] == "notBreaching"
    topic = alarm_topic(synth)
    assert [ref_id(a) for a in alarm["AlarmActions"]] == [topic]
    assert [ref_id(a) for a in alarm["OKActions"]] == [topic]


def test_the_surge_settings_reach_ingest_and_the_check(layer_dir: Path, tmp_path: Path) -> None:
    """A stage's `surges` table (checked at synth) is SURGE_SETTINGS of both functions, as JSON."""
    surges = {"keywords": {"outage": ["outage", "down"]}, "min_count": 30}
    result = synthesise("dev", tmp_path, {"surges": json.dumps(surges)}, sources=Sources(layer_dir=layer_dir))
    template = json.loads(result.template_path.read_text())
    for name in (c.INGEST_FUNCTION, c.SURGE_FUNCTION):
        variables = template["Resources"][function_id(template, name)]["Properties"]["Environment"]["Variables"]
        assert json.loads(variables[c.ENV_SURGE_SETTINGS]) == surges
