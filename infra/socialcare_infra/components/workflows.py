"""Step Functions state machines from ``infra/state_machines/*.asl.json``, the files the local stack runs.

Each file becomes a Standard state machine named ``socialcare-<file stem>-<stage>``, with
``${Name}`` placeholders replaced by ``definition_substitutions`` (the table name, a queue URL...).
A placeholder the app does not provide fails the synthesis with the file and the name, rather than
deploying a definition that fails at run time. Every machine logs ALL events (without execution
data: that is customer messages) and is traced. Grants are the caller's: each machine's role starts
with nothing but logging and tracing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from socialcare_infra.checks import acknowledge
from socialcare_infra.components.log_groups import stage_log_group
from socialcare_infra.config import StageConfig

ASL_SUFFIX = ".asl.json"
CASE_CLOCK = "case_clock"  # infra/state_machines/case_clock.asl.json
FOLLOW_UP = "follow_up"  # infra/state_machines/follow_up.asl.json
DEPARTMENT_ESCALATION = "department_escalation"  # infra/state_machines/department_escalation.asl.json
PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9_]*)\}")


class StateMachineDefinitionError(ValueError):
    pass


def asl_files(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"*{ASL_SUFFIX}"))


def machine_stem(path: Path) -> str:
    return path.name.removesuffix(ASL_SUFFIX)


def placeholders(path: Path) -> set[str]:
    """The ``${Name}`` substitutions a definition needs; also checks that it is JSON."""
    text = path.read_text(encoding="utf-8")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateMachineDefinitionError(f"{path.name} is not valid JSON: {exc}") from exc
    return set(PLACEHOLDER.findall(text))


class StateMachines(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        directory: Path,
        substitutions: Mapping[str, str],
        config: StageConfig,
    ) -> None:
        super().__init__(scope, id)
        self.machines: dict[str, sfn.StateMachine] = {}
        for path in asl_files(directory):
            stem = machine_stem(path)
            wanted = placeholders(path)
            missing = sorted(wanted - set(substitutions))
            if missing:
                raise StateMachineDefinitionError(
                    f"{path.name} uses {', '.join('${' + m + '}' for m in missing)}, which the app does not "
                    f"substitute (it provides {', '.join(sorted(substitutions)) or 'nothing'})"
                )
            construct_id = "".join(part.title() for part in re.split(r"[-_]", stem))
            machine = sfn.StateMachine(
                self,
                construct_id,
                state_machine_name=f"socialcare-{stem}-{config.name}",
                state_machine_type=sfn.StateMachineType.STANDARD,
                definition_body=sfn.DefinitionBody.from_file(str(path)),
                definition_substitutions={name: substitutions[name] for name in sorted(wanted)},
                tracing_enabled=True,
                logs=sfn.LogOptions(
                    destination=stage_log_group(self, f"{construct_id}Logs", config=config),
                    level=sfn.LogLevel.ALL,
                    include_execution_data=False,
                ),
            )
            acknowledge(
                machine.role,
                "AwsSolutions-IAM5[Resource::*]",
                "CloudWatch Logs log-delivery actions (logs:CreateLogDelivery and the like) and X-Ray's "
                "trace writes do not support resource-level permissions; nothing else is granted on '*'.",
            )
            self.machines[stem] = machine


def grant_case_clock(machine: sfn.StateMachine, *, table: dynamodb.ITable, bus: events.IEventBus) -> None:
    """What the case clock's states call, and nothing more: it reads and updates case items (GetItem,
    UpdateItem on the table itself, no index) and puts events on the project's bus."""
    machine.add_to_role_policy(
        iam.PolicyStatement(actions=["dynamodb:GetItem", "dynamodb:UpdateItem"], resources=[table.table_arn])
    )
    machine.add_to_role_policy(iam.PolicyStatement(actions=["events:PutEvents"], resources=[bus.event_bus_arn]))


def grant_follow_up(machine: sfn.StateMachine, *, table: dynamodb.ITable, outbound_queue: sqs.IQueue) -> None:
    """What the follow-up's states call, and nothing more: it reads case items (GetItem on the table
    itself, no index) and sends its tasks to the outbound queue."""
    machine.add_to_role_policy(iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=[table.table_arn]))
    machine.add_to_role_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[outbound_queue.queue_arn]))


def grant_department_escalation(machine: sfn.StateMachine, *, queue: sqs.IQueue, bus: events.IEventBus) -> None:
    """What the department escalation's states call, and nothing more: it sends its requests to the
    outbound queue (``sqs:sendMessage.waitForTaskToken``) and puts reminders, the manager's escalation
    and the answer's announcement on the project's bus. It never reads the table."""
    machine.add_to_role_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue.queue_arn]))
    machine.add_to_role_policy(iam.PolicyStatement(actions=["events:PutEvents"], resources=[bus.event_bus_arn]))
