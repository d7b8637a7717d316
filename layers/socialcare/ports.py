"""Ports: what the core needs of the outside world, as Protocols the adapters (``socialcare.aws``) and
the in-memory twins (``socialcare.memory``) both satisfy."""

from __future__ import annotations

# ---- agent side ----
# What the agent services (``socialcare.agents``) need of storage and of the outbound queue. The
# DynamoDB adapter is ``socialcare.aws.agent_store.AgentStore``, its twin
# ``socialcare.memory.agents.MemoryAgentStore``; ``tests/contract/test_agent_store_contract.py`` holds
# both to the same behaviour.
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from socialcare.agents.profile import BrandProfile
from socialcare.model.audit import AuditRecord
from socialcare.model.case import Case, CaseStatus, Priority, ThreadEntry
from socialcare.model.events import Channel, DeliveryState

ItemT = TypeVar("ItemT")
Position = dict[str, str]
"""Where a list resumes: opaque to the core (the agent API seals it into a cursor)."""


@dataclass(frozen=True, slots=True)
class Page(Generic[ItemT]):
    items: list[ItemT]
    next_position: Position | None


@dataclass(frozen=True, slots=True)
class CaseFilter:
    statuses: frozenset[CaseStatus] | None = None
    channel: Channel | None = None
    priority: Priority | None = None
    owner: str | None = None
    unowned: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.statuses or self.channel or self.priority or self.owner or self.unowned)


@dataclass(frozen=True, slots=True)
class IdempotencyMarker:
    case_id: str
    agent_id: str
    key: str
    fingerprint: str
    entry_id: str
    created_at_ms: int
    expires_at_s: int
    queued: bool = True  # the reply's outbound request reached the queue (always true for notes)
    request_json: str | None = None  # the outbound request, to queue again when it did not


class AgentCaseReads(Protocol):
    """The case reads (and the one delivery write) the agent services make."""

    def get_case(self, case_id: str) -> Case:
        """The case; ``CaseNotFound`` when there is none."""
        ...

    def thread(self, case_id: str) -> list[ThreadEntry]:
        """The case's thread in timestamp order."""
        ...

    def get_entry(self, case_id: str, entry_id: str) -> ThreadEntry | None: ...

    def set_delivery_state(
        self, case_id: str, entry_id: str, *, state: DeliveryState, at_ms: int, error: str | None = None
    ) -> bool:
        """Record a delivery state unless a later one is recorded; whether it was."""
        ...


class AgentQueues(Protocol):
    """Lists of cases, a page at a time; ``InvalidCursor`` for a position of another list."""

    def team_queue(self, team: str, flt: CaseFilter, *, limit: int, start: Position | None) -> Page[Case]:
        """A team's active cases, the soonest (most overdue) response due first."""
        ...

    def team_finished(
        self, team: str, status: CaseStatus, flt: CaseFilter, *, limit: int, start: Position | None
    ) -> Page[Case]:
        """A team's resolved (or closed) cases, the most recently finished first."""
        ...

    def owned(self, agent_id: str, *, limit: int, start: Position | None) -> Page[Case]:
        """An agent's own active cases, the soonest response due first."""
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

    def mark_queued(self, marker: IdempotencyMarker) -> None: ...


class BrandProfiles(Protocol):
    def profile(self, account_id: str) -> BrandProfile | None: ...

    def save_profile(self, profile: BrandProfile, audit: AuditRecord) -> None:
        """Store the profile and its audit record together."""
        ...


class AgentCommit(Protocol):
    def commit(
        self,
        *,
        before: Case,
        after: Case,
        audit: AuditRecord,
        entries: Sequence[ThreadEntry] = (),
        marker: IdempotencyMarker | None = None,
        now_ms: int = 0,
    ) -> None:
        """Store one agent action whole or not at all: ``after`` in place of ``before`` (conditioned on
        its version), the entries, the audit record and the idempotency marker. ``MarkerExists`` when
        an unexpired marker of the key is stored; else ``CaseVersionConflict`` when the case moved on."""
        ...


class AgentRepository(
    AgentCaseReads, AgentQueues, AuditTrail, IdempotencyMarkers, BrandProfiles, AgentCommit, Protocol
):
    """Everything the agent services need of storage."""


class AgentReplyQueue(Protocol):
    """The outbound queue as the agent services use it (structurally the outbound queue port)."""

    def send_json(self, body: str, *, case_id: str, channel: str) -> None: ...
