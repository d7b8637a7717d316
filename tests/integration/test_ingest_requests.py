"""What one event costs ingest in DynamoDB requests, per customer shape (issue 11): at most two, one
keyed read and one write, counted by botocore's history recorder on moto."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pytest
from socialcare.aws.case_store import CaseStore
from socialcare.aws.current_copy import current_case_item
from socialcare.clock import ManualClock
from socialcare.ingest.service import Ingestor, Outcome
from socialcare.model.case import Case, CaseStatus, EntryKind
from socialcare.model.events import Channel, Customer, DeliveryState, EventKind, ParsedDelivery, PlatformEvent

from tests.bench.ddb_cost import DynamoDBCalls
from tests.conftest import AwsResources
from tests.event_support import event_factory

pytestmark = pytest.mark.integration

T0 = 1_767_225_600_000
MINUTE = 60_000
DAY = 86_400_000
PHONE_ID = "106540352242922"
PAGE = "104729835600142"
ANN = Customer("16505551234", name="Ann", alt_ids=("US.1349120865530274",))
NEW_NUMBER = Customer("12195555358", alt_ids=("US.2000000000000002",))

whatsapp = event_factory(Channel.WHATSAPP, PHONE_ID)
messenger = event_factory(Channel.MESSENGER, PAGE)


@pytest.fixture(scope="module")
def recorder() -> DynamoDBCalls:
    return DynamoDBCalls.installed()


@dataclass
class Ingest:
    ingestor: Ingestor
    store: CaseStore
    clock: ManualClock
    recorder: DynamoDBCalls

    def __call__(self, event: PlatformEvent) -> dict[str, int]:
        self.clock.advance(minutes=1)
        return dict(self.ingestor.ingest(ParsedDelivery(event.platform, (event,))).outcomes)

    def requests(self, event: PlatformEvent, expected: str) -> list[str]:
        """The DynamoDB requests ingesting ``event`` made, after checking what it did."""
        self.recorder.take()
        self.recorder.recording = True
        try:
            outcomes = self(event)
        finally:
            self.recorder.recording = False
        assert outcomes == {expected: 1}
        return [operation for operation, _ in self.recorder.take()]

    def case_of(self, account: str, user: str) -> Case:
        case = self.store.current_case(account, [user]).case
        assert case is not None
        return case


@pytest.fixture
def ingest(aws: AwsResources, recorder: DynamoDBCalls) -> Iterator[Ingest]:
    store = CaseStore(aws.table_name, client=aws.dynamodb)
    clock = ManualClock(T0)
    yield Ingest(Ingestor(store, clock=clock), store, clock, recorder)
    recorder.recording = False


def message(customer: Customer, mid: str, ts: int, text: str = "where is my order?") -> PlatformEvent:
    return whatsapp(EventKind.MESSAGE, mid, ts, customer=customer, message_id=mid, text=text)


def dm(mid: str, ts: int, user: str = "psid-1", *, kind: EventKind = EventKind.MESSAGE, **fields: Any) -> PlatformEvent:
    """A Messenger message (or ``kind``: an echo) of ``user``."""
    fields.setdefault("text", "hi")
    return messenger(kind, mid, ts, customer=Customer(user), message_id=mid, **fields)


ONE_READ_ONE_WRITE = ["GetItem", "TransactWriteItems"]


# ---- customer messages -------------------------------------------------------------------------
def test_a_new_customer_costs_one_read_and_one_write(ingest: Ingest) -> None:
    assert ingest.requests(dm("m1", T0), Outcome.STORED) == ONE_READ_ONE_WRITE


def test_a_returning_customer_costs_one_read_and_one_write(ingest: Ingest) -> None:
    ingest(dm("m1", T0))
    again = dm("m2", T0 + MINUTE, text="?")
    assert ingest.requests(again, Outcome.STORED) == ONE_READ_ONE_WRITE
    assert ingest.case_of(PAGE, "psid-1").message_count == 2


def test_a_delivery_of_several_messages_reads_its_customers_copies_at_once(ingest: Ingest) -> None:
    """Meta batches messages: the delivery's customers are read in one request, and a customer's
    second message in it reads nothing (its first one wrote the copy)."""
    ingest(dm("m0", T0))
    events = tuple(
        dm(f"m{i}", T0 + i * MINUTE, user)
        for i, user in enumerate(("psid-1", "psid-2", "psid-3", "psid-1", "psid-2"), 1)
    )
    ingest.recorder.take()
    ingest.recorder.recording = True
    try:
        outcomes = ingest.ingestor.ingest(ParsedDelivery(events[0].platform, events)).outcomes
    finally:
        ingest.recorder.recording = False
    assert dict(outcomes) == {Outcome.STORED: 5}
    assert [operation for operation, _ in ingest.recorder.take()] == ["BatchGetItem"] + ["TransactWriteItems"] * 5
    counts = [ingest.case_of(PAGE, user).message_count for user in ("psid-1", "psid-2", "psid-3")]
    assert counts == [3, 2, 1]


class AgentActsMeanwhile(CaseStore):
    """An agent changes psid-1's case just after a delivery read its customers' copies."""

    def current_copies(self, customers: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Case]:
        found = super().current_copies(customers)
        case = found.get((PAGE, "psid-1"))
        if case is not None:
            self.save_case(case, replace(case, owner="agent-7", version=case.version + 1))
        return found


def test_a_copy_changed_after_the_delivery_read_it_is_read_again(ingest: Ingest, aws: AwsResources) -> None:
    ingest(dm("m0", T0))
    ingest.ingestor = Ingestor(AgentActsMeanwhile(aws.table_name, client=aws.dynamodb), clock=ingest.clock)
    events = (dm("m1", T0 + MINUTE), dm("m2", T0 + 2 * MINUTE, "psid-2"))
    assert dict(ingest.ingestor.ingest(ParsedDelivery(events[0].platform, events)).outcomes) == {Outcome.STORED: 2}
    case = ingest.case_of(PAGE, "psid-1")
    assert (case.owner, case.message_count) == ("agent-7", 2)


def test_a_customer_back_after_their_case_closed_costs_the_same(ingest: Ingest) -> None:
    ingest(dm("m1", T0))
    first = ingest.case_of(PAGE, "psid-1")
    closed = first.with_status(CaseStatus.RESOLVED, T0 + MINUTE).with_status(CaseStatus.CLOSED, T0 + 2 * MINUTE)
    ingest.store.save_case(first, replace(closed, version=first.version + 1))
    later = dm("m2", T0 + 30 * DAY, text="?")
    assert ingest.requests(later, Outcome.STORED) == ONE_READ_ONE_WRITE
    follow_up = ingest.case_of(PAGE, "psid-1")
    assert follow_up.follow_up_of == first.case_id


def test_a_customer_the_platform_knows_by_two_ids_costs_one_read_and_one_write(ingest: Ingest) -> None:
    ingest(message(ANN, "wamid.1", T0))
    assert ingest.requests(message(ANN, "wamid.2", T0 + MINUTE), Outcome.STORED) == [
        "BatchGetItem",
        "TransactWriteItems",
    ]


def test_a_number_change_and_the_messages_from_the_new_number_cost_one_read_and_one_write(ingest: Ingest) -> None:
    ingest(message(ANN, "wamid.1", T0))
    change = whatsapp(EventKind.IDENTITY_CHANGE, "change-1", T0 + MINUTE, customer=NEW_NUMBER, previous_ids=ANN.all_ids)
    assert ingest.requests(change, Outcome.STORED) == ["BatchGetItem", "TransactWriteItems"]
    # The case knows four ids now; the new number's messages name two of them.
    from_new = message(NEW_NUMBER, "wamid.2", T0 + 2 * MINUTE)
    assert ingest.requests(from_new, Outcome.STORED) == ["BatchGetItem", "TransactWriteItems"]
    case = ingest.case_of(PHONE_ID, ANN.user_id)
    assert case.message_count == 2
    assert ingest.case_of(PHONE_ID, NEW_NUMBER.user_id) == case


def test_a_copy_that_moved_on_is_read_again_and_the_message_still_lands(ingest: Ingest, aws: AwsResources) -> None:
    """The one-read path takes the ids the event lacks to hold the case as read; when one does
    not, the write is refused and the retry reads every id: correct, at a higher price."""
    ingest(message(ANN, "wamid.1", T0))
    change = whatsapp(EventKind.IDENTITY_CHANGE, "change-1", T0 + MINUTE, customer=NEW_NUMBER, previous_ids=ANN.all_ids)
    ingest(change)
    case = ingest.case_of(PHONE_ID, ANN.user_id)
    # The old number's copy one version behind (as no writer leaves it: every write moves all copies).
    stale = replace(case, version=case.version - 1)
    aws.dynamodb.put_item(TableName=aws.table_name, Item=current_case_item(stale, ANN.user_id))
    requests = ingest.requests(message(NEW_NUMBER, "wamid.2", T0 + 2 * MINUTE), Outcome.STORED)
    assert requests == ["BatchGetItem", "TransactWriteItems", "BatchGetItem", "TransactWriteItems"]
    assert ingest.case_of(PHONE_ID, ANN.user_id).message_count == 2


def test_a_duplicate_costs_one_read_and_one_refused_write(ingest: Ingest) -> None:
    ingest(message(ANN, "wamid.1", T0))
    assert ingest.requests(message(ANN, "wamid.1", T0), Outcome.DUPLICATE) == [
        "BatchGetItem",
        "TransactWriteItems",
    ]


# ---- events about a message ------------------------------------------------------------------
def _stored(ingest: Ingest) -> None:
    ingest(message(ANN, "wamid.1", T0, "Does it come in blue?"))


@pytest.mark.parametrize(
    ("make", "outcome"),
    [
        (
            lambda: whatsapp(EventKind.EDIT, "e1", T0 + MINUTE, customer=ANN, message_id="wamid.1", text="Green?"),
            "edit",
        ),
        (lambda: whatsapp(EventKind.DELETE, "d1", T0 + MINUTE, customer=ANN, message_id="wamid.1"), "delete"),
        (
            lambda: whatsapp(EventKind.REACTION, "r1", T0 + MINUTE, customer=ANN, message_id="wamid.1", emoji="👍"),
            "reaction",
        ),
        (
            lambda: whatsapp(
                EventKind.STATUS, "s1", T0 + MINUTE, customer=ANN, message_id="wamid.1", status=DeliveryState.READ
            ),
            "status",
        ),
    ],
    ids=["edit", "delete", "reaction", "status"],
)
def test_an_event_about_a_message_costs_one_read_and_one_write(
    ingest: Ingest, make: Callable[[], PlatformEvent], outcome: str
) -> None:
    _stored(ingest)
    assert ingest.requests(make(), Outcome.APPLIED) == ["GetItem", "UpdateItem"]


def test_an_edit_keeps_the_text_it_replaced(ingest: Ingest) -> None:
    _stored(ingest)
    ingest(whatsapp(EventKind.EDIT, "e1", T0 + MINUTE, customer=ANN, message_id="wamid.1", text="Green?"))
    ingest(whatsapp(EventKind.EDIT, "e2", T0 + 2 * MINUTE, customer=ANN, message_id="wamid.1", text="Red?"))
    [entry] = ingest.store.thread(ingest.case_of(PHONE_ID, ANN.user_id).case_id)
    assert entry.text == "Red?"
    assert entry.edits == ((T0 + MINUTE, "Does it come in blue?"), (T0 + 2 * MINUTE, "Green?"))


def test_a_read_receipt_without_a_message_id_costs_one_read_and_one_write(ingest: Ingest) -> None:
    ingest(dm("m1", T0))
    receipt = {"customer": Customer("psid-1"), "status": DeliveryState.READ, "watermark_ms": T0 + MINUTE}
    read = messenger(EventKind.STATUS, "read-1", T0 + MINUTE, **receipt)  # no message id: all read up to then
    assert ingest.requests(read, Outcome.APPLIED) == ONE_READ_ONE_WRITE


# ---- the brand's own messages ------------------------------------------------------------------
def test_an_echo_costs_one_read_and_one_write(ingest: Ingest) -> None:
    ingest(dm("m1", T0))
    echo = dm("m2", T0 + MINUTE, kind=EventKind.ECHO, text="Hello!")
    assert ingest.requests(echo, Outcome.STORED) == ONE_READ_ONE_WRITE
    thread = ingest.store.thread(ingest.case_of(PAGE, "psid-1").case_id)
    assert [e.kind for e in thread] == [EntryKind.INBOUND, EntryKind.OUTBOUND]


def test_the_echo_of_a_public_reply_already_indexed_costs_one_read(ingest: Ingest) -> None:
    comments = event_factory(Channel.FACEBOOK_COMMENT, PAGE)
    ingest(comments(EventKind.PUBLIC_POST, "c1", T0, customer=Customer("fb-ann"), message_id="c1", text="Late!"))
    # A public reply names the comment it answers, not its author.
    reply = {"customer": Customer("unknown:c2"), "message_id": "c2", "reply_to_id": "c1", "text": "Sorry"}
    echo = comments(EventKind.ECHO, "c2", T0 + MINUTE, **reply)
    ingest(echo)  # a reply of the brand's, typed on Facebook: found through the comment it answers
    assert ingest.requests(echo, Outcome.DUPLICATE) == ["GetItem"]
