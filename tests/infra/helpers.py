"""Reading a synthesised template: references, roles and their statements, functions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LAMBDA = "AWS::Lambda::Function"
SAM_FUNCTION = "AWS::Serverless::Function"
SAM_API = "AWS::Serverless::Api"


def ref_id(value: Any) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` points at (else None)."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[Any, ...]
    conditions: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, document: dict[str, Any]) -> Statement:
        """A statement of a policy document as the template holds it."""
        actions, resources = tuple(as_list(document["Action"])), tuple(as_list(document.get("Resource", [])))
        return cls(document["Effect"], actions, resources, dict(document.get("Condition", {})))


def role_statements(template: dict[str, Any], role_id: str) -> list[Statement]:
    """Every statement that applies to ``role_id``: its inline policies and the policies attached to it."""
    resources = template["Resources"]
    documents = [p["PolicyDocument"] for p in resources[role_id]["Properties"].get("Policies", [])]
    for resource in resources.values():
        roles = resource.get("Properties", {}).get("Roles", [])
        if resource["Type"] == "AWS::IAM::Policy" and role_id in [ref_id(r) for r in roles]:
            documents.append(resource["Properties"]["PolicyDocument"])
    return [Statement.of(s) for doc in documents for s in doc["Statement"]]


def all_policy_statements(template: dict[str, Any]) -> list[tuple[str, Statement]]:
    """(owner logical id, statement) for every identity policy in the template."""
    found = []
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        docs = []
        if resource["Type"] == "AWS::IAM::Policy":
            docs.append(props["PolicyDocument"])
        if resource["Type"] == "AWS::IAM::Role":
            docs += [p["PolicyDocument"] for p in props.get("Policies", [])]
        for doc in docs:
            found += [(logical_id, Statement.of(s)) for s in doc["Statement"]]
    return found


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Lambda function, plain or SAM (Chalice), by logical id: its properties."""
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] in {LAMBDA, SAM_FUNCTION}}


def function_id(template: dict[str, Any], name_part: str) -> str:
    """The logical id of the plain Lambda function whose FunctionName contains ``name_part``."""
    matches = [
        k
        for k, v in template["Resources"].items()
        if v["Type"] == LAMBDA and f"-{name_part}-" in str(v["Properties"].get("FunctionName", ""))
    ]
    assert len(matches) == 1, (name_part, matches)
    return matches[0]


def join_text(value: Any) -> str:
    """A readable form of a resource expression: ``<Logical.Arn>/raw/*`` for a Fn::Join."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(join_text(v) for v in value["Fn::Join"][1])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<" + ".".join(value["Fn::GetAtt"]) + ">"
    if isinstance(value, dict) and "Ref" in value:
        return "<" + value["Ref"] + ">"
    return repr(value)


def alarm_topic_id(template: dict[str, Any], stage: str) -> str:
    """The logical id of the alarm topic (the stack also has the notifications topic)."""
    [found] = [
        k
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::SNS::Topic" and v["Properties"]["TopicName"] == f"socialcare-alarms-{stage}"
    ]
    return str(found)


STATE_MACHINE = "AWS::StepFunctions::StateMachine"
# Optimised integrations (arn:aws:states:::<service>:<api>) and the IAM action each one needs.
INTEGRATION_ACTIONS = {
    "dynamodb:getItem": "dynamodb:GetItem",
    "dynamodb:updateItem": "dynamodb:UpdateItem",
    "events:putEvents": "events:PutEvents",
    "sqs:sendMessage": "sqs:SendMessage",
}
LOGGING_AND_TRACING = ("logs:", "xray:")


def state_machine(synth: Any, stem: str) -> tuple[str, dict[str, Any]]:
    """The deployed machine of ``infra/state_machines/<stem>.asl.json``: its logical id and properties."""
    [(logical_id, machine)] = [
        (k, v)
        for k, v in synth.properties(STATE_MACHINE).items()
        if v["StateMachineName"] == f"socialcare-{stem}-{synth.stage}"
    ]
    return logical_id, machine


def asl_actions(asl: Path) -> set[str]:
    """The IAM actions the Task states of an ASL file call."""
    states = json.loads(asl.read_text())["States"]
    resources = {s["Resource"].removeprefix("arn:aws:states:::") for s in states.values() if s["Type"] == "Task"}
    assert resources <= set(INTEGRATION_ACTIONS), f"an integration this test does not know: {resources}"
    return {INTEGRATION_ACTIONS[r] for r in resources}


def machine_grants(synth: Any, machine: dict[str, Any]) -> dict[str, list[Any]]:
    """What a machine's role allows besides logging and tracing: action -> the resources it is allowed on."""
    role_id = ref_id(machine["RoleArn"])
    assert role_id is not None
    granted: dict[str, list[Any]] = {}
    for statement in role_statements(synth.template, role_id):
        assert statement.effect == "Allow"
        for action in statement.actions:
            if not action.startswith(LOGGING_AND_TRACING):
                granted.setdefault(action, []).extend(statement.resources)
    return granted


def failed_execution_alarm(synth: Any, machine_id: str) -> dict[str, Any]:
    """The alarm on the machine's failed executions."""
    [alarm] = [
        a
        for a in synth.properties("AWS::CloudWatch::Alarm").values()
        if a.get("Namespace") == "AWS/States"
        and a["MetricName"] == "ExecutionsFailed"
        and ref_id(a["Dimensions"][0]["Value"]) == machine_id
    ]
    return alarm


def machine_role_grants(template: dict[str, Any], role_id: str) -> dict[str, list[Any]]:
    """A state machine role's grants, action -> resources, without its logging and tracing."""
    granted: dict[str, list[Any]] = {}
    for statement in role_statements(template, role_id):
        assert statement.effect == "Allow"
        for action in statement.actions:
            if not action.startswith(("logs:", "xray:")):
                granted.setdefault(action, []).extend(statement.resources)
    return granted


def bucket_id(template: dict[str, Any], logical_name: str) -> str:
    """The logical id of the bucket whose name starts with ``logical_name`` (``socialcare-raw``...)."""
    [found] = [
        k
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::S3::Bucket" and join_text(v["Properties"]["BucketName"]).startswith(logical_name + "-")
    ]
    return str(found)
