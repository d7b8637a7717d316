"""The case clock in the app: its machine, the bus it announces on, its role (exactly what its states
call, read from the ASL file) and the alarm on failed executions; the lazy start's clock index and
the clock sweep's schedule, role and alarms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.aws import keys
from socialcare.model.escalation import DETAIL_TYPES, EVENT_SOURCE

from tests.case_clock_support import CASE_CLOCK_ASL
from tests.infra.conftest import Synthesised
from tests.infra.helpers import (
    alarm_topic_id,
    asl_actions,
    failed_execution_alarm,
    function_id,
    join_text,
    machine_grants,
    ref_id,
    role_statements,
    state_machine,
)

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def case_clock(synth: Synthesised) -> tuple[str, dict[str, Any]]:
    return state_machine(synth, "case_clock")


def test_the_case_clock_is_a_standard_machine_with_the_table_and_the_bus_substituted(synth: Synthesised) -> None:
    _, machine = case_clock(synth)
    assert machine["StateMachineName"] == f"socialcare-case_clock-{synth.stage}"
    assert machine["StateMachineType"] == "STANDARD"
    substitutions = machine["DefinitionSubstitutions"]
    assert set(substitutions) == {"TableName", "EventBusName"}
    [bus_id] = synth.resources("AWS::Events::EventBus")
    assert ref_id(substitutions["EventBusName"]) == bus_id
    [table_id] = synth.resources("AWS::DynamoDB::Table")
    assert ref_id(substitutions["TableName"]) == table_id
    [bus] = synth.properties("AWS::Events::EventBus").values()
    assert bus["Name"] == f"socialcare-events-{synth.stage}"


def test_the_case_clock_role_allows_exactly_what_its_states_call(synth: Synthesised) -> None:
    _, machine = case_clock(synth)
    [table_id] = synth.resources("AWS::DynamoDB::Table")
    [bus_id] = synth.resources("AWS::Events::EventBus")
    granted = machine_grants(synth, machine)
    assert (
        set(granted) == asl_actions(CASE_CLOCK_ASL) == {"dynamodb:GetItem", "dynamodb:UpdateItem", "events:PutEvents"}
    )
    for action in ("dynamodb:GetItem", "dynamodb:UpdateItem"):
        assert [ref_id(r) for r in granted[action]] == [table_id], "the table itself: no index, no other table"
    assert [ref_id(r) for r in granted["events:PutEvents"]] == [bus_id], "the project's bus only"


def test_failed_case_clock_executions_raise_an_alarm_on_the_alarm_topic(synth: Synthesised) -> None:
    machine_id, _ = case_clock(synth)
    topic = alarm_topic_id(synth.template, synth.stage)
    alarm = failed_execution_alarm(synth, machine_id)
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert [ref_id(x) for x in alarm["AlarmActions"]] == [topic]


def test_the_asl_file_announces_the_events_the_core_names() -> None:
    states = json.loads(CASE_CLOCK_ASL.read_text())["States"]
    entries = [s["Parameters"]["Entries"][0] for s in states.values() if s.get("Resource", "").endswith("putEvents")]
    assert {e["Source"] for e in entries} == {EVENT_SOURCE}
    assert {e["DetailType"] for e in entries} == set(DETAIL_TYPES.values())
    assert {e["EventBusName"] for e in entries} == {"${EventBusName}"}


def test_the_table_has_the_sparse_clock_index_projecting_only_its_keys(synth: Synthesised) -> None:
    [table] = synth.properties("AWS::DynamoDB::Table").values()
    [index] = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == c.CLOCK_INDEX]
    assert index["KeySchema"] == [
        {"AttributeName": c.CLOCK_INDEX_PK, "KeyType": "HASH"},
        {"AttributeName": c.CLOCK_INDEX_SK, "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}


def test_the_clock_sweep_runs_every_minute_and_its_failures_raise_alarms(synth: Synthesised) -> None:
    sweep = function_id(synth.template, c.CLOCK_SWEEP_FUNCTION)
    [schedule] = [
        p
        for p in synth.properties("AWS::Scheduler::Schedule").values()
        if p["Target"]["Arn"] == {"Fn::GetAtt": [sweep, "Arn"]}
    ]
    assert schedule["ScheduleExpression"] == "rate(1 minute)"
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 2
    props = synth.template["Resources"][sweep]["Properties"]
    assert props["Timeout"] < c.CLOCK_SWEEP_EVERY_MINUTES * 60, "a run ends before the next one starts"
    names = {a["AlarmName"] for a in synth.properties("AWS::CloudWatch::Alarm").values()}
    for alarm in ("errors", "throttles", "missed-runs"):
        assert f"socialcare-{synth.stage}-{c.CLOCK_SWEEP_FUNCTION}-{alarm}" in names


def test_the_clock_sweep_may_read_the_clock_index_its_watermarks_and_start_case_clocks_only(
    synth: Synthesised,
) -> None:
    role = ref_id(
        synth.template["Resources"][function_id(synth.template, c.CLOCK_SWEEP_FUNCTION)]["Properties"]["Role"]
    )
    assert role is not None
    machine_id, _ = case_clock(synth)
    [table_id] = synth.resources("AWS::DynamoDB::Table")
    found = {
        (action, join_text(resource), json.dumps(s.conditions, sort_keys=True))
        for s in role_statements(synth.template, role)
        for action in s.actions
        for resource in s.resources
        if not action.startswith(("logs:", "xray:"))
    }
    watermark_only = json.dumps({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [keys.CLOCK_SWEEP_PK]}})
    assert found == {
        ("dynamodb:Query", f"<{table_id}.Arn>/index/{c.CLOCK_INDEX}", "{}"),
        ("dynamodb:GetItem", f"<{table_id}.Arn>", watermark_only),
        ("dynamodb:PutItem", f"<{table_id}.Arn>", watermark_only),
        ("states:StartExecution", f"<{machine_id}>", "{}"),
    }
