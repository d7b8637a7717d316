"""Turns an ``access.Access`` into IAM statements on a role, against the deployed resources."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct
from socialcare import constants as c
from socialcare.aws import keys

from socialcare_infra import access
from socialcare_infra.checks import acknowledge
from socialcare_infra.components.queues import Queues
from socialcare_infra.components.secrets import ApiSecret, PlatformSecret
from socialcare_infra.components.storage import CaseTable, RawBucket, ReportsBucket


@dataclass(frozen=True)
class CoreResources:
    """What the functions and the API work on."""

    table: CaseTable
    raw: RawBucket
    queues: Queues
    platform_secret: PlatformSecret
    api_secret: ApiSecret
    case_clock: sfn.IStateMachine | None = None  # the case-clock state machine, when deployed
    follow_up: sfn.IStateMachine | None = None  # the follow-up state machine, when deployed
    event_bus: events.IEventBus | None = None  # the project's event bus
    department_escalation: sfn.IStateMachine | None = None  # the department escalation machine, when deployed
    reports: ReportsBucket | None = None  # the stored reports

    def secret_arn(self, key: str) -> str:
        secrets = {access.PLATFORM_SECRET: self.platform_secret.secret, access.API_SECRET: self.api_secret.secret}
        return secrets[key].secret_arn


def lambda_role(scope: Construct, id: str, *, description: str) -> iam.Role:
    """A role for one function (or one app's functions) with no permissions yet: grants come next."""
    return iam.Role(scope, id, assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description)


def grant_access(role: iam.Role, grants: access.Access, resources: CoreResources) -> None:
    """Exactly the actions in ``grants``, each on exactly the resources it concerns."""
    statements: list[iam.PolicyStatement] = []
    if grants.table:
        statements.append(iam.PolicyStatement(actions=list(grants.table), resources=[resources.table.table.table_arn]))
    if grants.sweep_watermarks:
        statements.append(
            iam.PolicyStatement(
                actions=list(grants.sweep_watermarks),
                resources=[resources.table.table.table_arn],
                conditions={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [keys.CLOCK_SWEEP_PK]}},
            )
        )
    if grants.indexes:
        statements.append(
            iam.PolicyStatement(actions=[access.QUERY], resources=resources.table.index_arns(grants.indexes))
        )
    if grants.raw_objects:
        statements.append(
            iam.PolicyStatement(
                actions=list(grants.raw_objects),
                resources=[resources.raw.bucket.arn_for_objects(f"{c.RAW_KEY_PREFIX}*")],
            )
        )
    if grants.archives_raw:
        streams = [stream.attr_arn for stream in resources.raw.streams.values()]
        statements.append(iam.PolicyStatement(actions=list(access.ARCHIVE_PUT), resources=streams))
    if grants.consumes:
        queue = resources.queues.by_key(grants.consumes).queue
        actions = [*access.SQS_CONSUME, *(access.SQS_CHANGE_VISIBILITY if grants.changes_visibility else ())]
        statements.append(iam.PolicyStatement(actions=actions, resources=[queue.queue_arn]))
    if grants.sends_to:
        arns = [resources.queues.by_key(key).queue.queue_arn for key in grants.sends_to]
        statements.append(iam.PolicyStatement(actions=list(access.SQS_SEND), resources=arns))
    if grants.secrets:
        arns = [resources.secret_arn(key) for key in grants.secrets]
        statements.append(iam.PolicyStatement(actions=list(access.SECRET_READ), resources=arns))
    statements += _clock_statements(grants, resources)
    statements += _report_statements(role, grants, resources)
    for statement in statements:
        role.add_to_principal_policy(statement)
    if grants.raw_objects:
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{_logical_ref(resources.raw)}>/{c.RAW_KEY_PREFIX}*]",
            "Object actions need an object ARN pattern: this one is limited to the raw-delivery prefix of the "
            "one raw bucket (the webhook's keys are raw/<platform>/<yyyy/mm/dd>/<sha256>.json).",
        )


def _report_statements(role: iam.Role, grants: access.Access, resources: CoreResources) -> list[iam.PolicyStatement]:
    if not (grants.report_objects or grants.lists_reports):
        return []
    assert resources.reports is not None, "the reports bucket is made before what reads or writes it"
    bucket = resources.reports.bucket
    statements = []
    if grants.report_objects:
        statements.append(
            iam.PolicyStatement(
                actions=list(grants.report_objects), resources=[bucket.arn_for_objects(f"{c.REPORTS_KEY_PREFIX}*")]
            )
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{_logical_ref(resources.reports)}>/{c.REPORTS_KEY_PREFIX}*]",
            "Object actions need an object ARN pattern: this one is limited to the reports prefix of the one "
            "reports bucket (keys reports/<report>/dt=<yyyy-mm-dd>/<file>).",
        )
    if grants.lists_reports:
        statements.append(
            iam.PolicyStatement(
                actions=list(access.LIST_BUCKET),
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{c.REPORTS_KEY_PREFIX}*"]}},
            )
        )
    return statements


def _clock_statements(grants: access.Access, resources: CoreResources) -> list[iam.PolicyStatement]:
    # ``reads_stream`` needs no statement here: binding the stream event source grants exactly it.
    statements: list[iam.PolicyStatement] = []
    if grants.starts_case_clocks:
        assert resources.case_clock is not None, "the case clock is deployed before the functions that start it"
        statements.append(
            iam.PolicyStatement(
                actions=list(access.START_EXECUTION), resources=[resources.case_clock.state_machine_arn]
            )
        )
    if grants.starts_follow_ups and resources.follow_up is not None:
        statements.append(
            iam.PolicyStatement(actions=list(access.START_EXECUTION), resources=[resources.follow_up.state_machine_arn])
        )
    if grants.department_escalation and resources.department_escalation is not None:
        statements.append(
            iam.PolicyStatement(
                actions=list(grants.department_escalation),
                resources=[resources.department_escalation.state_machine_arn],
            )
        )
    if grants.puts_events:
        assert resources.event_bus is not None, "the event bus is made before the functions that put events on it"
        statements.append(
            iam.PolicyStatement(actions=list(access.PUT_EVENTS), resources=[resources.event_bus.event_bus_arn])
        )
    if grants.puts_metrics:
        # PutMetricData has no resource type: the namespace condition is its only bound.
        statements.append(
            iam.PolicyStatement(
                actions=list(access.PUT_METRIC_DATA),
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": c.METRICS_NAMESPACE}},
            )
        )
    return statements


def grant_logging_and_tracing(role: iam.Role, log_group: logs.ILogGroup, *, puts_metrics: bool = False) -> None:
    """Write to its own log group only; X-Ray segments (X-Ray has no resource-level permissions).

    ``puts_metrics``: the role's grants (``grant_access``) also allow PutMetricData on '*', which the
    one acknowledgement of '*' on the role then covers too."""
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=list(access.LOG_WRITE), resources=[log_group.log_group_arn])
    )
    role.add_to_principal_policy(iam.PolicyStatement(actions=list(access.XRAY_WRITE), resources=["*"]))
    also = (
        f"; cloudwatch:PutMetricData has none either, and its statement allows only that action in the "
        f"{c.METRICS_NAMESPACE!r} namespace (condition cloudwatch:namespace)"
        if puts_metrics
        else ""
    )
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions; "
        f"that statement holds only those two write actions, for active tracing{also}.",
    )


def _logical_ref(raw: RawBucket | ReportsBucket) -> str:
    """How cdk-nag names the bucket ARN in a finding id: ``<LogicalId.Arn>``."""
    cfn_bucket = raw.bucket.node.default_child
    assert cfn_bucket is not None
    return Stack.of(raw).get_logical_id(cfn_bucket) + ".Arn"  # type: ignore[arg-type]
