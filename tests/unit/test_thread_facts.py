"""What a reply reads of a case's thread: the customer's newest message on a channel, found from the
case's last-inbound times, read back only as far as needed (and never twice)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from socialcare.agents.thread_facts import ThreadFacts
from socialcare.memory.agents import MemoryAgentStore
from socialcare.model.case import Case, EntryKind, ThreadEntry
from socialcare.model.events import Channel, Customer

from tests.case_support import care_case

pytestmark = pytest.mark.unit

T0 = 1_767_258_000_000


@dataclass
class CountingReads:
    """The memory store's reads, counting the entries handed out (as a table's items read)."""

    store: MemoryAgentStore
    entries_read: int = 0

    def newest_entries(self, case_id: str, **bounds: Any) -> Iterator[ThreadEntry]:
        for entry in self.store.newest_entries(case_id, **bounds):
            self.entries_read += 1
            yield entry

    def get_entry(self, case_id: str, entry_id: str) -> ThreadEntry | None:
        self.entries_read += 1
        return self.store.get_entry(case_id, entry_id)


def message(channel: Channel, n: int, at: int, **fields: Any) -> ThreadEntry:
    return ThreadEntry(
        case_id="C1",
        entry_id=f"{at:013d}#m{n}",
        kind=EntryKind.INBOUND,
        timestamp_ms=at,
        channel=channel,
        platform_message_id=f"m{n}",
        author="cust-1",
        public=channel.is_public,
        **fields,
    )


def facts_of(*thread: ThreadEntry) -> tuple[ThreadFacts, CountingReads]:
    last: dict[Channel, int] = {}
    for e in thread:
        if e.kind is EntryKind.INBOUND and e.channel is not None:
            last[e.channel] = max(e.timestamp_ms, last.get(e.channel, 0))
    case: Case = care_case("C1", Channel.FACEBOOK_COMMENT, "acct", Customer("cust-1"), T0, last_inbound_by_channel=last)
    store = MemoryAgentStore()
    store.put_case(case, thread)
    reads = CountingReads(store)
    return ThreadFacts(reads, case), reads  # type: ignore[arg-type]


def test_the_newest_public_message_skips_deleted_ones_and_private_ones() -> None:
    facts, _ = facts_of(
        message(Channel.FACEBOOK_COMMENT, 1, T0),
        message(Channel.FACEBOOK_COMMENT, 2, T0 + 10, deleted_at_ms=T0 + 20),
        message(Channel.MESSENGER, 3, T0 + 30),
    )
    found = facts.newest_public()
    assert found is not None
    assert found.platform_message_id == "m1"


def test_a_channel_the_customer_never_wrote_on_reads_nothing() -> None:
    facts, reads = facts_of(message(Channel.MESSENGER, 1, T0))
    assert facts.newest_on(Channel.WHATSAPP) is None
    assert facts.newest_public() is None
    assert reads.entries_read == 0


def test_the_newest_message_on_a_channel_is_read_once_however_long_the_thread() -> None:
    thread = [message(Channel.MESSENGER, n, T0 + n) for n in range(1, 200)]
    notes = [
        replace(message(Channel.MESSENGER, n, T0 + n), kind=EntryKind.NOTE, entry_id=f"{T0 + n:013d}#note")
        for n in range(200, 220)
    ]
    facts, reads = facts_of(*thread, *notes)

    newest = facts.newest_inbound()
    again = facts.newest_on(Channel.MESSENGER)

    assert newest is again
    assert newest is not None
    assert newest.platform_message_id == "m199"
    assert reads.entries_read == 1  # read back from the customer's last message, not from the notes after it


def test_the_named_message_is_read_by_its_key_once() -> None:
    facts, reads = facts_of(message(Channel.X_POST, 1, T0), message(Channel.X_POST, 2, T0 + 5))
    assert facts.entry(f"{T0:013d}#m1") is facts.entry(f"{T0:013d}#m1")
    assert facts.entry(f"{T0:013d}#nope") is None
    assert reads.entries_read == 2
