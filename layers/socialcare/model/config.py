"""Configuration an admin changes through the agent API, as it is stored: a JSON document, versioned.

The SLA policy set, each business calendar, each department and each declared crisis is one
``StoredConfig``. Storage keeps
the document as given (validated before by the rule that reads it: ``PolicySet.from_config``,
``BusinessCalendar.from_config``, ``Department.from_config``) and never interprets it; every write
makes the next version, and a write decided on an older version is refused (optimistic concurrency,
as for cases).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class ConfigKind(StrEnum):
    SLA_POLICIES = "sla_policies"  # one per brand: its name is always ``POLICY_SET_NAME``
    CALENDAR = "calendar"
    DEPARTMENT = "department"
    CRISIS = "crisis"  # a declared crisis (``model/crisis.py``): its name is the crisis id

    def subject(self, name: str) -> str:
        """How audit records name the configuration: ``sla/policies``, ``calendar/<name>``,
        ``department/<id>``, ``crisis/<id>``."""
        return "sla/policies" if self is ConfigKind.SLA_POLICIES else f"{self.value}/{name}"


POLICY_SET_NAME = "policies"


@dataclass(frozen=True, slots=True)
class StoredConfig:
    kind: ConfigKind
    name: str  # the calendar's name, the department's id; ``POLICY_SET_NAME`` for the policy set
    version: int  # 1 for the first write, then one more per write
    document: Mapping[str, object]  # JSON-compatible
    updated_at_ms: int
    updated_by: str
