"""Configuration from the environment and the agent service built from it, once per process.

The one override there is: ``wire(clients={...}, clock=...)`` (tests, the local stack) runs the API
on those boto3 clients (by service name) and that clock; ``wire()`` puts the defaults back (clients
made on first use, the system clock). Either way the next request builds the service afresh.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from socialcare import constants as c
from socialcare.agents.cursor import CursorCodec
from socialcare.agents.department_deps import DepartmentDeps, EscalationSettings
from socialcare.agents.service import AgentService
from socialcare.agents.sla_service import SlaService
from socialcare.aws.wiring import AwsClients, Wiring
from socialcare.clock import Clock
from socialcare.environment import json_object, positive_number, required_settings
from socialcare.reports.service import ReportService
from socialcare.rules.routing_rules import RoutingRules, deployed_rules
from socialcare.rules.sla import ResponseTargets

DEFAULT_BRAND_NAME = "our team"  # used until an admin stores the account's profile


@dataclass(frozen=True, slots=True)
class ApiConfig:
    table_name: str
    outbound_queue_url: str
    api_secret_arn: str
    targets: ResponseTargets = field(default_factory=ResponseTargets)
    # The routing rules the functions were deployed with (ROUTING_RULES): shown while none are stored.
    deployed_routing: RoutingRules | None = None
    # The department escalation machine (None: not deployed, the escalation routes answer 503).
    department_escalation_arn: str | None = None
    department_update_s: int | None = None  # the local stack's short rounds (demos, tests)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiConfig:
        env = os.environ if environ is None else environ
        return cls(
            **required_settings(
                env,
                table_name=c.ENV_TABLE_NAME,
                outbound_queue_url=c.ENV_OUTBOUND_QUEUE_URL,
                api_secret_arn=c.ENV_API_SECRET_ARN,
            ),
            targets=ResponseTargets.from_config(json_object(env, c.ENV_RESPONSE_TARGETS)),
            deployed_routing=deployed_rules(json_object(env, c.ENV_ROUTING_RULES), c.ENV_ROUTING_RULES),
            department_escalation_arn=env.get(c.ENV_DEPARTMENT_ESCALATION_ARN) or None,
            department_update_s=(
                int(positive_number(env, c.ENV_DEPARTMENT_UPDATE_SECONDS, 1))
                if env.get(c.ENV_DEPARTMENT_UPDATE_SECONDS)
                else None
            ),
        )


def build_service(config: ApiConfig, clients: AwsClients, clock: Clock) -> AgentService:
    """The service over the configured table and queue, on these clients and this clock."""
    from socialcare.aws.agent_store import AgentStore
    from socialcare.aws.api_secret import load_cursor_key
    from socialcare.aws.automated_store import AutomatedStore
    from socialcare.aws.config_store import CachedSla, ConfigStore
    from socialcare.aws.outbound_queue import OutboundQueue

    dynamodb = clients("dynamodb")
    sla = CachedSla(ConfigStore(config.table_name, client=dynamodb), config.targets, clock=clock)
    key = load_cursor_key(config.api_secret_arn, client=clients("secretsmanager"))
    return AgentService(
        AgentStore(config.table_name, client=dynamodb),
        OutboundQueue(config.outbound_queue_url, client=clients("sqs")),
        clock=clock,
        cursors=CursorCodec(key),
        default_brand_name=DEFAULT_BRAND_NAME,
        targets=config.targets,
        sla=sla,
        departments=build_departments(config, clients, key),
        config=ConfigStore(config.table_name, client=dynamodb),
        held=AutomatedStore(config.table_name, client=dynamodb),
    )


def build_departments(config: ApiConfig, clients: AwsClients, api_key: bytes) -> DepartmentDeps | None:
    """Department escalation on the configured machine; the answer links signed with a key derived
    from the API's secret."""
    if config.department_escalation_arn is None:
        return None
    from socialcare.aws.config_store import ConfigStore
    from socialcare.aws.department_workflows import StepFunctionsDepartmentWorkflows
    from socialcare.rules.answer_links import AnswerLinks, link_key

    return DepartmentDeps(
        ConfigStore(config.table_name, client=clients("dynamodb")),
        StepFunctionsDepartmentWorkflows(config.department_escalation_arn, client=clients("stepfunctions")),
        AnswerLinks(link_key(api_key)),
        EscalationSettings(update_after_s=config.department_update_s),
    )


def build_sla_service(config: ApiConfig, clients: AwsClients, clock: Clock) -> SlaService:
    """The configuration (SLA, departments, routing rules) and SLA view actions over the configured table."""
    from socialcare.aws.agent_store import AgentStore
    from socialcare.aws.config_store import ConfigStore

    dynamodb = clients("dynamodb")
    return SlaService(
        ConfigStore(config.table_name, client=dynamodb),
        AgentStore(config.table_name, client=dynamodb),
        clock=clock,
        response_targets=config.targets,
        deployed_routing=config.deployed_routing,
    )


def build_report_service(clients: AwsClients, clock: Clock) -> ReportService:
    """The reports the report routes serve (their own configuration, read on the first report request)."""
    from socialcare.aws.report_store import report_adapters
    from socialcare.reports.config import ReportConfig

    config = ReportConfig.from_mapping(os.environ)
    aws = report_adapters(config.table_name, config.bucket, config.targets, clients=clients, clock=clock)
    return ReportService(aws.reads, aws.archive, sla=aws.sla, settings=config.settings, clock=clock)


_wiring: Wiring[AgentService] = Wiring(lambda clients, clock: build_service(ApiConfig.from_env(), clients, clock))
_report_wiring: Wiring[ReportService] = Wiring(build_report_service)
_sla_wiring: Wiring[SlaService] = Wiring(lambda clients, clock: build_sla_service(ApiConfig.from_env(), clients, clock))


def wire(*, clients: Mapping[str, Any] | None = None, clock: Clock | None = None) -> None:
    """Run on these boto3 clients and this clock; ``wire()`` restores the defaults."""
    _wiring.wire(clients=clients, clock=clock)
    _sla_wiring.wire(clients=clients, clock=clock)
    _report_wiring.wire(clients=clients, clock=clock)


def service() -> AgentService:
    """The process's service, built on first use (a Lambda container keeps it between requests)."""
    return _wiring.get()


def sla_service() -> SlaService:
    """The process's SLA configuration and SLA view actions, built on first use."""
    return _sla_wiring.get()


def report_service() -> ReportService:
    """The process's reports (the accountability report, the marketing summary), built on first use."""
    return _report_wiring.get()


def clock() -> int:
    """The time now on the wired clock (what the service itself reads)."""
    return _wiring.clock()
