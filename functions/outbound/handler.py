"""Outbound function: SQS batches of agents' replies, each sent to its platform exactly once.

Thin: parses each record into an ``OutboundRequest`` and calls the core's ``OutboundSender``.
A record to be retried (throttled, platform error, function short of time) is reported as a
batch item failure after its visibility is set to the retry delay, so SQS delivers it again
then; after the queue's maxReceiveCount it moves to the dead-letter queue (the sender has
already marked the reply FAILED on its last receive). Logs carry the case id as correlation
id and never the reply's text or a token.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from socialcare import constants as c
from socialcare.environment import positive_number, required

logger = Logger(service="outbound")
metrics = Metrics(namespace="socialcare", service="outbound")
tracer = Tracer(service="outbound")
# A batch whose every record is to be retried is reported as such, not raised: raising would make
# Lambda treat the invocation as failed, while the records' retry delays are already set.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@dataclass(frozen=True)
class OutboundConfig:
    table_name: str
    queue_url: str
    secret_id: str
    meta_graph_url: str = c.META_GRAPH_URL
    x_api_url: str = c.X_API_URL
    telegram_api_url: str = c.TELEGRAM_API_URL
    max_receives: int = c.OUTBOUND_MAX_RECEIVE_COUNT
    retry_base_s: float = c.OUTBOUND_RETRY_BASE_S
    retry_max_s: float = c.OUTBOUND_RETRY_MAX_S
    http_timeout_s: float = c.OUTBOUND_HTTP_TIMEOUT_S
    claim_lease_s: float = c.OUTBOUND_CLAIM_LEASE_S

    @classmethod
    def from_env(cls) -> OutboundConfig:
        env = os.environ
        return cls(
            table_name=required(env, c.ENV_TABLE_NAME),
            queue_url=required(env, c.ENV_OUTBOUND_QUEUE_URL),
            secret_id=required(env, c.ENV_PLATFORM_SECRET_ARN),
            meta_graph_url=env.get(c.ENV_META_GRAPH_URL) or c.META_GRAPH_URL,
            x_api_url=env.get(c.ENV_X_API_URL) or c.X_API_URL,
            telegram_api_url=env.get(c.ENV_TELEGRAM_API_URL) or c.TELEGRAM_API_URL,
            max_receives=int(positive_number(env, c.ENV_OUTBOUND_MAX_RECEIVE_COUNT, c.OUTBOUND_MAX_RECEIVE_COUNT)),
            retry_base_s=positive_number(env, c.ENV_OUTBOUND_RETRY_BASE_S, c.OUTBOUND_RETRY_BASE_S),
            retry_max_s=positive_number(env, c.ENV_OUTBOUND_RETRY_MAX_S, c.OUTBOUND_RETRY_MAX_S),
            http_timeout_s=positive_number(env, c.ENV_OUTBOUND_HTTP_TIMEOUT_S, c.OUTBOUND_HTTP_TIMEOUT_S),
            claim_lease_s=positive_number(env, c.ENV_OUTBOUND_CLAIM_LEASE_S, c.OUTBOUND_CLAIM_LEASE_S),
        )


@dataclass(frozen=True)
class _Wiring:
    sender: Any
    queue: Any
    backoff: Any
    config: OutboundConfig


@cache
def _wiring() -> _Wiring:
    import boto3
    from socialcare.aws.case_store import CaseStore
    from socialcare.aws.outbound_store import OutboundStore
    from socialcare.aws.secrets import SecretCredentials
    from socialcare.clock import system_clock
    from socialcare.outbound.backoff import Backoff
    from socialcare.outbound.clients import ReplyApiUrls, reply_clients
    from socialcare.outbound.http import UrllibTransport
    from socialcare.outbound.queue import OutboundQueue
    from socialcare.outbound.sender import OutboundSender, SenderSettings

    config = OutboundConfig.from_env()
    session = boto3.session.Session()
    dynamodb = session.client("dynamodb")
    backoff = Backoff(base_s=config.retry_base_s, max_s=config.retry_max_s)
    sender = OutboundSender(
        cases=CaseStore(config.table_name, client=dynamodb),
        outbound=OutboundStore(config.table_name, client=dynamodb),
        clients=reply_clients(ReplyApiUrls(config.meta_graph_url, config.x_api_url, config.telegram_api_url)),
        transport=UrllibTransport(),
        credentials=SecretCredentials(config.secret_id, client=session.client("secretsmanager"), clock=system_clock),
        clock=system_clock,
        settings=SenderSettings(
            max_receives=config.max_receives,
            claim_lease_ms=int(config.claim_lease_s * 1000),
            http_timeout_s=config.http_timeout_s,
            backoff=backoff,
        ),
    )
    return _Wiring(sender, OutboundQueue(config.queue_url, client=session.client("sqs")), backoff, config)


def reset() -> None:
    """Forget cached clients and configuration (tests, the local stack)."""
    _wiring.cache_clear()


def send_record(record: SQSRecord, lambda_context: Any = None) -> None:
    from socialcare.model.outbound import OutboundRequest
    from socialcare.errors import RetryLater

    wiring = _wiring()
    receive_count = int(record.attributes.approximate_receive_count or 1)
    try:
        request = OutboundRequest.from_json(record.body)
        logger.set_correlation_id(request.case_id)
        # A send cut short by the function timeout would leave its outcome unknown: when too
        # little time is left for one platform call, the record waits for the next invocation
        # (unless this is its last receive: then it is tried rather than sent to the DLQ untried).
        short_of_time = (
            lambda_context is not None
            and lambda_context.get_remaining_time_in_millis() < (wiring.config.http_timeout_s + 5) * 1000
        )
        if short_of_time and receive_count < wiring.config.max_receives:
            raise RetryLater("too little time left in this invocation", delay_s=1)
        report = wiring.sender.deliver(request, receive_count=receive_count)
    except RetryLater as exc:
        wiring.queue.retry_later(record.receipt_handle, exc.delay_s)
        metrics.add_metric(name="RepliesRetried", unit=MetricUnit.Count, value=1)
        logger.info("reply to be retried", extra={"message_id": record.message_id, "delay_s": exc.delay_s})
        raise
    except Exception as exc:
        delay = wiring.backoff.delay_s(receive_count)
        wiring.queue.retry_later(record.receipt_handle, delay)
        logger.exception(
            "reply could not be processed",
            extra={"message_id": record.message_id, "error": type(exc).__name__, "delay_s": delay},
        )
        raise
    metrics.add_metric(name=f"Replies_{report.outcome.value}", unit=MetricUnit.Count, value=1)
    logger.info(
        "reply processed",
        extra={
            "entry_id": request.entry_id,
            "channel": request.channel.value,
            "outcome": report.outcome.value,
            "platform_message_ids": list(report.platform_message_ids),
            "receive_count": receive_count,
        },
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=send_record, processor=processor, context=context)
