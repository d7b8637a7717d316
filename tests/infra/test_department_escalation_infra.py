"""The department escalation in the app: its machine, its role (exactly what its states call, read from
the ASL file: the outbound queue and the bus, never the table), the API's and the outbound function's
settings for it, the alarm on failed executions, and the events its file announces."""

from __future__ import annotations

import json
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.model.department_escalation import CLOSED_ERROR, DEPARTMENT_EVENTS, DEPARTMENT_REQUEST
from socialcare.model.escalation import EVENT_SOURCE
from socialcare.model.tasks import TaskKind

from tests.department_escalation_support import DEPARTMENT_ASL
from tests.infra.conftest import Synthesised
from tests.infra.helpers import SAM_FUNCTION, function_id, machine_role_grants, ref_id

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

MACHINE = "AWS::StepFunctions::StateMachine"
# Optimised integrations and the IAM action each one needs.
INTEGRATION_ACTIONS = {
    "sqs:sendMessage.waitForTaskToken": "sqs:SendMessage",
    "events:putEvents": "events:PutEvents",
}


def states() -> dict[str, Any]:
    return dict(json.loads(DEPARTMENT_ASL.read_text())["States"])


def machine(synth: Synthesised) -> tuple[str, dict[str, Any]]:
    [(logical_id, props)] = [
        (k, v)
        for k, v in synth.properties(MACHINE).items()
        if v["StateMachineName"].startswith("socialcare-department_escalation-")
    ]
    return logical_id, props


def test_the_machine_is_standard_with_the_outbound_queue_and_the_bus_substituted(synth: Synthesised) -> None:
    _, props = machine(synth)
    assert props["StateMachineName"] == f"socialcare-department_escalation-{synth.stage}"
    assert props["StateMachineType"] == "STANDARD"
    substitutions = props["DefinitionSubstitutions"]
    assert set(substitutions) == {"OutboundQueueUrl", "EventBusName"}
    [bus_id] = synth.resources("AWS::Events::EventBus")
    assert ref_id(substitutions["EventBusName"]) == bus_id
    queues = {p["QueueName"]: k for k, p in synth.properties("AWS::SQS::Queue").items()}
    assert ref_id(substitutions["OutboundQueueUrl"]) == queues[f"{c.OUTBOUND_QUEUE_LOGICAL_NAME}-{synth.stage}"]


def test_its_role_allows_exactly_what_its_states_call(synth: Synthesised) -> None:
    _, props = machine(synth)
    role_id = ref_id(props["RoleArn"])
    assert role_id is not None
    granted = machine_role_grants(synth.template, role_id)
    resources = {s["Resource"].removeprefix("arn:aws:states:::") for s in states().values() if s["Type"] == "Task"}
    assert resources <= set(INTEGRATION_ACTIONS), f"an integration this test does not know: {resources}"
    assert set(granted) == {INTEGRATION_ACTIONS[r] for r in resources} == {"sqs:SendMessage", "events:PutEvents"}
    queues = {p["QueueName"]: k for k, p in synth.properties("AWS::SQS::Queue").items()}
    assert [ref_id(r) for r in granted["sqs:SendMessage"]] == [queues[f"{c.OUTBOUND_QUEUE_LOGICAL_NAME}-{synth.stage}"]]
    [bus_id] = synth.resources("AWS::Events::EventBus")
    assert [ref_id(r) for r in granted["events:PutEvents"]] == [bus_id], "the project's bus only"


def test_the_api_knows_the_machine_and_the_outbound_function_the_apis_address(synth: Synthesised) -> None:
    machine_id, _ = machine(synth)
    for props in synth.properties(SAM_FUNCTION).values():
        assert ref_id(props["Environment"]["Variables"][c.ENV_DEPARTMENT_ESCALATION_ARN]) == machine_id
    outbound = synth.template["Resources"][function_id(synth.template, c.OUTBOUND_FUNCTION)]["Properties"]
    variables = outbound["Environment"]["Variables"]
    [rest_api] = synth.resources("AWS::Serverless::Api")
    link_base = json.dumps(variables[c.ENV_ANSWER_LINK_BASE_URL])
    assert rest_api in link_base, "the links point at this stack's agent API"
    [bus_id] = synth.resources("AWS::Events::EventBus")
    assert ref_id(variables[c.ENV_EVENT_BUS_NAME]) == bus_id


def test_failed_executions_raise_an_alarm(synth: Synthesised) -> None:
    machine_id, _ = machine(synth)
    assert any(
        a.get("Namespace") == "AWS/States"
        and a["MetricName"] == "ExecutionsFailed"
        and ref_id(a["Dimensions"][0]["Value"]) == machine_id
        for a in synth.properties("AWS::CloudWatch::Alarm").values()
    )


def test_the_asl_file_speaks_the_cores_names() -> None:
    found = states()
    entries = [
        e for s in found.values() if s.get("Resource", "").endswith("putEvents") for e in s["Parameters"]["Entries"]
    ]
    assert {e["Source"] for e in entries} == {EVENT_SOURCE}
    assert {e["EventBusName"] for e in entries} == {"${EventBusName}"}
    assert {e["DetailType"] for e in entries} | {DEPARTMENT_REQUEST} == set(DEPARTMENT_EVENTS)
    ask = found["AskDepartment"]
    assert ask["Parameters"]["MessageBody"]["task"] == TaskKind.DEPARTMENT_REQUEST.value
    assert ask["Parameters"]["MessageBody"]["task_token.$"] == "$$.Task.Token"
    assert ask["TimeoutSecondsPath"] == "$.escalation.update_after_s"
    assert [c["ErrorEquals"] for c in ask["Catch"]] == [["States.Timeout"], [CLOSED_ERROR]]
