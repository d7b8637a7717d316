"""Ingest function: throughput, DynamoDB requests and write units per message, and its cost over
the bare DynamoDB writes it has to make.

The whole ingest path is the deployed handler fed Lambda SQS events as the webhook sends them:
envelope decoding (the events the webhook parsed), the raw bodies archived (one Firehose PutRecordBatch
per batch), threading (one keyed read), the transactional write, logging and metrics. The bare writes are
exactly the write requests that path made, replayed on a fresh table of the same backend.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

from botocore import xform_name

from tests.bench.ddb_cost import WRITE_OPERATIONS, DynamoDBCalls
from tests.bench.setup import LambdaContext, load_function, messenger_delivery, sqs_record

MESSAGES = 1000
PER_DELIVERY = 10  # messages per webhook delivery (one SQS message)
PER_BATCH = 10  # SQS messages per invocation (the event source mapping's batch size)
CUSTOMERS = 200


@dataclass(frozen=True)
class IngestFigures:
    messages: int
    stored: int
    invocations: int
    seconds: float
    requests_per_message: float
    requests_by_operation: dict[str, int]
    duplicate_requests_per_message: float
    bare_seconds: float

    @property
    def messages_per_second(self) -> float:
        return self.stored / self.seconds

    @property
    def ratio(self) -> float:
        return self.seconds / self.bare_seconds


def _events(queue_arn: str) -> list[dict[str, Any]]:
    from socialcare.model.envelope import DeliveryEnvelope
    from socialcare.platforms.base import Verification
    from socialcare.platforms.registry import get_adapter
    from socialcare.webhook.service import raw_key_for
    from socialcare_local.sandbox.payloads import encode_meta

    records = []
    for first in range(0, MESSAGES, PER_DELIVERY):
        body = encode_meta(messenger_delivery(first, PER_DELIVERY, customers=CUSTOMERS))
        received = int(time.time() * 1000)
        # As the webhook sends it: the raw body, and the events it parsed from it.
        parsed = get_adapter("meta").parse(body, Verification(received_at_ms=received))
        envelope = DeliveryEnvelope(
            delivery_id=f"bench{first:06d}",
            platform="meta",
            received_at_ms=received,
            raw_key=raw_key_for("meta", received, f"bench{first:06d}"),
            body=body.decode("ascii"),
            events=parsed.events,
        )
        records.append(sqs_record(envelope.to_json(), queue_arn))
    return [{"Records": records[i : i + PER_BATCH]} for i in range(0, len(records), PER_BATCH)]


def _invoke(ingest: Any, event: dict[str, Any]) -> None:
    result = ingest.handler(event, LambdaContext())
    if result.get("batchItemFailures"):
        raise RuntimeError(f"ingest failed bench records: {result['batchItemFailures']}")


def _stored_messages(dynamodb: Any, table: str) -> int:
    """Messages in the bench customers' current cases (each has one), read back with GetItem."""
    from socialcare import constants as c
    from socialcare.aws import keys
    from socialcare.aws.current_copy import copy_to_case

    from tests.bench.setup import PAGE

    total = 0
    for customer in range(CUSTOMERS):
        key = {
            c.PARTITION_KEY: {"S": keys.customer_pk(PAGE, f"psid-{customer}")},
            c.SORT_KEY: {"S": keys.CURRENT_SK},
        }
        item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        total += copy_to_case(item).message_count if item else 0
    return total


def run(resources: dict[str, str], queue_arn: str) -> IngestFigures:
    import boto3
    from socialcare import constants as c
    from socialcare.aws.schema import create_table_kwargs

    os.environ.update(resources)
    calls = DynamoDBCalls.installed()
    ingest = load_function("ingest")
    ingest.wire()
    events = _events(queue_arn)
    # Warm: build the clients (a cold start is not what this measures) on a delivery of its own.
    warm_body = events[0]["Records"][0]["body"].replace("m_bench_", "m_warm_").replace("psid-", "psid-warm-")
    _invoke(ingest, {"Records": [sqs_record(warm_body, queue_arn)]})

    calls.recording = True
    started = time.perf_counter()
    for event in events:
        _invoke(ingest, event)
    seconds = time.perf_counter() - started
    recorded = calls.take()

    _invoke(ingest, events[0])  # a platform retry of the first batch: every message a duplicate
    duplicate_calls = calls.take()
    calls.recording = False

    dynamodb = boto3.client("dynamodb")
    table = resources[c.ENV_TABLE_NAME]
    stored = _stored_messages(dynamodb, table)

    # The bare writes: exactly the write requests ingest made, replayed on a fresh table.
    bare_table = f"{table}-bare"
    dynamodb.create_table(**create_table_kwargs(bare_table))
    writes = [
        (xform_name(op), json.loads(json.dumps(params).replace(json.dumps(table), json.dumps(bare_table))))
        for op, params in recorded
        if op in WRITE_OPERATIONS
    ]
    bare_started = time.perf_counter()
    for op, params in writes:
        getattr(dynamodb, op)(**params)
    bare_seconds = time.perf_counter() - bare_started

    by_operation: dict[str, int] = {}
    for op, _ in recorded:
        by_operation[op] = by_operation.get(op, 0) + 1
    duplicates = PER_DELIVERY * PER_BATCH
    return IngestFigures(
        messages=MESSAGES,
        stored=stored,
        invocations=len(events),
        seconds=seconds,
        requests_per_message=len(recorded) / stored,
        requests_by_operation=by_operation,
        duplicate_requests_per_message=len(duplicate_calls) / duplicates,
        bare_seconds=bare_seconds,
    )
