"""The outbound Lambda handler under moto (DynamoDB, SQS, Secrets Manager), talking HTTP to the
platform sandbox's reply API: partial batch failures, retry delays, the DLQ after maxReceiveCount,
duplicate messages in one batch, configuration, and what it logs."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.aws.case_store import MessageRef
from socialcare.aws.outbound_store import OutboundStore, SendState
from socialcare.model.case import Case
from socialcare.model.events import DeliveryState
from socialcare_local.emulator.functions import LambdaContext

from tests.conftest import AwsResources
from tests.integration.outbound_rig import OutboundFunction, customer_writes, outbound_function
from tests.outbound_support import queue_reply, store_pending_reply

pytestmark = pytest.mark.integration


@dataclass
class Rig(OutboundFunction):
    outbound: OutboundStore | None = None

    def customer_writes(self, psid: str, text: str = "Where is my order?") -> Case:
        return customer_writes(self.store, self.reply_api, psid, text)

    def reply(self, case: Case, psid: str, **kw: Any) -> Any:
        request = store_pending_reply(
            self.aws.dynamodb,
            self.aws.table_name,
            case,
            now_ms=time.time_ns() // 1_000_000,
            channel=case_channel(),
            recipient_id=psid,
            **kw,
        )
        queue_reply(self.aws.sqs, self.queue_url, request)
        return request

    def hidden(self) -> int:
        attributes = self.aws.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["All"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def entry(self, request: Any) -> Any:
        assert self.outbound is not None
        return self.outbound.get(MessageRef(request.case_id, request.entry_id))


def case_channel() -> Any:
    from socialcare.model.events import Channel

    return Channel.MESSENGER


@pytest.fixture
def rig(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    with outbound_function(aws, monkeypatch) as function:
        yield Rig(**vars(function), outbound=OutboundStore(aws.table_name, client=aws.dynamodb))


def test_a_batch_reports_only_the_replies_to_retry_and_hides_them_for_their_delay(rig: Rig) -> None:
    steady, throttled = rig.customer_writes("psid-steady"), rig.customer_writes("psid-throttled")
    first = rig.reply(steady, "psid-steady")
    rig.aws.sqs.send_message(QueueUrl=rig.queue_url, MessageBody='{"v": 1, "case_id": "no entry id"}')
    rig.reply_api.throttle(1, platform="meta", retry_after_s=120)
    # The first call made is throttled: queue the throttled customer's reply first.
    second = rig.reply(throttled, "psid-throttled")
    messages = rig.receive()
    ordered = sorted(messages, key=lambda m: 0 if "psid-throttled" in m["Body"] else 1)
    event = {"Records": [rig.poller._record(m) for m in ordered]}
    result = rig.handler.handler(event, LambdaContext(function_name="socialcare-test-outbound"))

    by_body = {m["MessageId"]: m["Body"] for m in messages}
    failed = sorted(by_body[f["itemIdentifier"]] for f in result["batchItemFailures"])
    assert len(failed) == 2
    assert any("psid-throttled" in body for body in failed)
    assert any("no entry id" in body for body in failed)
    assert rig.entry(first).entry.delivery_state is DeliveryState.SENT
    assert rig.entry(second).send_state is SendState.WAITING
    # Meta said "in 2 minutes" (its usage header): the message stays hidden that long.
    assert "retrying in 121 s" in (rig.entry(second).entry.delivery_error or "")
    for message in messages:
        if "psid-steady" in message["Body"]:
            rig.aws.sqs.delete_message(QueueUrl=rig.queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert rig.receive() == []
    assert rig.hidden() == 2


def test_throttled_then_sent_on_redelivery(rig: Rig) -> None:
    case = rig.customer_writes("psid-ann")
    request = rig.reply(case, "psid-ann")
    rig.reply_api.throttle(1, platform="meta")
    first = rig.run_batch()
    assert rig.entry(request).send_state is SendState.WAITING
    assert rig.receive() == []  # hidden for the backoff delay
    rig.time_passes(first)
    rig.run_batch()
    assert rig.entry(request).entry.delivery_state is DeliveryState.SENT
    assert [(call.status, call.fault) for call in rig.reply_api.calls(endpoint="messenger")] == [
        (400, "throttle"),
        (200, None),
    ]
    assert rig.hidden() == 0
    assert rig.receive() == []


def test_after_max_receives_the_reply_is_failed_and_its_message_is_in_the_dlq(rig: Rig) -> None:
    case = rig.customer_writes("psid-bob")
    request = rig.reply(case, "psid-bob", text="Never gets through")
    rig.reply_api.fail(100, platform="meta", status=503)
    for receive in range(1, c.OUTBOUND_MAX_RECEIVE_COUNT + 1):
        messages = rig.run_batch()
        assert len(messages) == 1, f"receive {receive}"
        rig.time_passes(messages)
    stored = rig.entry(request)
    assert (stored.entry.delivery_state, stored.send_state) == (DeliveryState.FAILED, SendState.GAVE_UP)
    assert f"not delivered after {c.OUTBOUND_MAX_RECEIVE_COUNT} attempts" in (stored.entry.delivery_error or "")
    assert "dead-letter queue" in (stored.entry.delivery_error or "")
    assert rig.run_batch() == []  # the next receive moves it to the DLQ
    dead = rig.aws.sqs.receive_message(QueueUrl=rig.dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["entry_id"] for m in dead] == [request.entry_id]
    calls = rig.reply_api.calls(endpoint="messenger")
    assert [(call.status, call.fault) for call in calls] == [(503, "fail")] * c.OUTBOUND_MAX_RECEIVE_COUNT


def test_the_same_reply_twice_in_one_batch_is_sent_once(rig: Rig) -> None:
    case = rig.customer_writes("psid-dup")
    request = rig.reply(case, "psid-dup")
    queue_reply(rig.aws.sqs, rig.queue_url, request)  # SQS delivered it twice
    messages = rig.run_batch()
    assert len(messages) == 2
    sent = [call for call in rig.reply_api.calls(endpoint="messenger") if call.accepted]
    assert len(sent) == 1
    assert rig.entry(request).platform_message_ids == (sent[0].message_id,)
    assert rig.store.get_case(case.case_id).message_count == 2
    assert rig.receive() == []
    assert rig.hidden() == 0


def test_logs_carry_the_case_id_and_never_the_text_or_a_token(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    case = rig.customer_writes("psid-log")
    request = rig.reply(case, "psid-log", text="Secret-ish words the log must not contain")
    caplog.clear()
    logger = rig.handler.logger
    level = logger.log_level
    logger.setLevel(logging.INFO)  # whatever level an earlier test loaded the module with
    try:
        with caplog.at_level(logging.INFO):
            rig.run_batch()
    finally:
        logger.setLevel(level)
    formatter = logger.registered_formatter  # the function's own JSON lines
    out = "\n".join(formatter.format(record) for record in caplog.records if record.levelno >= logging.INFO)
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    processed = [line for line in lines if line.get("message") == "reply processed"]
    assert processed
    assert processed[0]["correlation_id"] == case.case_id
    assert processed[0]["outcome"] == "sent"
    assert "Secret-ish words" not in out
    assert "local-page-token" not in out
    assert rig.entry(request).entry.delivery_state is DeliveryState.SENT


def test_configuration_names_a_missing_variable(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(c.ENV_OUTBOUND_QUEUE_URL)
    with pytest.raises(RuntimeError, match=c.ENV_OUTBOUND_QUEUE_URL):
        rig.handler.OutboundConfig.from_env()
    monkeypatch.setenv(c.ENV_OUTBOUND_QUEUE_URL, "https://sqs.example/q")
    monkeypatch.setenv(c.ENV_OUTBOUND_RETRY_BASE_S, "soon")
    with pytest.raises(RuntimeError, match=c.ENV_OUTBOUND_RETRY_BASE_S):
        rig.handler.OutboundConfig.from_env()
    monkeypatch.delenv(c.ENV_META_GRAPH_URL)
    monkeypatch.delenv(c.ENV_OUTBOUND_RETRY_BASE_S)
    config = rig.handler.OutboundConfig.from_env()
    assert config.meta_graph_url == c.META_GRAPH_URL
    assert config.max_receives == c.OUTBOUND_MAX_RECEIVE_COUNT


def test_a_record_is_not_started_when_the_invocation_is_about_to_time_out(rig: Rig) -> None:
    case = rig.customer_writes("psid-late")
    request = rig.reply(case, "psid-late")
    messages = rig.receive()
    almost_out = LambdaContext(function_name="socialcare-test-outbound", timeout_s=3)
    result = rig.handler.handler({"Records": [rig.poller._record(m) for m in messages]}, almost_out)
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [messages[0]["MessageId"]]
    assert rig.entry(request).entry.delivery_state is DeliveryState.PENDING  # untouched, not claimed
    assert rig.reply_api.calls() == []
    rig.time_passes(messages)
    rig.run_batch()
    assert rig.entry(request).entry.delivery_state is DeliveryState.SENT
