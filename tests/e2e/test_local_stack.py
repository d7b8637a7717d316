"""The local stack's own machinery, with stand-in functions: the function URL translation and the
queue pollers' event-source-mapping semantics (batches, partial failures, crashes, the DLQ)."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from socialcare import constants as c
from socialcare_local.emulator.pollers import PollerSettings
from socialcare_local.stack import LocalStack, StackAlreadyRunning

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


class FakeFunctions:
    """Stand-ins for the webhook and ingest functions that record what they were given."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.batches: list[list[dict[str, Any]]] = []
        self.fail_bodies: set[str] = set()
        self.crash_bodies: set[str] = set()

    def webhook(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        body = event.get("body", "")
        if body == "raise":
            raise RuntimeError("webhook function crashed")
        if body == "binary-reply":
            return {"statusCode": 202, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
        return {
            "statusCode": 200,
            "headers": {"content-type": "application/json", "x-function": context.function_name},
            "body": json.dumps(event),
        }

    def ingest(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        records = event["Records"]
        with self.lock:
            self.batches.append(records)
        if any(r["body"] in self.crash_bodies for r in records):
            raise RuntimeError("ingest function crashed")
        return {
            "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records if r["body"] in self.fail_bodies]
        }

    def bodies_seen(self) -> list[str]:
        with self.lock:
            return [r["body"] for batch in self.batches for r in batch]


@pytest.fixture(scope="module")
def fakes() -> FakeFunctions:
    return FakeFunctions()


@pytest.fixture(scope="module")
def stack(fakes: FakeFunctions) -> Iterator[LocalStack]:
    settings = PollerSettings(wait_time_s=1, retry_delay_s=1, concurrency=2)
    with LocalStack(webhook_handler=fakes.webhook, ingest_handler=fakes.ingest, poller_settings=settings) as running:
        yield running


def _echo(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


# --- the function URL translation ---------------------------------------------------------------
def test_post_becomes_a_function_url_event_with_the_exact_body(stack: LocalStack) -> None:
    raw = '{"text":"Grüße \\u00e4","emoji":"🙂"}'.encode()
    response = requests.post(
        stack.webhook_url("meta") + "?a=1&a=2&hub.mode=x%20y",
        data=raw,
        headers={"X-Hub-Signature-256": "sha256=abc", "Content-Type": "application/json"},
        timeout=5,
    )
    event = _echo(response)
    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "$default"
    assert event["rawPath"] == "/webhooks/meta"
    assert event["rawQueryString"] == "a=1&a=2&hub.mode=x%20y"
    assert event["queryStringParameters"] == {"a": "1,2", "hub.mode": "x y"}
    assert "pathParameters" not in event
    domain = event["requestContext"]["domainName"]
    assert domain.endswith(".lambda-url.us-east-1.on.aws")
    assert event["requestContext"]["domainPrefix"] == domain.split(".")[0]
    assert event["headers"]["x-hub-signature-256"] == "sha256=abc"
    assert all(name == name.lower() for name in event["headers"])
    assert event["isBase64Encoded"] is False
    assert event["body"].encode("utf-8") == raw
    http = event["requestContext"]["http"]
    assert (http["method"], http["path"], http["sourceIp"]) == ("POST", "/webhooks/meta", "127.0.0.1")
    assert event["requestContext"]["requestId"]
    assert abs(event["requestContext"]["timeEpoch"] - time.time() * 1000) < 60_000
    assert response.headers["x-function"] == "socialcare-local-webhook"


def test_a_body_that_is_not_utf8_travels_base64_encoded(stack: LocalStack) -> None:
    raw = b"\xff\xfe\x00binary"
    event = _echo(requests.post(stack.webhook_url("x"), data=raw, timeout=5))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


def test_get_has_query_parameters_and_no_body(stack: LocalStack) -> None:
    event = _echo(requests.get(stack.webhook_url("x"), params={"crc_token": "abc"}, timeout=5))
    assert event["routeKey"] == "$default"
    assert event["queryStringParameters"] == {"crc_token": "abc"}
    assert "body" not in event


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("POST", "/webhooks"), ("POST", "/webhooks/meta/extra"), ("PUT", "/webhooks/meta"), ("GET", "/x")],
)
def test_every_path_and_method_reaches_the_function_as_a_function_url_does(
    stack: LocalStack, method: str, path: str
) -> None:
    event = _echo(requests.request(method, stack.webhook_base_url + path, timeout=5))
    assert (event["requestContext"]["http"]["method"], event["rawPath"]) == (method, path)


def test_a_body_over_the_function_urls_6_mb_limit_is_413_before_the_function_runs(stack: LocalStack) -> None:
    response = requests.post(stack.webhook_url("meta"), data=b"x" * (6 * 1024 * 1024 + 1), timeout=10)
    assert response.status_code == 413


def test_a_crashing_function_is_a_502(stack: LocalStack) -> None:
    response = requests.post(stack.webhook_url("telegram"), data=b"raise", timeout=5)
    assert response.status_code == 502
    assert response.json() == {"message": "Internal Server Error"}


def test_base64_responses_are_decoded(stack: LocalStack) -> None:
    response = requests.post(stack.webhook_url("telegram"), data=b"binary-reply", timeout=5)
    assert response.status_code == 202
    assert response.content == b"\x00\x01"


def test_chunked_bodies_arrive_whole(stack: LocalStack) -> None:
    chunks = (part for part in (b'{"a":', b'"b"}'))
    event = _echo(requests.post(stack.webhook_url("meta"), data=chunks, timeout=5))
    assert event["body"] == '{"a":"b"}'


def test_keep_alive_connections_are_reused(stack: LocalStack) -> None:
    with requests.Session() as session:
        for _ in range(3):
            assert session.post(stack.webhook_url("meta"), data=b"{}", timeout=5).status_code == 200


# --- the queue pollers ------------------------------------------------------------------------
def _send(stack: LocalStack, *bodies: str) -> None:
    sqs = stack.client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=stack.resources.inbound_queue_url, MessageBody=body)


def test_records_have_the_lambda_sqs_shape(stack: LocalStack, fakes: FakeFunctions) -> None:
    _send(stack, "shape-check")
    stack.wait_until_idle(timeout_s=20)
    record = next(r for batch in fakes.batches for r in batch if r["body"] == "shape-check")
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == stack.resources.inbound_queue_arn
    assert record["awsRegion"] == stack.region
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["attributes"]["SentTimestamp"].isdigit()
    assert record["messageId"]
    assert record["receiptHandle"]


def test_a_batch_is_up_to_ten_messages(stack: LocalStack, fakes: FakeFunctions) -> None:
    stack.inbound_poller.stop()  # type: ignore[union-attr]
    try:
        _send(stack, *(f"batch-{i}" for i in range(15)))
    finally:
        stack.inbound_poller.start()  # type: ignore[union-attr]
    stack.wait_until_idle(timeout_s=20)
    sizes = [len(b) for b in fakes.batches if any(r["body"].startswith("batch-") for r in b)]
    assert sum(sizes) == 15
    assert max(sizes) <= c.INGEST_BATCH_SIZE
    assert max(sizes) > 1


def test_failed_records_are_retried_and_the_rest_deleted(stack: LocalStack, fakes: FakeFunctions) -> None:
    fakes.fail_bodies.add("flaky")
    _send(stack, "steady", "flaky")
    deadline = time.monotonic() + 15
    while fakes.bodies_seen().count("flaky") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    fakes.fail_bodies.discard("flaky")
    stack.wait_until_idle(timeout_s=20)
    assert fakes.bodies_seen().count("steady") == 1
    assert fakes.bodies_seen().count("flaky") >= 2


def test_a_crash_retries_the_whole_batch(stack: LocalStack, fakes: FakeFunctions) -> None:
    fakes.crash_bodies.add("crash-once")
    _send(stack, "crash-once")
    deadline = time.monotonic() + 15
    while "crash-once" not in fakes.bodies_seen() and time.monotonic() < deadline:
        time.sleep(0.05)
    fakes.crash_bodies.discard("crash-once")
    stack.wait_until_idle(timeout_s=20)
    assert fakes.bodies_seen().count("crash-once") == 2
    assert stack.inbound_poller.function_errors >= 1  # type: ignore[union-attr]


def test_a_poison_message_ends_in_the_dlq_intact_after_max_receive_count(
    stack: LocalStack, fakes: FakeFunctions
) -> None:
    poison = '{"not": "an envelope", "ü": 1}'
    fakes.fail_bodies.add(poison)
    _send(stack, poison)
    stack.wait_until_idle(timeout_s=30)
    assert fakes.bodies_seen().count(poison) == c.INBOUND_MAX_RECEIVE_COUNT
    sqs = stack.client("sqs")
    received = sqs.receive_message(QueueUrl=stack.resources.inbound_dlq_url, MaxNumberOfMessages=10)
    assert [m["Body"] for m in received["Messages"]] == [poison]


# --- the operator's view and the environment ------------------------------------------------
def _operator_client(stack: LocalStack, service: str, key_id: str, secret: str) -> Any:
    """A client as an operator makes one: the stack's endpoint URL, any credentials."""
    return boto3.client(
        service,
        endpoint_url=stack.aws_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )


def test_the_operator_reaches_the_aws_services_at_the_endpoint_url(stack: LocalStack) -> None:
    dynamodb = _operator_client(stack, "dynamodb", "anything", "anything")
    table = dynamodb.describe_table(TableName=stack.resources.table_name)["Table"]
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {
        c.CUSTOMER_INDEX,
        c.CLOCK_INDEX,
        *c.LIST_INDEXES,
    }
    sqs = _operator_client(stack, "sqs", "a", "b")
    attributes = sqs.get_queue_attributes(QueueUrl=stack.resources.inbound_queue_url, AttributeNames=["All"])
    redrive = json.loads(attributes["Attributes"]["RedrivePolicy"])
    assert redrive == {
        "deadLetterTargetArn": stack.resources.inbound_dlq_arn,
        "maxReceiveCount": c.INBOUND_MAX_RECEIVE_COUNT,
    }
    secret = stack.client("secretsmanager").get_secret_value(SecretId=stack.resources.platform_secret_arn)
    assert json.loads(secret["SecretString"]) == dict(stack.config.secret_document)


def test_the_functions_environment_points_at_the_stack(stack: LocalStack) -> None:
    assert os.environ["AWS_ENDPOINT_URL"] == stack.aws_endpoint_url
    assert os.environ[c.ENV_TABLE_NAME] == stack.resources.table_name
    assert os.environ[c.ENV_INBOUND_QUEUE_URL] == stack.resources.inbound_queue_url
    assert os.environ[c.ENV_PLATFORM_SECRET_ARN] == stack.resources.platform_secret_arn


def test_only_one_stack_runs_per_process(stack: LocalStack) -> None:
    with pytest.raises(StackAlreadyRunning):
        LocalStack().start()
    assert stack.running
