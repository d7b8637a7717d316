"""In-memory twin of ``socialcare.aws.outbound_store.OutboundStore`` (the ``OutboundRepository`` port).

The same conditions as the DynamoDB writes (claim, parts sent, visible delivery rank), checked
before anything changes; ``record`` raises ClaimLost, MessageIdTaken or CaseChanged as the
transaction's cancellation reasons would.
"""

from __future__ import annotations

from dataclasses import replace

from socialcare.errors import CaseChanged, ClaimLost, MessageIdTaken
from socialcare.memory.table import MemoryTable, StoredEntry
from socialcare.model.case import Case, EntryKind
from socialcare.model.events import DeliveryState
from socialcare.model.sending import CLAIMABLE, CustomerLink, OutboundEntry, PartRecord, SendFailure, SendState
from socialcare.model.stored import MessageRef


class MemoryOutboundStore:
    def __init__(self, table: MemoryTable | None = None) -> None:
        self.table = table or MemoryTable()

    def get(self, ref: MessageRef) -> OutboundEntry | None:
        with self.table.lock:
            stored = self._stored(ref)
            return None if stored is None else _outbound_entry(stored)

    def claim(self, seen: OutboundEntry, *, attempt_id: str, now_ms: int) -> bool:
        with self.table.lock:
            stored = self._stored(seen.ref)
            if stored is None or stored.entry.kind is not EntryKind.OUTBOUND:
                return False
            if stored.send_state not in CLAIMABLE or stored.parts_sent != seen.parts_sent:
                return False
            stored.send_state = SendState.SENDING
            stored.attempt_id = attempt_id
            stored.claimed_at_ms = now_ms
            stored.attempts += 1
            if seen.parts_sent == 0:
                stored.rank = 0
                stored.entry = replace(stored.entry, delivery_state=DeliveryState.SENDING, delivery_state_at_ms=now_ms)
            return True

    def release(self, seen: OutboundEntry, *, attempt_id: str, note: str, now_ms: int) -> bool:
        with self.table.lock:
            stored = self._stored(seen.ref)
            if stored is None or not _claimed_by(stored, attempt_id) or stored.parts_sent != seen.parts_sent:
                return False
            stored.send_state = SendState.WAITING
            stored.attempt_id = stored.claimed_at_ms = None
            stored.entry = replace(stored.entry, delivery_error=note)
            if seen.parts_sent == 0:
                stored.entry = replace(stored.entry, delivery_state=DeliveryState.PENDING, delivery_state_at_ms=now_ms)
            return True

    def fail(self, seen: OutboundEntry, failure: SendFailure, *, now_ms: int) -> bool:
        with self.table.lock:
            stored = self._stored(seen.ref)
            if stored is None or stored.parts_sent != seen.parts_sent:
                return False
            if failure.attempt_id is not None:
                allowed = _claimed_by(stored, failure.attempt_id)
            elif seen.send_state is SendState.SENDING:
                allowed = seen.attempt_id is not None and _claimed_by(stored, seen.attempt_id)
            else:
                allowed = stored.send_state in CLAIMABLE
            if not allowed:
                return False
            stored.send_state = SendState.GAVE_UP if failure.gave_up else SendState.FAILED
            stored.rank = DeliveryState.FAILED.rank
            stored.uncertain = stored.uncertain or failure.uncertain
            stored.entry = replace(
                stored.entry,
                delivery_state=DeliveryState.FAILED,
                delivery_error=failure.reason,
                delivery_state_at_ms=now_ms,
            )
            return True

    def record(self, part: PartRecord) -> None:
        with self.table.lock:
            stored = self._stored(part.seen.ref)
            if stored is None or not _may_record(stored, part):
                raise ClaimLost("the reply is no longer claimed by this attempt")
            if part.message_id is not None and not self._index_free(part):
                raise MessageIdTaken("the platform message id is already indexed")
            if part.case_change is not None and not self._case_unchanged(*part.case_change, part.link):
                raise CaseChanged("the case changed while the reply was being recorded")
            self._apply_part(stored, part)
            if part.case_change is not None:
                self._apply_case_change(*part.case_change, part.link)

    # ---- record's conditions and changes ----------------------------------------------------
    def _index_free(self, part: PartRecord) -> bool:
        assert part.message_id is not None
        holder = self.table.index.get((part.platform, part.account_id, part.message_id))
        if part.adopt is None:
            return holder is None
        adopt = (part.adopt.case_id, part.adopt.entry_id)
        return holder is not None and holder[1] == part.adopt.entry_id and adopt in self.table.entries

    def _case_unchanged(self, before: Case, after: Case, link: CustomerLink | None) -> bool:
        case = self.table.cases.get(after.case_id)
        if case is None or case.version != before.version:
            return False
        if before.superseded_by is None:
            seen = (before.case_id, before.version)
            if not all(self._copy_is(before.account_id, uid, seen) for uid in before.customer.all_ids):
                return False
        if link is not None:
            if not self._copy_is(after.account_id, link.user_id, link.seen):
                return False
            if link.displaced is not None:
                old = self.table.cases.get(link.displaced[0].case_id)
                return old is not None and old.version == link.displaced[0].version
        return True

    def _apply_part(self, stored: StoredEntry, part: PartRecord) -> None:
        seen = part.seen
        stored.parts_sent = seen.parts_sent + 1
        stored.last_part_at_ms = part.at_ms
        entry = stored.entry
        if part.message_id is not None:
            stored.platform_message_ids = (*stored.platform_message_ids, part.message_id)
            if seen.parts_sent == 0:
                entry = replace(entry, platform_message_id=part.message_id)
            ref = seen.ref
            self.table.index[(part.platform, part.account_id, part.message_id)] = (ref.case_id, ref.entry_id)
            if part.adopt is not None:
                del self.table.entries[(part.adopt.case_id, part.adopt.entry_id)]
        if part.done:
            stored.send_state = SendState.SENT
            stored.sent_at_ms = part.at_ms
            stored.uncertain = False
            entry = replace(entry, delivery_error=None)
            if seen.delivery_rank < DeliveryState.SENT.rank:
                stored.rank = DeliveryState.SENT.rank
                entry = replace(entry, delivery_state=DeliveryState.SENT, delivery_state_at_ms=part.at_ms)
        if part.link is not None:
            stored.linked_customer_id = part.link.user_id
        stored.entry = entry

    def _apply_case_change(self, before: Case, after: Case, link: CustomerLink | None) -> None:
        self.table.put_case(after)
        if before.superseded_by is None:
            for uid in before.customer.all_ids:
                self.table.move_copy(uid, after)
        if link is not None:
            self.table.move_copy(link.user_id, after)
            if link.displaced is not None:
                self.table.put_case(link.displaced[1])

    def _copy_is(self, account_id: str, user_id: str, seen: tuple[str, int] | None) -> bool:
        copy = self.table.current.get((account_id, user_id))
        if seen is None:
            return copy is None
        return copy is not None and (copy.case_id, copy.version) == seen

    def _stored(self, ref: MessageRef) -> StoredEntry | None:
        return self.table.entries.get((ref.case_id, ref.entry_id))


def _claimed_by(stored: StoredEntry, attempt_id: str) -> bool:
    return stored.attempt_id == attempt_id and stored.send_state is SendState.SENDING


def _may_record(stored: StoredEntry, part: PartRecord) -> bool:
    """The claim holder records even over a "delivery uncertain" failure another invocation wrote
    while it was still working: what the platform said wins over a guess."""
    seen = part.seen
    failed = stored.send_state is SendState.FAILED
    return (
        stored.attempt_id == part.attempt_id
        and (stored.send_state is SendState.SENDING or (failed and stored.uncertain))
        and (stored.rank is None or stored.rank == seen.delivery_rank or failed)
        and stored.parts_sent == seen.parts_sent
    )


def _outbound_entry(stored: StoredEntry) -> OutboundEntry:
    return OutboundEntry(
        entry=stored.entry,
        send_state=stored.send_state,
        attempt_id=stored.attempt_id,
        claimed_at_ms=stored.claimed_at_ms,
        attempts=stored.attempts,
        parts_sent=stored.parts_sent,
        platform_message_ids=stored.platform_message_ids,
        uncertain=stored.uncertain,
    )
