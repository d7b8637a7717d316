"""The pipeline's ports (webhook → ingest → outbound): cases and threads as ingest stores them, the
outbound sender's bookkeeping, comment moderation, the raw deliveries, the queues, the credentials.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from socialcare.model.archived import ArchivedDelivery
from socialcare.model.case import Case, ThreadEntry
from socialcare.model.envelope import DeliveryEnvelope
from socialcare.model.events import DeliveryState, PlatformEvent
from socialcare.model.notices import SensitiveCaseNotice
from socialcare.model.sending import OutboundEntry, PartRecord, SendFailure
from socialcare.model.stored import CurrentCase, MessageRef
from socialcare.platforms.credentials import PlatformCredentials


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
