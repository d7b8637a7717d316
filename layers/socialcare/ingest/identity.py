"""A customer's ids changed (a new WhatsApp number, a new business-scoped id): their case learns them.

The case is found by the former ids; the new ids join it (and get current-case copies), so the
customer's next message from the new number threads into the same case. The change is recorded
on the thread as a system entry. An identity change never opens a case.
"""

from __future__ import annotations

from dataclasses import replace

from socialcare.clock import Clock
from socialcare.errors import ConcurrentThreadingConflict, DuplicateEvent
from socialcare.model.case import Case, EntryKind, ThreadEntry
from socialcare.model.events import PlatformEvent
from socialcare.model.stored import CurrentCase
from socialcare.ports import CaseRepository, MessageCommit
from socialcare.rules.cases import add_customer_ids

# What ``record_identity_change`` answers besides an outcome of the ingestor's.
NO_CASE = "no_case"


def record_identity_change(store: CaseRepository, event: PlatformEvent, *, clock: Clock, attempts: int) -> str:
    """``stored``, ``duplicate`` or ``NO_CASE`` (the former ids have no case: keep it raw)."""
    assert event.customer is not None
    for attempt in range(attempts):
        found = _read(store, event, thorough=attempt > 0)
        if found is None:
            return NO_CASE
        case, current = found
        if any(current.seen.get(uid) != (case.case_id, case.version) for uid in case.customer.all_ids):
            continue  # the case moved on between the two reads
        # An id that is already another case's (the customer wrote from the new number before
        # this change arrived) stays with that case.
        added = tuple(uid for uid in event.customer.all_ids if current.seen.get(uid) is None)
        now = clock()
        after = add_customer_ids(case, added, now_ms=now)
        before = CurrentCase(case, {uid: current.seen.get(uid) for uid in after.customer.all_ids})
        try:
            store.commit_message(
                MessageCommit(
                    event=replace(event, message_id=f"identity:{event.event_id}"),
                    entry=_entry(event, after, now),
                    before=before,
                    after=after,
                )
            )
        except DuplicateEvent:
            return "duplicate"
        except ConcurrentThreadingConflict:
            continue
        return "stored"
    raise ConcurrentThreadingConflict(f"could not record identity change {event.event_id}")


def _read(store: CaseRepository, event: PlatformEvent, *, thorough: bool) -> tuple[Case, CurrentCase] | None:
    """The former ids' case, and the copies of every id it is to have; None: the former ids have none.

    One read, of the former and the new ids' copies, when the newest case they hold is a former id's;
    the case's other ids hold it as read (all of a case's copies are written together), which the
    write is conditioned on. Else (or ``thorough``, the retry after a conflict) two: the former ids'
    case, then every id's copy.
    """
    assert event.customer is not None
    former = event.previous_ids
    current = store.current_case(event.account_id, tuple(dict.fromkeys((*former, *event.customer.all_ids))))
    case = current.case
    if case is None:
        return None
    held = (case.case_id, case.version)
    if not thorough and any(current.seen.get(uid) == held for uid in former):
        others = [uid for uid in case.customer.all_ids if uid not in current.seen]
        return case, CurrentCase(case, {**current.seen, **dict.fromkeys(others, held)})
    former_case = store.current_case(event.account_id, former).case
    if former_case is None:
        return None
    ids = tuple(dict.fromkeys((*former_case.customer.all_ids, *event.customer.all_ids)))
    return former_case, store.current_case(event.account_id, ids)


def _entry(event: PlatformEvent, case: Case, now_ms: int) -> ThreadEntry:
    assert event.customer is not None
    new_ids = ", ".join(event.customer.all_ids)
    return ThreadEntry(
        case_id=case.case_id,
        entry_id=f"{event.timestamp_ms:013d}#identity:{event.event_id}",
        kind=EntryKind.SYSTEM,
        timestamp_ms=event.timestamp_ms,
        channel=event.channel,
        author="platform",
        text=f"The customer's ids changed from {', '.join(event.previous_ids)} to {new_ids}",
        received_at_ms=now_ms,
        extra={"change": "identity", "previous_ids": ",".join(event.previous_ids), "new_ids": new_ids},
    )
