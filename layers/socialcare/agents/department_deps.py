"""What the department escalation actions need beyond every agent action's dependencies: the
configuration (departments, the SLA policy set whose periodic-update target paces the reminders), the
state machine and the answer links' codec; and their settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from socialcare.ports import ConfigRepository, DepartmentWorkflows
from socialcare.rules.answer_links import AnswerLinks

DEFAULT_UPDATE_MINUTES = 1440  # the periodic-update target when the case's SLA policy names none
DEFAULT_MANAGER_AFTER_ROUNDS = 2  # reminders before the department's manager is told too


@dataclass(frozen=True, slots=True)
class EscalationSettings:
    default_update_minutes: int = DEFAULT_UPDATE_MINUTES
    manager_after_rounds: int = DEFAULT_MANAGER_AFTER_ROUNDS
    # Seconds instead of the periodic-update target: only the local stack's demos and tests set it.
    update_after_s: int | None = None


@dataclass(frozen=True, slots=True)
class DepartmentDeps:
    config: ConfigRepository
    workflows: DepartmentWorkflows
    links: AnswerLinks
    settings: EscalationSettings = field(default_factory=EscalationSettings)
