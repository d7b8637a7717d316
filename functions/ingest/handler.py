"""Ingest function: SQS batches of delivery envelopes, partial-batch failures reported.

Each record is one verified delivery; the core threads its events into cases. A record that
fails is retried by SQS and, after the queue's maxReceiveCount, lands in the DLQ with its
envelope (and so its raw payload) intact. A delivery with an event that overtook its message
(an edit, status, deletion or reaction) is not a failure: it is put back for a delay and
reported as a batch item failure, logged at INFO, until the core stops waiting and keeps the
event raw. Before any record is ingested, the raw bodies the batch's messages carry are archived with
one Firehose PutRecordBatch per platform (``RAW_STREAMS``); a record whose body Firehose refused after
retries fails (its message stays on the queue) and the others go on. The customers' current-case copies
every record's events read are then read in one BatchGetItem for the batch (per 100 ids); a copy another
writer moved meanwhile fails that message's conditioned write, which reads it again. Only the brand's own accounts (``BRAND_ACCOUNTS``) become cases. The messages an invocation
stores are counted for surge detection with one write per bucket when the batch is done (``SURGE_SETTINGS``).
A message that opens a case puts an ``acknowledge`` task on the outbound queue (``OUTBOUND_QUEUE_URL``,
when set).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from socialcare import constants as c
from socialcare.aws.wiring import AwsClients, Wiring
from socialcare.clock import Clock
from socialcare.environment import json_object, required, required_settings
from socialcare.errors import TargetNotYetKnown
from socialcare.model.accounts import BrandAccounts, InvalidBrandAccounts
from socialcare.model.surges import SurgeTally

if TYPE_CHECKING:
    from socialcare.ingest.pipeline import DeliveryIngest, IngestedDelivery, ReceivedBatch
    from socialcare.rules.routing_rules import RoutingRules
    from socialcare.rules.surges import SurgeSettings

logger = Logger(service="ingest")
tracer = Tracer(service="ingest")


@dataclass(frozen=True)
class IngestConfig:
    table_name: str
    raw_bucket: str
    queue_url: str
    brand_accounts: BrandAccounts
    raw_streams: dict[str, str]  # platform -> its raw archive's Firehose stream
    default_team: str = c.DEFAULT_TEAM
    reopen_window_hours: int = c.DEFAULT_REOPEN_WINDOW_HOURS
    account_teams: dict[str, str] = field(default_factory=dict)
    # RESPONSE_TARGETS as read; parsed when the function is built (rules/sla.py stays out of the
    # handler's import, which every cold start pays).
    response_targets: dict[str, object] = field(default_factory=dict)
    # ROUTING_RULES as read (None: none configured); validated when the function is built, which
    # names the field at fault (rules/routing_rules.py stays out of the handler's import too).
    routing_rules: dict[str, object] | None = None
    event_bus_name: str | None = None  # where a sensitive case's notice goes (None: nowhere)
    # SURGE_SETTINGS as read (keyword topics of surge counting); validated when the function is built.
    surge_settings: dict[str, object] = field(default_factory=dict)
    # Where a new case's acknowledgement task goes (the outbound queue; None: none is asked for).
    outbound_queue_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IngestConfig:
        env = os.environ if env is None else env
        try:
            teams = json.loads(env.get(c.ENV_ACCOUNT_TEAMS, "{}"))
            window = int(env.get(c.ENV_REOPEN_WINDOW_HOURS, c.DEFAULT_REOPEN_WINDOW_HOURS))
        except ValueError as exc:
            raise RuntimeError(f"{c.ENV_ACCOUNT_TEAMS} or {c.ENV_REOPEN_WINDOW_HOURS} is invalid: {exc}") from exc
        return cls(
            **required_settings(
                env, table_name=c.ENV_TABLE_NAME, raw_bucket=c.ENV_RAW_BUCKET, queue_url=c.ENV_INBOUND_QUEUE_URL
            ),
            brand_accounts=_brand_accounts(required(env, c.ENV_BRAND_ACCOUNTS)),
            raw_streams=_raw_streams(required(env, c.ENV_RAW_STREAMS)),
            default_team=env.get(c.ENV_DEFAULT_TEAM) or c.DEFAULT_TEAM,
            reopen_window_hours=window,
            account_teams=dict(teams),
            response_targets=json_object(env, c.ENV_RESPONSE_TARGETS),
            routing_rules=json_object(env, c.ENV_ROUTING_RULES) or None,
            event_bus_name=env.get(c.ENV_EVENT_BUS_NAME) or None,
            surge_settings=json_object(env, c.ENV_SURGE_SETTINGS),
            outbound_queue_url=env.get(c.ENV_OUTBOUND_QUEUE_URL) or None,
        )


def _brand_accounts(raw: str) -> BrandAccounts:
    """Required, so a function never runs without knowing whose events it may turn into cases; an
    empty list of a platform keeps all of that platform's events raw."""
    try:
        return BrandAccounts.from_document(json.loads(raw))
    except (ValueError, InvalidBrandAccounts) as exc:
        raise RuntimeError(f"{c.ENV_BRAND_ACCOUNTS} is invalid: {exc}") from exc


def _raw_streams(raw: str) -> dict[str, str]:
    """Required, and naming a stream for every platform: a delivery is never taken off the queue unarchived."""
    try:
        streams = json.loads(raw)
    except ValueError as exc:
        raise RuntimeError(f"{c.ENV_RAW_STREAMS} is invalid: {exc}") from exc
    if not isinstance(streams, dict) or not all(
        isinstance(streams.get(p), str) and streams[p] for p in c.WEBHOOK_PLATFORMS
    ):
        raise RuntimeError(f"{c.ENV_RAW_STREAMS} must name a stream for each of {', '.join(c.WEBHOOK_PLATFORMS)}")
    return {p: streams[p] for p in c.WEBHOOK_PLATFORMS}


@dataclass(frozen=True)
class IngestRuntime:
    pipeline: DeliveryIngest
    sqs: Any
    queue_url: str

    def retry_later(self, receipt_handle: str, delay_s: int) -> None:
        """Keep the record hidden for ``delay_s``: SQS delivers it again then, one receive later."""
        self.sqs.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=max(0, min(delay_s, 43_200))
        )


def _routing_rules(config: IngestConfig) -> RoutingRules | None:
    from socialcare.rules.routing_rules import deployed_rules

    return deployed_rules(config.routing_rules, c.ENV_ROUTING_RULES)


def _surge_settings(config: IngestConfig) -> SurgeSettings:
    from socialcare.errors import InvalidSurgeSettings
    from socialcare.rules.surges import SurgeSettings

    try:
        return SurgeSettings.from_config(config.surge_settings)
    except InvalidSurgeSettings as exc:
        raise RuntimeError(f"{c.ENV_SURGE_SETTINGS} is invalid at {exc.field}: {exc.reason}") from exc


def _build(clients: AwsClients, clock: Clock) -> IngestRuntime:
    from socialcare.aws.case_store import CaseStore
    from socialcare.aws.config_store import CachedSla, ConfigStore
    from socialcare.aws.lead_events import EventBusNotifier
    from socialcare.aws.outbound_queue import OutboundQueue
    from socialcare.aws.raw_archive import FirehoseArchive
    from socialcare.aws.raw_store import RawDeliveryStore
    from socialcare.aws.surge_store import SurgeStore
    from socialcare.ingest.pipeline import DeliveryIngest
    from socialcare.ingest.routing_source import StoredRoutingRules
    from socialcare.ingest.service import Ingestor, IngestSettings
    from socialcare.ingest.triage import Triage
    from socialcare.rules.sla import ResponseTargets

    config = IngestConfig.from_env()
    settings = IngestSettings(
        default_team=config.default_team,
        account_teams=config.account_teams,
        reopen_window_ms=config.reopen_window_hours * 3_600_000,
        brand_accounts=config.brand_accounts,
        targets=ResponseTargets.from_config(config.response_targets),
        routing_rules=_routing_rules(config),
        surges=_surge_settings(config),
    )
    bus = config.event_bus_name
    configs = ConfigStore(config.table_name, client=clients("dynamodb"))
    sla = CachedSla(configs, settings.targets, clock=clock)
    # The stored rules (admins change them through the agent API), else the deployed ones; re-read each minute.
    rules = StoredRoutingRules(configs, deployed=settings.routing_rules, clock=clock)
    ingestor = Ingestor(
        CaseStore(config.table_name, client=clients("dynamodb")),
        clock=clock,
        settings=settings,
        triage=Triage(source=rules),
        notifier=EventBusNotifier(bus, client=clients("events")) if bus else None,
        sla=sla,
        counter=SurgeStore(config.table_name, client=clients("dynamodb")),
        tasks=OutboundQueue(config.outbound_queue_url, client=clients("sqs")) if config.outbound_queue_url else None,
    )
    pipeline = DeliveryIngest(
        ingestor,
        RawDeliveryStore(config.raw_bucket, client=clients("s3")),
        FirehoseArchive(config.raw_streams, client=clients("firehose")),
    )
    return IngestRuntime(pipeline, clients("sqs"), config.queue_url)


_wiring: Wiring[IngestRuntime] = Wiring(_build)


def wire(*, clients: Mapping[str, Any] | None = None, clock: Clock | None = None) -> None:
    """Run on these boto3 clients (by service name: "dynamodb", "s3", "sqs", "events", "firehose") and this clock; ``wire()``
    restores the defaults. Tests wrap the real client to make DynamoDB throttle; nothing calls it in AWS."""
    _wiring.wire(clients=clients, clock=clock)


class InvocationMetrics:
    """One invocation's metrics, its own: Powertools ``Metrics`` instances share one metric set per
    process, so two functions (or two invocations) in one process would mix theirs. Each document is
    printed as one line in one write, so lines of concurrent invocations never run together."""

    def __init__(self) -> None:
        self.events = EphemeralMetrics(namespace=c.METRICS_NAMESPACE, service="ingest")
        self.by_platform: dict[str, EphemeralMetrics] = {}

    def foreign(self, platform: str, count: int) -> None:
        if platform not in self.by_platform:
            metrics = EphemeralMetrics(namespace=c.METRICS_NAMESPACE, service="ingest")
            metrics.add_dimension(name="platform", value=platform)
            self.by_platform[platform] = metrics
        self.by_platform[platform].add_metric(name="EventsForeignAccount", unit=MetricUnit.Count, value=count)

    def publish(self) -> None:
        for metrics in (self.events, *self.by_platform.values()):
            if metrics.metric_set and not is_metrics_disabled():
                sys.stdout.write(json.dumps(metrics.serialize_metric_set(), separators=(",", ":")) + "\n")
            metrics.clear_metrics()


_metrics: ContextVar[InvocationMetrics] = ContextVar("ingest_metrics")
# The invocation's surge counts: its records' stored messages, written once when the batch is done
# (one keyed ADD per bucket, not one per message; rules/surges.py).
_tally: ContextVar[SurgeTally] = ContextVar("ingest_surge_tally")
# The invocation's envelopes, read and their raw bodies archived before any record is ingested.
_batch: ContextVar[ReceivedBatch] = ContextVar("ingest_batch")


@tracer.capture_method
def _receive(records: list[dict[str, Any]]) -> ReceivedBatch:
    batch = _wiring.get().pipeline.receive([(r["messageId"], r["body"]) for r in records])
    if batch.unarchived:
        logger.warning(
            "raw deliveries not archived; their messages stay on the queue",
            extra={"unarchived": batch.unarchived, "records": len(records)},
        )
    return batch


@tracer.capture_method
def _ingest(message_id: str, attempt: int) -> IngestedDelivery:
    return _wiring.get().pipeline.ingest_received(_batch.get(), message_id, attempt=attempt, tally=_tally.get(None))


def ingest_record(record: SQSRecord) -> None:
    attempt = int(record.attributes.approximate_receive_count or 1)
    delivery = _ingest(record.message_id, attempt)
    envelope, report = delivery.envelope, delivery.report
    logger.set_correlation_id(envelope.delivery_id)
    metrics = _metrics.get()
    for outcome, count in report.outcomes.items():
        metrics.events.add_metric(name=f"Events_{outcome}", unit=MetricUnit.Count, value=count)
    foreign = report.outcomes.get("foreign_account", 0)
    if foreign:
        metrics.foreign(envelope.platform, foreign)
    logger.info(
        "delivery ingested",
        extra={"delivery_id": envelope.delivery_id, "platform": envelope.platform, "outcomes": dict(report.outcomes)},
    )
    if delivery.retry_in_s is not None:
        # An expected wait, not an error: raised outside the traced call, so nothing logs a traceback.
        _wiring.get().retry_later(record.receipt_handle, delivery.retry_in_s)
        logger.info(
            "delivery waits for a message; tried again later",
            extra={"delivery_id": envelope.delivery_id, "attempt": attempt, "delay_s": delivery.retry_in_s},
        )
        raise TargetNotYetKnown(f"delivery {envelope.delivery_id} waits for a message (attempt {attempt})")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    # A processor per invocation: it holds the batch's records and failures, and a process may run
    # invocations concurrently (the local stack does). So are the metrics.
    metrics = InvocationMetrics()
    token = _metrics.set(metrics)
    tally = SurgeTally()
    tally_token = _tally.set(tally)
    try:
        batch_token = _batch.set(_receive(event.get("Records") or []))
        try:
            processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
            response = process_partial_response(
                event=event, record_handler=ingest_record, processor=processor, context=context
            )
        finally:
            _batch.reset(batch_token)
        _raise_if_all_failed(event, processor)
        return response
    finally:
        _metrics.reset(token)
        _tally.reset(tally_token)
        if tally:  # what the records stored, whether or not others failed
            _wiring.get().pipeline.count_surges(tally)
        metrics.publish()


def _raise_if_all_failed(event: dict[str, Any], processor: BatchProcessor) -> None:
    """A batch whose every record failed is a failed invocation (Lambda retries it whole), unless
    the records only wait for their messages: their delays are set, and that is no error."""
    records = event.get("Records") or []
    failed = processor.exceptions
    if not records or len(failed) < len(records):
        return
    if all(isinstance(exc[1], TargetNotYetKnown) for exc in failed):
        return
    raise BatchProcessingError("All records failed processing.", list(failed))
