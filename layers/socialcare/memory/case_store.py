"""In-memory twin of ``socialcare.aws.case_store.CaseStore`` (the ``CaseRepository`` port).

Each write checks the same conditions the DynamoDB transaction carries, all before changing
anything, and raises the same domain exceptions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from socialcare.errors import CaseNotFound, CaseVersionConflict, ConcurrentThreadingConflict, DuplicateEvent
from socialcare.memory.table import MemoryTable, StoredEntry, check_size
from socialcare.model.case import Case, ThreadEntry
from socialcare.model.events import DeliveryState, PlatformEvent
from socialcare.model.stored import CurrentCase, MessageRef
from socialcare.ports import MessageCommit

_MAX_UNMATCHED_RAW_BYTES = 64 * 1024


class MemoryCaseStore:
    def __init__(self, table: MemoryTable | None = None) -> None:
        self.table = table or MemoryTable()

    # ---- reads ---------------------------------------------------------------------------
    def current_case(self, account_id: str, user_ids: Sequence[str]) -> CurrentCase:
        with self.table.lock:
            found = {
                uid: self.table.current[(account_id, uid)]
                for uid in user_ids
                if (account_id, uid) in self.table.current
            }
        return CurrentCase.from_copies(user_ids, found)

    def current_copies(self, customers: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Case]:
        with self.table.lock:
            return {key: self.table.current[key] for key in customers if key in self.table.current}

    def get_case(self, case_id: str) -> Case:
        with self.table.lock:
            case = self.table.cases.get(case_id)
        if case is None:
            raise CaseNotFound(f"no case {case_id}")
        return case

    def thread(self, case_id: str) -> list[ThreadEntry]:
        with self.table.lock:
            stored = [s.entry for (cid, _), s in self.table.entries.items() if cid == case_id]
        return sorted(stored, key=lambda e: e.entry_id)

    def cases_of_customer(self, account_id: str, user_id: str) -> list[Case]:
        with self.table.lock:
            cases = [
                k for k in self.table.cases.values() if k.account_id == account_id and k.customer.user_id == user_id
            ]
        return sorted(cases, key=lambda k: (k.created_at_ms, k.case_id))

    def find_message(self, platform: str, account_id: str, message_id: str) -> MessageRef | None:
        with self.table.lock:
            key = self.table.index.get((platform, account_id, message_id))
        return None if key is None else MessageRef(*key)

    def get_entry(self, ref: MessageRef) -> ThreadEntry | None:
        with self.table.lock:
            stored = self.table.entries.get((ref.case_id, ref.entry_id))
        return None if stored is None else stored.entry

    # ---- writes --------------------------------------------------------------------------
    def commit_message(self, commit: MessageCommit) -> None:
        event, entry, after = commit.event, commit.entry, commit.after
        superseded = commit.superseded
        assert event.message_id is not None
        check_size(entry)
        table = self.table
        index_key = (event.platform, event.account_id, event.message_id)
        entry_key = (entry.case_id, entry.entry_id)
        with table.lock:
            if index_key in table.index or entry_key in table.entries:
                raise DuplicateEvent("platform message already stored")
            prior = commit.before.case
            if commit.continues_case:
                assert prior is not None
                cases_ok = self._at_version(after.case_id, prior.version)
            else:
                cases_ok = after.case_id not in table.cases
                if superseded is not None:
                    assert prior is not None
                    cases_ok = cases_ok and self._at_version(superseded.case_id, prior.version)
            copies_ok = all(
                self._copy_is(after.account_id, uid, commit.before.seen.get(uid)) for uid in after.customer.all_ids
            )
            if not (cases_ok and copies_ok):
                raise ConcurrentThreadingConflict("the case changed while the message was being stored")
            table.index[index_key] = entry_key
            table.entries[entry_key] = StoredEntry.of(entry)
            table.put_case(after)
            if superseded is not None:
                table.put_case(superseded)
            for uid in after.customer.all_ids:
                table.current[(after.account_id, uid)] = after

    def save_case(self, before: Case, after: Case) -> None:
        with self.table.lock:
            ok = self._at_version(after.case_id, before.version)
            if before.superseded_by is None:
                seen = (before.case_id, before.version)
                ok = ok and all(self._copy_is(after.account_id, uid, seen) for uid in after.customer.all_ids)
            if not ok:
                raise CaseVersionConflict(f"case {after.case_id} changed since version {before.version}")
            self.table.put_case(after)
            if before.superseded_by is None:
                for uid in after.customer.all_ids:
                    self.table.move_copy(uid, after)

    def update_entry_text(self, ref: MessageRef, *, text: str, edited_at_ms: int) -> bool:
        with self.table.lock:
            stored = self.table.entries.get((ref.case_id, ref.entry_id))
            if stored is None or stored.entry.deleted_at_ms is not None:
                return False
            if stored.last_edit_at_ms is not None and stored.last_edit_at_ms >= edited_at_ms:
                return False
            check_size(stored.entry, text=text)
            edits = (*stored.entry.edits, (edited_at_ms, stored.entry.text or ""))
            stored.entry = replace(stored.entry, text=text, edits=edits)
            stored.last_edit_at_ms = edited_at_ms
            return True

    def mark_entry_deleted(self, ref: MessageRef, *, deleted_at_ms: int) -> bool:
        with self.table.lock:
            stored = self.table.entries.get((ref.case_id, ref.entry_id))
            if stored is None or stored.entry.deleted_at_ms is not None:
                return False
            stored.entry = replace(stored.entry, deleted_at_ms=deleted_at_ms, text=None, attachments=(), edits=())
            return True

    def set_delivery_state(
        self, ref: MessageRef, *, state: DeliveryState, at_ms: int, error: str | None = None
    ) -> bool:
        with self.table.lock:
            stored = self.table.entries.get((ref.case_id, ref.entry_id))
            if stored is None or (stored.rank is not None and stored.rank >= state.rank):
                return False
            stored.rank = state.rank
            stored.entry = replace(
                stored.entry,
                delivery_state=state,
                delivery_state_at_ms=at_ms,
                delivery_error=error or stored.entry.delivery_error,
            )
            return True

    def set_reaction(self, ref: MessageRef, *, by: str, emoji: str | None, at_ms: int) -> bool:
        with self.table.lock:
            stored = self.table.entries.get((ref.case_id, ref.entry_id))
            if stored is None or stored.reaction_at_ms.get(by, -1) >= at_ms:
                return False
            stored.reaction_at_ms[by] = at_ms
            reactions = {k: v for k, v in stored.entry.reactions.items() if k != by}
            if emoji:
                reactions[by] = emoji
            stored.entry = replace(stored.entry, reactions=reactions)
            return True

    def record_hidden(self, ref: MessageRef, *, at_ms: int) -> bool:
        with self.table.lock:
            stored = self.table.entries.get((ref.case_id, ref.entry_id))
            if stored is None or stored.entry.hidden_at_ms is not None:
                return False
            stored.entry = replace(stored.entry, hidden_at_ms=at_ms, hide_error=None)
            return True

    def record_hide_failed(self, ref: MessageRef, *, error: str) -> bool:
        with self.table.lock:
            stored = self.table.entries.get((ref.case_id, ref.entry_id))
            if stored is None or stored.entry.hidden_at_ms is not None:
                return False
            stored.entry = replace(stored.entry, hide_error=error)
            return True

    def record_unmatched(self, event: PlatformEvent, *, reason: str, raw_key: str | None, day: str) -> None:
        row: dict[str, object] = {
            "reason": reason,
            "event_kind": event.kind.value,
            "channel": event.channel.value,
            "account_id": event.account_id,
            "event_id": event.event_id,
        }
        if event.raw_kind:
            row["raw_kind"] = event.raw_kind
        if event.message_id:
            row["message_id"] = event.message_id
        if event.raw is not None:
            row["raw"] = json.dumps(event.raw, ensure_ascii=False, default=str)[:_MAX_UNMATCHED_RAW_BYTES]
        if raw_key:
            row["raw_key"] = raw_key
        with self.table.lock:
            rows = self.table.unmatched.setdefault((event.platform, day), {})
            rows[f"{event.timestamp_ms:013d}#{event.event_id}"] = row

    # ---- conditions ----------------------------------------------------------------------
    def _at_version(self, case_id: str, version: int) -> bool:
        case = self.table.cases.get(case_id)
        return case is not None and case.version == version

    def _copy_is(self, account_id: str, user_id: str, seen: tuple[str, int] | None) -> bool:
        copy = self.table.current.get((account_id, user_id))
        if seen is None:
            return copy is None
        return copy is not None and (copy.case_id, copy.version) == seen
