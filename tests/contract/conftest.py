"""The contract suite: the same tests against each implementation of a port.

``backend`` is parametrised over the DynamoDB/SQS/S3 adapters (on moto, through the ``aws``
fixture) and the in-memory twins; a test asks for it and uses only the ports plus the few
inspection helpers below, which each backend provides its own way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
from socialcare.model.case import ThreadEntry
from socialcare.ports import (
    CaseClocks,
    CaseRepository,
    DeliveryQueue,
    FollowUps,
    OutboundQueue,
    OutboundRepository,
    RawArchive,
    RawStore,
)

from tests.conftest import AwsResources


class Backend(Protocol):
    name: str
    cases: CaseRepository
    outbound: OutboundRepository
    raw: RawStore
    archive: RawArchive
    deliveries: DeliveryQueue
    replies: OutboundQueue
    clocks: CaseClocks
    follow_ups: FollowUps

    def thread(self, case_id: str) -> list[ThreadEntry]: ...
    def put_entry(self, entry: ThreadEntry) -> None: ...
    def unmatched(self, platform: str, day: str) -> list[dict[str, Any]]: ...
    def received_deliveries(self) -> list[tuple[str, dict[str, str]]]: ...
    def receive_replies(self) -> list[tuple[str, dict[str, str], str]]: ...
    def clock_inputs(self) -> dict[str, dict[str, str]]: ...
    def follow_up_inputs(self) -> dict[str, dict[str, str]]: ...


@dataclass
class DynamoBackend:
    aws: AwsResources
    outbound_queue_url: str
    name: str = "aws"

    def __post_init__(self) -> None:
        import boto3
        from socialcare.aws.case_clocks import StepFunctionsCaseClocks, StepFunctionsFollowUps
        from socialcare.aws.case_store import CaseStore
        from socialcare.aws.delivery_queue import DeliveryQueue as SqsDeliveryQueue
        from socialcare.aws.outbound_queue import OutboundQueue as SqsOutboundQueue
        from socialcare.aws.outbound_store import OutboundStore
        from socialcare.aws.raw_archive import FirehoseArchive
        from socialcare.aws.raw_store import RawDeliveryStore

        aws = self.aws
        self.cases = CaseStore(aws.table_name, client=aws.dynamodb)
        self.outbound = OutboundStore(aws.table_name, client=aws.dynamodb)
        self.raw = RawDeliveryStore(aws.bucket, client=aws.s3)
        self.archive = FirehoseArchive(aws.raw_streams, client=boto3.client("firehose", region_name="us-east-1"))
        self.deliveries = SqsDeliveryQueue(aws.queue_url, client=aws.sqs)
        self.replies = SqsOutboundQueue(self.outbound_queue_url, client=aws.sqs)
        self._sfn, self._clock_arn = _recorded_machine("case-clock")
        self.clocks = StepFunctionsCaseClocks(self._clock_arn, client=self._sfn)
        _, self._follow_up_arn = _recorded_machine("follow-up")
        self.follow_ups = StepFunctionsFollowUps(self._follow_up_arn, client=self._sfn)

    def clock_inputs(self) -> dict[str, dict[str, str]]:
        return self._inputs(self._clock_arn)

    def follow_up_inputs(self) -> dict[str, dict[str, str]]:
        return self._inputs(self._follow_up_arn)

    def _inputs(self, machine_arn: str) -> dict[str, dict[str, str]]:
        """Each execution's name and input (moto only records them here: the engine is off)."""
        return {
            e["name"]: json.loads(self._sfn.describe_execution(executionArn=e["executionArn"])["input"])
            for e in self._sfn.list_executions(stateMachineArn=machine_arn)["executions"]
        }

    def thread(self, case_id: str) -> list[ThreadEntry]:
        return self.cases.thread(case_id)  # type: ignore[attr-defined,no-any-return]

    def put_entry(self, entry: ThreadEntry) -> None:
        from socialcare.aws.entry_items import entry_item

        self.aws.dynamodb.put_item(
            TableName=self.aws.table_name, Item=entry_item(entry), ConditionExpression="attribute_not_exists(PK)"
        )

    def unmatched(self, platform: str, day: str) -> list[dict[str, Any]]:
        from tests.table_support import unmatched

        return unmatched(self.aws.dynamodb, self.aws.table_name, platform, day)

    def _receive(self, url: str) -> list[dict[str, Any]]:
        return list(
            self.aws.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageAttributeNames=["All"]
            ).get("Messages")
            or []
        )

    def received_deliveries(self) -> list[tuple[str, dict[str, str]]]:
        return [(m["Body"], _attributes(m)) for m in self._receive(self.aws.queue_url)]

    def receive_replies(self) -> list[tuple[str, dict[str, str], str]]:
        return [(m["Body"], _attributes(m), m["ReceiptHandle"]) for m in self._receive(self.outbound_queue_url)]


def _recorded_machine(name: str) -> tuple[Any, str]:
    """A state machine to start executions of (its definition does not matter to the adapter)."""
    import boto3

    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    arn = sfn.create_state_machine(name=name, definition=definition, roleArn=f"arn:aws:iam::123456789012:role/{name}")[
        "stateMachineArn"
    ]
    return sfn, arn


def _attributes(message: dict[str, Any]) -> dict[str, str]:
    return {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}


@dataclass
class MemoryBackend:
    name: str = "memory"

    def __post_init__(self) -> None:
        from socialcare.memory.case_clocks import MemoryCaseClocks, MemoryFollowUps
        from socialcare.memory.case_store import MemoryCaseStore
        from socialcare.memory.outbound_store import MemoryOutboundStore
        from socialcare.memory.queues import MemoryDeliveryQueue, MemoryOutboundQueue
        from socialcare.memory.raw_store import MemoryRawArchive, MemoryRawStore
        from socialcare.memory.table import MemoryTable

        self.table = MemoryTable()
        self.cases = self._cases = MemoryCaseStore(self.table)
        self.outbound = MemoryOutboundStore(self.table)
        self.raw = MemoryRawStore()
        self.archive = MemoryRawArchive(self.raw)
        self.deliveries = self._deliveries = MemoryDeliveryQueue()
        self.replies = self._replies = MemoryOutboundQueue()
        self.clocks = self._clocks = MemoryCaseClocks()
        self.follow_ups = self._follow_ups = MemoryFollowUps()

    def clock_inputs(self) -> dict[str, dict[str, str]]:
        return dict(self._clocks.started)

    def follow_up_inputs(self) -> dict[str, dict[str, str]]:
        return dict(self._follow_ups.started)

    def thread(self, case_id: str) -> list[ThreadEntry]:
        return self._cases.thread(case_id)

    def put_entry(self, entry: ThreadEntry) -> None:
        self.table.put_entry(entry)

    def unmatched(self, platform: str, day: str) -> list[dict[str, Any]]:
        return self.table.unmatched_rows(platform, day)

    def received_deliveries(self) -> list[tuple[str, dict[str, str]]]:
        return [(m.body, m.attributes) for m in self._deliveries.receive()]

    def receive_replies(self) -> list[tuple[str, dict[str, str], str]]:
        return [(m.body, m.attributes, m.receipt_handle or "") for m in self._replies.receive()]


@pytest.fixture(params=["aws", "memory"])
def backend(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryBackend()
        return
    from socialcare.aws import schema

    aws: AwsResources = request.getfixturevalue("aws")
    dlq = aws.sqs.create_queue(QueueName="outbound-dlq", Attributes=schema.DLQ_ATTRIBUTES)["QueueUrl"]
    dlq_arn = aws.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = aws.sqs.create_queue(QueueName="outbound", Attributes=schema.outbound_queue_attributes(dlq_arn))["QueueUrl"]
    yield DynamoBackend(aws, url)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here carries the ``contract`` marker (``pytest -m contract``)."""
    here = __file__.rpartition("/")[0]
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.contract)
