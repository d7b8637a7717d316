"""What an action needs of a case's thread, read back from the newest entry only as far as it must.

A case's thread grows with every message, so no action reads it whole. The case item already
records when the customer last wrote on each channel (``last_inbound_by_channel``); the thread's
sort key begins with each entry's timestamp, so the customer's newest message on a channel is the
first entry read back from that time — nearly always one small read, whatever the thread's length.
Only when that message was deleted (unsent) are older entries read, page by page, until one fits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from socialcare.model.case import Case, EntryKind, ThreadEntry
from socialcare.model.events import Channel
from socialcare.ports import AgentCaseReads

Wanted = Callable[[ThreadEntry], bool]


class ThreadFacts:
    """The entries of one case that a reply (or a move to private) looks at, each read at most once."""

    def __init__(self, reads: AgentCaseReads, case: Case) -> None:
        self._reads = reads
        self._case = case
        self._seen: dict[str, ThreadEntry] = {}
        # Each the customer's newest message on a set of channels that holds its own (all, the public
        # ones, its own): one not deleted is the newest on its channel too, read again for nothing.
        self._newest_of_many: list[ThreadEntry] = []

    def entry(self, entry_id: str) -> ThreadEntry | None:
        """The case's entry with this id (one keyed read), None when it has none."""
        if entry_id not in self._seen:
            found = self._reads.get_entry(self._case.case_id, entry_id)
            if found is None:
                return None
            self._seen[entry_id] = found
        return self._seen[entry_id]

    def newest_inbound(self) -> ThreadEntry | None:
        """The customer's newest message on any channel (deleted or not): the one a reply defaults to."""
        return self._newest(self._case.last_inbound_by_channel.values(), lambda e: e.channel is not None)

    def newest_on(self, channel: Channel) -> ThreadEntry | None:
        """The customer's newest message on ``channel`` that they have not deleted."""
        for newest in self._newest_of_many:
            if newest.channel is channel and newest.deleted_at_ms is None:
                return newest  # the newest of several channels is on this one: nothing on it is newer
        at = self._case.last_inbound_by_channel.get(channel)
        return self._newest(() if at is None else (at,), lambda e: e.channel is channel and e.deleted_at_ms is None)

    def newest_public(self) -> ThreadEntry | None:
        """The customer's newest public post or comment that they have not deleted."""
        times = (at for ch, at in self._case.last_inbound_by_channel.items() if ch.is_public)
        return self._newest(times, lambda e: e.channel is not None and e.channel.is_public and e.deleted_at_ms is None)

    def _newest(self, times: Iterable[int], wanted: Wanted) -> ThreadEntry | None:
        """The newest customer message ``wanted`` at or before the latest of ``times`` (none: the
        customer never wrote there, and nothing is read)."""
        up_to = max(times, default=None)
        if up_to is None:
            return None
        for entry in self._reads.newest_entries(self._case.case_id, up_to_ms=up_to):
            self._seen.setdefault(entry.entry_id, entry)
            if entry.kind is EntryKind.INBOUND and wanted(entry):
                self._newest_of_many.append(entry)
                return entry
        return None
