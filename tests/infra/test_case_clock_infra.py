"""The case clock in the app: its machine, the bus it announces on, its role (exactly what its states
call, read from the ASL file) and the alarm on failed executions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from socialcare.model.escalation import DETAIL_TYPES, EVENT_SOURCE

from tests.case_clock_support import CASE_CLOCK_ASL
from tests.infra.conftest import Synthesised
from tests.infra.helpers import machine_role_grants, ref_id

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

MACHINE = "AWS::StepFunctions::StateMachine"
# Optimised integrations (arn:aws:states:::<service>:<api>) and the IAM action each one needs.
INTEGRATION_ACTIONS = {
    "dynamodb:getItem": "dynamodb:GetItem",
    "dynamodb:updateItem": "dynamodb:UpdateItem",
    "events:putEvents": "events:PutEvents",
}


def case_clock(synth: Synthesised) -> tuple[str, dict[str, Any]]:
    [(logical_id, machine)] = [
        (k, v)
        for k, v in synth.properties(MACHINE).items()
        if v["StateMachineName"].startswith("socialcare-case_clock-")
    ]
    return logical_id, machine


def asl_actions() -> set[str]:
    states = json.loads(CASE_CLOCK_ASL.read_text())["States"]
    resources = {s["Resource"].removeprefix("arn:aws:states:::") for s in states.values() if s["Type"] == "Task"}
    assert resources <= set(INTEGRATION_ACTIONS), f"an integration this test does not know: {resources}"
    return {INTEGRATION_ACTIONS[r] for r in resources}


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
    role_id = ref_id(machine["RoleArn"])
    assert role_id is not None
    [table_id] = synth.resources("AWS::DynamoDB::Table")
    [bus_id] = synth.resources("AWS::Events::EventBus")
    granted = machine_role_grants(synth.template, role_id)
    assert set(granted) == asl_actions() == {"dynamodb:GetItem", "dynamodb:UpdateItem", "events:PutEvents"}
    for action in ("dynamodb:GetItem", "dynamodb:UpdateItem"):
        assert [ref_id(r) for r in granted[action]] == [table_id], "the table itself: no index, no other table"
    assert [ref_id(r) for r in granted["events:PutEvents"]] == [bus_id], "the project's bus only"


def test_failed_case_clock_executions_raise_an_alarm_on_the_alarm_topic(synth: Synthesised) -> None:
    machine_id, _ = case_clock(synth)
    [topic] = synth.resources("AWS::SNS::Topic")
    [alarm] = [
        a
        for a in synth.properties("AWS::CloudWatch::Alarm").values()
        if a.get("Namespace") == "AWS/States"
        and a["MetricName"] == "ExecutionsFailed"
        and ref_id(a["Dimensions"][0]["Value"]) == machine_id
    ]
    [dimension] = alarm["Dimensions"]
    assert dimension["Name"] == "StateMachineArn"
    assert ref_id(dimension["Value"]) == machine_id
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert [ref_id(x) for x in alarm["AlarmActions"]] == [topic]


def test_the_asl_file_announces_the_events_the_core_names() -> None:
    states = json.loads(CASE_CLOCK_ASL.read_text())["States"]
    entries = [s["Parameters"]["Entries"][0] for s in states.values() if s.get("Resource", "").endswith("putEvents")]
    assert {e["Source"] for e in entries} == {EVENT_SOURCE}
    assert {e["DetailType"] for e in entries} == set(DETAIL_TYPES.values())
    assert {e["EventBusName"] for e in entries} == {"${EventBusName}"}
