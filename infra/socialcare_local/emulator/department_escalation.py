"""The department escalation on the local stack: the real ASL file run by moto's Step Functions engine.

``start_department_escalation`` creates the machine as the CDK app deploys it, from
``infra/state_machines/department_escalation.asl.json`` with the same substitutions (the outbound
queue, the project's bus: the case clock's, already made), and gives the functions what it gives them
in AWS: the agent API the machine's ARN, the outbound function the API's address for the answer links
(``http://<host>:<api port>/answers/{token}``, public on the local API gateway as in AWS).

The events the machine and the outbound function put on the bus reach the notifications log (see
``case_clock.NotificationPoller``) as one line each (``department_line``): whom it is for, the case and
the escalation, and for the department's request its contacts, the agent's question and the answer
link — what the e-mail or chat message would carry in AWS; never the customer's messages or a task token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from socialcare import constants as c
from socialcare.model.department_escalation import (
    DEPARTMENT_ANSWERED,
    DEPARTMENT_REQUEST,
    MANAGER_ESCALATION,
    UPDATE_REMINDER,
)
from socialcare_infra.paths import STATE_MACHINES_DIR

from socialcare_local.emulator.aws import MOTO_ACCOUNT_ID, AwsServices, substituted
from socialcare_local.emulator.logs import get_logger

log = get_logger("department_escalation")

DEPARTMENT_ASL = STATE_MACHINES_DIR / f"{c.DEPARTMENT_ESCALATION}.asl.json"
RECIPIENTS = {
    DEPARTMENT_REQUEST: "department",
    UPDATE_REMINDER: "agent",
    MANAGER_ESCALATION: "manager",
    DEPARTMENT_ANSWERED: "agent",
}


@dataclass(frozen=True, slots=True)
class DepartmentEscalationResources:
    state_machine_arn: str


def start_department_escalation(
    aws: AwsServices,
    *,
    stage: str,
    outbound_queue_url: str,
    event_bus_name: str,
    api_base_url: str,
    set_environment: Callable[[Mapping[str, str]], None],
) -> DepartmentEscalationResources:
    definition = substituted(DEPARTMENT_ASL, {"OutboundQueueUrl": outbound_queue_url, "EventBusName": event_bus_name})
    arn = aws.client("stepfunctions").create_state_machine(
        name=f"socialcare-{c.DEPARTMENT_ESCALATION}-{stage}",
        definition=definition,
        roleArn=f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/socialcare-department-escalation-{stage}",
    )["stateMachineArn"]
    set_environment({c.ENV_DEPARTMENT_ESCALATION_ARN: arn, c.ENV_ANSWER_LINK_BASE_URL: api_base_url})
    log.info("department escalation created", extra={"state_machine_arn": arn, "answer_links": api_base_url})
    return DepartmentEscalationResources(arn)


def stop_executions(sfn: Any, state_machine_arn: str) -> None:
    """Stop the escalations still waiting, so moto's engine threads end with the stack (best effort)."""
    try:
        running = sfn.list_executions(stateMachineArn=state_machine_arn, statusFilter="RUNNING")
        for execution in running.get("executions", []):
            sfn.stop_execution(executionArn=execution["executionArn"])
    except (BotoCoreError, ClientError, AttributeError):
        log.warning("could not stop the running department escalations", exc_info=True)


def department_line(event: dict[str, Any]) -> dict[str, str]:
    """What the notifications log says of a department escalation's event."""
    detail = event.get("detail") or {}
    kind = str(event.get("detail-type", ""))
    line = {
        "detail_type": kind,
        "for": RECIPIENTS.get(kind, "unknown"),
        **detail_strings(detail, "case_id", "escalation_id", "department", "round"),
    }
    if kind == DEPARTMENT_REQUEST:
        contacts = detail.get("contacts") or []
        line["contacts"] = ", ".join(_contact(c) for c in contacts if isinstance(c, Mapping))
        line.update(detail_strings(detail, "question", "link", "link_expires_at"))
    elif kind == MANAGER_ESCALATION:
        manager = detail.get("manager")
        line["manager"] = _contact(manager) if isinstance(manager, Mapping) else ""
    else:
        line.update(detail_strings(detail, "agent", *(("answered_by", "via") if kind == DEPARTMENT_ANSWERED else ())))
    return line


def detail_strings(detail: Mapping[str, Any], *names: str) -> dict[str, str]:
    """The event detail's fields by name, as text ("" when absent): what a log line carries."""
    return {name: str(detail.get(name, "")) for name in names}


def _contact(contact: Mapping[str, Any]) -> str:
    ways = [str(contact[k]) for k in ("email", "phone", "chat_webhook_url") if contact.get(k)]
    return f"{contact.get('name', '')} <{' / '.join(ways)}>"
