"""The automated messages' store contract (``socialcare.ports.AutomatedStore`` and ``HeldMessages``):
the same tests against the DynamoDB store (on moto) and its in-memory twin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from socialcare.errors import HeldMessageDecided
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.model.automation import Purpose, automated_entry, automated_entry_id
from socialcare.model.case import Case, CaseStatus, EntryKind, ThreadEntry
from socialcare.model.crisis import HeldMessage, HeldState
from socialcare.model.events import Channel, Customer, DeliveryState
from socialcare.model.outbound import OutboundRequest, ReplyMode

from tests.case_support import care_case

pytestmark = pytest.mark.integration

T0 = 1_767_258_000_000
MINUTE = 60_000


@dataclass
class Store:
    automated: Any  # AutomatedStore and HeldMessages
    put_case: Callable[[Case], None]
    put_entry: Callable[[ThreadEntry], None]
    entry: Callable[[str, str], ThreadEntry | None]


@pytest.fixture(params=["dynamodb", "memory"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "dynamodb":
        from socialcare.aws.automated_store import AutomatedStore
        from socialcare.aws.case_store import CaseStore
        from socialcare.aws.entry_items import entry_item
        from socialcare.aws.items import case_item
        from socialcare.model.stored import MessageRef

        aws: Any = request.getfixturevalue("aws")
        cases = CaseStore(aws.table_name, client=aws.dynamodb)
        return Store(
            AutomatedStore(aws.table_name, client=aws.dynamodb),
            lambda case: aws.dynamodb.put_item(TableName=aws.table_name, Item=case_item(case)),
            lambda entry: aws.dynamodb.put_item(TableName=aws.table_name, Item=entry_item(entry)),
            lambda case_id, entry_id: cases.get_entry(MessageRef(case_id, entry_id)),
        )
    from socialcare.memory.automated import MemoryAutomatedStore
    from socialcare.memory.table import StoredEntry

    memory = MemoryAutomatedStore()

    def put_case(case: Case) -> None:
        memory.table.cases[case.case_id] = case

    def put_entry(entry: ThreadEntry) -> None:
        memory.table.entries[(entry.case_id, entry.entry_id)] = StoredEntry.of(entry)

    def entry(case_id: str, entry_id: str) -> ThreadEntry | None:
        stored = memory.table.entries.get((case_id, entry_id))
        return None if stored is None else stored.entry

    return Store(memory, put_case, put_entry, entry)


def case_due(number: int, due_ms: int | None, *, team: str = "care", status: CaseStatus = CaseStatus.OPEN) -> Case:
    case = care_case(f"01JGZ8Q5K2M3N4P5Q6R7S8T{number:03d}", Channel.MESSENGER, "page-1", Customer("c"), T0)
    return replace(case, team=team, status=status, response_due_at_ms=due_ms)


def acknowledgement(case_id: str = "01JGZ8Q5K2M3N4P5Q6R7S8T001", *, held: bool = False) -> ThreadEntry:
    request = OutboundRequest(
        case_id=case_id,
        entry_id=automated_entry_id(Purpose.ACKNOWLEDGEMENT, T0),
        channel=Channel.MESSENGER,
        account_id="page-1",
        recipient_id="psid-1",
        mode=ReplyMode.PRIVATE,
        text="Thanks! You can expect our reply today by 13:00 UTC.",
    )
    return automated_entry(request, Purpose.ACKNOWLEDGEMENT, now_ms=T0, held=held)


def held_item(entry: ThreadEntry, crisis_id: str = "CRISIS1") -> HeldMessage:
    return HeldMessage(
        crisis_id, entry.case_id, entry.entry_id, "acknowledgement", Channel.MESSENGER, "page-1", entry.text or "", T0
    )


def audit(n: int) -> AuditRecord:
    return AuditRecord(
        f"01JGZ8Q5K2M3N4P5Q6R7S8T{n:03d}",
        T0 + n,
        "root",
        "admin",
        AuditAction.HELD_MESSAGE_RELEASED,
        subject="crisis/C",
    )


def test_an_automated_entry_is_written_once(store: Store) -> None:
    first = acknowledgement()
    assert store.automated.add_automated(first, None)
    assert not store.automated.add_automated(replace(first, text="another text"), None)
    assert store.entry(first.case_id, first.entry_id) == first


def test_a_held_entry_is_written_with_its_item_and_listed_under_its_crisis(store: Store) -> None:
    entry = acknowledgement(held=True)
    assert store.automated.add_automated(entry, held_item(entry))
    assert not store.automated.add_automated(entry, held_item(entry))
    page = store.automated.held_messages("CRISIS1", limit=10, start=None)
    assert (page.items, page.next_position) == ([held_item(entry)], None)
    assert store.automated.held_message("CRISIS1", entry.case_id, entry.entry_id) == held_item(entry)
    assert store.automated.held_messages("CRISIS2", limit=10, start=None).items == []
    assert store.entry(entry.case_id, entry.entry_id).delivery_state is DeliveryState.HELD  # type: ignore[union-attr]


def test_held_messages_come_a_page_at_a_time(store: Store) -> None:
    entries = [acknowledgement(f"01JGZ8Q5K2M3N4P5Q6R7S8T00{n}", held=True) for n in range(1, 4)]
    for entry in entries:
        store.automated.add_automated(entry, held_item(entry))
    first = store.automated.held_messages("CRISIS1", limit=2, start=None)
    assert [h.case_id for h in first.items] == [e.case_id for e in entries[:2]]
    assert first.next_position is not None
    rest = store.automated.held_messages("CRISIS1", limit=2, start=first.next_position)
    assert ([h.case_id for h in rest.items], rest.next_position) == ([entries[2].case_id], None)


@pytest.mark.parametrize(
    ("state", "visible", "by"),
    [(HeldState.RELEASED, DeliveryState.PENDING, "released_by"), (HeldState.DISCARDED, DeliveryState.DISCARDED, "discarded_by")],
)  # fmt: skip
def test_a_decision_changes_the_item_and_the_entry_once(
    store: Store, state: HeldState, visible: DeliveryState, by: str
) -> None:
    entry = acknowledgement(held=True)
    store.automated.add_automated(entry, held_item(entry))
    decided = replace(held_item(entry), state=state, decided_by="root", decided_at_ms=T0 + MINUTE)
    store.automated.decide_held(decided, audit(1))
    assert store.automated.held_message("CRISIS1", entry.case_id, entry.entry_id) == decided
    stored = store.entry(entry.case_id, entry.entry_id)
    assert stored is not None
    assert (stored.delivery_state, stored.delivery_state_at_ms, stored.extra[by]) == (visible, T0 + MINUTE, "root")
    with pytest.raises(HeldMessageDecided):
        store.automated.decide_held(replace(decided, decided_by="other"), audit(2))
    assert store.automated.held_message("CRISIS1", entry.case_id, entry.entry_id) == decided


def test_the_place_in_the_queue_counts_the_teams_active_cases_due_earlier_up_to_a_bound(store: Store) -> None:
    mine = case_due(5, T0 + 50 * MINUTE)
    for case in (
        case_due(1, T0 + 10 * MINUTE),
        case_due(2, T0 + 20 * MINUTE),
        case_due(3, T0 + 30 * MINUTE),
        case_due(4, T0 + 5 * MINUTE, team="billing"),
        case_due(6, T0 + 90 * MINUTE),
        case_due(7, T0, status=CaseStatus.RESOLVED),
        mine,
    ):
        store.put_case(case)
    assert store.automated.cases_ahead("care", mine.response_due_at_ms, mine.case_id, limit=50) == 3
    assert store.automated.cases_ahead("care", mine.response_due_at_ms, mine.case_id, limit=2) == 2
    assert store.automated.cases_ahead("care", None, "01JGZ8Q5K2M3N4P5Q6R7S8T999", limit=50) == 5


def test_the_latest_customer_message_on_a_channel_is_found(store: Store) -> None:
    case_id = "01JGZ8Q5K2M3N4P5Q6R7S8T001"

    def message(at: int, channel: Channel, kind: EntryKind = EntryKind.INBOUND) -> ThreadEntry:
        return ThreadEntry(case_id, f"{T0 + at:013d}#m{at}", kind, T0 + at, channel=channel, author=f"user-{at}")

    assert store.automated.latest_inbound(case_id, Channel.MESSENGER) is None
    for entry in (
        message(1, Channel.MESSENGER),
        message(2, Channel.MESSENGER),
        message(3, Channel.FACEBOOK_COMMENT),
        message(4, Channel.MESSENGER, EntryKind.OUTBOUND),
    ):
        store.put_entry(entry)
    found = store.automated.latest_inbound(case_id, Channel.MESSENGER)
    assert found is not None
    assert found.author == "user-2"
