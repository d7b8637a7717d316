"""Configuration an admin changes through the agent API, as it is stored: a JSON document, versioned.

The SLA policy set, each business calendar, each department, the routing rules and each declared
crisis are one ``StoredConfig`` each. Storage keeps
the document as given (validated before by the rule that reads it: ``PolicySet.from_config``,
``BusinessCalendar.from_config``, ``Department.from_config``, ``RoutingRules.from_config``) and never interprets it; every write
makes the next version, and a write decided on an older version is refused (optimistic concurrency,
as for cases).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from socialcare.model.audit import AuditAction


class ConfigKind(StrEnum):
    SLA_POLICIES = "sla_policies"  # one per brand: its name is always ``POLICY_SET_NAME``
    CALENDAR = "calendar"
    DEPARTMENT = "department"
    ROUTING_RULES = "routing_rules"  # one per brand: its name is always ``ROUTING_RULES_NAME``
    CRISIS = "crisis"  # a declared crisis (``model/crisis.py``): its name is the crisis id

    def subject(self, name: str) -> str:
        """How audit records name the configuration: ``sla/policies``, ``calendar/<name>``,
        ``department/<id>``, ``routing/rules``, ``crisis/<id>``."""
        if self is ConfigKind.SLA_POLICIES:
            return "sla/policies"
        if self is ConfigKind.ROUTING_RULES:
            return "routing/rules"
        return f"{self.value}/{name}"

    @property
    def audit_action(self) -> AuditAction:
        """What the audit record of a change of this kind says was done."""
        return _AUDIT_ACTIONS[self]


POLICY_SET_NAME = "policies"
ROUTING_RULES_NAME = "rules"

_AUDIT_ACTIONS = {
    ConfigKind.SLA_POLICIES: AuditAction.SLA_POLICIES_UPDATED,
    ConfigKind.CALENDAR: AuditAction.CALENDAR_UPDATED,
    ConfigKind.DEPARTMENT: AuditAction.DEPARTMENT_UPDATED,
    ConfigKind.ROUTING_RULES: AuditAction.ROUTING_RULES_UPDATED,
}


@dataclass(frozen=True, slots=True)
class StoredConfig:
    kind: ConfigKind
    name: str  # the calendar's name, the department's id; ``POLICY_SET_NAME``, ``ROUTING_RULES_NAME``
    version: int  # 1 for the first write, then one more per write
    document: Mapping[str, object]  # JSON-compatible
    updated_at_ms: int
    updated_by: str
