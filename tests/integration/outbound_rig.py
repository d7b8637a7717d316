"""What the outbound handler's integration tests set up alike: the outbound queue with its DLQ,
the platforms' secret, the platform sandbox's reply API the function talks to, and a customer
whose message opens a case (the platform knows of it, so the reply window is open)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

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
from socialcare_local.sandbox import payloads as p
from socialcare_local.sandbox.reply_api import ReplyApi

from tests.conftest import AwsResources

CONFIG = load_config(None)
PAGE = CONFIG.accounts.facebook_page_id or ""


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
    reply_api.observe("meta", body)  # the platform knows the customer wrote: the window is open
    Ingestor(store, clock=system_clock).ingest(MetaAdapter().parse(body, Verification()))
    case = store.current_case(PAGE, [psid]).case
    assert case is not None
    return case
