"""Invoking a function on a schedule with EventBridge Scheduler (the metrics publisher's trigger).

The publisher arrives with the SLA/metrics work; when its folder exists it is wired with
``ScheduledInvocation(..., function=fn, every=Duration.minutes(n))``. Scheduler retries a failed
invocation and, after that, drops the event into the given dead-letter queue, so a missed run is
visible rather than silent.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct


class ScheduledInvocation(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        function: lambda_.IFunction,
        every: Duration,
        description: str,
        dead_letter_queue: sqs.IQueue | None = None,
        retry_attempts: int = 2,
    ) -> None:
        super().__init__(scope, id)
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
                dead_letter_queue=dead_letter_queue,
            ),
        )
