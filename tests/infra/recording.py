"""Least privilege, compared both ways: the AWS calls code makes, and what a synthesised role grants.

A call and a grant are both reduced to (IAM action, resource label). The labels name the deployed
resources by their part in the system, so moto's names and the template's logical ids compare:

==========================  =====================================================================
label                       what it is
==========================  =====================================================================
``table``                   the table's items (``<Table.Arn>``)
``table/index/<GSI>``       one of its indexes (``<Table.Arn>/index/<GSI>``)
``bucket/raw/*``            objects under ``RAW_KEY_PREFIX`` of the raw bucket
``bucket/reports/*``        objects under ``REPORTS_KEY_PREFIX`` of the reports bucket
``bucket:reports``          the reports bucket itself (ListBucket, limited to that prefix)
``raw-archive``             the raw archive's Firehose streams (one per platform, all granted together)
``queue:<key>``             the inbound or outbound queue (``<Queue.Arn>``)
``secret:<key>``            the platform or API secret (``<Secret>``, whose Ref is its ARN)
``metrics:<namespace>``     CloudWatch metrics of one namespace (``*`` under a ``cloudwatch:namespace``
                            condition: PutMetricData has no resource type)
==========================  =====================================================================

Anything else keeps a name that cannot match (``unknown:...``), so a call to a resource no role
may reach, or a grant on one, makes the comparison fail and says which.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import botocore.client
import pytest
from socialcare import constants as c
from socialcare_infra import access

from tests.infra.conftest import Synthesised
from tests.infra.helpers import bucket_id, join_text, ref_id, role_statements

Grant = tuple[str, str]  # (IAM action, resource label)

# IAM checks each action inside TransactWriteItems, not the call itself.
TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
# Granted to every function for its own log group and X-Ray: not data access, checked in test_security.
OBSERVABILITY = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# What Lambda's SQS event source mapping calls with the function's role, never the function itself.
CONSUMED_BY_LAMBDA = set(access.SQS_CONSUME)
RAW_OBJECTS = f"bucket/{c.RAW_KEY_PREFIX}*"
# Where a client's signing name is not its IAM prefix.
IAM_PREFIX = {"monitoring": "cloudwatch"}
REPORT_OBJECTS = f"bucket/{c.REPORTS_KEY_PREFIX}*"
RAW_ARCHIVE = "raw-archive"
REPORTS_BUCKET = "bucket:reports"
# GetObject of a report not stored answers 404 only to a caller that may list the prefix (403 otherwise):
# the grant is needed though the code never calls ListBucket itself.
LIST_FOR_MISSING_REPORTS = ("s3:ListBucket", REPORTS_BUCKET)


@dataclass
class CallRecorder:
    """Every AWS API call made while ``active``, as (IAM action, request parameters)."""

    active: bool = False
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @contextlib.contextmanager
    def recording(self) -> Iterator[None]:
        self.active = True
        try:
            yield
        finally:
            self.active = False

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Calls that belong to someone else (a customer's message ingested mid-send)."""
        was, self.active = self.active, False
        try:
            yield
        finally:
            self.active = was

    def take(self) -> list[tuple[str, dict[str, Any]]]:
        taken, self.calls = self.calls, []
        return taken


def record_aws_calls(monkeypatch: pytest.MonkeyPatch) -> CallRecorder:
    """Every boto3 call of the process goes through the recorder (which records while active)."""
    record = CallRecorder()
    original = botocore.client.BaseClient._make_api_call

    def observed(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if record.active:
            signing = client.meta.service_model.signing_name
            prefix = IAM_PREFIX.get(signing, signing)
            if operation == "TransactWriteItems":
                for item in params["TransactItems"]:
                    for kind, inner in item.items():
                        record.calls.append((f"dynamodb:{TRANSACTION_ACTIONS[kind]}", inner))
            else:
                record.calls.append((f"{prefix}:{operation}", params))
        return original(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", observed)
    return record


@dataclass(frozen=True)
class MotoLabels:
    """The moto resources a test runs against, by label."""

    table: str
    bucket: str
    queues: Mapping[str, str]  # queue URL -> access key (inbound, outbound)
    secrets: Mapping[str, str]  # secret ARN -> access key (platform, api)
    state_machines: Mapping[str, str] = field(default_factory=dict)  # state machine ARN -> file stem
    event_bus: str | None = None  # the project's event bus (its name)
    # The machine whose task tokens SendTaskSuccess/SendTaskFailure answer (the call names a token, not
    # a machine; IAM checks it against the machine that issued the token).
    task_tokens_of: str | None = None
    reports_bucket: str = "-"  # the reports bucket (its name)
    raw_streams: frozenset[str] = frozenset()  # the raw archive's Firehose streams (their names)

    def used(self, calls: list[tuple[str, dict[str, Any]]]) -> set[Grant]:
        return {(action, label) for action, params in calls for label in self._labels(action, params)}

    def _labels(self, action: str, params: Mapping[str, Any]) -> set[str]:
        service = action.split(":", 1)[0]
        if service == "dynamodb":
            tables = set(params.get("RequestItems", {})) or {params["TableName"]}
            labels = {"table" if t == self.table else f"unknown:table:{t}" for t in tables}
            if "IndexName" in params:
                labels = {f"{label}/index/{params['IndexName']}" for label in labels}
            return labels
        if service == "s3":
            key = str(params["Key"])
            if params["Bucket"] == self.bucket and key.startswith(c.RAW_KEY_PREFIX):
                return {RAW_OBJECTS}
            if params["Bucket"] == self.reports_bucket and key.startswith(c.REPORTS_KEY_PREFIX):
                return {REPORT_OBJECTS}
            return {f"unknown:s3:{params['Bucket']}/{key}"}
        if service == "sqs":
            url = params["QueueUrl"]
            return {f"queue:{self.queues[url]}" if url in self.queues else f"unknown:queue:{url}"}
        if service == "states" and "taskToken" in params:
            return {f"state-machine:{self.task_tokens_of}" if self.task_tokens_of else "unknown:task-token"}
        if service == "states":
            arn = params["stateMachineArn"]
            machine = self.state_machines.get(arn)
            return {f"state-machine:{machine}" if machine else f"unknown:state-machine:{arn}"}
        if service == "events":
            buses = {entry.get("EventBusName") for entry in params["Entries"]}
            return {"event-bus" if bus == self.event_bus else f"unknown:event-bus:{bus}" for bus in buses}
        if service == "firehose":
            stream = params["DeliveryStreamName"]
            return {RAW_ARCHIVE if stream in self.raw_streams else f"unknown:firehose:{stream}"}
        if service == "cloudwatch":
            return {f"metrics:{params['Namespace']}"}
        if service == "secretsmanager":
            arn = params["SecretId"]
            return {f"secret:{self.secrets[arn]}" if arn in self.secrets else f"unknown:secret:{arn}"}
        return {f"unknown:{service}:{sorted(params)}"}


def template_labels(synth: Synthesised) -> dict[str, str]:
    """The readable form (``join_text``) of each granted resource -> its label."""
    [table] = synth.resources("AWS::DynamoDB::Table")
    bucket = bucket_id(synth.template, c.RAW_BUCKET_LOGICAL_NAME)
    reports = bucket_id(synth.template, c.REPORTS_BUCKET_LOGICAL_NAME)
    stage = synth.stage
    queues = {p["QueueName"]: k for k, p in synth.properties("AWS::SQS::Queue").items()}
    secrets = {p["Name"]: k for k, p in synth.properties("AWS::SecretsManager::Secret").items()}
    labels = {
        f"<{table}.Arn>": "table",
        f"<{bucket}.Arn>/{c.RAW_KEY_PREFIX}*": RAW_OBJECTS,
        f"<{reports}.Arn>/{c.REPORTS_KEY_PREFIX}*": REPORT_OBJECTS,
        f"<{reports}.Arn>": REPORTS_BUCKET,
        f"<{queues[f'{c.INBOUND_QUEUE_LOGICAL_NAME}-{stage}']}.Arn>": f"queue:{access.INBOUND}",
        f"<{queues[f'{c.OUTBOUND_QUEUE_LOGICAL_NAME}-{stage}']}.Arn>": f"queue:{access.OUTBOUND}",
        f"<{secrets[f'{c.PLATFORM_SECRET_NAME}/{stage}']}>": f"secret:{access.PLATFORM_SECRET}",
        f"<{secrets[f'{c.API_SECRET_NAME}/{stage}']}>": f"secret:{access.API_SECRET}",
    }
    labels[f"<{table}.StreamArn>"] = "table/stream"
    for logical_id, props in synth.properties("AWS::KinesisFirehose::DeliveryStream").items():
        if str(props["DeliveryStreamName"]).startswith(f"{c.RAW_STREAM_LOGICAL_NAME}-"):
            labels[f"<{logical_id}.Arn>"] = RAW_ARCHIVE
    for logical_id in synth.resources("AWS::Events::EventBus"):
        labels[f"<{logical_id}.Arn>"] = "event-bus"
    for logical_id, props in synth.properties("AWS::StepFunctions::StateMachine").items():
        stem = str(props["StateMachineName"]).removeprefix("socialcare-").removesuffix(f"-{stage}")
        labels[f"<{logical_id}>"] = f"state-machine:{stem}"
    for name, logical_id in queues.items():
        if name == f"socialcare-clock-failures-{stage}":
            labels[f"<{logical_id}.Arn>"] = "queue:clock-failures"
    for index in synth.template["Resources"][table]["Properties"].get("GlobalSecondaryIndexes", []):
        labels[f"<{table}.Arn>/index/{index['IndexName']}"] = f"table/index/{index['IndexName']}"
    return labels


def granted(synth: Synthesised, role_id: str) -> set[Grant]:
    """Every (action, resource label) the role allows, observability left out."""
    labels = template_labels(synth)
    found: set[Grant] = set()
    for statement in role_statements(synth.template, role_id):
        assert statement.effect == "Allow"
        for action in statement.actions:
            if action in OBSERVABILITY:
                continue
            namespace = statement.conditions.get("StringEquals", {}).get("cloudwatch:namespace")
            for resource in statement.resources:
                text = join_text(resource)
                label = f"metrics:{namespace}" if text == "*" and namespace else labels.get(text, f"unknown:{text}")
                found.add((action, label))
    return found


def consumed_queue(synth: Synthesised, function_logical_id: str) -> str | None:
    """The label of the queue an event source mapping feeds the function from (None: none does)."""
    labels = template_labels(synth)
    sources = [
        p["EventSourceArn"]
        for p in synth.properties("AWS::Lambda::EventSourceMapping").values()
        if ref_id(p["FunctionName"]) == function_logical_id and "StartingPosition" not in p  # SQS, not a stream
    ]
    assert len(sources) <= 1, sources
    return labels[join_text(sources[0])] if sources else None


def function_grants(synth: Synthesised, function_logical_id: str) -> set[Grant]:
    """What the function's own code may call: its role's grants less what its event source calls.

    The event source's actions must be exactly the consumer actions on the queue it reads.
    """
    props = synth.template["Resources"][function_logical_id]["Properties"]
    role = ref_id(props["Role"])
    assert role, function_logical_id
    grants = granted(synth, role)
    grants -= stream_mapping_grants(synth, function_logical_id, grants)
    queue = consumed_queue(synth, function_logical_id)
    by_lambda = {(action, label) for action, label in grants if action in CONSUMED_BY_LAMBDA}
    assert by_lambda == ({(action, queue) for action in CONSUMED_BY_LAMBDA} if queue else set())
    return grants - by_lambda


# What a DynamoDB stream event source mapping calls with the function's role: the stream reads, and
# the on-failure queue's sends (CDK's SqsDlq binding).
STREAM_MAPPING = {(action, "table/stream") for action in access.STREAM_READ} | {
    (action, "unknown:*") for action in access.STREAM_LIST
}
ON_FAILURE = {
    (action, "queue:clock-failures") for action in ("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")
}


def stream_mapping_grants(synth: Synthesised, function_logical_id: str, grants: set[Grant]) -> set[Grant]:
    """The grants a stream mapping of the function uses, which must all be there; empty when none feeds it."""
    fed = any(
        ref_id(p["FunctionName"]) == function_logical_id and "StartingPosition" in p
        for p in synth.properties("AWS::Lambda::EventSourceMapping").values()
    )
    if not fed:
        return set()
    assert grants >= STREAM_MAPPING, STREAM_MAPPING - grants
    return STREAM_MAPPING | (ON_FAILURE & grants)
