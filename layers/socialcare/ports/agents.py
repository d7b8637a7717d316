"""The agent side's ports: what the agent services (``socialcare.agents``) need of storage and of the
outbound queue, and the paged lists they read.

The DynamoDB adapter is ``socialcare.aws.agent_store.AgentStore``, its twin
``socialcare.memory.agents.MemoryAgentStore``; ``tests/contract/test_agent_store_contract.py`` holds
both to the same behaviour.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from socialcare.model.audit import AuditRecord
from socialcare.model.case import Case, ThreadEntry
from socialcare.model.department_escalation import DepartmentEscalation
from socialcare.model.events import DeliveryState
from socialcare.model.profile import BrandProfile
from socialcare.model.summary import CaseSummary
from socialcare.model.views import CaseView

ItemT = TypeVar("ItemT")
Position = dict[str, str]
"""Where a list resumes: opaque to the core (the agent API seals it into a cursor)."""


@dataclass(frozen=True, slots=True)
class Page(Generic[ItemT]):
    items: list[ItemT]
    next_position: Position | None


@dataclass(frozen=True, slots=True)
class IdempotencyMarker:
    case_id: str
    agent_id: str
    key: str
    fingerprint: str
    entry_id: str
    created_at_ms: int
    expires_at_s: int
    request_json: str | None = None  # a reply's outbound request, queued again by a retry while it waits


@dataclass(frozen=True, slots=True)
class EscalationWrite:
    """A department escalation written with an agent action: a new one (``new``: only if none of its id
    exists) or one that must still be open (answered, cancelled: only once)."""

    escalation: DepartmentEscalation
    new: bool = False


@dataclass(frozen=True, slots=True)
class AgentChange:
    """One agent action as it is stored, whole or not at all: ``after`` in place of ``before`` (conditioned
    on its version), the thread entries it adds, its audit record and, for a request that carries an
    idempotency key, the key's marker; for a department escalation, the escalation it creates or closes."""

    before: Case
    after: Case
    audit: AuditRecord
    entries: Sequence[ThreadEntry] = ()
    marker: IdempotencyMarker | None = None
    escalation: EscalationWrite | None = None


class AgentCaseReads(Protocol):
    """The case reads (and the one delivery write) the agent services make."""

    def get_case(self, case_id: str) -> Case:
        """The case; ``CaseNotFound`` when there is none."""
        ...

    def thread_page(self, case_id: str, *, limit: int, start: Position | None) -> Page[ThreadEntry]:
        """A page of the case's thread, the newest entries first (a view: what was stored a moment
        ago may show on the next read); ``InvalidCursor`` for a position of another list."""
        ...

    def newest_entries(
        self, case_id: str, *, up_to_ms: int | None = None, since_ms: int | None = None
    ) -> Iterator[ThreadEntry]:
        """The case's entries from the newest at or before ``up_to_ms`` back to the oldest at or after
        ``since_ms``, newest first, read as consumed (a few at a time, consistently): an action reads
        only as far back as what it looks for."""
        ...

    def get_entry(self, case_id: str, entry_id: str) -> ThreadEntry | None: ...

    def set_delivery_state(
        self, case_id: str, entry_id: str, *, state: DeliveryState, at_ms: int, error: str | None = None
    ) -> bool:
        """Record a delivery state unless a later one is recorded; whether it was."""
        ...


class AgentQueues(Protocol):
    def case_list(self, view: CaseView, *, limit: int, start: Position | None) -> Page[CaseSummary]:
        """The cases on ``view`` in its sort-key order (``rules.views``), at most ``limit`` (a page may
        be shorter and still have a next), from ``start`` on; ``InvalidCursor`` for a position of
        another list."""
        ...


class AuditTrail(Protocol):
    def audit_trail(self, case_id: str, *, limit: int, start: Position | None) -> Page[AuditRecord]:
        """A case's audit records in the order of the case versions they made."""
        ...

    def acted_since(self, case_id: str, version: int) -> bool:
        """Whether anyone acted on the case after ``version`` (an audit record of a later version)."""
        ...


class IdempotencyMarkers(Protocol):
    def marker(self, case_id: str, agent_id: str, key: str, *, now_ms: int) -> IdempotencyMarker | None:
        """The key's marker, unless it has expired at ``now_ms``."""
        ...


class BrandProfiles(Protocol):
    def profile(self, account_id: str) -> BrandProfile | None: ...

    def save_profile(self, profile: BrandProfile, audit: AuditRecord) -> None:
        """Store the profile and its audit record together."""
        ...


class AgentCommit(Protocol):
    def commit(self, change: AgentChange, *, now_ms: int) -> None:
        """Store the change whole or not at all. ``MarkerExists`` when an unexpired marker of its key is
        stored at ``now_ms``; else ``EscalationClosed`` when its escalation is no longer open (or, new,
        exists); else ``CaseVersionConflict`` when the case moved on since ``change.before``."""
        ...


class EscalationReads(Protocol):
    """A case's department escalations, stored under the case (``CASE#<id>`` / ``ESC#<escalation id>``)."""

    def escalation(self, case_id: str, escalation_id: str) -> DepartmentEscalation | None: ...

    def escalations(self, case_id: str) -> list[DepartmentEscalation]:
        """The case's escalations, oldest first (one keyed Query)."""
        ...


class AgentRepository(
    AgentCaseReads,
    AgentQueues,
    AuditTrail,
    IdempotencyMarkers,
    BrandProfiles,
    AgentCommit,
    EscalationReads,
    Protocol,
):
    """Everything the agent services need of storage."""


class AgentReplyQueue(Protocol):
    """The outbound queue as the agent services use it (structurally the outbound queue port)."""

    def send_json(self, body: str, *, case_id: str, channel: str) -> None: ...
