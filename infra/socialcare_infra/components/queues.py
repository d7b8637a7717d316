"""SQS queues, each with its dead-letter queue and redrive, from the definitions in ``aws/schema.py``."""

from __future__ import annotations

import json
from collections.abc import Callable

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from socialcare.aws import schema

from socialcare_infra.checks import acknowledge
from socialcare_infra.names import ResourceNames


def dead_letter_queue(scope: Construct, id: str, *, queue_name: str, acknowledged_as: str | None = None) -> sqs.Queue:
    """A queue that keeps what could not be delivered: the DLQ retention of the schema, SSE, TLS only.

    ``acknowledged_as`` is the reason it needs no DLQ of its own (cdk-nag AwsSolutions-SQS3) when it is
    not attached as one through ``dead_letter_queue=`` (where cdk-nag sees that by itself)."""
    queue = sqs.Queue(
        scope,
        id,
        queue_name=queue_name,
        retention_period=Duration.seconds(int(schema.DLQ_ATTRIBUTES["MessageRetentionPeriod"])),
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        removal_policy=RemovalPolicy.DESTROY,
    )
    if acknowledged_as:
        acknowledge(queue, "AwsSolutions-SQS3", acknowledged_as)
    return queue


class QueueWithDlq(Construct):
    """A queue whose messages move to its DLQ after maxReceiveCount receives; SSE and TLS-only on both.

    ``attributes`` is the schema function that gives the queue's SQS attributes for a DLQ ARN (the
    local stack calls the same function), so visibility, retention and redrive cannot drift.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        queue_name: str,
        dlq_name: str,
        attributes: Callable[[str], dict[str, str]],
    ) -> None:
        super().__init__(scope, id)
        spec = attributes("dlq-arn")
        redrive = json.loads(spec["RedrivePolicy"])
        self.max_receive_count = int(redrive["maxReceiveCount"])
        self.dlq = dead_letter_queue(self, "Dlq", queue_name=dlq_name)
        self.queue = sqs.Queue(
            self,
            "Queue",
            queue_name=queue_name,
            visibility_timeout=Duration.seconds(int(spec["VisibilityTimeout"])),
            retention_period=Duration.seconds(int(spec["MessageRetentionPeriod"])),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dlq, max_receive_count=self.max_receive_count),
            removal_policy=RemovalPolicy.DESTROY,
        )


class Queues(Construct):
    """The inbound (webhook -> ingest) and outbound (agent API -> outbound sender) queues."""

    def __init__(self, scope: Construct, id: str, *, names: ResourceNames) -> None:
        super().__init__(scope, id)
        self.inbound = QueueWithDlq(
            self,
            "Inbound",
            queue_name=names.inbound_queue,
            dlq_name=names.inbound_dlq,
            attributes=schema.inbound_queue_attributes,
        )
        self.outbound = QueueWithDlq(
            self,
            "Outbound",
            queue_name=names.outbound_queue,
            dlq_name=names.outbound_dlq,
            attributes=schema.outbound_queue_attributes,
        )

    def by_key(self, key: str) -> QueueWithDlq:
        return {"inbound": self.inbound, "outbound": self.outbound}[key]
