"""Alarms (routed to one SNS topic) and the operations dashboard.

An alarm for every way a message can get stuck or lost: a message in any DLQ, any function error or
throttle, a webhook or agent API 5xx (a platform retries, an agent sees an error), and a queue whose
oldest message waits too long (ingest or sending has stalled). Missing data is "not breaching": a
quiet system is a healthy one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct
from socialcare import constants as c

from socialcare_infra.components.queues import QueueWithDlq
from socialcare_infra.config import StageConfig
from socialcare_infra.names import ResourceNames

FIVE_MINUTES = Duration.minutes(5)
ONE_MINUTE = Duration.minutes(1)


@dataclass(frozen=True)
class MonitoredApis:
    webhook: apigwv2.HttpApi | None
    agent_api_name: str | None
    agent_api_stage: str = "api"  # Chalice's default API Gateway stage


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
        state_machines: Mapping[str, sfn.IStateMachine] | None = None,
        stream_consumers: Mapping[str, tuple[str, sqs.IQueue]] | None = None,
        notification_failures: sqs.IQueue | None = None,
        missed_runs: Mapping[str, sqs.IQueue] | None = None,
    ) -> None:
        """``functions`` maps a label (``webhook``, ``agent-api``...) to the deployed function name."""
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
            self._alarm(
                f"{label}-dlq",
                pair.dlq.metric_approximate_number_of_messages_visible(period=ONE_MINUTE, statistic="Maximum"),
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
        if apis.webhook is not None:
            self._alarm(
                "webhook-5xx",
                apis.webhook.metric_server_error(period=FIVE_MINUTES, statistic="Sum"),
                "the webhook endpoint answered 5xx (platforms retry; Meta disables a webhook that keeps failing)",
            )
        if apis.agent_api_name is not None:
            self._alarm(
                "agent-api-5xx",
                _agent_api_metric("5XXError", apis.agent_api_name, apis.agent_api_stage, "Sum"),
                "the agent API answered 5xx",
            )

        for stem, machine in (state_machines or {}).items():
            self._alarm(
                f"{stem.replace('_', '-')}-failed",
                machine.metric_failed(period=FIVE_MINUTES, statistic="Sum"),
                f"{stem} executions failed (a case clock that fails stops escalating its case)",
            )

        # label -> (function name, on-failure queue) of the functions fed by the table's stream.
        for label, (function_name, failures) in (stream_consumers or {}).items():
            self._alarm(
                f"{label}-stream-failures",
                failures.metric_approximate_number_of_messages_visible(period=ONE_MINUTE, statistic="Maximum"),
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
            self._alarm(
                "notifications-dlq",
                notification_failures.metric_approximate_number_of_messages_visible(
                    period=ONE_MINUTE, statistic="Maximum"
                ),
                "notifications (SLA escalations, sensitive cases) EventBridge could not deliver to the topic "
                "or the chat webhook after its retries: nobody was told; read them and tell the team",
            )

        # label -> dead-letter queue of a scheduled function's schedule (the daily reports).
        for label, queue in (missed_runs or {}).items():
            self._alarm(
                f"{label}-missed-runs",
                queue.metric_approximate_number_of_messages_visible(period=ONE_MINUTE, statistic="Maximum"),
                f"the {label} function's schedule could not invoke it after its retries: invoke it by hand for "
                "the dates missed (see the README, Accountability report)",
            )

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=names.dashboard)
        self._widgets(functions=functions, queues=queues, apis=apis, table=table)

    def _alarm(
        self, name: str, metric: cloudwatch.IMetric, description: str, *, threshold: float = 0, periods: int = 1
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            _construct_id(name),
            alarm_name=f"socialcare-{self._stage}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
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
        if apis.webhook is not None:
            board.add_widgets(*_webhook_widgets(apis.webhook))
        board.add_widgets(*_queue_widgets(queues))
        board.add_widgets(*_function_widgets(functions))
        board.add_widgets(*_table_and_agent_api_widgets(table, apis))


def _webhook_widgets(api: apigwv2.HttpApi) -> list[cloudwatch.GraphWidget]:
    return [
        _graph("Webhook requests", [api.metric_count(period=FIVE_MINUTES, statistic="Sum")]),
        _graph(
            "Webhook errors",
            [
                api.metric_client_error(period=FIVE_MINUTES, statistic="Sum"),
                api.metric_server_error(period=FIVE_MINUTES, statistic="Sum"),
            ],
        ),
        _graph("Webhook latency p99 (ms)", [api.metric_latency(period=FIVE_MINUTES, statistic="p99")]),
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
