"""The Lambda functions under ``functions/``, each with its trigger, role, log group and environment.

``TRIGGERS`` is the one place that says how a function folder is invoked. The app deploys every
folder that has a ``handler.py`` and an entry here; a folder without one is reported as a
synthesis warning and not deployed (it has no way to be called).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from socialcare import constants as c
from socialcare.model.accounts import BrandAccounts

from socialcare_infra import access
from socialcare_infra.checks import acknowledge
from socialcare_infra.components.core_layer import architecture, runtime
from socialcare_infra.components.log_groups import stage_log_group
from socialcare_infra.components.permissions import (
    CoreResources,
    grant_access,
    grant_logging_and_tracing,
    lambda_role,
)
from socialcare_infra.components.queues import dead_letter_queue
from socialcare_infra.components.schedules import ScheduledInvocation
from socialcare_infra.config import StageConfig
from socialcare_infra.names import ResourceNames
from socialcare_infra.runtime import RUNTIME_NAME


@dataclass(frozen=True)
class HttpTrigger:
    """Invoked through its function URL (``/webhooks/<platform>``, GET and POST)."""


@dataclass(frozen=True)
class QueueTrigger:
    """An SQS event source mapping with partial batch responses (``ReportBatchItemFailures``)."""

    queue: str  # access.INBOUND or access.OUTBOUND
    batch_size: int
    max_batching_window_s: int


@dataclass(frozen=True)
class StreamTrigger:
    """The table's stream through an event source mapping with a filter, partial batch responses
    (``ReportBatchItemFailures``), bounded retries and an on-failure queue of its own."""

    filter_patterns: tuple[Mapping[str, Any], ...]  # a record passing any of them is delivered
    batch_size: int
    max_retry_attempts: int


@dataclass(frozen=True)
class ScheduleTrigger:
    """An EventBridge Scheduler schedule, with retries and a dead-letter queue of missed runs: every
    ``every_minutes``, or a cron expression in the stage's report time zone."""

    every_minutes: int | None = None
    cron: str | None = None


@dataclass(frozen=True)
class FunctionSpec:
    trigger: HttpTrigger | QueueTrigger | StreamTrigger | ScheduleTrigger
    memory_mb: int
    timeout_s: int
    description: str


TRIGGERS: dict[str, FunctionSpec] = {
    c.WEBHOOK_FUNCTION: FunctionSpec(
        trigger=HttpTrigger(),
        memory_mb=256,
        timeout_s=c.WEBHOOK_TIMEOUT_S,
        description="Platform webhooks: verify, parse, enqueue with the raw body, acknowledge",
    ),
    c.INGEST_FUNCTION: FunctionSpec(
        trigger=QueueTrigger(
            queue=access.INBOUND, batch_size=c.INGEST_BATCH_SIZE, max_batching_window_s=c.INGEST_MAX_BATCHING_WINDOW_S
        ),
        memory_mb=512,
        timeout_s=c.INGEST_TIMEOUT_S,
        description="Inbound deliveries to threaded cases, exactly once",
    ),
    c.OUTBOUND_FUNCTION: FunctionSpec(
        trigger=QueueTrigger(
            queue=access.OUTBOUND,
            batch_size=c.OUTBOUND_BATCH_SIZE,
            max_batching_window_s=c.OUTBOUND_MAX_BATCHING_WINDOW_S,
        ),
        memory_mb=256,
        timeout_s=c.OUTBOUND_TIMEOUT_S,
        description="Agents' replies and automated messages to the platforms' reply APIs",
    ),
    c.CLOCK_FUNCTION: FunctionSpec(
        trigger=StreamTrigger(
            filter_patterns=c.CLOCK_STREAM_FILTERS,
            batch_size=c.CLOCK_BATCH_SIZE,
            max_retry_attempts=c.CLOCK_MAX_RETRY_ATTEMPTS,
        ),
        memory_mb=256,
        timeout_s=c.CLOCK_TIMEOUT_S,
        description="Case writes (the table's stream) to the case clocks and follow-ups they need started",
    ),
    c.CLOCK_SWEEP_FUNCTION: FunctionSpec(
        trigger=ScheduleTrigger(every_minutes=c.CLOCK_SWEEP_EVERY_MINUTES),
        memory_mb=256,
        timeout_s=c.CLOCK_SWEEP_TIMEOUT_S,
        description="Case clocks that came due (the clock index since each shard's watermark) started, every minute",
    ),
    c.SURGE_FUNCTION: FunctionSpec(
        trigger=ScheduleTrigger(every_minutes=c.SURGE_CHECK_EVERY_MINUTES),
        memory_mb=256,
        timeout_s=c.SURGE_TIMEOUT_S,
        description="Surge check: message counts per topic and brand account against their baseline",
    ),
    c.METRICS_FUNCTION: FunctionSpec(
        trigger=ScheduleTrigger(every_minutes=c.METRICS_SCHEDULE_MINUTES),
        memory_mb=256,
        timeout_s=c.METRICS_TIMEOUT_S,
        description="The teams' open work (the queue index) to CloudWatch, every minute",
    ),
    c.REPORT_FUNCTION: FunctionSpec(
        trigger=ScheduleTrigger(cron=c.REPORT_SCHEDULE),
        memory_mb=512,
        timeout_s=c.REPORT_TIMEOUT_S,
        description="Yesterday's accountability report and marketing summary, stored in S3 (daily)",
    ),
}


def discover_functions(functions_dir: Path) -> tuple[list[str], list[str]]:
    """(folders with a handler and a known trigger, folders with a handler but no trigger), sorted."""
    present = sorted(p.parent.name for p in functions_dir.glob("*/handler.py"))
    return [f for f in present if f in TRIGGERS], [f for f in present if f not in TRIGGERS]


def environment(name: str, resources: CoreResources, config: StageConfig) -> dict[str, str]:
    """What each handler's ``from_env()`` reads, and nothing else."""
    table = resources.table.table.table_name
    bucket = resources.raw.bucket.bucket_name
    secret = resources.platform_secret.secret.secret_arn
    envs: dict[str, dict[str, str]] = {
        c.WEBHOOK_FUNCTION: {
            c.ENV_INBOUND_QUEUE_URL: resources.queues.inbound.queue.queue_url,
            c.ENV_RAW_BUCKET: bucket,
            c.ENV_PLATFORM_SECRET_ARN: secret,
        },
        c.INGEST_FUNCTION: {
            c.ENV_TABLE_NAME: table,
            c.ENV_RAW_BUCKET: bucket,
            # Where it archives the raw bodies its messages carry: each platform's Firehose stream.
            c.ENV_RAW_STREAMS: json.dumps(resources.raw.stream_names, sort_keys=True),
            # Its own queue: a delivery waiting for a message is put back for a delay there.
            c.ENV_INBOUND_QUEUE_URL: resources.queues.inbound.queue.queue_url,
            # A new case's acknowledge task goes to the outbound function (socialcare.automated).
            c.ENV_OUTBOUND_QUEUE_URL: resources.queues.outbound.queue.queue_url,
            c.ENV_BRAND_ACCOUNTS: json.dumps(BrandAccounts.from_document(config.brand_accounts).to_document()),
            c.ENV_DEFAULT_TEAM: config.default_team,
            c.ENV_REOPEN_WINDOW_HOURS: str(config.reopen_window_hours),
            c.ENV_ACCOUNT_TEAMS: json.dumps(dict(config.account_teams), sort_keys=True),
            **({c.ENV_EVENT_BUS_NAME: resources.event_bus.event_bus_name} if resources.event_bus else {}),
            **({c.ENV_ROUTING_RULES: json.dumps(config.routing_rules, sort_keys=True)} if config.routing_rules else {}),
        },
        c.OUTBOUND_FUNCTION: {
            c.ENV_TABLE_NAME: table,
            c.ENV_OUTBOUND_QUEUE_URL: resources.queues.outbound.queue.queue_url,
            c.ENV_PLATFORM_SECRET_ARN: secret,
            # Department requests: the answer link's key (the API's secret) and where the department is
            # told; the link's base URL (the agent API's address) is added once the API exists (stack).
            c.ENV_API_SECRET_ARN: resources.api_secret.secret.secret_arn,
            **({c.ENV_EVENT_BUS_NAME: resources.event_bus.event_bus_name} if resources.event_bus else {}),
        },
        # The teams it watches: those ingest routes cases to.
        c.METRICS_FUNCTION: {
            c.ENV_TABLE_NAME: table,
            c.ENV_DEFAULT_TEAM: config.default_team,
            c.ENV_ACCOUNT_TEAMS: json.dumps(dict(config.account_teams), sort_keys=True),
            **({c.ENV_ROUTING_RULES: json.dumps(config.routing_rules, sort_keys=True)} if config.routing_rules else {}),
        },
    }
    surges = {c.ENV_SURGE_SETTINGS: json.dumps(config.surges, sort_keys=True)} if config.surges else {}
    envs[c.INGEST_FUNCTION].update(surges)
    if name == c.CLOCK_FUNCTION:
        assert resources.case_clock is not None
        follow_up = resources.follow_up
        return {
            c.ENV_CASE_CLOCK_ARN: resources.case_clock.state_machine_arn,
            c.ENV_TABLE_NAME: table,
            **({c.ENV_FOLLOW_UP_ARN: follow_up.state_machine_arn} if follow_up is not None else {}),
        }
    if name == c.CLOCK_SWEEP_FUNCTION:
        assert resources.case_clock is not None
        return {c.ENV_CASE_CLOCK_ARN: resources.case_clock.state_machine_arn, c.ENV_TABLE_NAME: table}
    if name == c.SURGE_FUNCTION:
        assert resources.event_bus is not None, "the surge check puts its events on the project's bus"
        return {c.ENV_TABLE_NAME: table, c.ENV_EVENT_BUS_NAME: resources.event_bus.event_bus_name, **surges}
    if name == c.REPORT_FUNCTION:
        return report_environment(resources, config)
    return envs[name]


def report_environment(resources: CoreResources, config: StageConfig) -> dict[str, str]:
    """What ``socialcare.reports.config.ReportConfig`` reads (the report function's and the agent API's):
    the table, the reports bucket, the report's time zone and the teams cases are routed to."""
    assert resources.reports is not None, "the reports bucket is made before what reads or writes it"
    return {
        c.ENV_TABLE_NAME: resources.table.table.table_name,
        c.ENV_REPORTS_BUCKET: resources.reports.bucket.bucket_name,
        c.ENV_REPORT_TIME_ZONE: config.report_time_zone,
        c.ENV_DEFAULT_TEAM: config.default_team,
        c.ENV_ACCOUNT_TEAMS: json.dumps(dict(config.account_teams), sort_keys=True),
        **({c.ENV_ROUTING_RULES: json.dumps(config.routing_rules, sort_keys=True)} if config.routing_rules else {}),
    }


class Functions(Construct):
    """Every deployable function folder as a Lambda function on the core layer."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        functions_dir: Path,
        layer: lambda_.ILayerVersion,
        resources: CoreResources,
        config: StageConfig,
        names: ResourceNames,
    ) -> None:
        super().__init__(scope, id)
        deployable, untriggered = discover_functions(functions_dir)
        for folder in untriggered:
            Annotations.of(self).add_warning_v2(
                "socialcare:function-without-trigger",
                f"functions/{folder} has no entry in socialcare_infra.components.functions.TRIGGERS: not deployed",
            )
        for starter in (c.CLOCK_FUNCTION, c.CLOCK_SWEEP_FUNCTION):
            if resources.case_clock is None and starter in deployable:
                deployable.remove(starter)
                Annotations.of(self).add_warning_v2(
                    "socialcare:clock-without-machine",
                    f"functions/{starter} starts the case clock, and no case_clock.asl.json is deployed: not deployed",
                )
        self.functions: dict[str, lambda_.Function] = {}
        self.log_groups: dict[str, logs.LogGroup] = {}
        self.stream_failures: sqs.Queue | None = None
        self.schedules: dict[str, ScheduledInvocation] = {}
        self.missed_runs: dict[str, sqs.IQueue] = {}  # a scheduled function -> its schedule's dead-letter queue
        for name in deployable:
            spec = TRIGGERS[name]
            construct_id = name.title()
            role = lambda_role(self, f"{construct_id}Role", description=f"socialcare {name} function ({config.name})")
            log_group = stage_log_group(self, f"{construct_id}Logs", config=config)
            grant_logging_and_tracing(role, log_group, puts_metrics=access.ACCESS[name].puts_metrics)
            grant_access(role, access.ACCESS[name], resources)
            reserved = config.webhook_reserved_concurrency if name == c.WEBHOOK_FUNCTION else 0
            function = lambda_.Function(
                self,
                construct_id,
                function_name=names.function(name),
                description=spec.description,
                code=lambda_.Code.from_asset(str(functions_dir / name), exclude=["__pycache__", "*.pyc"]),
                handler="handler.handler",
                runtime=runtime(),
                architecture=architecture(),
                layers=[layer],
                memory_size=spec.memory_mb,
                timeout=Duration.seconds(spec.timeout_s),
                environment=environment(name, resources, config),
                role=role,
                log_group=log_group,
                tracing=lambda_.Tracing.ACTIVE,
                reserved_concurrent_executions=reserved or None,
            )
            acknowledge(
                function,
                "AwsSolutions-L1",
                f"All functions share one runtime ({RUNTIME_NAME}, socialcare_infra.runtime) so the one layer serves "
                "them all; it is a current runtime, and moving to a newer one is a deliberate, tested change.",
            )
            if isinstance(spec.trigger, QueueTrigger):
                queue = resources.queues.by_key(spec.trigger.queue).queue
                lambda_.EventSourceMapping(
                    self,
                    f"{construct_id}Source",
                    target=function,
                    event_source_arn=queue.queue_arn,
                    batch_size=spec.trigger.batch_size,
                    max_batching_window=Duration.seconds(spec.trigger.max_batching_window_s),
                    report_batch_item_failures=True,
                    max_concurrency=_max_concurrency(name, config),
                )
            if isinstance(spec.trigger, StreamTrigger):
                self._stream_source(construct_id, function, spec.trigger, resources, names)
            if isinstance(spec.trigger, ScheduleTrigger):
                self.schedules[name] = ScheduledInvocation(
                    self,
                    f"{construct_id}Schedule",
                    function=function,
                    every=Duration.minutes(spec.trigger.every_minutes) if spec.trigger.every_minutes else None,
                    cron=spec.trigger.cron,
                    time_zone=config.report_time_zone,
                    description=spec.description,
                    dead_letter_queue_name=names.missed_runs(name),
                )
                self.missed_runs[name] = self.schedules[name].dead_letter_queue
            self.functions[name] = function
            self.log_groups[name] = log_group

    def _stream_source(
        self,
        construct_id: str,
        function: lambda_.Function,
        trigger: StreamTrigger,
        resources: CoreResources,
        names: ResourceNames,
    ) -> None:
        """The table's stream, filtered, with its own on-failure queue (records given up after retries)."""
        self.stream_failures = dead_letter_queue(
            self,
            f"{construct_id}Failures",
            queue_name=names.clock_failures,
            acknowledged_as=(
                "This queue is itself the on-failure destination of the clock function's stream mapping; "
                "it holds the failed records' metadata, and its depth raises an alarm."
            ),
        )
        function.add_event_source(
            sources.DynamoEventSource(
                resources.table.table,
                starting_position=lambda_.StartingPosition.LATEST,
                batch_size=trigger.batch_size,
                bisect_batch_on_error=False,
                retry_attempts=trigger.max_retry_attempts,
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(self.stream_failures),
                filters=[lambda_.FilterCriteria.filter(dict(pattern)) for pattern in trigger.filter_patterns],
            )
        )

    def with_trigger(self, trigger: type[HttpTrigger] | type[QueueTrigger]) -> Mapping[str, lambda_.Function]:
        return {name: fn for name, fn in self.functions.items() if isinstance(TRIGGERS[name].trigger, trigger)}


def _max_concurrency(name: str, config: StageConfig) -> int:
    return config.outbound_max_concurrency if name == c.OUTBOUND_FUNCTION else config.ingest_max_concurrency
