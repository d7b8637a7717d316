"""The case: one customer's matter with one brand account, across that account's channels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from socialcare.errors import InvalidTransition
from socialcare.model.escalation import EscalationSchedule
from socialcare.model.events import Channel, Customer, DeliveryState, Platform
from socialcare.model.follow_up import FollowUpSchedule


class CaseStatus(StrEnum):
    OPEN = "open"
    PENDING_CUSTOMER = "pending_customer"
    PENDING_INTERNAL = "pending_internal"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_active(self) -> bool:
        """Active cases take the customer's new messages; resolved/closed ones do not."""
        return self in (CaseStatus.OPEN, CaseStatus.PENDING_CUSTOMER, CaseStatus.PENDING_INTERNAL)


# Who may move a case where. Inbound messages move pending_customer -> open and
# resolved -> open (a reopen) through the ingest path, using the same table.
ALLOWED_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset(
        {CaseStatus.PENDING_CUSTOMER, CaseStatus.PENDING_INTERNAL, CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
    CaseStatus.PENDING_CUSTOMER: frozenset(
        {CaseStatus.OPEN, CaseStatus.PENDING_INTERNAL, CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
    CaseStatus.PENDING_INTERNAL: frozenset(
        {CaseStatus.OPEN, CaseStatus.PENDING_CUSTOMER, CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
    CaseStatus.RESOLVED: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}


def check_transition(current: CaseStatus, target: CaseStatus) -> None:
    if target not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(f"a {current} case cannot become {target}")


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


@dataclass(frozen=True, slots=True)
class CaseRouting:
    """Which routing rule put the case where it is, and why: condition and phrase ids, never the
    customer's text. A person's re-route is the rule ``manual``: who, when, and their reason."""

    rule: str  # the rule's name, "default" (none applied), "sensitive" or "manual"
    reasons: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    rules_version: int = 0  # 0: the brand has no routing rules configured
    overridden_rule: str | None = None  # sensitive, manual: the rule that had applied before
    routed_by: str | None = None  # manual: the agent who re-routed the case
    routed_at_ms: int | None = None


@dataclass(frozen=True, slots=True)
class CaseMark:
    """A spam or troll mark ingest's rules (or an agent, ``by``) put on the case, with every reason
    that applied. A marked case waits in its team's review queue with no response clock and no
    automated message; ``automated_before`` is what ``Case.automated_messages_allowed`` was before,
    what restoring the case puts back."""

    kind: str  # "spam" or "troll"
    reasons: tuple[str, ...] = ()
    by: str | None = None  # the agent who marked it by hand; None: ingest's rules
    at_ms: int | None = None
    automated_before: bool = True


@dataclass(frozen=True, slots=True)
class PostTrace:
    """One of the customer's recent posts as the spam rules remember it: never its text, only a
    fingerprint of it (``rules/spam.py``), when it was posted and how many links it carried."""

    fingerprint: str
    at_ms: int
    links: int = 0


@dataclass(frozen=True, slots=True)
class EntrySentiment:
    """A message's sentiment as the classifier scored it (``rules/classify.py``)."""

    label: str  # positive, negative, neutral
    score: float  # -1 (most negative) to 1
    confidence: float
    method: str  # "vader", "emoji" or "none"


class EntryKind(StrEnum):
    """What a line of a case's thread is."""

    INBOUND = "inbound"  # the customer wrote (private or public)
    OUTBOUND = "outbound"  # the brand wrote (through this system, or an echo of a message sent elsewhere)
    NOTE = "note"  # internal, never sent
    STATUS_CHANGE = "status_change"
    SYSTEM = "system"  # the platform told of a change (a customer's new number or id); never a message
    # a department escalation: the agent's question, the department's answer, or its cancellation
    # (``extra``: escalation_id, department, event asked/answered/cancelled); internal, never sent
    DEPARTMENT = "department"


@dataclass(frozen=True, slots=True)
class Case:
    case_id: str
    platform: Platform
    account_id: str
    customer: Customer
    status: CaseStatus
    priority: Priority
    team: str
    created_at_ms: int
    updated_at_ms: int
    channels: frozenset[Channel] = frozenset()
    owner: str | None = None
    last_inbound_at_ms: int | None = None
    # Messaging windows (Meta 24 h / 7 days, WhatsApp 24 h) run per channel from the
    # customer's last message on that channel.
    last_inbound_by_channel: Mapping[Channel, int] = field(default_factory=dict)
    last_outbound_at_ms: int | None = None
    awaiting_reply_since_ms: int | None = None  # oldest customer message not yet answered
    response_due_at_ms: int | None = None  # when the awaited answer breaches its target
    first_response_at_ms: int | None = None
    resolved_at_ms: int | None = None
    closed_at_ms: int | None = None
    customer_read_up_to_ms: int | None = None
    message_count: int = 0
    reopen_count: int = 0
    follow_up_of: str | None = None  # the closed case this one continues
    superseded_by: str | None = None  # the follow-up case that now takes this customer's messages
    # What the SLA's clocks run on (rules/case_sla.py): the customer message whose answer is due first
    # and its channel, when the status last changed, and the business ms each clock (by name) spent
    # paused by a status its policy pauses it in.
    response_started_at_ms: int | None = None
    response_channel: Channel | None = None
    status_since_ms: int | None = None
    paused_ms: Mapping[str, int] = field(default_factory=dict)
    # The department a case in pending_internal waits on (its open department escalation), if any.
    waiting_on: str | None = None
    # The case clock (model/escalation.py): its generation (0: never started) and what it waits for.
    clock_generation: int = 0
    escalation: EscalationSchedule | None = None
    # The follow-up (model/follow_up.py): pending cycles started (0: never pending_customer) and the
    # current cycle's nudge and auto-resolve; None unless the case is pending_customer.
    follow_up_cycle: int = 0
    follow_up: FollowUpSchedule | None = None
    # Triage at ingest (rules/routing_rules.py, sensitive.py, spam.py): the rule that routed the case,
    # the sensitive categories found in its messages, whether automated messages may go to it, the
    # language of its first message that had one, and a spam/troll mark.
    routing: CaseRouting | None = None
    sensitive: frozenset[str] = frozenset()
    automated_messages_allowed: bool = True
    language: str | None = None
    mark: CaseMark | None = None
    # A person restored the case from the review queue: ingest's rules never mark it again (an agent
    # still can, by hand).
    restored_at_ms: int | None = None
    restored_by: str | None = None
    # The customer's recent posts (fingerprints, never text) that the spam rules count repeats and
    # link floods in; carried to a follow-up case, so the history is the customer's, not the case's.
    recent_posts: tuple[PostTrace, ...] = ()
    version: int = 1

    def with_status(self, target: CaseStatus, now_ms: int) -> Case:
        check_transition(self.status, target)
        return replace(
            self,
            status=target,
            updated_at_ms=now_ms,
            resolved_at_ms=now_ms if target is CaseStatus.RESOLVED else self.resolved_at_ms,
            closed_at_ms=now_ms if target is CaseStatus.CLOSED else self.closed_at_ms,
            # A pending cycle ends when the case stops waiting for the customer.
            follow_up=self.follow_up if target is CaseStatus.PENDING_CUSTOMER else None,
        )


@dataclass(frozen=True, slots=True)
class ThreadEntry:
    """One line of a case's thread, in platform-timestamp order."""

    case_id: str
    entry_id: str  # sortable: timestamp then platform id, so the thread reads in platform order
    kind: EntryKind
    timestamp_ms: int
    channel: Channel | None = None
    platform_message_id: str | None = None
    author: str | None = None  # customer user id, agent id, or "brand" for echoes
    text: str | None = None
    attachments: tuple[tuple[str, str | None], ...] = ()  # (kind, url)
    public: bool = False
    reply_to_id: str | None = None
    conversation_ref: str | None = None
    edits: tuple[tuple[int, str], ...] = ()  # (timestamp_ms, previous text), oldest first
    deleted_at_ms: int | None = None
    delivery_state: DeliveryState | None = None
    delivery_state_at_ms: int | None = None
    delivery_error: str | None = None
    received_at_ms: int | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # Who reacted to this message with what (customer id -> emoji); a removed reaction is gone.
    reactions: dict[str, str] = field(default_factory=dict)
    # An inbound message's language (ISO 639-1; None: unknown) and sentiment, as ingest classified it.
    language: str | None = None
    sentiment: EntrySentiment | None = None
    # A public comment an agent hid on the platform (Meta's hide comment API, through the outbound
    # function): when the platform confirmed it, or why it refused.
    hidden_at_ms: int | None = None
    hide_error: str | None = None
