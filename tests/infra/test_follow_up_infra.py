"""The follow-up in the app: its machine, its role (exactly what its states call, read from the ASL
file), what starts it (the clock function: StartExecution of this machine, its ARN in the
environment) and the alarm on failed executions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.model.follow_up import FollowUpPlan
from socialcare.model.tasks import TaskKind
from socialcare_infra.names import ResourceNames

from tests.follow_up_support import FOLLOW_UP_ASL
from tests.infra.conftest import Synthesised
from tests.infra.helpers import (
    alarm_topic_id,
    asl_actions,
    failed_execution_alarm,
    function_id,
    machine_grants,
    ref_id,
    role_statements,
    state_machine,
)

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def follow_up(synth: Synthesised) -> tuple[str, dict[str, Any]]:
    return state_machine(synth, "follow_up")


def outbound_queue_id(synth: Synthesised) -> str:
    [queue_id] = [
        k
        for k, v in synth.properties("AWS::SQS::Queue").items()
        if v.get("QueueName") == ResourceNames(synth.stage).outbound_queue
    ]
    return queue_id


def test_the_follow_up_is_a_standard_machine_with_the_table_and_the_outbound_queue_substituted(
    synth: Synthesised,
) -> None:
    _, machine = follow_up(synth)
    assert machine["StateMachineType"] == "STANDARD"
    substitutions = machine["DefinitionSubstitutions"]
    assert set(substitutions) == {"TableName", "OutboundQueueUrl"}
    [table_id] = synth.resources("AWS::DynamoDB::Table")
    assert ref_id(substitutions["TableName"]) == table_id
    assert ref_id(substitutions["OutboundQueueUrl"]) == outbound_queue_id(synth)


def test_the_follow_up_role_allows_exactly_what_its_states_call(synth: Synthesised) -> None:
    _, machine = follow_up(synth)
    granted = machine_grants(synth, machine)
    assert set(granted) == asl_actions(FOLLOW_UP_ASL) == {"dynamodb:GetItem", "sqs:SendMessage"}
    [table_id] = synth.resources("AWS::DynamoDB::Table")
    assert [ref_id(r) for r in granted["dynamodb:GetItem"]] == [table_id], "the table itself: no index"
    assert [ref_id(r) for r in granted["sqs:SendMessage"]] == [outbound_queue_id(synth)], "the outbound queue only"


def test_only_the_clock_function_starts_it_and_knows_its_arn(synth: Synthesised) -> None:
    machine_id, _ = follow_up(synth)
    clock_id = function_id(synth.template, c.CLOCK_FUNCTION)
    clock = synth.template["Resources"][clock_id]["Properties"]
    assert ref_id(clock["Environment"]["Variables"][c.ENV_FOLLOW_UP_ARN]) == machine_id
    role_id = ref_id(clock["Role"])
    assert role_id is not None
    starts = [s for s in role_statements(synth.template, role_id) if "states:StartExecution" in s.actions]
    assert sorted(ref_id(r) for s in starts for r in s.resources) == sorted(
        [machine_id, state_machine(synth, "case_clock")[0]]
    )


def test_failed_follow_up_executions_raise_an_alarm_on_the_alarm_topic(synth: Synthesised) -> None:
    machine_id, _ = follow_up(synth)
    topic = alarm_topic_id(synth.template, synth.stage)
    alarm = failed_execution_alarm(synth, machine_id)
    assert alarm["AlarmName"] == f"socialcare-{synth.stage}-follow-up-failed"
    assert "neither nudges" in alarm["AlarmDescription"]
    assert [ref_id(x) for x in alarm["AlarmActions"]] == [topic]


def test_the_asl_file_sends_the_tasks_and_reads_the_plans_the_core_names() -> None:
    states = json.loads(FOLLOW_UP_ASL.read_text())["States"]
    bodies = [s["Parameters"]["MessageBody"] for s in states.values() if s.get("Resource", "").endswith("sendMessage")]
    assert {b["task"] for b in bodies} == {TaskKind.NUDGE.value, TaskKind.AUTO_RESOLVE.value}
    assert all(set(b) == {"v", "task", "case_id.$", "pending_since.$"} and b["v"] == 1 for b in bodies)
    plans = {rule["StringEquals"] for rule in states["Decide"]["Choices"] if rule.get("Variable") == "$.plan"}
    assert plans == {plan.value for plan in FollowUpPlan}
    assert {s["Parameters"]["QueueUrl"] for s in states.values() if "sendMessage" in s.get("Resource", "")} == {
        "${OutboundQueueUrl}"
    }
