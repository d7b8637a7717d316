"""The configuration side of the agent API, one object: the SLA configuration and departments
(``sla_admin``), the routing rules (``routing_admin``) and a case's SLA view (``sla_view``)."""

from __future__ import annotations

from socialcare.agents.routing_admin import RoutingAdmin
from socialcare.agents.sla_admin import SlaAdmin
from socialcare.agents.sla_base import SlaDeps
from socialcare.agents.sla_view import SlaViews
from socialcare.clock import Clock
from socialcare.ports import AgentCaseReads, ConfigRepository
from socialcare.rules.routing_rules import RoutingRules
from socialcare.rules.sla import ResponseTargets


class SlaService(SlaAdmin, SlaViews, RoutingAdmin):
    def __init__(
        self,
        config: ConfigRepository,
        cases: AgentCaseReads,
        *,
        clock: Clock,
        response_targets: ResponseTargets | None = None,
        deployed_routing: RoutingRules | None = None,
    ) -> None:
        super().__init__(SlaDeps(config, cases, clock, response_targets or ResponseTargets(), deployed_routing))
