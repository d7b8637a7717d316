"""The ingest path against DynamoDB (moto): threading, exactly-once, ordering, edits, statuses."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from socialcare.aws.case_store import CaseStore
from socialcare.clock import ManualClock
from socialcare.errors import CaseVersionConflict
from socialcare.ingest.service import Ingestor, IngestSettings, Outcome
from socialcare.model.case import CaseStatus, EntryKind
from socialcare.model.events import (
    Channel,
    Customer,
    DeliveryState,
    EventKind,
    ParsedDelivery,
    Platform,
    PlatformEvent,
    PublicKind,
)

from tests.conftest import AwsResources
from tests.event_support import message_event, platform_event
from tests.table_support import unmatched

pytestmark = pytest.mark.integration

T0 = 1_767_225_600_000
HOUR = 3_600_000


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def ingestor(store: CaseStore, clock: ManualClock) -> Ingestor:
    return Ingestor(store, clock=clock, settings=IngestSettings(account_teams={"brand-x": "x-care"}))


def x_event(
    kind: EventKind, mid: str, ts: int, *, channel: Channel = Channel.X_DM, user: str = "joe", **kw: Any
) -> PlatformEvent:
    event_id = kw.pop("event_id", mid)
    return platform_event(
        channel, "brand-x", kind, event_id, ts, customer=Customer(user, name=user.title()), message_id=mid, **kw
    )


def dm(mid: str, ts: int, text: str = "hi", user: str = "joe") -> PlatformEvent:
    return x_event(EventKind.MESSAGE, mid, ts, text=text, user=user)


def tweet(mid: str, ts: int, text: str = "@brand my order is late!") -> PlatformEvent:
    return x_event(EventKind.PUBLIC_POST, mid, ts, channel=Channel.X_POST, text=text, public_kind=PublicKind.MENTION)


def deliver(ingestor: Ingestor, *events: PlatformEvent, attempt: int = 1) -> dict[str, int]:
    return dict(ingestor.ingest(ParsedDelivery(Platform.X, events), attempt=attempt).outcomes)


def test_first_message_opens_a_case_with_its_thread(ingestor: Ingestor, store: CaseStore) -> None:
    assert deliver(ingestor, dm("d1", T0, "Where is my parcel? 📦")) == {Outcome.STORED: 1}
    case = store.current_case("brand-x", ["joe"]).case
    assert case is not None
    assert (case.status, case.team, case.message_count, case.awaiting_reply_since_ms) == (
        CaseStatus.OPEN,
        "x-care",
        1,
        T0,
    )
    assert store.get_case(case.case_id) == case
    [entry] = store.thread(case.case_id)
    assert (entry.kind, entry.text, entry.author, entry.channel) == (
        EntryKind.INBOUND,
        "Where is my parcel? 📦",
        "joe",
        Channel.X_DM,
    )


def test_public_complaint_then_dm_is_one_case_on_two_channels(ingestor: Ingestor, store: CaseStore) -> None:
    deliver(ingestor, tweet("t1", T0))
    deliver(ingestor, dm("d1", T0 + 60_000, "here are my details"))
    cases = store.cases_of_customer("brand-x", "joe")
    assert len(cases) == 1
    assert cases[0].channels == {Channel.X_POST, Channel.X_DM}
    assert [e.platform_message_id for e in store.thread(cases[0].case_id)] == ["t1", "d1"]


def test_duplicate_delivery_is_stored_once(ingestor: Ingestor, store: CaseStore) -> None:
    deliver(ingestor, dm("d1", T0))
    before = store.current_case("brand-x", ["joe"]).case
    assert deliver(ingestor, dm("d1", T0)) == {Outcome.DUPLICATE: 1}
    after = store.current_case("brand-x", ["joe"]).case
    assert after == before
    assert before is not None
    assert len(store.thread(before.case_id)) == 1


def test_reordered_deliveries_read_in_platform_order(ingestor: Ingestor, store: CaseStore) -> None:
    deliver(ingestor, dm("d3", T0 + 3000, "third"))
    deliver(ingestor, dm("d1", T0 + 1000, "first"))
    deliver(ingestor, dm("d2", T0 + 2000, "second"))
    case = store.current_case("brand-x", ["joe"]).case
    assert case is not None
    assert [e.text for e in store.thread(case.case_id)] == ["first", "second", "third"]
    assert case.awaiting_reply_since_ms == T0 + 1000
    assert case.last_inbound_at_ms == T0 + 3000


def test_batch_is_stored_exactly_once_even_when_replayed(ingestor: Ingestor, store: CaseStore) -> None:
    batch = [dm(f"b{i}", T0 + i, f"message {i}", user=f"user{i % 5}") for i in range(50)]
    assert deliver(ingestor, *batch) == {Outcome.STORED: 50}
    assert deliver(ingestor, *reversed(batch)) == {Outcome.DUPLICATE: 50}
    counts = [store.cases_of_customer("brand-x", f"user{u}") for u in range(5)]
    assert [len(c) for c in counts] == [1] * 5
    assert sum(len(store.thread(c[0].case_id)) for c in counts) == 50


def test_echo_of_a_native_reply_is_outbound_and_stops_the_clock(ingestor: Ingestor, store: CaseStore) -> None:
    deliver(ingestor, dm("d1", T0))
    assert deliver(ingestor, x_event(EventKind.ECHO, "e1", T0 + 120_000, text="Sorry Joe, DM sent")) == {
        Outcome.STORED: 1
    }
    case = store.current_case("brand-x", ["joe"]).case
    assert case is not None
    assert case.first_response_at_ms == T0 + 120_000
    assert case.awaiting_reply_since_ms is None
    thread = store.thread(case.case_id)
    assert [e.kind for e in thread] == [EntryKind.INBOUND, EntryKind.OUTBOUND]
    assert deliver(ingestor, x_event(EventKind.ECHO, "e1", T0 + 120_000, text="Sorry Joe, DM sent")) == {
        Outcome.DUPLICATE: 1
    }


def test_echo_with_no_case_is_kept_as_unmatched(ingestor: Ingestor, aws: AwsResources) -> None:
    assert deliver(ingestor, x_event(EventKind.ECHO, "e9", T0, text="proactive")) == {Outcome.UNMATCHED: 1}
    [kept] = unmatched(aws.dynamodb, aws.table_name, "x", "2026-01-01")
    assert kept["reason"] == "echo_without_case"


def test_edit_then_delete_apply_and_an_older_edit_never_wins(ingestor: Ingestor, store: CaseStore) -> None:
    deliver(ingestor, dm("d1", T0, "original"))
    edit2 = x_event(EventKind.EDIT, "d1", T0 + 2000, event_id="d1#edit#2", text="second edit")
    edit1 = x_event(EventKind.EDIT, "d1", T0 + 1000, event_id="d1#edit#1", text="first edit")
    assert deliver(ingestor, edit2) == {Outcome.APPLIED: 1}
    assert deliver(ingestor, edit1) == {Outcome.STALE: 1}
    case = store.current_case("brand-x", ["joe"]).case
    assert case is not None
    [entry] = store.thread(case.case_id)
    assert entry.text == "second edit"
    assert entry.edits == ((T0 + 2000, "original"),)
    assert deliver(ingestor, x_event(EventKind.DELETE, "d1", T0 + 3000, event_id="d1#deleted")) == {Outcome.APPLIED: 1}
    [entry] = store.thread(case.case_id)
    assert (entry.text, entry.deleted_at_ms, entry.edits) == (None, T0 + 3000, ())


def test_edit_before_its_message_is_retried_then_kept_unmatched(
    ingestor: Ingestor, store: CaseStore, aws: AwsResources
) -> None:
    early = x_event(EventKind.EDIT, "d7", T0 + 5000, event_id="d7#edit#1", text="edited")
    other = dm("d8", T0 + 6000)
    # The edit waits (the delivery is retried, no exception); the delivery says when to try again.
    assert deliver(ingestor, early, other, attempt=1) == {Outcome.WAITING: 1, Outcome.STORED: 1}
    assert ingestor.retry_delay_s(1) < ingestor.retry_delay_s(2)
    # the independent message in the same delivery was stored despite the deferral
    assert store.current_case("brand-x", ["joe"]).case is not None
    assert deliver(ingestor, early, other, attempt=2) == {Outcome.WAITING: 1, Outcome.DUPLICATE: 1}
    assert unmatched(aws.dynamodb, aws.table_name, "x", "2026-01-01") == []
    assert deliver(ingestor, early, other, attempt=3) == {Outcome.UNMATCHED: 1, Outcome.DUPLICATE: 1}
    [kept] = unmatched(aws.dynamodb, aws.table_name, "x", "2026-01-01")
    assert kept["reason"] == "target_never_arrived"


def test_statuses_never_move_backwards(ingestor: Ingestor, store: CaseStore) -> None:
    deliver(ingestor, dm("d1", T0))
    deliver(ingestor, x_event(EventKind.ECHO, "out1", T0 + 1000, text="answer"))

    def status(state: DeliveryState, ts: int) -> PlatformEvent:
        return x_event(EventKind.STATUS, "out1", ts, event_id=f"out1#{state}", status=state)

    assert deliver(ingestor, status(DeliveryState.READ, T0 + 3000)) == {Outcome.APPLIED: 1}
    assert deliver(ingestor, status(DeliveryState.DELIVERED, T0 + 2000)) == {Outcome.STALE: 1}
    case = store.current_case("brand-x", ["joe"]).case
    assert case is not None
    outbound = next(e for e in store.thread(case.case_id) if e.kind is EntryKind.OUTBOUND)
    assert outbound.delivery_state is DeliveryState.READ


def test_read_watermark_updates_the_case(ingestor: Ingestor, store: CaseStore) -> None:
    deliver(ingestor, dm("d1", T0))
    read = x_event(
        EventKind.STATUS, None, T0 + 9000, event_id="read#joe#9", status=DeliveryState.READ, watermark_ms=T0 + 9000
    )  # type: ignore[arg-type]
    assert deliver(ingestor, read) == {Outcome.APPLIED: 1}
    case = store.current_case("brand-x", ["joe"]).case
    assert case is not None
    assert case.customer_read_up_to_ms == T0 + 9000


def test_unknown_event_is_kept_raw(ingestor: Ingestor, aws: AwsResources) -> None:
    odd = platform_event(
        Channel.X_POST,
        "brand-x",
        EventKind.UNKNOWN,
        "fav-1",
        T0,
        raw_kind="favorite_events",
        raw={"id": "fav-1", "favorited_status": {"id_str": "1"}},
    )
    assert deliver(ingestor, odd) == {Outcome.UNMATCHED: 1}
    [kept] = unmatched(aws.dynamodb, aws.table_name, "x", "2026-01-01")
    assert kept["raw_kind"] == "favorite_events"
    assert '"favorited_status"' in kept["raw"]


def test_closed_case_starts_a_follow_up_and_resolved_case_reopens(
    ingestor: Ingestor, store: CaseStore, clock: ManualClock
) -> None:
    deliver(ingestor, dm("d1", T0))
    first = store.current_case("brand-x", ["joe"]).case
    assert first is not None
    store.save_case(first, replace(first.with_status(CaseStatus.RESOLVED, T0 + HOUR), version=first.version + 1))
    deliver(ingestor, dm("d2", T0 + 2 * HOUR))
    reopened = store.get_case(first.case_id)
    assert (reopened.status, reopened.reopen_count, reopened.message_count) == (CaseStatus.OPEN, 1, 2)

    store.save_case(
        reopened, replace(reopened.with_status(CaseStatus.CLOSED, T0 + 3 * HOUR), version=reopened.version + 1)
    )
    clock.advance(hours=4)
    deliver(ingestor, dm("d3", T0 + 4 * HOUR))
    cases = store.cases_of_customer("brand-x", "joe")
    assert len(cases) == 2
    follow_up = cases[1]
    assert follow_up.follow_up_of == first.case_id
    assert store.get_case(first.case_id).superseded_by == follow_up.case_id
    assert store.get_case(first.case_id).status is CaseStatus.CLOSED


def test_stale_version_is_a_conflict(store: CaseStore, ingestor: Ingestor) -> None:
    deliver(ingestor, dm("d1", T0))
    case = store.current_case("brand-x", ["joe"]).case
    assert case is not None
    store.save_case(case, replace(case, priority=case.priority, version=case.version + 1))
    with pytest.raises(CaseVersionConflict):
        store.save_case(case, replace(case, version=case.version + 1))


def test_whatsapp_customer_known_by_phone_and_by_business_scoped_id_is_one_case(
    ingestor: Ingestor, store: CaseStore
) -> None:
    def wa(mid: str, ts: int, customer: Customer) -> PlatformEvent:
        return message_event(Channel.WHATSAPP, "phone-1", mid, ts, customer=customer, text="hola")

    ingestor.ingest(ParsedDelivery(Platform.META, (wa("w1", T0, Customer("16505551234")),)))
    ingestor.ingest(ParsedDelivery(Platform.META, (wa("w2", T0 + 1, Customer("16505551234", alt_ids=("US.9",))),)))
    ingestor.ingest(ParsedDelivery(Platform.META, (wa("w3", T0 + 2, Customer("US.9")),)))
    by_phone = store.current_case("phone-1", ["16505551234"]).case
    by_bsuid = store.current_case("phone-1", ["US.9"]).case
    assert by_phone is not None
    assert by_bsuid is not None
    assert by_phone.case_id == by_bsuid.case_id
    assert by_phone.message_count == 3


class _CountingClient:
    """Counts DynamoDB requests by operation, passing every call through to moto."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            self.calls.append(name)
            return method(**kwargs)

        return call


def test_a_new_message_costs_at_most_two_dynamodb_requests(aws: AwsResources, clock: ManualClock) -> None:
    counting = _CountingClient(aws.dynamodb)
    ingestor = Ingestor(CaseStore(aws.table_name, client=counting), clock=clock)
    deliver(ingestor, dm("d1", T0))
    assert counting.calls == ["get_item", "transact_write_items"]
    counting.calls.clear()
    deliver(ingestor, dm("d2", T0 + 1))
    assert counting.calls == ["get_item", "transact_write_items"]


def test_racing_writers_for_one_customer_make_one_case(aws: AwsResources, clock: ManualClock) -> None:
    """Worker A reads 'no case'; before A writes, worker B creates the case. A's write is
    refused by its condition, A re-reads and appends: one case, both messages.

    Interleaved in one thread on purpose: moto rolls a failed transaction back by restoring
    a table snapshot, which is not safe under truly concurrent writers (DynamoDB is).
    """
    other = Ingestor(CaseStore(aws.table_name, client=aws.dynamodb), clock=clock)

    class InterleavingStore(CaseStore):
        raced = False

        def current_case(self, account_id: str, user_ids: Any) -> Any:
            result = super().current_case(account_id, user_ids)
            if not self.raced:
                self.raced = True
                assert deliver(other, dm("r2", T0)) == {Outcome.STORED: 1}
            return result

    racing = Ingestor(InterleavingStore(aws.table_name, client=aws.dynamodb), clock=clock)
    assert deliver(racing, dm("r1", T0)) == {Outcome.STORED: 1}
    plain = CaseStore(aws.table_name, client=aws.dynamodb)
    cases = plain.cases_of_customer("brand-x", "joe")
    assert len(cases) == 1
    assert cases[0].message_count == 2
    assert {e.platform_message_id for e in plain.thread(cases[0].case_id)} == {"r1", "r2"}
