"""Ingest function: SQS batches of delivery envelopes, partial-batch failures reported.

Each record is one verified delivery; the core threads its events into cases. A record
that fails is retried by SQS and, after the queue's maxReceiveCount, lands in the DLQ
with its envelope (and so its raw payload) intact.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from socialcare import constants as c
from socialcare.aws.wiring import AwsClients, Wiring
from socialcare.clock import Clock
from socialcare.environment import required

if TYPE_CHECKING:
    from socialcare.ingest.pipeline import DeliveryIngest

logger = Logger(service="ingest")
metrics = Metrics(namespace="socialcare", service="ingest")
tracer = Tracer(service="ingest")


@dataclass(frozen=True)
class IngestConfig:
    table_name: str
    raw_bucket: str
    default_team: str = c.DEFAULT_TEAM
    reopen_window_hours: int = c.DEFAULT_REOPEN_WINDOW_HOURS
    account_teams: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IngestConfig:
        env = os.environ if env is None else env
        try:
            teams = json.loads(env.get(c.ENV_ACCOUNT_TEAMS, "{}"))
            window = int(env.get(c.ENV_REOPEN_WINDOW_HOURS, c.DEFAULT_REOPEN_WINDOW_HOURS))
        except ValueError as exc:
            raise RuntimeError(f"{c.ENV_ACCOUNT_TEAMS} or {c.ENV_REOPEN_WINDOW_HOURS} is invalid: {exc}") from exc
        return cls(
            table_name=required(env, c.ENV_TABLE_NAME),
            raw_bucket=required(env, c.ENV_RAW_BUCKET),
            default_team=env.get(c.ENV_DEFAULT_TEAM) or c.DEFAULT_TEAM,
            reopen_window_hours=window,
            account_teams=dict(teams),
        )


def _build(clients: AwsClients, clock: Clock) -> DeliveryIngest:
    from socialcare.aws.case_store import CaseStore
    from socialcare.aws.raw_store import RawDeliveryStore
    from socialcare.ingest.pipeline import DeliveryIngest
    from socialcare.ingest.service import Ingestor, IngestSettings

    config = IngestConfig.from_env()
    settings = IngestSettings(
        default_team=config.default_team,
        account_teams=config.account_teams,
        reopen_window_ms=config.reopen_window_hours * 3_600_000,
    )
    ingestor = Ingestor(CaseStore(config.table_name, client=clients("dynamodb")), clock=clock, settings=settings)
    return DeliveryIngest(ingestor, RawDeliveryStore(config.raw_bucket, client=clients("s3")))


_wiring: Wiring[DeliveryIngest] = Wiring(_build)


def wire(*, clients: Mapping[str, Any] | None = None, clock: Clock | None = None) -> None:
    """Run on these boto3 clients (by service name: "dynamodb", "s3") and this clock; ``wire()``
    restores the defaults. Tests wrap the real client to make DynamoDB throttle; nothing calls it in AWS."""
    _wiring.wire(clients=clients, clock=clock)


@tracer.capture_method
def ingest_record(record: SQSRecord) -> None:
    attempt = int(record.attributes.approximate_receive_count or 1)
    delivery = _wiring.get().ingest_delivery(record.body, attempt=attempt)
    envelope, report = delivery.envelope, delivery.report
    logger.set_correlation_id(envelope.delivery_id)
    for outcome, count in report.outcomes.items():
        metrics.add_metric(name=f"Events_{outcome}", unit=MetricUnit.Count, value=count)
    logger.info(
        "delivery ingested",
        extra={"delivery_id": envelope.delivery_id, "platform": envelope.platform, "outcomes": dict(report.outcomes)},
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    # A processor per invocation: it holds the batch's records and failures, and a process may
    # run invocations concurrently (the local stack does).
    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(event=event, record_handler=ingest_record, processor=processor, context=context)
