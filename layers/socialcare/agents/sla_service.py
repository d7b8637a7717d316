"""The SLA side of the agent API, one object: the configuration (``sla_admin``: policies, calendars,
departments) and a case's SLA view (``sla_view``)."""

from __future__ import annotations

from socialcare.agents.sla_admin import SlaAdmin
from socialcare.agents.sla_base import SlaDeps
from socialcare.agents.sla_view import SlaViews
from socialcare.clock import Clock
from socialcare.ports import AgentCaseReads, ConfigRepository
from socialcare.rules.sla import ResponseTargets


class SlaService(SlaAdmin, SlaViews):
    def __init__(
        self,
        config: ConfigRepository,
        cases: AgentCaseReads,
        *,
        clock: Clock,
        response_targets: ResponseTargets | None = None,
    ) -> None:
        super().__init__(SlaDeps(config, cases, clock, response_targets or ResponseTargets()))
