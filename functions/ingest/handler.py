"""Ingest function: SQS batches of delivery envelopes, partial-batch failures reported.

Each record is one verified delivery; the core threads its events into cases. A record
that fails is retried by SQS and, after the queue's maxReceiveCount, lands in the DLQ
with its envelope (and so its raw payload) intact.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from socialcare import constants as c
from socialcare.clock import system_clock
from socialcare.environment import required

logger = Logger(service="ingest")
metrics = Metrics(namespace="socialcare", service="ingest")
tracer = Tracer(service="ingest")
processor = BatchProcessor(event_type=EventType.SQS)


@dataclass(frozen=True)
class IngestConfig:
    table_name: str
    raw_bucket: str
    default_team: str = c.DEFAULT_TEAM
    reopen_window_hours: int = c.DEFAULT_REOPEN_WINDOW_HOURS
    account_teams: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> IngestConfig:
        env = os.environ
        try:
            teams = json.loads(env.get(c.ENV_ACCOUNT_TEAMS, "{}"))
            window = int(env.get(c.ENV_REOPEN_WINDOW_HOURS, c.DEFAULT_REOPEN_WINDOW_HOURS))
        except ValueError as exc:
            raise RuntimeError(f"ACCOUNT_TEAMS or {c.ENV_REOPEN_WINDOW_HOURS} is invalid: {exc}") from exc
        return cls(
            table_name=required(env, c.ENV_TABLE_NAME),
            raw_bucket=required(env, c.ENV_RAW_BUCKET),
            default_team=env.get(c.ENV_DEFAULT_TEAM) or c.DEFAULT_TEAM,
            reopen_window_hours=window,
            account_teams=dict(teams),
        )


# boto3 clients given by the caller instead of made here, by service name ("dynamodb", "s3"):
# tests wrap the real client to make DynamoDB throttle; nothing sets them in AWS.
_client_overrides: dict[str, Any] = {}


def use_clients(**clients: Any) -> None:
    """Run on these boto3 clients (by service name) instead of making its own; forgets cached wiring."""
    _wiring.cache_clear()
    _client_overrides.clear()
    _client_overrides.update(clients)


@cache
def _wiring() -> tuple[Any, Any]:
    import boto3
    from socialcare.aws.case_store import CaseStore
    from socialcare.aws.raw_store import RawDeliveryStore
    from socialcare.ingest.service import Ingestor, IngestSettings

    config = IngestConfig.from_env()
    session = boto3.session.Session()

    def client(service: str) -> Any:
        return _client_overrides.get(service) or session.client(service)

    store = CaseStore(config.table_name, client=client("dynamodb"))
    settings = IngestSettings(
        default_team=config.default_team,
        account_teams=config.account_teams,
        reopen_window_ms=config.reopen_window_hours * 3_600_000,
    )
    return Ingestor(store, clock=system_clock, settings=settings), RawDeliveryStore(
        config.raw_bucket, client=client("s3")
    )


def reset() -> None:
    """Forget cached clients, client overrides and configuration (tests, the local stack)."""
    _wiring.cache_clear()
    _client_overrides.clear()


@tracer.capture_method
def ingest_record(record: SQSRecord) -> None:
    from socialcare.model.envelope import DeliveryEnvelope
    from socialcare.platforms.base import Verification
    from socialcare.platforms.registry import get_adapter

    ingestor, raw_store = _wiring()
    envelope = DeliveryEnvelope.from_json(record.body)
    logger.set_correlation_id(envelope.delivery_id)
    body = envelope.body.encode("utf-8") if envelope.body is not None else raw_store.get(envelope.raw_key)
    parsed = get_adapter(envelope.platform).parse(body, Verification(account_id=envelope.account_id))
    attempt = int(record.attributes.approximate_receive_count or 1)
    report = ingestor.ingest(parsed, raw_key=envelope.raw_key, attempt=attempt)
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
    return process_partial_response(event=event, record_handler=ingest_record, processor=processor, context=context)
