"""The real webhook and ingest Lambda handlers, run in process on moto.

The handlers are loaded by file path (exactly the deployed files) with the environment they
require; HTTP requests become the events the webhook's function URL sends (``build_function_url_event``); the
ingest function is fed by the local stack's SQS event-source-mapping stand-in (``QueuePoller``),
which batches, honours ``batchItemFailures`` and lets SQS's redrive policy move poison messages
to the DLQ. Failed records are made visible again at once, so retries take no wall time.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError
from socialcare import constants as c
from socialcare.model.accounts import brand_accounts_setting
from socialcare_local.emulator.function_url import build_function_url_event
from socialcare_local.emulator.functions import LambdaContext, load_function
from socialcare_local.emulator.pollers import PollerSettings, QueuePoller

from tests.conftest import AwsResources
from tests.platform_fixtures import TELEGRAM_BOT_ID, encode, signed_headers

# The brand the fixtures are written for: its Page, Instagram account and WhatsApp number, its X
# user and its Telegram bot (tests/platform_fixtures.py signs as that bot).
BRAND_ACCOUNTS = brand_accounts_setting(
    meta=("104729835600142", "17841405822304914", "106540352242922"), x=("2244994945",), telegram=(TELEGRAM_BOT_ID,)
)


# The project's event bus as the tests create it, and what its rule for the leads delivers.
EVENT_BUS = "socialcare-events-test"


def bus_to_queue(aws: AwsResources) -> str:
    """The bus, with a rule sending every ``socialcare`` event to a queue (the URL returned), as the
    local stack's notifications rule does."""
    import boto3
    from socialcare.model.escalation import EVENT_SOURCE

    events = boto3.client("events", region_name="us-east-1")
    events.create_event_bus(Name=EVENT_BUS)
    url = aws.sqs.create_queue(QueueName="lead-notices")["QueueUrl"]
    arn = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="leads", EventBusName=EVENT_BUS, EventPattern=json.dumps({"source": [EVENT_SOURCE]}))
    events.put_targets(Rule="leads", EventBusName=EVENT_BUS, Targets=[{"Id": "queue", "Arn": arn}])
    return str(url)


def bus_events(aws: AwsResources, url: str) -> list[dict[str, Any]]:
    """The events the bus's rule delivered since the last call (each read once)."""
    found: list[dict[str, Any]] = []
    while messages := aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages"):
        found += [json.loads(m["Body"]) for m in messages]
        for m in messages:
            aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return found


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        assert self.headers.get("content-type", "").startswith("application/json"), self.headers
        return json.loads(self.body)


class Lambdas:
    """Both functions on one moto account. With ``own_clients`` the functions make their boto3
    clients exactly as in AWS; otherwise they reuse the test's (same moto backend, no per-test
    client start-up cost)."""

    def __init__(self, aws: AwsResources, monkeypatch: pytest.MonkeyPatch, *, own_clients: bool = False) -> None:
        self.aws = aws
        self.own_clients = own_clients
        for name, value in {
            c.ENV_INBOUND_QUEUE_URL: aws.queue_url,
            c.ENV_RAW_BUCKET: aws.bucket,
            c.ENV_RAW_STREAMS: aws.raw_streams_setting,
            c.ENV_PLATFORM_SECRET_ARN: aws.secret_id,
            c.ENV_TABLE_NAME: aws.table_name,
            c.ENV_BRAND_ACCOUNTS: BRAND_ACCOUNTS,
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }.items():
            monkeypatch.setenv(name, value)
        self.webhook: ModuleType = load_function("webhook")
        self.ingest: ModuleType = load_function("ingest")
        self.reset()
        queue_arn = aws.sqs.get_queue_attributes(QueueUrl=aws.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.poller = QueuePoller(
            sqs=aws.sqs,
            queue_url=aws.queue_url,
            queue_arn=queue_arn,
            handler=self.ingest.handler,
            function_name="socialcare-ingest",
            settings=PollerSettings(retry_delay_s=0),
        )
        self.batches: list[list[str]] = []  # message ids of every batch handed to ingest

    def reset(self) -> None:
        if self.own_clients:
            self.webhook.wire()
            self.ingest.wire()
        else:
            self.webhook.wire(clients={"s3": self.aws.s3, "sqs": self.aws.sqs, "secretsmanager": self.aws.secrets})
            self.ingest.wire(clients={"dynamodb": self.aws.dynamodb, "s3": self.aws.s3, "sqs": self.aws.sqs})

    def close(self) -> None:
        self.webhook.wire()
        self.ingest.wire()

    # --- HTTP through the function URL's event format ----------------------------------------------
    def request(
        self,
        method: str,
        platform: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        path: str | None = None,
    ) -> HttpResponse:
        """``method`` on ``/webhooks/<platform>`` (or on ``path``, any path the URL may be sent)."""
        event = build_function_url_event(
            method=method,
            raw_path=path if path is not None else f"/webhooks/{platform}",
            raw_query=urlencode(query or {}),
            headers=list((headers or {}).items()),
            body=body,
        )
        result = self.webhook.handler(event, LambdaContext(function_name="socialcare-webhook"))
        headers_out = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        return HttpResponse(int(result["statusCode"]), headers_out, (result.get("body") or "").encode("utf-8"))

    def post(self, platform: str, payload: Any) -> HttpResponse:
        """POST a payload exactly as the platform serialises and signs it."""
        body = payload if isinstance(payload, bytes) else encode(platform, payload)
        return self.request("POST", platform, body=body, headers=signed_headers(platform, body))

    def accept(self, platform: str, payload: Any) -> dict[str, Any]:
        response = self.post(platform, payload)
        assert response.status == 200, response.body
        doc: dict[str, Any] = response.json()
        return doc

    # --- the queue --------------------------------------------------------------------------------
    def receive(self, *, max_messages: int = 10) -> list[dict[str, Any]]:
        return list(
            self.aws.sqs.receive_message(
                QueueUrl=self.aws.queue_url,
                MaxNumberOfMessages=max_messages,
                WaitTimeSeconds=0,
                VisibilityTimeout=60,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages")
            or []
        )

    def drain(self, *, max_batches: int = 200, batch_size: int = 10) -> int:
        """Run the event source mapping until the queue is empty; returns the batches run."""
        for count in range(max_batches):
            messages = self.receive(max_messages=batch_size)
            if not messages:
                assert self.queue_depth() == 0
                return count
            self.batches.append([m["MessageId"] for m in messages])
            self.poller.process(messages)
        raise AssertionError(f"queue not empty after {max_batches} batches")

    def sqs_event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The Lambda SQS event an event source mapping builds from received messages."""
        return {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": {
                        "ApproximateReceiveCount": m["Attributes"]["ApproximateReceiveCount"],
                        "SentTimestamp": m["Attributes"]["SentTimestamp"],
                        "SenderId": m["Attributes"]["SenderId"],
                        "ApproximateFirstReceiveTimestamp": m["Attributes"]["ApproximateFirstReceiveTimestamp"],
                    },
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.poller.queue_arn,
                    "awsRegion": "us-east-1",
                }
                for m in messages
            ]
        }

    def invoke_ingest(self, messages: list[dict[str, Any]]) -> Any:
        return self.ingest.handler(self.sqs_event(messages), LambdaContext(function_name="socialcare-ingest"))

    def queue_depth(self, queue_url: str | None = None) -> int:
        attributes = self.aws.sqs.get_queue_attributes(
            QueueUrl=queue_url or self.aws.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(v) for v in attributes.values())

    def dlq_messages(self) -> list[dict[str, Any]]:
        return list(
            self.aws.sqs.receive_message(
                QueueUrl=self.aws.dlq_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["All"],
            ).get("Messages")
            or []
        )

    # --- what was kept ----------------------------------------------------------------------------
    def raw_keys(self) -> list[str]:
        """The raw bucket's objects: deliveries too big for the queue, and the raw archive's."""
        listing = self.aws.s3.list_objects_v2(Bucket=self.aws.bucket)
        return [o["Key"] for o in listing.get("Contents", [])]

    def raw_object(self, key: str) -> bytes:
        """The delivery kept under ``key`` (an envelope's or the unmatched log's), as replay reads it."""
        from socialcare.aws.raw_store import RawDeliveryStore

        data = RawDeliveryStore(self.aws.bucket, client=self.aws.s3).find(key)
        assert data is not None, f"{key} is neither a raw object nor archived"
        return data

    def items(self, entity: str) -> list[dict[str, Any]]:
        """Test-only inspection of the whole table (request paths never scan)."""
        found: list[dict[str, Any]] = []
        for page in self.aws.dynamodb.get_paginator("scan").paginate(
            TableName=self.aws.table_name,
            FilterExpression="entity = :e",
            ExpressionAttributeValues={":e": {"S": entity}},
        ):
            found += page["Items"]
        return found

    def stored_message_ids(self) -> list[str]:
        """The platform message id of every thread entry, one per stored message (duplicates kept)."""
        return sorted(i["platform_message_id"]["S"] for i in self.items("entry"))


class FlakyDynamoDB:
    """A DynamoDB client that forwards every call to the real (moto) client, except that chosen
    TransactWriteItems calls fail the way DynamoDB fails them under throttling.

    ``fail_calls`` are 1-based numbers of TransactWriteItems calls to fail; ``fail_when`` fails every
    call whose request mentions that string (a hot key that keeps throttling).
    """

    def __init__(self, client: Any, *, fail_calls: set[int] = frozenset(), fail_when: str | None = None) -> None:  # type: ignore[assignment]
        self._client = client
        self.fail_calls = set(fail_calls)
        self.fail_when = fail_when
        self.transactions = 0
        self.throttled = 0

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.transactions += 1
        if self.transactions in self.fail_calls or (self.fail_when and self.fail_when in json.dumps(kwargs)):
            self.throttled += 1
            raise ClientError(
                {
                    "Error": {
                        "Code": "ThrottlingException",
                        "Message": "Rate of requests exceeds the allowed throughput.",
                    },
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                "TransactWriteItems",
            )
        return self._client.transact_write_items(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class UnavailableDynamoDB:
    """A DynamoDB client shared by concurrent invocations that forwards every call to the real
    (moto) client, except during an outage: the next ``failures`` calls of any operation (reads
    and writes alike) fail as DynamoDB fails when it is unavailable, then the next ``lost_answers``
    writes are applied but their answers are lost (the caller sees an error for a write that
    happened), then the table is healthy again. ``down()`` fails every call until ``up()``.
    ``latency_s`` is the network round trip every call takes, failed or not: other threads run
    meanwhile, as they do while a real client waits for an answer (in-process moto answers without
    letting go of the interpreter, so concurrent invocations would hardly ever overlap).

    Counting calls rather than time keeps the outage the same size however fast the machine is.
    """

    WRITES = frozenset({"transact_write_items", "put_item", "update_item", "delete_item", "batch_write_item"})

    def __init__(self, client: Any, *, failures: int = 0, lost_answers: int = 0, latency_s: float = 0.0) -> None:
        self._client = client
        self._latency_s = latency_s
        self._operations = frozenset(client.meta.method_to_api_mapping)
        self._lock = threading.Lock()
        self._failures_left = failures
        self._lost_left = lost_answers
        self._down = False
        self.failed = 0
        self.lost: list[str] = []  # the requests (as JSON) that were applied but answered with an error

    def down(self) -> None:
        with self._lock:
            self._down = True

    def up(self) -> None:
        with self._lock:
            self._down = False
            self._failures_left = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name not in self._operations:
            return attribute  # exceptions, meta, paginators: as they are

        def call(**kwargs: Any) -> Any:
            if self._latency_s:
                time.sleep(self._latency_s)
            with self._lock:
                fail = self._down or self._failures_left > 0
                if fail:
                    self._failures_left = max(0, self._failures_left - 1)
                    self.failed += 1
                lose = not fail and name in self.WRITES and self._lost_left > 0
                if lose:
                    self._lost_left -= 1
            if fail:
                raise _unavailable(name)
            result = attribute(**kwargs)
            if lose:
                with self._lock:
                    self.lost.append(json.dumps(kwargs, default=str))
                raise _unavailable(name)
            return result

        return call


def _unavailable(operation: str) -> ClientError:
    api = "".join(part.title() for part in operation.split("_"))
    return ClientError(
        {
            "Error": {"Code": "ServiceUnavailable", "Message": "The service is currently unavailable."},
            "ResponseMetadata": {"HTTPStatusCode": 503},
        },
        api,
    )


def redrive(sqs: Any, dlq_url: str, source_url: str) -> list[str]:
    """Move every message of a dead-letter queue back to its source queue, as an operator's redrive
    script does (receive, send the body and attributes unchanged, delete); returns the bodies moved.
    SQS's StartMessageMoveTask does the same in AWS; moto does not implement it."""
    moved: list[str] = []
    while True:
        messages = (
            sqs.receive_message(
                QueueUrl=dlq_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                VisibilityTimeout=60,
                MessageAttributeNames=["All"],
            ).get("Messages")
            or []
        )
        if not messages:
            return moved
        for message in messages:
            attributes = {
                name: {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
                for name, value in (message.get("MessageAttributes") or {}).items()
            }
            sqs.send_message(
                QueueUrl=source_url,
                MessageBody=message["Body"],
                **({"MessageAttributes": attributes} if attributes else {}),
            )
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved.append(message["Body"])
