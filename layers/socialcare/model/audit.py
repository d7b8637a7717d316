"""The audit trail: who did what to a case (or a brand profile, or the configuration), when, in
their own words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from socialcare.ids import new_ulid


class AuditAction(StrEnum):
    CLAIMED = "claimed"
    ASSIGNED = "assigned"
    RELEASED = "released"
    STATUS_CHANGED = "status_changed"
    REPLIED = "replied"
    MOVED_TO_PRIVATE = "moved_to_private"
    NOTE_ADDED = "note_added"
    PROFILE_UPDATED = "profile_updated"
    SLA_POLICIES_UPDATED = "sla_policies_updated"
    CALENDAR_UPDATED = "calendar_updated"
    DEPARTMENT_UPDATED = "department_updated"
    ROUTING_RULES_UPDATED = "routing_rules_updated"
    # triage by hand (agents/triage_actions.py)
    ROUTED = "routed"
    MARKED = "marked"
    RESTORED = "restored"
    COMMENT_HIDE_REQUESTED = "comment_hide_requested"
    ESCALATED = "escalated"  # handed to a department
    ESCALATION_ANSWERED = "escalation_answered"
    ESCALATION_CANCELLED = "escalation_cancelled"  # the case was resolved or closed first
    CRISIS_DECLARED = "crisis_declared"
    CRISIS_ENDED = "crisis_ended"
    HELD_MESSAGE_RELEASED = "held_message_released"
    HELD_MESSAGE_DISCARDED = "held_message_discarded"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    record_id: str  # time-sortable (ULID)
    at_ms: int
    actor: str  # agent id
    actor_role: str
    action: AuditAction
    case_id: str | None = None  # the case acted on, or
    account_id: str | None = None  # the brand account whose profile changed
    case_version: int | None = None  # the case's version after the action
    subject: str | None = (
        None  # or the configuration changed: sla/policies, calendar/<name>, department/<id>, routing/rules
    )
    details: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of_case(
        cls,
        after_version: int,
        case_id: str,
        action: AuditAction,
        *,
        by: tuple[str, str],
        at_ms: int,
        details: Mapping[str, str],
    ) -> AuditRecord:
        """What ``by`` (actor, role) did to a case at ``at_ms``, leaving it at ``after_version``."""
        actor, role = by
        return cls(
            new_ulid(at_ms), at_ms, actor, role, action, case_id, case_version=after_version, details=dict(details)
        )
