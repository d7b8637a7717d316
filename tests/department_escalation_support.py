"""The department escalation end to end on moto, with its real ASL file in moto's Step Functions engine.

A world holds the table (a billing department configured, cases put as ingest would), the outbound
queue the machine puts its ``department_request`` tasks on, the project's bus with a rule that routes
every ``socialcare`` event to a queue the tests read, the API's secret, the machine created from
``infra/state_machines/department_escalation.asl.json`` with the CDK app's substitutions; the agent
service built as the Chalice app builds it (``chalicelib.wiring``), and the real outbound function
(``functions/outbound/handler.py``) fed by the local stack's queue poller. Each round waits
``update_after_s`` seconds (Wait and timeouts really sleep in moto): keep it to a second or two.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from socialcare import constants as c
from socialcare.agents.identity import Caller, Role
from socialcare.aws.config_store import ConfigStore
from socialcare.aws.current_copy import current_case_item
from socialcare.aws.escalation_store import EscalationStore
from socialcare.aws.items import case_item
from socialcare.ids import new_ulid
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.model.case import Case
from socialcare.model.config import ConfigKind, StoredConfig
from socialcare.model.department_escalation import DepartmentEscalation
from socialcare.model.events import Channel, Customer
from socialcare.model.tasks import CaseTask
from socialcare_infra.paths import STATE_MACHINES_DIR
from socialcare_local.emulator.aws import substituted
from socialcare_local.emulator.functions import load_function, reset_function
from socialcare_local.emulator.pollers import PollerSettings, QueuePoller

from tests.case_clock_support import MachineRuns, events_queue
from tests.case_support import care_case
from tests.sla_config_support import BILLING

DEPARTMENT_ASL = STATE_MACHINES_DIR / "department_escalation.asl.json"
TABLE = "socialcare-departments"
BUS = "socialcare-bus"
REGION = "us-east-1"
API_KEY = "test-cursor-key-0123456789abcdef"
LINK_BASE = "https://api.example.test/prod"
ALICE = Caller("alice", Role.AGENT, frozenset({"care"}), "Alice Smith")
FELIX = Caller("felix", Role.AGENT, frozenset({"billing"}), "Felix Wagner")


def definition(queue_url: str, bus: str = BUS, table: str = TABLE) -> str:
    return substituted(DEPARTMENT_ASL, {"OutboundQueueUrl": queue_url, "EventBusName": bus, "TableName": table})


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class EscalationWorld(MachineRuns):
    dynamodb: Any = None
    outbound_url: str = ""
    service: Any = None  # the agent service (socialcare.agents.service.AgentService)
    outbound: Any = None  # the outbound function's module
    poller: Any = None
    tasks: list[CaseTask] = field(default_factory=list)  # every department request run, in order

    def new_case(self, case_id: str, *, owner: str | None = "alice", channel: Channel = Channel.MESSENGER) -> Case:
        """An open case of the care team whose customer waits for an answer, as ingest leaves it."""
        at = now_ms()
        case = care_case(
            case_id, channel, "page-1", Customer("psid-1", name="Joe Bloggs"), at, owner=owner,
            awaiting_reply_since_ms=at, response_due_at_ms=at + 3_600_000, message_count=1,
            last_inbound_at_ms=at, last_inbound_by_channel={channel: at},
        )  # fmt: skip
        self.dynamodb.put_item(TableName=TABLE, Item=case_item(case))
        self.dynamodb.put_item(TableName=TABLE, Item=current_case_item(case, case.customer.user_id))
        return case

    def escalation(self, case_id: str, escalation_id: str) -> DepartmentEscalation:
        found = EscalationStore(TABLE, client=self.dynamodb).escalation(case_id, escalation_id)
        assert found is not None
        return found

    def run_requests(self, count: int = 1, *, timeout_s: float = 5.0) -> list[CaseTask]:
        """Run the outbound function on the machine's requests until ``count`` more have run."""
        ran: list[CaseTask] = []
        deadline = time.monotonic() + timeout_s
        while len(ran) < count and time.monotonic() < deadline:
            messages = self.sqs.receive_message(
                QueueUrl=self.outbound_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                time.sleep(0.05)
                continue
            self.poller.process(messages)
            ran += [CaseTask.from_json(m["Body"]) for m in messages]
        self.tasks += ran
        return ran


def _seed_billing(dynamodb: Any) -> None:
    now = now_ms()
    audit = AuditRecord(
        new_ulid(now), now, "root", "admin", AuditAction.DEPARTMENT_UPDATED, subject="department/billing"
    )
    document = {**BILLING, "id": "billing"}
    ConfigStore(TABLE, client=dynamodb).save_config(
        StoredConfig(ConfigKind.DEPARTMENT, "billing", 1, document, now, "root"), audit
    )


def _outbound_function(clients: dict[str, Any], env: dict[str, str], monkeypatch: Any) -> Any:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    module = load_function(c.OUTBOUND_FUNCTION)
    reset_function(module)
    module.wire(clients=clients)
    return module


@contextmanager
def escalation_world(monkeypatch: Any, *, update_after_s: int = 2) -> Iterator[EscalationWorld]:
    """moto with its Step Functions engine on (credentials set by the caller's ``aws_env``)."""
    import boto3
    from moto import mock_aws
    from socialcare.aws import schema
    from socialcare.aws.wiring import AwsClients

    from tests.agent_api_support import app_module

    app_module()  # chalicelib on the path
    from chalicelib.wiring import ApiConfig, build_service

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        names = ("dynamodb", "stepfunctions", "sqs", "events", "secretsmanager")
        clients = {name: boto3.client(name, region_name=REGION) for name in names}
        dynamodb, sfn, sqs, events = (clients[n] for n in names[:4])
        dynamodb.create_table(**schema.create_table_kwargs(TABLE))
        _seed_billing(dynamodb)
        events.create_event_bus(Name=BUS)
        queue_url = events_queue(sqs, events, BUS, "notifications")
        outbound_url = sqs.create_queue(QueueName="outbound")["QueueUrl"]
        secret = clients["secretsmanager"].create_secret(Name="api", SecretString=json.dumps({"cursor_key": API_KEY}))
        machine_arn = sfn.create_state_machine(
            name="department-escalation",
            definition=definition(outbound_url),
            roleArn="arn:aws:iam::123456789012:role/d",
        )["stateMachineArn"]
        config = ApiConfig(TABLE, outbound_url, secret["ARN"], department_escalation_arn=machine_arn,
                           department_update_s=update_after_s)  # fmt: skip
        env = {
            c.ENV_TABLE_NAME: TABLE,
            c.ENV_OUTBOUND_QUEUE_URL: outbound_url,
            c.ENV_PLATFORM_SECRET_ARN: "unused-by-department-requests",
            c.ENV_EVENT_BUS_NAME: BUS,
            c.ENV_API_SECRET_ARN: secret["ARN"],
            c.ENV_ANSWER_LINK_BASE_URL: LINK_BASE,
        }
        outbound = _outbound_function(clients, env, monkeypatch)
        outbound_arn = sqs.get_queue_attributes(QueueUrl=outbound_url, AttributeNames=["QueueArn"])["Attributes"]
        world = EscalationWorld(
            sfn=sfn, sqs=sqs, machine_arn=machine_arn, queue_url=queue_url, dynamodb=dynamodb,
            outbound_url=outbound_url, service=build_service(config, AwsClients(clients), now_ms),
            outbound=outbound,
            poller=QueuePoller(
                sqs=sqs, queue_url=outbound_url, queue_arn=outbound_arn["QueueArn"], handler=outbound.handler,
                function_name="socialcare-outbound-test", settings=PollerSettings(retry_delay_s=0),
            ),
        )  # fmt: skip
        try:
            yield world
        finally:
            world.stop_running()
            reset_function(outbound)
