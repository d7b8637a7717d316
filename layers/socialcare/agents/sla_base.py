"""What the configuration and SLA view actions run on, the policy set they read, and how a
configuration document is stored.

``SlaDeps``: the configuration store, the case reads, the clock, the per-channel response targets
that stand in while no policy set is stored, and the routing rules the functions were deployed with
(shown while none are stored). ``SlaActions`` is the base of the units (``sla_admin``, ``sla_view``,
``routing_admin``); ``_save`` stores a document as its next version with its audit record, and
``check_version`` / ``body_version`` read what the admin expects it to replace (If-Match, or the
document's own ``version``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from socialcare.agents.identity import Caller
from socialcare.agents.sla_results import ConfigResult
from socialcare.clock import Clock
from socialcare.errors import ConfigVersionConflict, InvalidConfig
from socialcare.ids import new_ulid
from socialcare.model.audit import AuditRecord
from socialcare.model.config import ConfigKind, StoredConfig
from socialcare.ports import AgentCaseReads, ConfigRepository, SlaConfigDocuments
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.policies import PolicySet
from socialcare.rules.routing_rules import RoutingRules
from socialcare.rules.sla import ALWAYS_OPEN, ResponseTargets, policy_set_from_response_targets


@dataclass(frozen=True, slots=True)
class SlaDeps:
    config: ConfigRepository
    cases: AgentCaseReads
    clock: Clock
    response_targets: ResponseTargets = field(default_factory=ResponseTargets)
    deployed_routing: RoutingRules | None = None  # ROUTING_RULES, shown while no rules are stored


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

    def _save(
        self, caller: Caller, kind: ConfigKind, name: str, current: int, document: dict[str, object]
    ) -> ConfigResult:
        """Store ``document`` as version ``current + 1`` with its audit record (a lost race: conflict)."""
        now = self._clock()
        config = StoredConfig(kind, name, current + 1, document, now, caller.agent_id)
        audit = AuditRecord(
            record_id=new_ulid(now),
            at_ms=now,
            actor=caller.agent_id,
            actor_role=caller.role.value,
            action=kind.audit_action,
            subject=kind.subject(name),
            details={"version": str(config.version), "previous_version": str(current)},
        )
        self._config.save_config(config, audit)
        return ConfigResult.of(config)


def check_version(kind: ConfigKind, name: str, current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise ConfigVersionConflict(
            f"{kind.subject(name)} is at version {current}, not {expected} as expected (If-Match); "
            "review the change and try again",
            current=current,
        )


def body_version(document: Mapping[str, Any], if_match: int | None, error: type[InvalidConfig]) -> int | None:
    """The version a document says it replaces (its ``version``), agreeing with If-Match; else If-Match."""
    if "version" not in document:
        return if_match
    version = document["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise error("version", "must be the version the document replaces (0: none stored)")
    if if_match is not None and if_match != version:
        raise error("version", f"is {version} but If-Match says {if_match}")
    return version


def sla_config_of(found: SlaConfigDocuments | None, response_targets: ResponseTargets) -> SlaConfig:
    """The stored policy set on the stored calendars; while none is stored (or ``found`` is ``None``:
    nothing to read it from), the per-channel targets on a 24/7 calendar."""
    if found is None or found.policies is None:
        defaults = policy_set_from_response_targets(response_targets)
        return SlaConfig(defaults, {ALWAYS_OPEN.name: ALWAYS_OPEN}, stored=False)
    calendars = {cal.name: BusinessCalendar.from_config(cal.document) for cal in found.calendars}
    return SlaConfig(PolicySet.from_config(found.policies.document), calendars, stored=True)
