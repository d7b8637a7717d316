"""The shared state of the in-memory stores: what the DynamoDB table holds, as domain objects.

The case store and the outbound store (and the agent side's twin) work on one ``MemoryTable``,
as their DynamoDB adapters work on one table: a reply entry written by the agent API is the one
the outbound sender claims, an accepted reply's index item is the one ingest finds its echo by.
Every operation takes the table's lock, so each is atomic like a DynamoDB transaction.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from socialcare.errors import UnstorableEvent
from socialcare.model.case import Case, ThreadEntry
from socialcare.model.sending import SendState

# DynamoDB refuses an item over 400 KB; the twin measures what makes an item big.
MAX_ITEM_BYTES = 400 * 1024


@dataclass
class StoredEntry:
    """A thread entry as stored: the entry, and the attributes only writers see."""

    entry: ThreadEntry
    rank: int | None = None  # the stored delivery rank (a claim resets it to 0, a release keeps it)
    last_edit_at_ms: int | None = None
    send_state: SendState | None = None
    attempt_id: str | None = None
    claimed_at_ms: int | None = None
    attempts: int = 0
    parts_sent: int = 0
    platform_message_ids: tuple[str, ...] = ()
    uncertain: bool = False
    linked_customer_id: str | None = None
    sent_at_ms: int | None = None
    last_part_at_ms: int | None = None
    reaction_at_ms: dict[str, int] = field(default_factory=dict)  # per reactor: their latest reaction's time

    @classmethod
    def of(cls, entry: ThreadEntry) -> StoredEntry:
        return cls(entry, rank=entry.delivery_state.rank if entry.delivery_state is not None else None)


EntryKey = tuple[str, str]  # (case id, entry id)
IndexKey = tuple[str, str, str]  # (platform, account id, platform message id)
CopyKey = tuple[str, str]  # (account id, customer id)


@dataclass
class MemoryTable:
    cases: dict[str, Case] = field(default_factory=dict)
    current: dict[CopyKey, Case] = field(default_factory=dict)  # the customers' current-case copies
    entries: dict[EntryKey, StoredEntry] = field(default_factory=dict)
    index: dict[IndexKey, EntryKey] = field(default_factory=dict)  # platform message → its entry
    unmatched: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def put_case(self, case: Case) -> None:
        """The case as its item holds it: the customer's recent posts live on the copies alone."""
        self.cases[case.case_id] = replace(case, recent_posts=())

    def move_copy(self, user_id: str, case: Case) -> None:
        """A copy written by anyone but ingest: the customer's recent posts stay as they were."""
        held = self.current.get((case.account_id, user_id))
        self.current[(case.account_id, user_id)] = replace(case, recent_posts=held.recent_posts if held else ())

    def put_entry(self, entry: ThreadEntry) -> None:
        """Store a new entry (what the agent API does with a reply before queueing it)."""
        with self.lock:
            key = (entry.case_id, entry.entry_id)
            if key in self.entries:
                raise ValueError(f"entry {key} exists")
            check_size(entry)
            self.entries[key] = StoredEntry.of(entry)

    def unmatched_rows(self, platform: str, day: str) -> list[dict[str, Any]]:
        """The day's events that matched nothing, in sort-key order (tests, inspection)."""
        with self.lock:
            rows = self.unmatched.get((platform, day), {})
            return [dict(rows[k]) for k in sorted(rows)]


def check_size(entry: ThreadEntry, *, text: str | None = None) -> None:
    """UnstorableEvent when the entry (with ``text`` instead of its own) is beyond an item's size."""
    parts = [
        text if text is not None else entry.text or "",
        json.dumps(entry.attachments),
        json.dumps(entry.extra),
        json.dumps(entry.edits),
        entry.entry_id,
    ]
    size = sum(len(p.encode("utf-8")) for p in parts)
    if size > MAX_ITEM_BYTES:
        raise UnstorableEvent(f"item of {size} bytes exceeds the maximum item size")
