"""The ports: what the core needs from storage, queues, secrets and time, as Protocols.

The services (webhook, ingest, outbound, agents) are typed on these, never on an adapter. Each
port has a DynamoDB/SQS/S3/Secrets Manager adapter in ``socialcare.aws`` and an in-memory twin in
``socialcare.memory``; ``tests/contract`` runs the same tests against both, so the twins keep the
adapters' semantics (conditional writes, dedup, version conflicts, the exceptions raised).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeAlias, TypeVar

from socialcare import clock
from socialcare.model.audit import AuditRecord
from socialcare.model.case import Case, CaseStatus, Priority, ThreadEntry
from socialcare.model.config import ConfigKind, StoredConfig
from socialcare.model.day_facts import DayFact
from socialcare.model.envelope import DeliveryEnvelope
from socialcare.model.events import Channel, DeliveryState, PlatformEvent
from socialcare.model.notices import SensitiveCaseNotice
from socialcare.model.profile import BrandProfile
from socialcare.model.sending import OutboundEntry, PartRecord, SendFailure
from socialcare.model.stored import CurrentCase, MessageRef
from socialcare.platforms.credentials import PlatformCredentials

Clock: TypeAlias = clock.Clock
"""The clock is a port too: epoch milliseconds, injected (``socialcare.clock``)."""

# ---- pipeline side (webhook → ingest → outbound) ------------------------------------------


class CaseReader(Protocol):
    """The reads of cases and their threads that the outbound sender makes."""

    def current_case(self, account_id: str, user_ids: Sequence[str]) -> CurrentCase:
        """The customer's current case and the copy each id holds (None where it has none)."""
        ...

    def get_case(self, case_id: str) -> Case:
        """The case; raises CaseNotFound."""
        ...

    def find_message(self, platform: str, account_id: str, message_id: str) -> MessageRef | None:
        """Where a platform message is stored, if it is."""
        ...

    def get_entry(self, ref: MessageRef) -> ThreadEntry | None: ...


@dataclass(frozen=True, slots=True)
class MessageCommit:
    """One platform message as ingest stores it, whole or not at all: its index item and thread
    ``entry``, and ``after`` in place of what ``before`` read (the same case, conditioned on its
    version, or a new case). A new case that replaces the one read stores that one as ``superseded``,
    conditioned on the version read."""

    event: PlatformEvent
    entry: ThreadEntry
    before: CurrentCase
    after: Case
    superseded: Case | None = None

    @property
    def continues_case(self) -> bool:
        """The message joins the case ``before`` read (else it opens a new case)."""
        prior = self.before.case
        return prior is not None and prior.case_id == self.after.case_id


class CaseRepository(CaseReader, Protocol):
    """Cases, threads and the platform-message index, as ingest reads and writes them."""

    def commit_message(self, commit: MessageCommit) -> None:
        """Store one message and the case it changes, all or nothing. Raises DuplicateEvent (the
        platform message is stored already), ConcurrentThreadingConflict (the case or a current-case
        copy changed since ``before`` was read) or UnstorableEvent (the items can never be stored)."""
        ...

    def save_case(self, before: Case, after: Case) -> None:
        """Replace ``before`` by ``after`` (and its current-case copies while current); raises
        CaseVersionConflict when the case is no longer at ``before.version``."""
        ...

    def update_entry_text(self, ref: MessageRef, *, text: str, edited_at_ms: int, previous: str | None) -> bool:
        """Apply an edit unless a later edit or a deletion is applied already (False then)."""
        ...

    def mark_entry_deleted(self, ref: MessageRef, *, deleted_at_ms: int) -> bool: ...

    def set_delivery_state(
        self, ref: MessageRef, *, state: DeliveryState, at_ms: int, error: str | None = None
    ) -> bool:
        """Record a delivery status unless the same or a later one is recorded already (False then)."""
        ...

    def set_reaction(self, ref: MessageRef, *, by: str, emoji: str | None, at_ms: int) -> bool:
        """Record ``by``'s reaction to the message (``emoji`` None: they removed it) unless a later
        reaction of theirs is recorded already (False then)."""
        ...

    def record_unmatched(self, event: PlatformEvent, *, reason: str, raw_key: str | None, day: str) -> None:
        """Keep an event that matched nothing; a retry writes the same record again."""
        ...


class OutboundRepository(Protocol):
    """The outbound sender's bookkeeping on reply entries: claim, release, fail, record a part."""

    def get(self, ref: MessageRef) -> OutboundEntry | None: ...

    def claim(self, seen: OutboundEntry, *, attempt_id: str, now_ms: int) -> bool:
        """Unclaimed (never tried, waiting, gave up) → sending by this attempt; False if someone got there first."""
        ...

    def release(self, seen: OutboundEntry, *, attempt_id: str, note: str, now_ms: int) -> bool:
        """Give the claim back after a retryable failure."""
        ...

    def fail(self, seen: OutboundEntry, failure: SendFailure, *, now_ms: int) -> bool:
        """Mark the reply failed; False when the entry moved on since ``seen`` (or the claim)."""
        ...

    def record(self, part: PartRecord) -> None:
        """One accepted part, all or nothing; raises ClaimLost, MessageIdTaken or CaseChanged."""
        ...


class LeadNotifier(Protocol):
    """Tells the leads at once of a sensitive case (the project's event bus; a list in tests)."""

    def sensitive_case(self, notice: SensitiveCaseNotice) -> None: ...


class RawStore(Protocol):
    """Raw deliveries, kept exactly as received."""

    def put(self, key: str, body: bytes, *, metadata: dict[str, str]) -> None: ...

    def get(self, key: str) -> bytes: ...


class DeliveryQueue(Protocol):
    """The queue between the webhook and ingest."""

    def send(self, envelope: DeliveryEnvelope) -> None: ...


class OutboundQueue(Protocol):
    """The queue of replies between the agent API and the outbound sender."""

    def send_json(self, body: str, *, case_id: str, channel: str) -> None:
        """Queue a request already serialised (a retried reply sends exactly what was stored)."""
        ...

    def retry_later(self, receipt_handle: str, delay_s: int) -> None:
        """Keep a received message hidden for ``delay_s``; it is delivered again then."""
        ...


class Credentials(Protocol):
    """The platforms' credentials as they are now (a rotated secret is picked up)."""

    def __call__(self) -> PlatformCredentials: ...


# ---- agent side ----
# What the agent services (``socialcare.agents``) need of storage and of the outbound queue. The
# DynamoDB adapter is ``socialcare.aws.agent_store.AgentStore``, its twin
# ``socialcare.memory.agents.MemoryAgentStore``; ``tests/contract/test_agent_store_contract.py`` holds
# both to the same behaviour.


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


@dataclass(frozen=True, slots=True)
class AgentChange:
    """One agent action as it is stored, whole or not at all: ``after`` in place of ``before`` (conditioned
    on its version), the thread entries it adds, its audit record and, for a request that carries an
    idempotency key, the key's marker."""

    before: Case
    after: Case
    audit: AuditRecord
    entries: Sequence[ThreadEntry] = ()
    marker: IdempotencyMarker | None = None


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
    def commit(self, change: AgentChange, *, now_ms: int) -> None:
        """Store the change whole or not at all. ``MarkerExists`` when an unexpired marker of its key is
        stored at ``now_ms``; else ``CaseVersionConflict`` when the case moved on since ``change.before``."""
        ...


class AgentRepository(
    AgentCaseReads, AgentQueues, AuditTrail, IdempotencyMarkers, BrandProfiles, AgentCommit, Protocol
):
    """Everything the agent services need of storage."""


class AgentReplyQueue(Protocol):
    """The outbound queue as the agent services use it (structurally the outbound queue port)."""

    def send_json(self, body: str, *, case_id: str, channel: str) -> None: ...


# ---- the case clock (SLA escalation timers; see socialcare/timers) --------------------------


class CaseClocks(Protocol):
    """Where case clocks run: one Step Functions execution per case and generation."""

    def start(self, case_id: str, generation: int, input: Mapping[str, str]) -> None:
        """Start the clock ``case-<case_id>-<generation>`` with ``input``. A clock of that name that
        exists already (running or ended) is left as it is: a duplicate start is success, never a
        second clock. Raises ``CaseClockNotStarted`` when the clock could not be started."""
        ...


# ---- SLA configuration and departments (the admin routes; see socialcare/agents/sla_admin.py) ------
# The DynamoDB adapter is ``socialcare.aws.config_store.ConfigStore``, its twin
# ``socialcare.memory.config_store.MemoryConfigStore``; ``tests/contract/test_config_store.py`` holds
# both to the same behaviour.


@dataclass(frozen=True, slots=True)
class SlaConfigDocuments:
    """What a case's due times are computed from: the policy set (``None`` until one is stored) and
    every stored business calendar, read together."""

    policies: StoredConfig | None
    calendars: tuple[StoredConfig, ...]


class ConfigRepository(Protocol):
    """Versioned configuration documents, each write audited. Reads are keyed (GetItem, Query)."""

    def get_config(self, kind: ConfigKind, name: str) -> StoredConfig | None: ...

    def list_configs(self, kind: ConfigKind) -> list[StoredConfig]:
        """Every stored configuration of the kind, by name."""
        ...

    def sla_config(self) -> SlaConfigDocuments: ...

    def save_config(self, config: StoredConfig, audit: AuditRecord) -> None:
        """Store ``config`` as its version and its audit record, together or not at all: only over
        ``config.version - 1`` (nothing stored when that is 0); ``ConfigVersionConflict`` otherwise."""
        ...

    def config_audit(self, *, limit: int) -> list[AuditRecord]:
        """The latest audit records of configuration changes, newest first."""
        ...


# ---- reports (the accountability report, the marketing summary) ---------------------------------


class DayFactStore(Protocol):
    """The day facts of cases (``model.day_facts``), kept by UTC day, one item per case and day."""

    def record_facts(self, day: str, case_id: str, facts: Sequence[DayFact]) -> None:
        """Add ``facts`` (all of one case, on the UTC date ``day``); a fact recorded again replaces
        itself (by its ``key``), so recording is idempotent."""
        ...

    def day_facts(self, day: str) -> list[DayFact]:
        """Every fact recorded for the UTC date ``day`` (one keyed Query of that day's partition)."""
        ...


class ReportReads(DayFactStore, Protocol):
    """What a report reads besides the facts: the teams' queues, by key."""

    def team_backlog(self, team: str) -> list[Case]:
        """Every active case of the team (its queue index)."""
        ...


class ReportArchive(Protocol):
    """Stored reports (S3 in AWS), by key."""

    def put(self, key: str, body: bytes, *, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None:
        """The stored object, or None when there is none."""
        ...
