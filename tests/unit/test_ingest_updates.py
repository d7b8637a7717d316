"""Updates of stored messages (``ingest/updates.py``) on the in-memory twin: what a race or a retry does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from socialcare.clock import ManualClock
from socialcare.ingest.service import Ingestor, Outcome
from socialcare.memory.case_store import MemoryCaseStore
from socialcare.model.case import EntryKind
from socialcare.model.events import Channel, Customer, EventKind, ParsedDelivery, Platform, PlatformEvent
from socialcare.model.stored import CurrentCase

from tests.event_support import platform_event

pytestmark = pytest.mark.unit

T0 = 1_767_225_600_000


def x_event(kind: EventKind, mid: str, ts: int, **kw: Any) -> PlatformEvent:
    return platform_event(Channel.X_DM, "brand-x", kind, mid, ts, customer=Customer("joe"), message_id=mid, **kw)


def deliver(ingestor: Ingestor, *events: PlatformEvent) -> dict[str, int]:
    return dict(ingestor.ingest(ParsedDelivery(Platform.X, events)).outcomes)


class RacedStore(MemoryCaseStore):
    """Before the first read it answers, another worker threads the customer's next message."""

    def __init__(self) -> None:
        super().__init__()
        self.race: PlatformEvent | None = None

    def current_case(self, account_id: str, user_ids: Sequence[str]) -> CurrentCase:
        read = super().current_case(account_id, user_ids)
        if self.race is not None:
            race, self.race = self.race, None
            assert deliver(Ingestor(self, clock=ManualClock(T0)), race) == {Outcome.STORED: 1}
        return read


def test_an_echo_that_loses_a_race_reads_the_case_again_and_is_recorded_once() -> None:
    store = RacedStore()
    ingestor = Ingestor(store, clock=ManualClock(T0))
    assert deliver(ingestor, x_event(EventKind.MESSAGE, "d1", T0, text="hi")) == {Outcome.STORED: 1}
    store.race = x_event(EventKind.MESSAGE, "d2", T0 + 1_000, text="anyone?")

    assert deliver(ingestor, x_event(EventKind.ECHO, "e1", T0 + 2_000, text="Sorry Joe")) == {Outcome.STORED: 1}

    [case] = store.cases_of_customer("brand-x", "joe")
    assert case.awaiting_reply_since_ms is None
    assert [(e.kind, e.platform_message_id) for e in store.thread(case.case_id)] == [
        (EntryKind.INBOUND, "d1"),
        (EntryKind.INBOUND, "d2"),
        (EntryKind.OUTBOUND, "e1"),
    ]
    assert deliver(ingestor, x_event(EventKind.ECHO, "e1", T0 + 2_000, text="Sorry Joe")) == {Outcome.DUPLICATE: 1}


def test_an_edit_of_a_message_never_stored_waits_then_is_kept_unmatched() -> None:
    store = MemoryCaseStore()
    ingestor = Ingestor(store, clock=ManualClock(T0))
    edit = ParsedDelivery(Platform.X, (x_event(EventKind.EDIT, "d9", T0, text="fixed"),))
    assert dict(ingestor.ingest(edit, attempt=1).outcomes) == {Outcome.WAITING: 1}
    assert dict(ingestor.ingest(edit, attempt=99).outcomes) == {Outcome.UNMATCHED: 1}
