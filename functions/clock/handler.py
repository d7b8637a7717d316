"""Clock function: the table's stream to the case clocks and follow-ups case writes need started, the
event metrics and the report's day facts.

Every committed case write (ingest, the agent API, the outbound sender) reaches this function as a
stream record with the item before and after (``NEW_AND_OLD_IMAGES``); the event source mapping
passes only case items (``SK = "CASE"``) that were inserted or modified. For each, the core decides
whether the write needs a new clock (``CaseClockTimers.case_changed``) or, having set the case to
wait for the customer, a follow-up (``timers.follow_up.start_follow_up``), and starts it (``StartExecution``
of the case-clock state machine, ``CASE_CLOCK_ARN``, or of the follow-up's, ``FOLLOW_UP_ARN``; a stage
without the follow-up machine leaves that unset and starts none). A case clock is started here only
when its first tier is near (``CLOCK_START_LEAD_MS`` before it, within ``CLOCK_START_MARGIN_MS`` from
now); a later one is left to the clock sweep (``functions/clock_sweep``), which finds it in the clock
index the case write keeps (and never starts it if the case is answered first). Starting is idempotent — the
executions are named ``case-<case id>-<generation>`` and ``follow-up-<case id>-<cycle>`` — so a record
delivered twice, or retried after a partial failure, never makes a second one. A record that fails is
reported as a batch item failure; Lambda retries from it and, after its retries, sends it to the
on-failure queue.

The same records are where the care floor's event metrics come from (``socialcare.metrics.events``):
each write's before and after give the messages in, response and resolution times (wall and business
time on the SLA in force, read from the table at most once a minute), targets met or missed,
escalations, reopenings and hand-offs. They leave as one EMF line per team and channel per invocation
(service ``clock``), each metric counted by team, by channel and in total. A write whose metrics
cannot be derived is logged and counted as ``EventMetricsFailed``, never retried: starting the case's
clock is what the record is for.

The records also carry the accountability report's facts (``DayFactRecorder``: an answer, a resolution,
a tier reached...), and the mapping passes customers' messages inserted in a thread too (``SK``
beginning ``MSG#``, ``kind`` inbound): counted by channel, language and sentiment (never their text)
when the batch is done, one write per case and UTC quarter hour, on the table (``TABLE_NAME``),
idempotently (each count keeps the stream position it counted through); if counting fails, the batch
is reported failed from its first message.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from socialcare import constants as c
from socialcare.aws.wiring import AwsClients, Wiring
from socialcare.clock import Clock
from socialcare.environment import json_object, required, required_settings
from socialcare.model.metrics import EVENT_METRICS_SERVICE

if TYPE_CHECKING:
    from socialcare.aws.config_store import CachedSla
    from socialcare.model.case import Case, ThreadEntry
    from socialcare.model.metrics import MetricPoint
    from socialcare.ports import FollowUps
    from socialcare.reports.recorder import DayFactRecorder
    from socialcare.timers.service import CaseClockTimers

logger = Logger(service="clock")
tracer = Tracer(service="clock")

CASE_SORT_KEY = "CASE"  # aws/keys.CASE_SK: the case item (the event source mapping filters on it too)
SERVICE = EVENT_METRICS_SERVICE  # the dashboards find the event metrics by it
MESSAGE_SORT_PREFIX = "MSG#"  # aws/keys.ENTRY_PREFIX: a thread entry (the mapping passes customers' messages)


@dataclass(frozen=True)
class ClockConfig:
    state_machine_arn: str
    table_name: str  # where the SLA configuration is read (business time of the event metrics)
    follow_up_arn: str | None = None  # None: no follow-up machine on this stage
    # RESPONSE_TARGETS as read: the targets in force while no policy set is stored (as ingest's).
    response_targets: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ClockConfig:
        env = os.environ if env is None else env
        return cls(
            **required_settings(env, state_machine_arn=c.ENV_CASE_CLOCK_ARN, table_name=c.ENV_TABLE_NAME),
            follow_up_arn=env.get(c.ENV_FOLLOW_UP_ARN) or None,
            response_targets=json_object(env, c.ENV_RESPONSE_TARGETS),
        )


@dataclass(frozen=True)
class ClockRuntime:
    timers: CaseClockTimers
    sla: CachedSla
    follow_ups: FollowUps | None


def _build(clients: AwsClients, clock: Clock) -> ClockRuntime:
    from socialcare.aws.case_clocks import StepFunctionsCaseClocks, StepFunctionsFollowUps
    from socialcare.aws.config_store import CachedSla, ConfigStore
    from socialcare.rules.sla import ResponseTargets
    from socialcare.timers.service import CaseClockTimers

    config = ClockConfig.from_env()
    sfn = clients("stepfunctions")
    follow_ups = None
    if config.follow_up_arn is not None:
        follow_ups = StepFunctionsFollowUps(config.follow_up_arn, client=sfn)
    targets = ResponseTargets.from_config(config.response_targets)
    return ClockRuntime(
        CaseClockTimers(StepFunctionsCaseClocks(config.state_machine_arn, client=sfn), clock=clock),
        CachedSla(ConfigStore(config.table_name, client=clients("dynamodb")), targets, clock=clock),
        follow_ups,
    )


def _build_recorder(clients: AwsClients, clock: Clock) -> DayFactRecorder:
    from socialcare.aws.report_store import ReportStore
    from socialcare.reports.recorder import DayFactRecorder

    return DayFactRecorder(ReportStore(required(os.environ, c.ENV_TABLE_NAME), client=clients("dynamodb")))


_wiring: Wiring[ClockRuntime] = Wiring(_build)
_recorder: Wiring[DayFactRecorder] = Wiring(_build_recorder)


def wire(*, clients: Mapping[str, Any] | None = None, clock: Clock | None = None) -> None:
    """Run on these boto3 clients (by service name: "stepfunctions", "dynamodb") and this clock;
    ``wire()`` restores the defaults."""
    _wiring.wire(clients=clients, clock=clock)
    _recorder.wire(clients=clients, clock=clock)


class EventMetrics:
    """One invocation's event metrics: an EMF document per team and channel (a document holds one value
    of each dimension), each declaring the rollups by team, by channel and in total."""

    def __init__(self) -> None:
        self._documents: dict[tuple[tuple[str, str], ...], EphemeralMetrics] = {}

    def add(self, points: Sequence[MetricPoint]) -> None:
        for point in points:
            document = self._documents.get(point.dimensions)
            if document is None:
                document = self._documents[point.dimensions] = _document(dict(point.dimensions))
            document.add_metric(name=point.name, unit=point.unit.value, value=point.value)

    def failed(self) -> None:
        document = self._documents.get(())
        if document is None:
            document = self._documents[()] = _document({})
        document.add_metric(name="EventMetricsFailed", unit=MetricUnit.Count, value=1)

    def publish(self) -> None:
        """Each document as one line, in one write (see the webhook function)."""
        for document in self._documents.values():
            if document.metric_set and not is_metrics_disabled():
                sys.stdout.write(json.dumps(document.serialize_metric_set(), separators=(",", ":")) + "\n")
            document.clear_metrics()


def _document(dimensions: dict[str, str]) -> EphemeralMetrics:
    """A document whose metrics count by team, by channel and in total (its dimension sets); the pair
    itself is no dimension set: no dashboard reads it, and each pair would be a billed series."""
    document = EphemeralMetrics(namespace=c.METRICS_NAMESPACE, service=SERVICE)
    for name, value in dimensions.items():
        document.add_dimensions(**{name: value, "service": SERVICE})
    return document


_metrics: ContextVar[EventMetrics] = ContextVar("clock_metrics")
# The invocation's customer messages (stream sequence number, thread entry), counted once the batch is done.
_messages: ContextVar[list[tuple[str, ThreadEntry]]] = ContextVar("clock_messages")


def _case(image: Mapping[str, Any] | None) -> Case | None:
    from socialcare.aws.items import item_to_case

    return None if not image else item_to_case(image)


def case_record(record: DynamoDBRecord) -> None:
    from socialcare.timers.follow_up import start_follow_up

    # The images in DynamoDB's attribute-value form, what aws/items.py reads (Powertools' properties
    # would deserialise them to plain values).
    change = record.raw_event.get("dynamodb") or {}
    sort_key = str(change.get("Keys", {}).get(c.SORT_KEY, {}).get("S", ""))
    if sort_key.startswith(MESSAGE_SORT_PREFIX) and change.get("NewImage"):
        from socialcare.aws.entry_items import item_to_entry

        # Counted when the batch is done: one write per case and quarter hour, not one per message.
        _messages.get().append((str(change.get("SequenceNumber", "")), item_to_entry(change["NewImage"])))
        return
    if sort_key != CASE_SORT_KEY:
        return
    after = _case(change.get("NewImage"))
    if after is None:  # removed: nothing to watch
        return
    before = _case(change.get("OldImage"))
    runtime = _wiring.get()
    started = runtime.timers.case_changed(before, after)
    _recorder.get().case_changed(before, after)
    if started is not None:
        logger.info(
            "case clock started",
            extra={"case_id": started.case_id, "generation": started.generation, "tier": started.input["tier"]},
        )
    follow_up = start_follow_up(runtime.follow_ups, before, after) if runtime.follow_ups is not None else None
    if follow_up is not None:
        logger.info(
            "follow-up started",
            extra={"case_id": follow_up.case_id, "cycle": follow_up.cycle, "plan": follow_up.input["plan"]},
        )
    _count(before, after, runtime)


def _count(before: Case | None, after: Case, runtime: ClockRuntime) -> None:
    from socialcare.metrics.events import case_metrics

    try:
        points = case_metrics(before, after, runtime.sla)
    except Exception as exc:  # the clock has started: a metric must never make the record fail
        logger.error("event metrics not derived", extra={"case_id": after.case_id, "error": type(exc).__name__})
        _metrics.get().failed()
        return
    _metrics.get().add(points)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    metrics = EventMetrics()
    token = _metrics.set(metrics)
    messages: list[tuple[str, ThreadEntry]] = []
    messages_token = _messages.set(messages)
    try:
        processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
        response = process_partial_response(
            event=event, record_handler=case_record, processor=processor, context=context
        )
        _count_messages(messages, response)
        return response
    finally:
        _metrics.reset(token)
        _messages.reset(messages_token)
        metrics.publish()


def _count_messages(messages: list[tuple[str, ThreadEntry]], response: PartialItemFailureResponse) -> None:
    """Count the batch's customer messages; if that fails, the batch is retried from its first message
    (what was counted is not counted again: each count holds the stream position it counted through)."""
    if not messages:
        return
    try:
        _recorder.get().messages_written([(_position(sequence), entry) for sequence, entry in messages])
    except Exception:
        logger.exception(
            "customer messages not counted; the batch is retried from the first", extra={"messages": len(messages)}
        )
        response["batchItemFailures"].append({"itemIdentifier": messages[0][0]})


def _position(sequence: str) -> str:
    """A stream sequence number (digits, up to 40 of them) as text that sorts as the number does."""
    return sequence.zfill(40)
