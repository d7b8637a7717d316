"""What the SLA configuration and SLA view actions run on, and the policy set they read.

``SlaDeps``: the configuration store, the case reads, the clock and the per-channel response targets
that stand in while no policy set is stored. ``SlaActions`` is the base of the units
(``sla_admin``, ``sla_view``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from socialcare.clock import Clock
from socialcare.model.config import ConfigKind, StoredConfig
from socialcare.ports import AgentCaseReads, ConfigRepository, SlaConfigDocuments
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.policies import PolicySet
from socialcare.rules.sla import ALWAYS_OPEN, ResponseTargets, policy_set_from_response_targets


@dataclass(frozen=True, slots=True)
class SlaDeps:
    config: ConfigRepository
    cases: AgentCaseReads
    clock: Clock
    response_targets: ResponseTargets = field(default_factory=ResponseTargets)


@dataclass(frozen=True, slots=True)
class SlaConfig:
    """The policy set in force and the calendars it may name; ``stored`` False: the built-in defaults."""

    policies: PolicySet
    calendars: Mapping[str, BusinessCalendar]
    stored: bool


class SlaActions:
    def __init__(self, deps: SlaDeps) -> None:
        self._deps = deps
        self._config = deps.config
        self._clock = deps.clock

    def _default_policies(self) -> PolicySet:
        return policy_set_from_response_targets(self._deps.response_targets)

    def _sla_config(self, documents: SlaConfigDocuments | None = None) -> SlaConfig:
        """The stored policy set on the stored calendars, or the per-channel targets on a 24/7 calendar."""
        return sla_config_of(documents or self._config.sla_config(), self._deps.response_targets)

    def _stored(self, kind: ConfigKind, name: str) -> StoredConfig | None:
        return self._config.get_config(kind, name)


def sla_config_of(found: SlaConfigDocuments, response_targets: ResponseTargets) -> SlaConfig:
    """The policy set in force: the stored one on the stored calendars, else the per-channel response
    targets on a 24/7 calendar."""
    if found.policies is None:
        return SlaConfig(
            policy_set_from_response_targets(response_targets), {ALWAYS_OPEN.name: ALWAYS_OPEN}, stored=False
        )
    calendars = {cal.name: BusinessCalendar.from_config(cal.document) for cal in found.calendars}
    return SlaConfig(PolicySet.from_config(found.policies.document), calendars, stored=True)
