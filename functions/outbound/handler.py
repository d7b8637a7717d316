"""Outbound function: SQS batches of agents' replies, each sent to its platform exactly once.

Thin: hands each record to the core (``socialcare.outbound.queued``), which sends the reply or
puts the message back for its retry delay (throttled, platform error, function short of time,
a crash's back-off). A record put back is reported as a batch item failure, so SQS delivers it
again then; after the queue's maxReceiveCount it moves to the dead-letter queue (the sender has
already marked the reply FAILED on its last receive). Logs carry the case id as correlation
id and never the reply's text or a token.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from socialcare import constants as c
from socialcare.aws.wiring import AwsClients, Wiring
from socialcare.clock import Clock
from socialcare.environment import positive_number, required_settings

if TYPE_CHECKING:
    from socialcare.model.tasks import CaseTask, TaskKind
    from socialcare.outbound.queued import QueuedReplies
    from socialcare.outbound.sender import DeliveryReport, OutboundSender

logger = Logger(service="outbound")
tracer = Tracer(service="outbound")
# This invocation's metrics (see ``handler``): Powertools ``Metrics`` instances share one metric set
# per process, so functions or invocations sharing a process would mix theirs.
_metrics: ContextVar[EphemeralMetrics] = ContextVar("outbound_metrics")


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
    # Department requests (the department escalation machine's tasks): the bus the department is told
    # on, the API's secret (the answer links' key) and the agent API's address the links point at.
    event_bus_name: str | None = None
    api_secret_arn: str | None = None
    answer_link_base_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OutboundConfig:
        env = os.environ if env is None else env
        return cls(
            **required_settings(
                env,
                table_name=c.ENV_TABLE_NAME,
                queue_url=c.ENV_OUTBOUND_QUEUE_URL,
                secret_id=c.ENV_PLATFORM_SECRET_ARN,
            ),
            meta_graph_url=env.get(c.ENV_META_GRAPH_URL) or c.META_GRAPH_URL,
            x_api_url=env.get(c.ENV_X_API_URL) or c.X_API_URL,
            telegram_api_url=env.get(c.ENV_TELEGRAM_API_URL) or c.TELEGRAM_API_URL,
            max_receives=int(positive_number(env, c.ENV_OUTBOUND_MAX_RECEIVE_COUNT, c.OUTBOUND_MAX_RECEIVE_COUNT)),
            retry_base_s=positive_number(env, c.ENV_OUTBOUND_RETRY_BASE_S, c.OUTBOUND_RETRY_BASE_S),
            retry_max_s=positive_number(env, c.ENV_OUTBOUND_RETRY_MAX_S, c.OUTBOUND_RETRY_MAX_S),
            http_timeout_s=positive_number(env, c.ENV_OUTBOUND_HTTP_TIMEOUT_S, c.OUTBOUND_HTTP_TIMEOUT_S),
            claim_lease_s=positive_number(env, c.ENV_OUTBOUND_CLAIM_LEASE_S, c.OUTBOUND_CLAIM_LEASE_S),
            event_bus_name=env.get(c.ENV_EVENT_BUS_NAME) or None,
            api_secret_arn=env.get(c.ENV_API_SECRET_ARN) or None,
            answer_link_base_url=env.get(c.ENV_ANSWER_LINK_BASE_URL) or None,
        )


def _sender(config: OutboundConfig, clients: AwsClients, clock: Clock) -> OutboundSender:
    from socialcare.aws.case_store import CaseStore
    from socialcare.aws.outbound_store import OutboundStore
    from socialcare.aws.secrets import SecretCredentials
    from socialcare.outbound.backoff import Backoff
    from socialcare.outbound.clients import ReplyApiUrls, reply_clients
    from socialcare.outbound.http import UrllibTransport
    from socialcare.outbound.sender import OutboundSender, SenderSettings

    return OutboundSender(
        cases=CaseStore(config.table_name, client=clients("dynamodb")),
        outbound=OutboundStore(config.table_name, client=clients("dynamodb")),
        clients=reply_clients(ReplyApiUrls(config.meta_graph_url, config.x_api_url, config.telegram_api_url)),
        transport=UrllibTransport(),
        credentials=SecretCredentials(config.secret_id, client=clients("secretsmanager"), clock=clock),
        clock=clock,
        settings=SenderSettings(
            max_receives=config.max_receives,
            claim_lease_ms=int(config.claim_lease_s * 1000),
            http_timeout_s=config.http_timeout_s,
            backoff=Backoff(base_s=config.retry_base_s, max_s=config.retry_max_s),
        ),
    )


def _build(clients: AwsClients, clock: Clock) -> QueuedReplies:
    from socialcare.aws.outbound_queue import OutboundQueue
    from socialcare.outbound.backoff import Backoff
    from socialcare.outbound.queued import QueuedReplies

    config = OutboundConfig.from_env()
    return QueuedReplies(
        _sender(config, clients, clock),
        OutboundQueue(config.queue_url, client=clients("sqs")),
        backoff=Backoff(base_s=config.retry_base_s, max_s=config.retry_max_s),
        max_receives=config.max_receives,
        http_timeout_s=config.http_timeout_s,
    )


_wiring: Wiring[QueuedReplies] = Wiring(_build)

# What runs a task of each kind (model/tasks.py): the core service's entry point, returning a word
# for the log ("sent", "held", "skipped: ...").
TaskHandlers = Mapping["TaskKind", Callable[["CaseTask"], str]]


def _build_tasks(clients: AwsClients, clock: Clock) -> TaskHandlers:
    from socialcare.automated.service import AutomatedDeps, AutomatedMessages
    from socialcare.aws.agent_store import AgentStore
    from socialcare.aws.automated_store import AutomatedStore
    from socialcare.aws.case_store import CaseStore
    from socialcare.aws.config_store import ConfigStore
    from socialcare.aws.profile_store import ProfileStore
    from socialcare.aws.secrets import SecretCredentials
    from socialcare.model.tasks import TaskKind
    from socialcare.outbound.http import UrllibTransport
    from socialcare.outbound.meta_client import MetaReplyClient
    from socialcare.outbound.moderation import CommentHider
    from socialcare.timers.auto_resolve import AutoResolver

    config = OutboundConfig.from_env()
    cases = CaseStore(config.table_name, client=clients("dynamodb"))
    dynamodb = clients("dynamodb")
    sender = _sender(config, clients, clock)
    automated = AutomatedMessages(
        AutomatedDeps(
            cases=CaseStore(config.table_name, client=dynamodb),
            store=AutomatedStore(config.table_name, client=dynamodb),
            profiles=ProfileStore(config.table_name, client=dynamodb),
            config=ConfigStore(config.table_name, client=dynamodb),
            deliver=lambda request: _delivered(sender.deliver(request)),
            clock=clock,
        )
    )
    credentials = SecretCredentials(config.secret_id, client=clients("secretsmanager"), clock=clock)
    return {
        TaskKind.AUTO_RESOLVE: AutoResolver(AgentStore(config.table_name, client=clients("dynamodb")), clock=clock).run,
        TaskKind.HIDE_COMMENT: CommentHider(
            cases,
            client=MetaReplyClient(config.meta_graph_url),
            transport=UrllibTransport(),
            credentials=credentials,
            clock=clock,
            http_timeout_s=config.http_timeout_s,
        ).run,
        TaskKind.DEPARTMENT_REQUEST: _department_requests(clients, clock),
        TaskKind.ACKNOWLEDGE: automated.acknowledge,
        TaskKind.NUDGE: automated.nudge,
    }


def _department_requests(clients: AwsClients, clock: Clock) -> Callable[[CaseTask], str]:
    """The department escalation machine's requests (``socialcare.departments``), built on first use."""
    built: list[Callable[[CaseTask], str]] = []

    def run(task: CaseTask) -> str:
        if not built:
            built.append(_build_department_requests(OutboundConfig.from_env(), clients, clock))
        return built[0](task)

    return run


def _build_department_requests(config: OutboundConfig, clients: AwsClients, clock: Clock) -> Callable[[CaseTask], str]:
    from socialcare.aws.api_secret import load_cursor_key
    from socialcare.aws.config_store import ConfigStore
    from socialcare.aws.department_events import EventBusDepartmentNotifier
    from socialcare.aws.department_workflows import StepFunctionsCallbacks
    from socialcare.aws.escalation_store import EscalationStore
    from socialcare.departments.requests import DepartmentRequests, LinkSettings
    from socialcare.rules.answer_links import AnswerLinks, link_key

    bus, secret, base_url = config.event_bus_name, config.api_secret_arn, config.answer_link_base_url
    if not (bus and secret and base_url):
        needed = {c.ENV_EVENT_BUS_NAME: bus, c.ENV_API_SECRET_ARN: secret, c.ENV_ANSWER_LINK_BASE_URL: base_url}
        missing = next(name for name, value in needed.items() if not value)
        raise RuntimeError(f"environment variable {missing} is not set: department requests cannot run")
    dynamodb = clients("dynamodb")
    key = load_cursor_key(secret, client=clients("secretsmanager"))
    requests = DepartmentRequests(
        EscalationStore(config.table_name, client=dynamodb),
        ConfigStore(config.table_name, client=dynamodb),
        StepFunctionsCallbacks(client=clients("stepfunctions")),
        EventBusDepartmentNotifier(bus, client=clients("events")),
        AnswerLinks(link_key(key)),
        LinkSettings(base_url),
        clock=clock,
    )
    return requests.run


def _delivered(report: DeliveryReport) -> str:
    """The sender's report as the task's word: its outcome, and the reason of a failure."""
    return f"{report.outcome.value}: {report.reason}" if report.reason else report.outcome.value


_tasks: Wiring[TaskHandlers] = Wiring(_build_tasks)


def wire(*, clients: Mapping[str, Any] | None = None, clock: Clock | None = None) -> None:
    """Run on these boto3 clients (by service name: "dynamodb", "sqs", "secretsmanager") and this
    clock; ``wire()`` restores the defaults. Nothing calls it in AWS."""
    _wiring.wire(clients=clients, clock=clock)
    _tasks.wire(clients=clients, clock=clock)


def run_task(task: CaseTask, record: SQSRecord) -> None:
    """A task fails as a whole (SQS delivers it again, then to the dead-letter queue): each kind's
    service makes a repeated run harmless."""
    from socialcare.errors import MalformedTask

    logger.set_correlation_id(task.case_id)
    run = _tasks.get().get(task.kind)
    if run is None:
        raise MalformedTask(f"no service runs {task.kind} tasks here")
    outcome = run(task)
    _metrics.get().add_metric(name=f"Tasks_{task.kind.value}", unit=MetricUnit.Count, value=1)
    if task.kind.value == "acknowledge" and outcome == "sent":  # one per case: a redelivered task sends nothing
        _metrics.get().add_metric(name="AutoAcknowledgements", unit=MetricUnit.Count, value=1)
    logger.info(
        "task done",
        extra={"task": task.kind.value, "case_id": task.case_id, "outcome": outcome, "message_id": record.message_id},
    )


def send_record(record: SQSRecord, lambda_context: Any = None) -> None:
    from socialcare.errors import MalformedTask
    from socialcare.model.tasks import task_in

    try:
        task = task_in(record.body)
    except MalformedTask as exc:
        logger.error("task could not be read", extra={"message_id": record.message_id, "error": str(exc)})
        raise
    if task is not None:
        run_task(task, record)
        return
    remaining_ms = lambda_context.get_remaining_time_in_millis() if lambda_context is not None else None
    result = _wiring.get().process(
        record.body,
        receipt_handle=record.receipt_handle,
        receive_count=int(record.attributes.approximate_receive_count or 1),
        remaining_ms=remaining_ms,
    )
    request = result.request
    if request is not None:
        logger.set_correlation_id(request.case_id)
    if result.error is not None:
        if result.retried:
            _metrics.get().add_metric(name="RepliesRetried", unit=MetricUnit.Count, value=1)
            logger.info("reply to be retried", extra={"message_id": record.message_id, "delay_s": result.delay_s})
        else:
            logger.error(
                "reply could not be processed",
                exc_info=result.error,
                extra={
                    "message_id": record.message_id,
                    "error": type(result.error).__name__,
                    "delay_s": result.delay_s,
                },
            )
        raise result.error
    assert request is not None
    assert result.report is not None
    report = result.report
    _metrics.get().add_metric(name=f"Replies_{report.outcome.value}", unit=MetricUnit.Count, value=1)
    logger.info(
        "reply processed",
        extra={
            "entry_id": request.entry_id,
            "channel": request.channel.value,
            "outcome": report.outcome.value,
            "platform_message_ids": list(report.platform_message_ids),
            "receive_count": int(record.attributes.approximate_receive_count or 1),
        },
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    # A processor per invocation: it holds the batch's records and failures, and a process may
    # run invocations concurrently (the local stack does); so are the metrics. A batch whose every
    # record is to be retried is reported as such, not raised: raising would make Lambda treat the
    # invocation as failed, while the records' retry delays are already set.
    metrics = EphemeralMetrics(namespace=c.METRICS_NAMESPACE, service="outbound")
    token = _metrics.set(metrics)
    try:
        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        return process_partial_response(event=event, record_handler=send_record, processor=processor, context=context)
    finally:
        _metrics.reset(token)
        _publish(metrics)


def _publish(metrics: EphemeralMetrics) -> None:
    """The invocation's EMF document as one line, in one write (see the webhook function)."""
    if metrics.metric_set and not is_metrics_disabled():
        sys.stdout.write(json.dumps(metrics.serialize_metric_set(), separators=(",", ":")) + "\n")
    metrics.clear_metrics()
