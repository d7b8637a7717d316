"""The case clock on the local stack: the real ASL file run by moto's Step Functions engine.

``provision_case_clock`` turns the engine on (moto's ``execute_state_machine`` setting, through its
``/moto-api/config``; the engine calls back into the server on ``localhost:$MOTO_PORT``, which
``AwsServices`` sets), then creates what the CDK app deploys for the clock: the project's event bus,
the state machine from ``infra/state_machines/case_clock.asl.json`` with the same substitutions
(``TableName``, ``EventBusName``), and — the local stand-in for the SNS/chat routing rules — a rule
sending every ``socialcare`` event on the bus to a notifications queue.

``NotificationPoller`` reads that queue and logs each notification as one JSON line (logger
``socialcare_local.notifications``): the tier, whom it is for, the case, owner and team — never text;
for a ``Surge detected`` event, the topic or account, the count, the baseline and the example cases.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from socialcare.model.department_escalation import DEPARTMENT_EVENTS
from socialcare.model.escalation import EVENT_SOURCE
from socialcare.model.notices import SENSITIVE_CASE, SURGE_DETECTED
from socialcare_infra.paths import STATE_MACHINES_DIR

from socialcare_local.emulator.aws import MOTO_ACCOUNT_ID, AwsServices, substituted
from socialcare_local.emulator.department_escalation import department_line, detail_strings
from socialcare_local.emulator.logs import get_logger

log = get_logger("case_clock")
notifications_log = get_logger("notifications")

CASE_CLOCK_ASL = STATE_MACHINES_DIR / "case_clock.asl.json"
# Whom each tier notifies (model/escalation.py; the rules that deliver them in AWS attach to the bus),
# and whom ingest's notices are for (a sensitive case: the trained team's lead).
RECIPIENTS = {"warn": "assignee", "breach": "team_lead", "second_tier": "manager"}
NOTICE_RECIPIENTS = {SENSITIVE_CASE: "team_lead"}


@dataclass(frozen=True, slots=True)
class CaseClockResources:
    state_machine_arn: str
    event_bus_name: str
    notifications_queue_url: str


def definition(table_name: str, event_bus_name: str) -> str:
    return substituted(CASE_CLOCK_ASL, {"TableName": table_name, "EventBusName": event_bus_name})


def enable_state_machine_execution(endpoint_url: str) -> None:
    """moto's Step Functions only records executions unless told to run them."""
    body = json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode()
    request = urllib.request.Request(f"{endpoint_url}/moto-api/config", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def provision_case_clock(aws: AwsServices, *, stage: str, table_name: str) -> CaseClockResources:
    enable_state_machine_execution(aws.endpoint_url)
    bus = f"socialcare-events-{stage}"
    events, sqs, sfn = aws.client("events"), aws.client("sqs"), aws.client("stepfunctions")
    events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName=f"socialcare-notifications-{stage}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="notifications", EventBusName=bus, EventPattern=json.dumps({"source": [EVENT_SOURCE]}))
    events.put_targets(Rule="notifications", EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])
    machine_arn = sfn.create_state_machine(
        name=f"socialcare-case_clock-{stage}",
        definition=definition(table_name, bus),
        roleArn=f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/socialcare-case-clock-{stage}",
    )["stateMachineArn"]
    log.info("case clock created", extra={"state_machine_arn": machine_arn, "event_bus": bus})
    return CaseClockResources(machine_arn, bus, queue_url)


def notification_line(event: dict[str, Any]) -> dict[str, str]:
    """What the log says of one escalation event: ids, tier and people, never message text (a
    department escalation's events: ``department_escalation.department_line``)."""
    if event.get("detail-type") in DEPARTMENT_EVENTS:
        return department_line(event)
    detail = event.get("detail") or {}
    if event.get("detail-type") == SURGE_DETECTED:
        return surge_line(detail)
    tier = str(detail.get("tier", ""))
    detail_type = str(event.get("detail-type", ""))
    return {
        "detail_type": detail_type,
        "tier": tier,
        "for": RECIPIENTS.get(tier) or NOTICE_RECIPIENTS.get(detail_type, "unknown"),
        **detail_strings(detail, "case_id", "owner", "team", "due_at", "tier_at"),
    }


def surge_line(detail: dict[str, Any]) -> dict[str, str]:
    """What the log says of a surge: what surged, how much over what baseline, in which window, examples."""
    return {
        "detail_type": SURGE_DETECTED,
        "scope": str(detail.get("scope", "")),
        "surged": str(detail.get("topic") or detail.get("account_id") or ""),
        "count": str(detail.get("count", "")),
        "baseline": str(detail.get("baseline", "")),
        "window_start": str(detail.get("window_start", "")),
        "case_ids": ",".join(str(i) for i in detail.get("case_ids") or ()),
    }


class NotificationPoller:
    """A thread that logs every event the bus routed to the notifications queue."""

    def __init__(self, sqs: Any, queue_url: str, *, wait_time_s: int = 1) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.wait_time_s = wait_time_s
        self.delivered: list[dict[str, str]] = []  # what was logged, in order (tests and the demo read it)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="notifications", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.wait_time_s + 5)

    def notifications(self) -> list[dict[str, str]]:
        with self._lock:
            return list(self.delivered)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except (BotoCoreError, ClientError) as exc:
                if self._stop.is_set():
                    return
                log.warning("notifications queue unavailable", extra={"error": type(exc).__name__})
                self._stop.wait(1.0)

    def poll_once(self) -> None:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=self.wait_time_s
        )
        for message in response.get("Messages") or []:
            try:
                line = notification_line(json.loads(message["Body"]))
            except ValueError:
                line = {"detail_type": "unreadable"}
            with self._lock:
                self.delivered.append(line)
            notifications_log.info("notification", extra=line)
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
