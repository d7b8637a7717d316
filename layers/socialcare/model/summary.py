"""A case as its queue lists it: what an agent picks the next case by, never its thread or counters.

The lists are read from the views' index items (``socialcare.aws.schema``), which carry only these
attributes, and none that changes with every message (the version, the counters, the last message):
a customer's second message in the same waiting cycle writes no index item. ``GET /cases/{id}``
reads the whole case.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialcare.model.case import CaseMark, CaseRouting, CaseStatus, Priority
from socialcare.model.escalation import EscalationTier
from socialcare.model.events import Channel, Platform


@dataclass(frozen=True, slots=True)
class CaseSummary:
    case_id: str
    team: str
    status: CaseStatus
    priority: Priority
    channel: Channel  # the channel the case is filed under (``rules.views.filed_channel``)
    account_id: str
    created_at_ms: int
    customer_id: str = ""
    customer_name: str | None = None
    customer_handle: str | None = None
    owner: str | None = None
    awaiting_reply_since_ms: int | None = None
    response_due_at_ms: int | None = None
    routing: CaseRouting | None = None  # its tags (and reasons: what a crisis's keywords match)
    sensitive: frozenset[str] = frozenset()
    language: str | None = None
    mark: CaseMark | None = None  # set aside as spam or troll (the review queue)
    sla_tier: EscalationTier | None = None
    # History lists only: when the case was resolved (closed).
    finished_at_ms: int | None = None
    # The team queue only (what the open-work gauges count): the case clock's warning instant and the
    # department a pending_internal case waits on.
    warn_at_ms: int | None = None
    waiting_on: str | None = None

    @property
    def platform(self) -> Platform:
        return self.channel.platform

    @property
    def customer_display(self) -> str:
        return self.customer_name or self.customer_handle or self.customer_id

    @property
    def tags(self) -> tuple[str, ...]:
        return self.routing.tags if self.routing else ()
