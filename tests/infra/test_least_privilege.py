"""The deployed roles allow exactly what the functions do: run them (moto) and compare with the template.

The webhook and ingest handlers process real, signed deliveries end to end: new messages, a
follow-up, an edit, a WhatsApp customer known by two ids, a delivery status, and a delivery too big
to travel inline. Every AWS call they make is recorded and turned into the IAM action it needs; the
set must equal the data actions the synthesised role grants: a missing grant would fail in AWS with
AccessDenied, a surplus one is a privilege nobody uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.client
import pytest
from socialcare import constants as c
from socialcare_local.functions import LambdaContext, load_function, reset_function
from socialcare_local.http_gateway import build_http_api_event
from socialcare_local.sandbox import payloads as p
from socialcare_local.sandbox.signing import meta_request

from tests.conftest import TEST_CREDENTIALS, AwsResources
from tests.infra.conftest import Synthesised
from tests.infra.helpers import function_id, ref_id, role_statements

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

PAGE, WABA, PHONE = "104729561127193", "102290129340398", "106540352242922"
T0 = 1_767_225_600_000
CONSUMED_BY_LAMBDA = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
OBSERVABILITY = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


@dataclass
class CallRecorder:
    """Every AWS API call made while ``active``, as (IAM action, request parameters)."""

    active: bool = False
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def actions(self) -> set[str]:
        return {action for action, _ in self.calls}


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> CallRecorder:
    record = CallRecorder()
    original = botocore.client.BaseClient._make_api_call

    def observed(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if record.active:
            prefix = client.meta.service_model.signing_name
            if operation == "TransactWriteItems":  # IAM checks each contained action, not the call
                for item in params["TransactItems"]:
                    for kind in item:
                        record.calls.append((f"dynamodb:{TRANSACTION_ACTIONS[kind]}", item[kind]))
            else:
                record.calls.append((f"{prefix}:{operation}", params))
        return original(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", observed)
    return record


@pytest.fixture
def handlers(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    env = {
        c.ENV_INBOUND_QUEUE_URL: aws.queue_url,
        c.ENV_RAW_BUCKET: aws.bucket,
        c.ENV_PLATFORM_SECRET_ARN: aws.secret_id,
        c.ENV_TABLE_NAME: aws.table_name,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    modules = {name: load_function(name) for name in (c.WEBHOOK_FUNCTION, c.INGEST_FUNCTION)}
    for module in modules.values():
        reset_function(module)
    yield modules
    for module in modules.values():
        reset_function(module)


def post_meta(webhook: Any, payload: dict[str, Any], recorder: CallRecorder) -> None:
    body, headers = meta_request(TEST_CREDENTIALS["meta"]["app_secrets"][0], payload)
    event = build_http_api_event(
        method="POST",
        raw_path="/webhooks/meta",
        raw_query="",
        headers=list(headers.items()),
        body=body,
        platform="meta",
    )
    recorder.active = True
    try:
        response = webhook.handler(event, LambdaContext(function_name="socialcare-webhook-test"))
    finally:
        recorder.active = False
    assert response["statusCode"] == 200, response


def drain_into_ingest(aws: AwsResources, ingest: Any, recorder: CallRecorder) -> int:
    received = aws.sqs.receive_message(
        QueueUrl=aws.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
    ).get("Messages", [])
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(T0)},
            "messageAttributes": {},
            "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:inbound",
            "awsRegion": "us-east-1",
        }
        for m in received
    ]
    recorder.active = True
    try:
        result = ingest.handler({"Records": records}, LambdaContext(function_name="socialcare-ingest-test"))
    finally:
        recorder.active = False
    assert result == {"batchItemFailures": []}
    for m in received:
        aws.sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=m["ReceiptHandle"])
    return len(records)


def granted_data_actions(prod: Synthesised, function: str) -> set[str]:
    role = ref_id(prod.template["Resources"][function_id(prod.template, function)]["Properties"]["Role"])
    assert role
    actions = {a for s in role_statements(prod.template, role) for a in s.actions}
    return actions - OBSERVABILITY


def test_roles_grant_exactly_the_calls_webhook_and_ingest_make(
    prod: Synthesised, aws: AwsResources, handlers: dict[str, Any], recorder: CallRecorder
) -> None:
    webhook, ingest = handlers[c.WEBHOOK_FUNCTION], handlers[c.INGEST_FUNCTION]
    webhook_calls: list[tuple[str, dict[str, Any]]] = []
    ingest_calls: list[tuple[str, dict[str, Any]]] = []

    def step(payload: dict[str, Any]) -> None:
        post_meta(webhook, payload, recorder)
        webhook_calls.extend(recorder.calls)
        recorder.calls.clear()
        assert drain_into_ingest(aws, ingest, recorder) == 1
        ingest_calls.extend(recorder.calls)
        recorder.calls.clear()

    def page(*events: dict[str, Any]) -> dict[str, Any]:
        return p.meta_delivery("page", [p.meta_entry(PAGE, events, time=T0)])

    step(page(p.messenger_message(PAGE, "psid-1", "m_1", "Where is my parcel? 📦", T0)))
    step(page(p.messenger_message(PAGE, "psid-1", "m_2", "Any news?", T0 + 60_000)))
    step(page(p.messenger_edit(PAGE, "psid-1", "m_2", "Any news, please?", 1, T0 + 90_000)))
    step(page(p.messenger_message(PAGE, "psid-2", "m_3", "x" * (c.MAX_INLINE_DELIVERY_BYTES + 1), T0 + 120_000)))

    def waba(change: dict[str, Any]) -> dict[str, Any]:
        return p.meta_delivery("whatsapp_business_account", [p.meta_entry(WABA, [change])])

    wa_time = T0 // 1000 + 200
    step(waba(p.whatsapp_message(PHONE, "447700900123", "wamid.A1", "Hello", wa_time, user_id="bsuid-77")))
    step(waba(p.whatsapp_status(PHONE, "wamid.A1", "read", "447700900123", wa_time + 100)))

    webhook_used = {action for action, _ in webhook_calls}
    ingest_used = {action for action, _ in ingest_calls}
    assert webhook_used == granted_data_actions(prod, c.WEBHOOK_FUNCTION)
    assert ingest_used == granted_data_actions(prod, c.INGEST_FUNCTION) - CONSUMED_BY_LAMBDA

    # And on the resources granted: the one table (no index), raw objects under the prefix only.
    for action, params in webhook_calls + ingest_calls:
        if action.startswith("dynamodb:"):
            tables = set(params.get("RequestItems", {})) or {params.get("TableName")}
            assert tables == {aws.table_name}, (action, tables)
            assert "IndexName" not in params, "no index is granted to these functions"
        if action.startswith("s3:"):
            assert params["Bucket"] == aws.bucket
            assert params["Key"].startswith(c.RAW_KEY_PREFIX), params["Key"]
