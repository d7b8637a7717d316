"""The audit trail: who did what to a case (or a brand profile, or the SLA configuration), when, in
their own words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


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
    subject: str | None = None  # or the configuration changed: sla/policies, calendar/<name>, department/<id>
    details: Mapping[str, str] = field(default_factory=dict)
