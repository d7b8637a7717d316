"""Invoking a function on a schedule with EventBridge Scheduler (the surge check every 5 minutes, the
metrics publisher every minute).

``ScheduledInvocation(..., function=fn, every=Duration.minutes(n), queue_name=...)``. Scheduler
retries an invocation it could not make and then puts the event in the construct's dead-letter
queue, so a missed run is visible (the monitoring alarms on ``dead_letter_queue``) rather than silent.
A run that could not start within one period is dropped: the next one runs afresh.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from constructs import Construct

from socialcare_infra.checks import acknowledge
from socialcare_infra.components.queues import dead_letter_queue


class ScheduledInvocation(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        function: lambda_.IFunction,
        every: Duration,
        description: str,
        queue_name: str,
        retry_attempts: int = 2,
    ) -> None:
        super().__init__(scope, id)
        self.dead_letter_queue = dead_letter_queue(
            self,
            "MissedRuns",
            queue_name=queue_name,
            acknowledged_as=(
                "This queue is itself the dead-letter queue of the schedule's target (EventBridge Scheduler's "
                "DeadLetterConfig), which the rule cannot see; a DLQ of a DLQ would only move the problem."
            ),
        )
        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            schedule=scheduler.ScheduleExpression.rate(every),
            description=description,
            target=targets.LambdaInvoke(
                function,
                retry_attempts=retry_attempts,
                # A run that could not start within one period is superseded by the next one.
                max_event_age=every if every.to_seconds() >= 60 else Duration.minutes(1),
                dead_letter_queue=self.dead_letter_queue,
            ),
        )
        acknowledge(
            Stack.of(self),
            f"AwsSolutions-IAM5[Resource::{_nag_arn(function)}:*]",
            "Scheduler's role may invoke this one function; CDK's grantInvoke also covers the same function's "
            "qualified ARNs (versions and aliases, '<function ARN>:*') and nothing else.",
        )


def _nag_arn(function: lambda_.IFunction) -> str:
    """The function's ARN as cdk-nag writes it in a finding id (``<LogicalId.Arn>`` for a deployed one)."""
    arn = function.function_arn
    if not Token.is_unresolved(arn):
        return arn
    cfn_function = function.node.default_child
    assert cfn_function is not None, "an imported function with an unresolved ARN"
    return f"<{Stack.of(function).get_logical_id(cfn_function)}.Arn>"  # type: ignore[arg-type]
