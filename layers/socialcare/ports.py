"""The ports: what the core needs from storage, queues, secrets and time, as Protocols.

The services (webhook, ingest, outbound, agents) are typed on these, never on an adapter. Each
port has a DynamoDB/SQS/S3/Secrets Manager adapter in ``socialcare.aws`` and an in-memory twin in
``socialcare.memory``; ``tests/contract`` runs the same tests against both, so the twins keep the
adapters' semantics (conditional writes, dedup, version conflicts, the exceptions raised).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeAlias, TypeVar

from socialcare import clock
from socialcare.model.archived import ArchivedDelivery
from socialcare.model.audit import AuditRecord
from socialcare.model.case import Case, ThreadEntry
from socialcare.model.config import ConfigKind, StoredConfig
from socialcare.model.crisis import HeldMessage
from socialcare.model.day_facts import DayFact
from socialcare.model.department_escalation import DepartmentEscalation
from socialcare.model.envelope import DeliveryEnvelope
from socialcare.model.escalation import ClockStart
from socialcare.model.events import Channel, DeliveryState, PlatformEvent
from socialcare.model.metrics import MetricPoint
from socialcare.model.notices import SensitiveCaseNotice, SurgeNotice
from socialcare.model.outbound import OutboundRequest
from socialcare.model.profile import BrandProfile
from socialcare.model.sending import OutboundEntry, PartRecord, SendFailure
from socialcare.model.stored import CurrentCase, MessageRef
from socialcare.model.summary import CaseSummary
from socialcare.model.surges import BucketTally, SurgeKey, SurgeReading
from socialcare.model.views import CaseView
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

    def current_copies(self, customers: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], Case]:
        """The current-case copies of many customers at once, by (account id, user id); keys with
        none are left out. One request per 100 keys."""
        ...

    def commit_message(self, commit: MessageCommit) -> None:
        """Store one message and the case it changes, all or nothing. Raises DuplicateEvent (the
        platform message is stored already), ConcurrentThreadingConflict (the case or a current-case
        copy changed since ``before`` was read) or UnstorableEvent (the items can never be stored)."""
        ...

    def save_case(self, before: Case, after: Case) -> None:
        """Replace ``before`` by ``after`` (and its current-case copies while current); raises
        CaseVersionConflict when the case is no longer at ``before.version``."""
        ...

    def update_entry_text(self, ref: MessageRef, *, text: str, edited_at_ms: int) -> bool:
        """Apply an edit unless a later edit or a deletion is applied already (False then); the text it
        replaces joins the entry's edits."""
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


class CommentModeration(Protocol):
    """What hiding a customer's comment on the platform reads and records (the outbound function)."""

    def get_case(self, case_id: str) -> Case:
        """The case; raises CaseNotFound."""
        ...

    def get_entry(self, ref: MessageRef) -> ThreadEntry | None: ...

    def record_hidden(self, ref: MessageRef, *, at_ms: int) -> bool:
        """The platform hid the comment: record when, unless it is recorded already (False then)."""
        ...

    def record_hide_failed(self, ref: MessageRef, *, error: str) -> bool:
        """The platform refused to hide it: record why, unless it is hidden already (False then)."""
        ...


class LeadNotifier(Protocol):
    """Tells the leads at once of a sensitive case (the project's event bus; a list in tests)."""

    def sensitive_case(self, notice: SensitiveCaseNotice) -> None: ...


class SurgeCounter(Protocol):
    """Where ingest counts messages per bucket, brand account and topic (``model/surges.py``)."""

    def add(self, tally: BucketTally, *, shard: int) -> None:
        """Add the tally's counts to its bucket's counter on ``shard`` with one keyed ADD (keeping
        the first example case id per key); concurrent writers' counts all add up."""
        ...


class SurgeWindows(Protocol):
    """What the scheduled surge check reads and records (``socialcare.surges``)."""

    def read(self, first_bucket_ms: int, last_bucket_ms: int, *, shards: int) -> SurgeReading:
        """The buckets from ``first`` to ``last`` (inclusive), every shard's counter merged."""
        ...

    def claim(self, bucket_ms: int, key: SurgeKey) -> bool:
        """Record that the surge of ``key`` in this bucket is being raised; False when it was already."""
        ...

    def release(self, bucket_ms: int, key: SurgeKey) -> None:
        """Forget a claim whose notice could not be sent, so the next check raises it again."""
        ...


class SurgeAlerts(Protocol):
    """Tells the leads of a surge (the project's event bus; a list in tests)."""

    def surge_detected(self, notice: SurgeNotice) -> None: ...


class RawStore(Protocol):
    """Raw deliveries, kept exactly as received (``model/archived.py``: where)."""

    def put(self, key: str, body: bytes, *, metadata: dict[str, str]) -> None: ...

    def get(self, key: str) -> bytes:
        """The object at ``key`` (a delivery too big for the queue); the store's error when there is none."""
        ...

    def find(self, raw_key: str) -> bytes | None:
        """Replay and audit: the delivery kept under ``raw_key``, its own object or its archived copy."""
        ...


class RawArchive(Protocol):
    """Where ingest archives the raw deliveries its queue carried (a Firehose stream per platform)."""

    def archive(self, deliveries: Sequence[ArchivedDelivery]) -> set[int]:
        """Archive them all; the positions of those that could not be archived, after retries."""
        ...


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


class TaskQueue(Protocol):
    """The outbound queue as ingest hands it tasks (``model/tasks.py``: an acknowledgement to send)."""

    def send_json(self, body: str, *, case_id: str, channel: str) -> None: ...


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


# ---- the case clock and the follow-up (SLA timers; see socialcare/timers) ------------------------


class CaseClocks(Protocol):
    """Where case clocks run: one Step Functions execution per case and generation."""

    def start(self, case_id: str, generation: int, input: Mapping[str, str]) -> None:
        """Start the clock ``case-<case_id>-<generation>`` with ``input``. A clock of that name that
        exists already (running or ended) is left as it is: a duplicate start is success, never a
        second clock. Raises ``CaseClockNotStarted`` when the clock could not be started."""
        ...


@dataclass(frozen=True, slots=True)
class DueClockPage:
    """Case clocks of one shard that came due to start, in start order, each with its position (where
    the sweep's watermark goes once it is started); ``end``: the position of the range's end when the
    page holds all that was in it (``None``: more to read, from the last position)."""

    clocks: tuple[tuple[str, ClockStart], ...]
    end: str | None


class DueClocks(Protocol):
    """The clock index as the sweep reads it: the clocks of the cases awaiting an answer, by shard and
    start time, and how far the sweep has read each shard. Positions are ordered strings."""

    def due(self, shard: int, *, after: str | None, until_ms: int, limit: int) -> DueClockPage:
        """Up to ``limit`` clocks of ``shard`` past the position ``after`` (``None``: from the first)
        whose start time is at most ``until_ms``."""
        ...

    def watermarks(self) -> dict[int, str]:
        """The position the sweep reached in each shard (a shard never read is absent)."""
        ...

    def save_watermarks(self, marks: Mapping[int, str]) -> None:
        """Store the positions of every shard (what was read, with what the run advanced)."""
        ...


class FollowUps(Protocol):
    """Where follow-ups run: one Step Functions execution per case and pending cycle."""

    def start(self, case_id: str, cycle: int, input: Mapping[str, str]) -> None:
        """Start the follow-up ``follow-up-<case_id>-<cycle>`` with ``input``; one of that name that
        exists already (running or ended) is left as it is. Raises ``FollowUpNotStarted`` when it could
        not be started."""
        ...


class CaseStatusWriter(AgentCommit, Protocol):
    """What an automation that changes a case's status needs (the follow-up's auto-resolve): the case,
    and the commit the agents' actions use (case, thread entry and audit record, whole or not at all)."""

    def get_case(self, case_id: str) -> Case:
        """The case; ``CaseNotFound`` when there is none."""
        ...


# ---- configuration: SLA, departments, routing rules (the admin routes; socialcare/agents/sla_admin.py,
# routing_admin.py) ------
# The DynamoDB adapter is ``socialcare.aws.config_store.ConfigStore``, its twin
# ``socialcare.memory.config_store.MemoryConfigStore``; ``tests/contract/test_config_store.py`` holds
# both to the same behaviour.


@dataclass(frozen=True, slots=True)
class SlaConfigDocuments:
    """What a case's due times are computed from: the policy set (``None`` until one is stored) and
    every stored business calendar, read together."""

    policies: StoredConfig | None
    calendars: tuple[StoredConfig, ...]


class ConfigReader(Protocol):
    """One configuration document, as those who only follow the configuration read it (ingest)."""

    def get_config(self, kind: ConfigKind, name: str) -> StoredConfig | None: ...


class ConfigRepository(ConfigReader, Protocol):
    """Versioned configuration documents, each write audited. Reads are keyed (GetItem, Query)."""

    def list_configs(self, kind: ConfigKind) -> list[StoredConfig]:
        """Every stored configuration of the kind, by name."""
        ...

    def sla_config(self) -> SlaConfigDocuments:
        """The stored policy set and calendars, read together (one keyed Query)."""
        ...

    def save_config(self, config: StoredConfig, audit: AuditRecord) -> None:
        """Store ``config`` as its version and its audit record, together or not at all: only over
        ``config.version - 1`` (nothing stored when that is 0); ``ConfigVersionConflict`` otherwise."""
        ...

    def config_audit(self, *, limit: int) -> list[AuditRecord]:
        """The latest audit records of configuration changes, newest first."""
        ...


# ---- department escalation (agents/escalations.py; departments/requests.py) ----------------------------


class EscalationTokens(EscalationReads, Protocol):
    """What the outbound function's department requests need of the escalations."""

    def store_task_token(self, case_id: str, escalation_id: str, *, token: str, round: int, at_ms: int) -> bool:
        """Keep ``token`` as the escalation's callback token, if it is still open and no later round's
        token is stored (a redelivered request of the same round stores the same token again); whether
        it was stored."""
        ...


class DepartmentCallbacks(Protocol):
    """Completing a waiting department escalation (the state machine's ``.waitForTaskToken``)."""

    def succeed(self, task_token: str, output: Mapping[str, str]) -> bool:
        """Complete the wait with the answer; False when the token is no longer waited on (its round
        timed out meanwhile, or the execution ended)."""
        ...

    def fail(self, task_token: str, *, error: str, cause: str) -> bool:
        """End the wait with ``error`` (which the machine catches); False as for ``succeed``."""
        ...


class DepartmentWorkflows(DepartmentCallbacks, Protocol):
    """The department escalation state machine, as the agent API uses it."""

    def start(self, name: str, input: Mapping[str, object]) -> None:
        """Start the execution ``name``; one of that name that exists already is left as it is (a
        duplicate start is success). ``EscalationNotStarted`` when it could not be started."""
        ...


@dataclass(frozen=True, slots=True)
class DepartmentRequestNotice:
    """What the department is told (an event on the project's bus): who, the question and the link —
    never the customer's messages."""

    escalation_id: str
    case_id: str
    department_id: str
    department_name: str
    contacts: tuple[Mapping[str, str], ...]
    question: str
    asked_by_name: str
    round: int
    link: str
    link_expires_at_ms: int


class DepartmentNotifier(Protocol):
    def department_request(self, notice: DepartmentRequestNotice) -> None:
        """Put the request on the bus; ``NotificationFailed`` when it refuses it."""


# ---- automated messages and crisis mode (see socialcare/automated and agents/crisis_admin.py) -----
# The DynamoDB adapter of ``AutomatedStore`` and ``HeldMessages`` is
# ``socialcare.aws.automated_store.AutomatedStore``, its twin ``socialcare.memory.automated``;
# ``tests/contract/test_automated_store.py`` holds both to the same behaviour.


class ProfileReader(Protocol):
    def profile(self, account_id: str) -> BrandProfile | None:
        """The account's stored profile (None: it has none; the defaults apply)."""
        ...


class AutomatedStore(Protocol):
    """What the automated messages need of the table besides the case: the message they answer,
    their own entry, written once, and the case's place in its team's queue."""

    def latest_inbound(self, case_id: str, channel: Channel) -> ThreadEntry | None:
        """The customer's latest message of the case on ``channel`` (its sender and conversation)."""
        ...

    def add_automated(self, entry: ThreadEntry, held: HeldMessage | None) -> bool:
        """Store the entry (and, when a crisis holds it, its held-message item) unless an entry of its
        id is stored already: False then, and nothing written."""
        ...

    def cases_ahead(self, team: str, due_ms: int | None, case_id: str, *, limit: int) -> int:
        """How many active cases of the team's queue come before this one (due earlier), counted up
        to ``limit`` at most."""
        ...


class DeliverNow(Protocol):
    """Sends one stored outbound entry now (the outbound sender) and says what became of it."""

    def __call__(self, request: OutboundRequest) -> str: ...


class HeldMessages(Protocol):
    """The automated messages a crisis holds, as people review them."""

    def held_messages(self, crisis_id: str, *, limit: int, start: Position | None) -> Page[HeldMessage]:
        """The crisis's held messages (whatever became of them), by case and entry."""
        ...

    def held_message(self, crisis_id: str, case_id: str, entry_id: str) -> HeldMessage | None: ...

    def decide_held(self, decided: HeldMessage, audit: AuditRecord) -> None:
        """Record a person's decision (``decided.state`` released or discarded) on the held item and on
        the thread entry (back to PENDING, or DISCARDED), with its audit record, all or nothing;
        ``HeldMessageDecided`` when someone decided first."""


# ---- metrics (the scheduled open-work publisher; see socialcare/metrics) ---------------------------
# The DynamoDB and CloudWatch adapters are ``socialcare.aws.open_work.OpenWorkQueries`` and
# ``socialcare.aws.metric_sink.CloudWatchMetrics``, their twins in ``socialcare.memory.metrics``.


@dataclass(frozen=True, slots=True)
class OpenCases:
    """A team's active cases and how many items the store read to find them."""

    cases: tuple[CaseSummary, ...]
    items_read: int


class OpenWork(Protocol):
    def open_cases(self, team: str) -> OpenCases:
        """Every active case of ``team``: keyed reads of an index of open work only, so the cost follows
        the open cases, never the resolved and closed history."""
        ...


class MetricSink(Protocol):
    def put(self, points: Sequence[MetricPoint], *, at_ms: int) -> int:
        """Publish the points, all stamped ``at_ms``; the number of requests it took."""
        ...


# ---- reports (the accountability report, the marketing summary) ---------------------------------


class DayFactStore(Protocol):
    """The day facts of cases (``model.day_facts``), kept by UTC day, one item per case and day."""

    def record_facts(self, day: str, case_id: str, facts: Sequence[DayFact]) -> None:
        """Add ``facts`` (all of one case, on the UTC date ``day``); a fact recorded again replaces
        itself (by its ``key``), so recording is idempotent."""
        ...

    def count_messages(self, day: str, case_id: str, facts: Sequence[DayFact], *, first: str, last: str) -> bool:
        """Add inbound ``facts`` (all of one case and UTC quarter hour of ``day``; ``model.day_facts.counted``)
        to their counts, in one write, unless a stream position at or after ``first`` was counted there
        already: then nothing is written and False returned. ``last`` is the position counted through
        (positions compare as text)."""
        ...

    def day_facts(self, day: str) -> list[DayFact]:
        """Every fact recorded for the UTC date ``day`` (one keyed Query of that day's partition), the
        customers' messages as counts."""
        ...


class ReportReads(DayFactStore, Protocol):
    """What a report reads besides the facts: the teams' queues, by key."""

    def team_backlog(self, team: str) -> list[CaseSummary]:
        """Every active case of the team (its queue index)."""
        ...


class ReportArchive(Protocol):
    """Stored reports (S3 in AWS), by key."""

    def put(self, key: str, body: bytes, *, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None:
        """The stored object, or None when there is none."""
        ...
