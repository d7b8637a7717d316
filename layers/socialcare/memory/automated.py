"""In-memory twin of ``socialcare.aws.automated_store.AutomatedStore`` (the ``AutomatedStore`` and
``HeldMessages`` ports), on the shared ``MemoryTable``: an entry is written only if absent (with its
held item, or not at all); a decision changes the held item and the entry together, or neither."""

from __future__ import annotations

from dataclasses import replace

from socialcare.errors import HeldMessageDecided, InvalidCursor
from socialcare.memory.table import MemoryTable, StoredEntry, check_size
from socialcare.model.audit import AuditRecord
from socialcare.model.case import EntryKind, ThreadEntry
from socialcare.model.crisis import HeldMessage, HeldState
from socialcare.model.events import Channel, DeliveryState
from socialcare.ports import Page, Position
from socialcare.rules.sla import NOT_DUE_MS

HeldKey = tuple[str, str, str]  # (crisis id, case id, entry id)


class MemoryAutomatedStore:
    def __init__(self, table: MemoryTable | None = None) -> None:
        self.table = table or MemoryTable()
        self.held: dict[HeldKey, HeldMessage] = {}
        self.audit: list[AuditRecord] = []

    def latest_inbound(self, case_id: str, channel: Channel) -> ThreadEntry | None:
        with self.table.lock:
            found = [
                stored.entry
                for (cid, _), stored in self.table.entries.items()
                if cid == case_id and stored.entry.kind is EntryKind.INBOUND and stored.entry.channel is channel
            ]
        return max(found, key=lambda entry: entry.entry_id, default=None)

    def add_automated(self, entry: ThreadEntry, held: HeldMessage | None) -> bool:
        with self.table.lock:
            key = (entry.case_id, entry.entry_id)
            if key in self.table.entries:
                return False
            check_size(entry)
            self.table.entries[key] = StoredEntry.of(entry)
            if held is not None:
                self.held[(held.crisis_id, held.case_id, held.entry_id)] = held
            return True

    def cases_ahead(self, team: str, due_ms: int | None, case_id: str, *, limit: int) -> int:
        mine = (due_ms if due_ms is not None else NOT_DUE_MS, case_id)
        with self.table.lock:
            ahead = [
                case
                for case in self.table.cases.values()
                if case.team == team
                and case.status.is_active
                and (case.response_due_at_ms if case.response_due_at_ms is not None else NOT_DUE_MS, case.case_id)
                < mine
            ]
        return min(len(ahead), limit)

    def held_messages(self, crisis_id: str, *, limit: int, start: Position | None) -> Page[HeldMessage]:
        with self.table.lock:
            found = sorted(
                (held for key, held in self.held.items() if key[0] == crisis_id),
                key=lambda held: (held.case_id, held.entry_id),
            )
        if start is not None:
            if start.get("crisis_id") != crisis_id:
                raise InvalidCursor("the cursor does not belong to this list")
            found = [h for h in found if (h.case_id, h.entry_id) > (start["case_id"], start["entry_id"])]
        page = found[:limit]
        more = len(found) > limit
        last = page[-1] if page else None
        position = (
            {"crisis_id": crisis_id, "case_id": last.case_id, "entry_id": last.entry_id} if more and last else None
        )
        return Page(page, position)

    def held_message(self, crisis_id: str, case_id: str, entry_id: str) -> HeldMessage | None:
        with self.table.lock:
            return self.held.get((crisis_id, case_id, entry_id))

    def decide_held(self, decided: HeldMessage, audit: AuditRecord) -> None:
        key = (decided.crisis_id, decided.case_id, decided.entry_id)
        with self.table.lock:
            held = self.held.get(key)
            stored = self.table.entries.get((decided.case_id, decided.entry_id))
            if (
                held is None
                or held.state is not HeldState.HELD
                or stored is None
                or stored.entry.delivery_state is not DeliveryState.HELD
            ):
                raise HeldMessageDecided(f"the message {decided.entry_id} is no longer held; someone decided first")
            released = decided.state is HeldState.RELEASED
            state = DeliveryState.PENDING if released else DeliveryState.DISCARDED
            extra = {**stored.entry.extra, ("released_by" if released else "discarded_by"): decided.decided_by or ""}
            stored.entry = replace(
                stored.entry, delivery_state=state, delivery_state_at_ms=decided.decided_at_ms, extra=extra
            )
            stored.rank = state.rank
            self.held[key] = decided
            self.audit.append(audit)
