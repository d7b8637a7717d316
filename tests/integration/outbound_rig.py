"""What the outbound handler's integration tests set up alike: the outbound queue with its DLQ,
the platforms' secret, the platform sandbox's reply API the function talks to, the real outbound
function fed by the local stack's queue poller (``outbound_function``), and a customer whose message
or comment opens a case (the platform knows of it, so the reply window is open)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.aws import schema
from socialcare.aws.case_store import CaseStore
from socialcare.clock import system_clock
from socialcare.ingest.service import Ingestor
from socialcare.model.case import Case
from socialcare.platforms.base import Verification
from socialcare.platforms.meta import MetaAdapter
from socialcare_local.config import load_config
from socialcare_local.emulator.functions import load_function
from socialcare_local.emulator.pollers import PollerSettings, QueuePoller
from socialcare_local.sandbox import payloads as p
from socialcare_local.sandbox.reply_api import ReplyApi

from tests.conftest import AwsResources

CONFIG = load_config(None)
PAGE = CONFIG.accounts.facebook_page_id or ""
INSTAGRAM = CONFIG.accounts.instagram_account_id or ""


@dataclass(frozen=True)
class OutboundQueues:
    queue_url: str
    dlq_url: str


def outbound_queues(aws: AwsResources) -> OutboundQueues:
    """The outbound queue and its dead-letter queue, with the stack's attributes."""
    dlq_url = aws.sqs.create_queue(QueueName="outbound-dlq", Attributes=schema.DLQ_ATTRIBUTES)["QueueUrl"]
    dlq_arn = aws.sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = schema.outbound_queue_attributes(dlq_arn)
    queue_url = aws.sqs.create_queue(QueueName="outbound", Attributes=attributes)["QueueUrl"]
    return OutboundQueues(queue_url, dlq_url)


def start_reply_api(
    aws: AwsResources, monkeypatch: pytest.MonkeyPatch, queue_url: str, settings: Mapping[str, str] | None = None
) -> ReplyApi:
    """The reply API, started, and the outbound function's environment (plus ``settings``) set for it."""
    secret = aws.secrets.create_secret(
        Name="socialcare/platforms-local", SecretString=json.dumps(dict(CONFIG.secret_document))
    )
    reply_api = ReplyApi(CONFIG).start()
    environment = {
        c.ENV_TABLE_NAME: aws.table_name,
        c.ENV_OUTBOUND_QUEUE_URL: queue_url,
        c.ENV_PLATFORM_SECRET_ARN: secret["ARN"],
        **(settings or {}),
        **reply_api.environment(),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return reply_api


def customer_writes(store: CaseStore, reply_api: ReplyApi, psid: str, text: str) -> Case:
    """The customer writes on Messenger now; their message is ingested and opens (or joins) a case."""
    ts = time.time_ns() // 1_000_000
    body = p.encode_meta(
        p.meta_delivery(
            "page", [p.meta_entry(PAGE, [p.messenger_message(PAGE, psid, f"m_in_{psid}", text, ts)], time=ts)]
        )
    )
    return _ingested(store, reply_api, body, PAGE, psid)


def customer_comments(
    store: CaseStore, reply_api: ReplyApi, *, instagram: bool, user: str, comment_id: str, text: str
) -> Case:
    """The customer comments on a post of the Page (or of the Instagram account) now; the comment is
    ingested and opens (or joins) their case, and the platform knows the comment."""
    ts = time.time_ns() // 1_000_000
    if instagram:
        change = p.instagram_comment(comment_id, user, f"user{user[-4:]}", text, "17850000000000999")
        body = p.encode_meta(p.meta_delivery("instagram", [p.meta_entry(INSTAGRAM, [change], time=ts // 1000)]))
    else:
        change = p.facebook_comment(PAGE, f"{PAGE}_2001", comment_id, user, "Casey Critic", text, ts // 1000)
        body = p.encode_meta(p.meta_delivery("page", [p.meta_entry(PAGE, [change], time=ts // 1000)]))
    return _ingested(store, reply_api, body, INSTAGRAM if instagram else PAGE, user)


def _ingested(store: CaseStore, reply_api: ReplyApi, body: bytes, account: str, user: str) -> Case:
    reply_api.observe("meta", body)  # the platform knows the customer wrote (the window is open)
    Ingestor(store, clock=system_clock).ingest(MetaAdapter().parse(body, Verification()))
    case = store.current_case(account, [user]).case
    assert case is not None
    return case


@dataclass
class OutboundFunction:
    """The real outbound function on moto, fed by a queue poller as Lambda's event source mapping would."""

    aws: AwsResources
    handler: ModuleType
    reply_api: ReplyApi
    store: CaseStore
    queue_url: str
    dlq_url: str
    poller: QueuePoller

    def receive(self) -> list[dict[str, Any]]:
        return list(
            self.aws.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=30,
                MessageSystemAttributeNames=["All"],
            ).get("Messages", [])
        )

    def run_batch(self) -> list[dict[str, Any]]:
        """One event-source-mapping round: receive, invoke, delete the successes (as Lambda does)."""
        messages = self.receive()
        if messages:
            self.poller.process(messages)
        return messages

    def time_passes(self, messages: list[dict[str, Any]]) -> None:
        """The retry delays the handler set are over: the messages are visible again."""
        for message in messages:
            with contextlib.suppress(self.aws.sqs.exceptions.ClientError):  # deleted: it succeeded
                self.aws.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )


@contextlib.contextmanager
def outbound_function(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[OutboundFunction]:
    queues = outbound_queues(aws)
    reply_api = start_reply_api(aws, monkeypatch, queues.queue_url)
    handler = load_function(c.OUTBOUND_FUNCTION)
    handler.wire()
    poller = QueuePoller(
        sqs=aws.sqs,
        queue_url=queues.queue_url,
        queue_arn="arn:aws:sqs:us-east-1:123456789012:outbound",
        handler=handler.handler,
        function_name="socialcare-test-outbound",
        settings=PollerSettings(batch_size=c.OUTBOUND_BATCH_SIZE, keep_failed_visibility=True),
    )
    store = CaseStore(aws.table_name, client=aws.dynamodb)
    try:
        yield OutboundFunction(aws, handler, reply_api, store, queues.queue_url, queues.dlq_url, poller)
    finally:
        handler.wire()
        reply_api.stop()
