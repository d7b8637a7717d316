"""Alarms (routed to one SNS topic), the operations dashboard and the care floor's dashboards.

An alarm for every way a message can get stuck or lost: a message in any DLQ (a scheduled run that
never happened included), any function error or throttle, a webhook or agent API 5xx (a platform
retries, an agent sees an error), a burst of webhook 4xx (forged or misconfigured deliveries), a queue
whose oldest message waits too long (ingest or sending has stalled), a failed execution of any state
machine, a raw archive stream that failed to deliver to S3, replies the platforms refused; for the care floor: breaches rising, and a customer waiting
longer than the stage's limit; and for the business: a surge of messages on a topic or brand account
(the surge check's ``SurgesDetected``). Missing data is "not breaching": a quiet system is a healthy one.

The care floor and accountability dashboards are built from ``socialcare_infra.dashboards`` (the data
``socialcare dashboard`` renders locally), one CloudWatch dashboard each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct
from socialcare import constants as c
from socialcare.model import metrics as m

from socialcare_infra import dashboards
from socialcare_infra.components.queues import QueueWithDlq
from socialcare_infra.config import StageConfig
from socialcare_infra.names import ResourceNames

FIVE_MINUTES = Duration.minutes(5)
ONE_MINUTE = Duration.minutes(1)


@dataclass(frozen=True)
class MonitoredApis:
    webhook_function: str | None  # the function behind the webhook's function URL
    agent_api_name: str | None
    agent_api_stage: str = "api"  # Chalice's default API Gateway stage


# What a failed execution of each state machine leaves undone (the alarm's description says it).
FAILED_EXECUTION_MEANS = {
    "case_clock": "a case clock that fails stops escalating its case",
    "follow_up": "a follow-up that fails neither nudges the customer nor resolves the case",
}


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        names: ResourceNames,
        functions: Mapping[str, str],
        queues: Mapping[str, QueueWithDlq],
        apis: MonitoredApis,
        table: dynamodb.ITable,
        raw_archive: Mapping[str, str] | None = None,
        state_machines: Mapping[str, sfn.IStateMachine] | None = None,
        stream_consumers: Mapping[str, tuple[str, sqs.IQueue]] | None = None,
        notification_failures: sqs.IQueue | None = None,
        missed_runs: Mapping[str, sqs.IQueue] | None = None,
        surges: bool = False,
    ) -> None:
        """``functions`` maps a label (``webhook``, ``agent-api``...) to the deployed function name;
        ``raw_archive`` a platform to its raw archive's Firehose stream name;
        ``missed_runs`` a scheduled function's label to its schedule's dead-letter queue; ``surges``:
        the surge check is deployed (its metric gets an alarm)."""
        super().__init__(scope, id)
        self.topic = sns.Topic(
            self, "AlarmTopic", topic_name=names.alarm_topic, display_name=f"socialcare {config.name} alarms",
            enforce_ssl=True,
        )  # fmt: skip
        # No KMS key on purpose: notifications carry alarm and metric names, never customer data, and
        # CloudWatch cannot publish to a topic under the AWS-managed SNS key (a customer-managed key
        # would cost more than the rest of the idle stack).
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        if config.alarm_https_endpoint:
            self.topic.add_subscription(subscriptions.UrlSubscription(config.alarm_https_endpoint))
        self._action = cw_actions.SnsAction(self.topic)
        self._stage = config.name
        self.alarms: list[cloudwatch.Alarm] = []

        for label, function_name in functions.items():
            self._alarm(f"{label}-errors", _lambda_metric("Errors", function_name), f"{label} function errors")
            self._alarm(f"{label}-throttles", _lambda_metric("Throttles", function_name), f"{label} throttled")
        for label, pair in queues.items():
            self._not_empty(
                f"{label}-dlq",
                pair.dlq,
                f"messages in the {label} dead-letter queue: they failed {pair.max_receive_count} times "
                "and wait for an operator (redrive them once the cause is fixed)",
            )
            self._alarm(
                f"{label}-age",
                pair.queue.metric_approximate_age_of_oldest_message(period=ONE_MINUTE, statistic="Maximum"),
                f"the oldest {label} message has waited over {config.queue_age_alarm_seconds} s",
                threshold=config.queue_age_alarm_seconds,
                periods=3,
            )
        if apis.webhook_function is not None:
            self._alarm(
                "webhook-5xx",
                _lambda_metric("Url5xxCount", apis.webhook_function),
                "the webhook endpoint answered 5xx (platforms retry; Meta disables a webhook that keeps failing)",
            )
        if apis.agent_api_name is not None:
            self._alarm(
                "agent-api-5xx",
                _agent_api_metric("5XXError", apis.agent_api_name, apis.agent_api_stage, "Sum"),
                "the agent API answered 5xx",
            )

        for platform, stream in (raw_archive or {}).items():
            self._alarm(
                f"raw-archive-{platform}-delivery",
                archive_delivery_metric(stream),
                f"the {platform} raw archive's Firehose stream failed S3 puts (Firehose retries them for 24 hours; "
                "check the stream's role and the raw bucket before its records expire)",
                threshold=1,
                below=True,
            )

        for stem, machine in (state_machines or {}).items():
            self._alarm(
                f"{stem.replace('_', '-')}-failed",
                machine.metric_failed(period=FIVE_MINUTES, statistic="Sum"),
                f"{stem} executions failed ({FAILED_EXECUTION_MEANS.get(stem, 'a timer of a case stopped')})",
            )

        # label -> (function name, on-failure queue) of the functions fed by the table's stream.
        for label, (function_name, failures) in (stream_consumers or {}).items():
            self._not_empty(
                f"{label}-stream-failures",
                failures,
                f"stream records the {label} function gave up on after its retries (a case whose clock may not "
                "have started: read the record's sequence numbers, then write the case again)",
            )
            self._alarm(
                f"{label}-iterator-age",
                _lambda_metric("IteratorAge", function_name, statistic="Maximum"),
                f"the {label} function is over a minute behind the table's stream",
                threshold=60_000,
                periods=3,
            )

        if notification_failures is not None:
            self._not_empty(
                "notifications-dlq",
                notification_failures,
                "notifications (SLA escalations, sensitive cases) EventBridge could not deliver to the topic "
                "or the chat webhook after its retries: nobody was told; read them and tell the team",
            )
        if surges:
            self._alarm(
                "surge",
                surge_metric(),
                "a surge: more messages on a topic or brand account than its recent baseline explains; the "
                "'Surge detected' events on the project's bus name it, with its count and example cases",
            )

        for function, queue in (missed_runs or {}).items():
            self._not_empty(
                f"{function}-missed-runs",
                queue,
                f"the {function} function's schedule could not invoke it (after its retries): runs were missed "
                "(check the function's errors; a missed daily report is made by invoking it for the dates)",
            )
        self._care_floor_alarms(config, apis)

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=names.dashboard)
        self._widgets(functions=functions, queues=queues, apis=apis, table=table)
        if surges:
            self.dashboard.add_widgets(_graph("Surges detected", [surge_metric()]))
        self.metrics_dashboards = {
            board.key: metrics_dashboard(self, board, names.metrics_dashboard(board.key))
            for board in dashboards.DASHBOARDS
        }

    def _care_floor_alarms(self, config: StageConfig, apis: MonitoredApis) -> None:
        self._alarm(
            "breaches-rising",
            cloudwatch.MathExpression(
                expression="DIFF(breaches)",
                using_metrics={"breaches": _published(m.IN_BREACH, "Maximum", FIVE_MINUTES)},
                label="change in cases in breach",
                period=FIVE_MINUTES,
            ),
            "more cases in breach than five minutes before, three times running: the care floor is falling behind",
            periods=3,
        )
        self._alarm(
            "oldest-unanswered",
            _published(m.OLDEST_UNANSWERED_AGE, "Maximum", ONE_MINUTE),
            f"a customer has waited over {config.oldest_unanswered_alarm_minutes} minutes for an answer",
            threshold=config.oldest_unanswered_alarm_minutes * 60,
            periods=3,
        )
        self._alarm(
            "outbound-failures",
            cloudwatch.Metric(
                namespace=c.METRICS_NAMESPACE,
                metric_name=m.OUTBOUND_FAILURES,
                dimensions_map={"service": m.OUTBOUND_SERVICE},
                period=FIVE_MINUTES,
                statistic="Sum",
            ),
            "replies the platforms refused or that failed for good (the agent sees them failed on the case)",
        )
        if apis.webhook_function is not None:
            self._alarm(
                "webhook-4xx",
                _lambda_metric("Url4xxCount", apis.webhook_function),
                f"over {config.webhook_4xx_alarm_count} webhook requests refused with 4xx in five minutes: "
                "forged or misconfigured deliveries (a rotated secret not yet in the platform secret?)",
                threshold=config.webhook_4xx_alarm_count,
            )

    def _not_empty(self, name: str, queue: sqs.IQueue, description: str) -> None:
        """An alarm as soon as a queue of what failed (a dead-letter queue) holds anything."""
        self._alarm(
            name,
            queue.metric_approximate_number_of_messages_visible(period=ONE_MINUTE, statistic="Maximum"),
            description,
        )

    def _alarm(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        description: str,
        *,
        threshold: float = 0,
        periods: int = 1,
        below: bool = False,
    ) -> None:
        """An alarm when ``metric`` is over ``threshold`` (under it, ``below``) for ``periods`` running."""
        comparison = cloudwatch.ComparisonOperator
        alarm = cloudwatch.Alarm(
            self,
            _construct_id(name),
            alarm_name=f"socialcare-{self._stage}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison.LESS_THAN_THRESHOLD if below else comparison.GREATER_THAN_THRESHOLD,
            evaluation_periods=periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)

    def _widgets(
        self,
        *,
        functions: Mapping[str, str],
        queues: Mapping[str, QueueWithDlq],
        apis: MonitoredApis,
        table: dynamodb.ITable,
    ) -> None:
        board = self.dashboard
        board.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24, height=4),
        )
        if apis.webhook_function is not None:
            board.add_widgets(*_webhook_widgets(apis.webhook_function))
        board.add_widgets(*_queue_widgets(queues))
        board.add_widgets(*_function_widgets(functions))
        board.add_widgets(*_table_and_agent_api_widgets(table, apis))


def _webhook_widgets(function_name: str) -> list[cloudwatch.GraphWidget]:
    """The webhook function URL's own metrics (AWS/Lambda ``Url*``, by FunctionName)."""
    return [
        _graph("Webhook requests", [_lambda_metric("UrlRequestCount", function_name, label="requests")]),
        _graph(
            "Webhook errors",
            [
                _lambda_metric("Url4xxCount", function_name, label="4xx"),
                _lambda_metric("Url5xxCount", function_name, label="5xx"),
            ],
        ),
        _graph(
            "Webhook latency p99 (ms)",
            [_lambda_metric("UrlRequestLatency", function_name, label="latency", statistic="p99")],
        ),
        _graph(
            "Deliveries by platform",
            [
                _search("platform,service", 'MetricName="DeliveriesAccepted"', "accepted"),
                _search("service", 'MetricName="DeliveriesRefused"', "refused"),
            ],
        ),
    ]


def _queue_widgets(queues: Mapping[str, QueueWithDlq]) -> list[cloudwatch.GraphWidget]:
    return [
        _graph(
            "Queue depth",
            [q.queue.metric_approximate_number_of_messages_visible(period=ONE_MINUTE) for q in queues.values()],
        ),
        _graph(
            "Oldest message age (s)",
            [q.queue.metric_approximate_age_of_oldest_message(period=ONE_MINUTE) for q in queues.values()],
        ),
        _graph(
            "Dead-letter queues",
            [q.dlq.metric_approximate_number_of_messages_visible(period=ONE_MINUTE) for q in queues.values()],
        ),
        _graph("Ingest outcomes", [_search("service", 'service="ingest"', "ingest")]),
    ]


def _function_widgets(functions: Mapping[str, str]) -> list[cloudwatch.GraphWidget]:
    return [
        _graph("Invocations", [_lambda_metric("Invocations", n, label=k) for k, n in functions.items()]),
        _graph("Errors", [_lambda_metric("Errors", n, label=k) for k, n in functions.items()]),
        _graph("Throttles", [_lambda_metric("Throttles", n, label=k) for k, n in functions.items()]),
        _graph(
            "Duration p99 (ms)",
            [_lambda_metric("Duration", n, label=k, statistic="p99") for k, n in functions.items()],
        ),
    ]


def _table_and_agent_api_widgets(table: dynamodb.ITable, apis: MonitoredApis) -> list[cloudwatch.GraphWidget]:
    widgets = [
        _graph(
            "DynamoDB consumed capacity",
            [
                table.metric_consumed_read_capacity_units(period=FIVE_MINUTES, statistic="Sum"),
                table.metric_consumed_write_capacity_units(period=FIVE_MINUTES, statistic="Sum"),
            ],
        ),
        _graph(
            "DynamoDB throttled requests",
            [
                cloudwatch.Metric(
                    namespace="AWS/DynamoDB",
                    metric_name="ThrottledRequests",
                    dimensions_map={"TableName": table.table_name},
                    period=FIVE_MINUTES,
                    statistic="Sum",
                )
            ],
        ),
    ]
    if apis.agent_api_name is not None:
        name, stage = apis.agent_api_name, apis.agent_api_stage
        widgets += [
            _graph("Agent API requests", [_agent_api_metric("Count", name, stage, "Sum")]),
            _graph(
                "Agent API errors",
                [
                    _agent_api_metric("4XXError", name, stage, "Sum"),
                    _agent_api_metric("5XXError", name, stage, "Sum"),
                ],
            ),
        ]
    return widgets


def surge_metric() -> cloudwatch.Metric:
    """The surge check's EMF metric: surges it raised, summed over five minutes (one check)."""
    return cloudwatch.Metric(
        namespace=c.METRICS_NAMESPACE,
        metric_name=c.SURGE_METRIC,
        dimensions_map={"service": c.SURGE_FUNCTION},
        period=FIVE_MINUTES,
        statistic="Sum",
    )


def archive_delivery_metric(stream_name: str) -> cloudwatch.Metric:
    """Firehose's successful S3 puts over all its S3 puts (1 when every put succeeded), its worst
    five minutes: below 1 means a put failed."""
    return cloudwatch.Metric(
        namespace="AWS/Firehose",
        metric_name="DeliveryToS3.Success",
        dimensions_map={"DeliveryStreamName": stream_name},
        period=FIVE_MINUTES,
        statistic="Minimum",
    )


def metrics_dashboard(scope: Construct, board: dashboards.Dashboard, name: str) -> cloudwatch.Dashboard:
    """One of ``socialcare_infra.dashboards``, as a CloudWatch dashboard: three graphs to a row."""
    construct_id = "".join(part.title() for part in board.key.split("-")) + "Dashboard"
    dashboard = cloudwatch.Dashboard(scope, construct_id, dashboard_name=name)
    dashboard.add_widgets(cloudwatch.TextWidget(markdown=f"# {board.title}", width=24, height=1))
    graphs = [
        cloudwatch.GraphWidget(
            title=widget.title,
            left=[_widget_metric(series, widget.period_s) for series in widget.series],
            left_y_axis=cloudwatch.YAxisProps(label=widget.unit, show_units=False, min=0),
            width=8,
            height=6,
        )
        for widget in board.widgets
    ]
    for start in range(0, len(graphs), 3):
        dashboard.add_widgets(*graphs[start : start + 3])
    return dashboard


def _widget_metric(series: dashboards.Series | dashboards.Attainment, period_s: int) -> cloudwatch.IMetric:
    period = Duration.seconds(period_s)
    if isinstance(series, dashboards.Attainment):
        met, missed = f"met_{series.kind}", f"missed_{series.kind}"
        return cloudwatch.MathExpression(
            expression=f"100 * FILL({met}, 0) / (FILL({met}, 0) + FILL({missed}, 0))",
            using_metrics={met: _series_metric(series.met, period), missed: _series_metric(series.missed, period)},
            label=series.label,
            period=period,
        )
    if series.by is None:
        return _series_metric(series, period)
    names = ",".join(series.dimension_names)
    service = f' service="{series.service}"' if series.service else ""
    return cloudwatch.MathExpression(
        expression=(
            f"SEARCH('{{{c.METRICS_NAMESPACE},{names}}} MetricName=\"{series.metric}\"{service}', "
            f"'{series.stat}', {period_s})"
        ),
        using_metrics={},
        # One line per team (channel): a fixed label would name them all alike.
        label=" ".join(part for part in (series.label, f"${{PROP('Dim.{series.by}')}}") if part),
        period=period,
    )


def _series_metric(series: dashboards.Series, period: Duration) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=c.METRICS_NAMESPACE,
        metric_name=series.metric,
        dimensions_map={"service": series.service} if series.service else None,
        period=period,
        statistic=series.stat,
        label=series.label or None,
    )


def _published(metric: str, statistic: str, period: Duration) -> cloudwatch.Metric:
    """A total of the open-work publisher (no dimension: every team and channel)."""
    return cloudwatch.Metric(namespace=c.METRICS_NAMESPACE, metric_name=metric, period=period, statistic=statistic)


def _construct_id(name: str) -> str:
    return "".join(part.title() for part in name.replace("_", "-").split("-")) + "Alarm"


def _lambda_metric(
    metric: str, function_name: str, *, label: str | None = None, statistic: str = "Sum"
) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name=metric,
        dimensions_map={"FunctionName": function_name},
        period=FIVE_MINUTES,
        statistic=statistic,
        label=label,
    )


def _agent_api_metric(metric: str, api_name: str, stage: str, statistic: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/ApiGateway",
        metric_name=metric,
        dimensions_map={"ApiName": api_name, "Stage": stage},
        period=FIVE_MINUTES,
        statistic=statistic,
    )


def _search(dimensions: str, term: str, label: str) -> cloudwatch.MathExpression:
    """The functions' own metrics (Powertools EMF), whatever dimension values they carry."""
    return cloudwatch.MathExpression(
        expression=f"SEARCH('{{{c.METRICS_NAMESPACE},{dimensions}}} {term}', 'Sum', 300)",
        using_metrics={},
        label=label,
        period=FIVE_MINUTES,
    )


def _graph(title: str, metrics: list[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=metrics, width=6, height=6)
