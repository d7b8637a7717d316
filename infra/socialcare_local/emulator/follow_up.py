"""The follow-up on the local stack: the real ASL file run by moto's Step Functions engine.

``provision_follow_up`` creates what the CDK app deploys for it — the state machine from
``infra/state_machines/follow_up.asl.json`` with the same substitutions (``TableName``,
``OutboundQueueUrl``) — once the case clock has turned the engine on (``provision_case_clock``). Its
tasks land on the stack's outbound queue, where the outbound function's poller picks them up.
"""

from __future__ import annotations

from socialcare_infra.paths import STATE_MACHINES_DIR

from socialcare_local.emulator.aws import MOTO_ACCOUNT_ID, AwsServices
from socialcare_local.emulator.logs import get_logger

log = get_logger("follow_up")

FOLLOW_UP_ASL = STATE_MACHINES_DIR / "follow_up.asl.json"


def definition(table_name: str, outbound_queue_url: str) -> str:
    """The ASL file with its placeholders replaced, as CloudFormation's DefinitionSubstitutions do."""
    text = FOLLOW_UP_ASL.read_text(encoding="utf-8")
    return text.replace("${TableName}", table_name).replace("${OutboundQueueUrl}", outbound_queue_url)


def provision_follow_up(aws: AwsServices, *, stage: str, table_name: str, outbound_queue_url: str) -> str:
    """The follow-up state machine; its ARN (``FOLLOW_UP_ARN`` of the clock function)."""
    machine_arn = aws.client("stepfunctions").create_state_machine(
        name=f"socialcare-follow_up-{stage}",
        definition=definition(table_name, outbound_queue_url),
        roleArn=f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/socialcare-follow-up-{stage}",
    )["stateMachineArn"]
    log.info("follow-up created", extra={"state_machine_arn": machine_arn})
    return str(machine_arn)
