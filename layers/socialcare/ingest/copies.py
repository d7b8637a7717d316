"""The customers' current-case copies one delivery reads: read together, kept as its events write them.

A delivery of ten messages (Meta batches them) reads its customers' copies in one BatchGetItem
instead of one GetItem per message, and a customer's second message in the delivery reads nothing:
the copy is what its first message wrote. What is held is only ever a read's result or this
delivery's own write, and every write stays conditioned on the copies as held, so a copy another
writer moved meanwhile fails the write; its ids are forgotten, and the retry reads them afresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from socialcare.errors import ConcurrentThreadingConflict, DuplicateEvent
from socialcare.ingest.outcomes import Outcome
from socialcare.model.case import Case
from socialcare.model.events import PlatformEvent
from socialcare.model.stored import CurrentCase
from socialcare.ports import CaseRepository, MessageCommit

Key = tuple[str, str]  # (brand account id, customer id)


class DeliveryCopies:
    def __init__(self, store: CaseRepository) -> None:
        self._store = store
        self._held: dict[Key, Case | None] = {}  # None: the id has no copy

    def read_together(self, keys: Iterable[Key]) -> None:
        """Read these copies in one request (per 100), unless one alone is wanted: its event's own
        read is as cheap."""
        wanted = [key for key in dict.fromkeys(keys) if key not in self._held]
        if len(wanted) < 2:
            return
        found = self._store.current_copies(wanted)
        for key in wanted:
            self._held[key] = found.get(key)

    def current_case(self, account_id: str, user_ids: Sequence[str]) -> CurrentCase:
        """As ``CaseRepository.current_case``, from what is held when all of it is."""
        held = [self._held.get((account_id, uid), _UNKNOWN) for uid in user_ids]
        if all(case is not _UNKNOWN for case in held):
            copies = {uid: case for uid, case in zip(user_ids, held, strict=True) if isinstance(case, Case)}
            return CurrentCase.from_copies(user_ids, copies)
        current = self._store.current_case(account_id, user_ids)
        for uid, seen in current.seen.items():
            if seen is None:
                self._held[(account_id, uid)] = None
            elif current.case is not None and seen == (current.case.case_id, current.case.version):
                self._held[(account_id, uid)] = current.case
        return current

    def of_customer(self, event: PlatformEvent, *, thorough: bool = False, also: tuple[str, ...] = ()) -> CurrentCase:
        """The event's customer's current case: one read, of the copies of the event's ids (and ``also``'s).

        The case may know ids the event lacks (the number a WhatsApp customer changed from). Every
        write of a case writes all its ids' copies, so theirs are taken to hold it as read; the
        write is conditioned on that and fails if one does not, and the retry (``thorough``, with
        the ids the case read before knew as ``also``) reads them too.
        """
        assert event.customer is not None
        ids = tuple(dict.fromkeys((*event.customer.all_ids, *also)))
        current = self.current_case(event.account_id, ids)
        case = current.case
        others = [uid for uid in case.customer.all_ids if uid not in current.seen] if case is not None else []
        if case is None or not others:
            return current
        if thorough:
            return self.current_case(event.account_id, (*ids, *others))
        return CurrentCase(case, {**current.seen, **dict.fromkeys(others, (case.case_id, case.version))})

    def commit(self, commit: MessageCommit) -> str | None:
        """Store the message, holding the copies it wrote: ``stored`` or ``duplicate``; None when the case
        or a copy moved on since read (their ids are forgotten, so the retry reads them afresh)."""
        try:
            self._store.commit_message(commit)
        except DuplicateEvent:
            return Outcome.DUPLICATE
        except ConcurrentThreadingConflict:
            self.forget(commit.event.account_id, (*commit.before.seen, *commit.after.customer.all_ids))
            return None
        self.wrote(commit.after)
        return Outcome.STORED

    def wrote(self, case: Case) -> None:
        """``case`` was written, with its customer's copies."""
        for uid in case.customer.all_ids:
            self._held[(case.account_id, uid)] = case

    def forget(self, account_id: str, user_ids: Iterable[str]) -> None:
        for uid in user_ids:
            self._held.pop((account_id, uid), None)


_UNKNOWN = object()
