"""Reading a synthesised template: references, roles and their statements, functions."""

from __future__ import annotations

from dataclasses import dataclass
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


def role_statements(template: dict[str, Any], role_id: str) -> list[Statement]:
    """Every statement that applies to ``role_id``: its inline policies and the policies attached to it."""
    resources = template["Resources"]
    documents = [p["PolicyDocument"] for p in resources[role_id]["Properties"].get("Policies", [])]
    for resource in resources.values():
        roles = resource.get("Properties", {}).get("Roles", [])
        if resource["Type"] == "AWS::IAM::Policy" and role_id in [ref_id(r) for r in roles]:
            documents.append(resource["Properties"]["PolicyDocument"])
    return [
        Statement(s["Effect"], tuple(as_list(s["Action"])), tuple(as_list(s.get("Resource", []))))
        for doc in documents
        for s in doc["Statement"]
    ]


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
            for s in doc["Statement"]:
                statement = Statement(s["Effect"], tuple(as_list(s["Action"])), tuple(as_list(s.get("Resource", []))))
                found.append((logical_id, statement))
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


def bucket_id(template: dict[str, Any], logical_name: str) -> str:
    """The logical id of the bucket whose name starts with ``logical_name`` (``socialcare-raw``...)."""
    [found] = [
        k
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::S3::Bucket" and join_text(v["Properties"]["BucketName"]).startswith(logical_name + "-")
    ]
    return str(found)
