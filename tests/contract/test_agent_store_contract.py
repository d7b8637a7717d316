"""The agent side's storage contract (``socialcare.ports.AgentRepository``): the same tests against
the DynamoDB store (on moto) and its in-memory twin."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from socialcare.errors import CaseNotFound, CaseVersionConflict, EscalationClosed, InvalidCursor, MarkerExists
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.model.case import Case, CaseMark, CaseRouting, CaseStatus, EntryKind, Priority, ThreadEntry
from socialcare.model.department_escalation import AnswerVia, DepartmentAnswer, DepartmentEscalation, EscalationStatus
from socialcare.model.events import Channel, Customer, DeliveryState
from socialcare.model.profile import BrandProfile, CannedResponse, SignatureStyle
from socialcare.model.summary import CaseSummary
from socialcare.model.views import CaseView, Dimension
from socialcare.ports import AgentChange, AgentRepository, EscalationWrite, IdempotencyMarker, Page
from socialcare.rules.views import finished_range, summarize

from tests.case_support import care_case

pytestmark = pytest.mark.integration

T0 = 1_767_258_000_000
MINUTE = 60_000


@dataclass
class Harness:
    store: AgentRepository
    put: Any  # put(case, entries): what ingest stores

    def put_case(self, case: Case, entries: Iterable[ThreadEntry] = ()) -> Case:
        self.put(case, tuple(entries))
        return case

    def thread(self, case_id: str) -> list[ThreadEntry]:
        """The whole thread, oldest first (read back from the newest)."""
        return list(reversed(list(self.store.newest_entries(case_id))))


def _dynamodb(aws: Any) -> Harness:
    from socialcare.aws.agent_store import AgentStore
    from socialcare.aws.current_copy import current_case_item
    from socialcare.aws.entry_items import entry_item
    from socialcare.aws.items import case_item

    def put(case: Case, entries: tuple[ThreadEntry, ...]) -> None:
        aws.dynamodb.put_item(TableName=aws.table_name, Item=case_item(case))
        for user_id in case.customer.all_ids:  # the customer's current case, as ingest keeps it
            aws.dynamodb.put_item(TableName=aws.table_name, Item=current_case_item(case, user_id))
        for entry in entries:
            aws.dynamodb.put_item(TableName=aws.table_name, Item=entry_item(entry))

    return Harness(AgentStore(aws.table_name, client=aws.dynamodb), put)


def _memory() -> Harness:
    from socialcare.memory.agents import MemoryAgentStore

    store = MemoryAgentStore()
    return Harness(store, store.put_case)


@pytest.fixture(params=["dynamodb", "memory"])
def h(request: pytest.FixtureRequest) -> Harness:
    if request.param == "dynamodb":
        return _dynamodb(request.getfixturevalue("aws"))
    return _memory()


# ---- builders ---------------------------------------------------------------------------------------
def case(n: int, **fields: Any) -> Case:
    customer = Customer(f"cust-{n}", name="Joe")
    case = care_case(
        f"01JGZ8Q5K2M3N4P5Q6R7S8T{n:03d}",
        Channel.TELEGRAM,
        "tg-1",
        customer,
        T0,
        last_inbound_at_ms=T0,
        last_inbound_by_channel={Channel.TELEGRAM: T0},
        message_count=1,
    )
    return replace(case, **fields)


def inbound(k: Case, n: int, at: int = T0) -> ThreadEntry:
    return ThreadEntry(
        case_id=k.case_id,
        entry_id=f"{at:013d}#m{n}",
        kind=EntryKind.INBOUND,
        timestamp_ms=at,
        channel=Channel.TELEGRAM,
        platform_message_id=f"m{n}",
        author=k.customer.user_id,
        text="help",
    )


def outbound(k: Case, at: int) -> ThreadEntry:
    """A reply, stored PENDING."""
    return replace(
        inbound(k, 0, at),
        entry_id=f"{at:013d}#out-{at}",
        kind=EntryKind.OUTBOUND,
        platform_message_id=None,
        author="alice",
        delivery_state=DeliveryState.PENDING,
        delivery_state_at_ms=at,
    )


def audit(k: Case, version: int, action: AuditAction = AuditAction.CLAIMED, at: int = T0) -> AuditRecord:
    return AuditRecord(
        record_id=f"01JGZ8Q5K2M3N4P5Q6R7S8T{version:03d}",
        at_ms=at,
        actor="alice",
        actor_role="agent",
        action=action,
        case_id=k.case_id,
        case_version=version,
        details={"owner": "alice"},
    )


def marker(k: Case, key: str = "k-1", *, entry_id: str = "e", expires_at_s: int = (T0 // 1000) + 3600) -> Any:
    return IdempotencyMarker(
        case_id=k.case_id,
        agent_id="alice",
        key=key,
        fingerprint="f" * 64,
        entry_id=entry_id,
        created_at_ms=T0,
        expires_at_s=expires_at_s,
        request_json='{"case_id": "x"}',
    )


def next_version(k: Case, **fields: Any) -> Case:
    return replace(k, version=k.version + 1, updated_at_ms=k.updated_at_ms + MINUTE, **fields)


def all_pages(fetch: Any, limit: int) -> list[Any]:
    items: list[Any] = []
    start = None
    for _ in range(20):
        page: Page[Any] = fetch(limit=limit, start=start)
        items.extend(page.items)
        if page.next_position is None:
            return items
        start = page.next_position
    raise AssertionError("the pages never ended")


# ---- case reads --------------------------------------------------------------------------------------
def test_a_case_and_its_thread_read_back_as_stored(h: Harness) -> None:
    k = h.put_case(case(1), [inbound(case(1), 2, T0 + MINUTE), inbound(case(1), 1)])
    assert h.store.get_case(k.case_id) == k
    assert [e.entry_id for e in h.thread(k.case_id)] == [f"{T0:013d}#m1", f"{T0 + MINUTE:013d}#m2"]
    assert h.store.get_entry(k.case_id, f"{T0:013d}#m1") == inbound(k, 1)
    assert h.store.get_entry(k.case_id, f"{T0:013d}#nope") is None
    with pytest.raises(CaseNotFound):
        h.store.get_case(case(2).case_id)


def test_a_thread_pages_newest_first_and_its_last_page_says_so(h: Harness) -> None:
    k = case(1)
    h.put_case(k, [inbound(k, n, T0 + n * MINUTE) for n in range(1, 8)])
    pages: list[Page[ThreadEntry]] = []
    start = None
    while not pages or start is not None:
        pages.append(h.store.thread_page(k.case_id, limit=3, start=start))
        start = pages[-1].next_position
    assert [[e.platform_message_id for e in p.items] for p in pages] == [["m7", "m6", "m5"], ["m4", "m3", "m2"], ["m1"]]
    exact = h.store.thread_page(k.case_id, limit=7, start=None)
    assert (len(exact.items), exact.next_position) == (7, None)  # no empty page after the last entry
    assert h.store.thread_page(case(2).case_id, limit=3, start=None) == Page([], None)


def test_a_thread_position_of_another_case_is_refused(h: Harness) -> None:
    k, other = case(1), case(2)
    h.put_case(k, [inbound(k, n, T0 + n) for n in range(1, 4)])
    h.put_case(other, [inbound(other, n, T0 + n) for n in range(1, 4)])
    position = h.store.thread_page(other.case_id, limit=1, start=None).next_position
    assert position is not None
    with pytest.raises(InvalidCursor):
        h.store.thread_page(k.case_id, limit=1, start=position)


def test_entries_are_read_back_from_the_newest_within_their_time_range(h: Harness) -> None:
    k = case(1)
    h.put_case(
        k, [inbound(k, 1, T0), inbound(k, 2, T0 + MINUTE), inbound(k, 3, T0 + MINUTE), inbound(k, 4, T0 + 2 * MINUTE)]
    )

    def ids(**bounds: int) -> list[str | None]:
        return [e.platform_message_id for e in h.store.newest_entries(k.case_id, **bounds)]

    assert ids() == ["m4", "m3", "m2", "m1"]
    assert ids(up_to_ms=T0 + MINUTE) == ["m3", "m2", "m1"]  # every entry of that millisecond included
    assert ids(since_ms=T0 + MINUTE) == ["m4", "m3", "m2"]
    assert ids(since_ms=T0 + MINUTE, up_to_ms=T0 + MINUTE) == ["m3", "m2"]
    assert ids(up_to_ms=T0 - 1) == []


def test_a_delivery_state_only_moves_forward(h: Harness) -> None:
    k = case(1)
    reply = outbound(k, T0 + MINUTE)
    h.put_case(k, [reply])
    assert h.store.set_delivery_state(k.case_id, reply.entry_id, state=DeliveryState.SENT, at_ms=T0 + 2 * MINUTE)
    assert not h.store.set_delivery_state(k.case_id, reply.entry_id, state=DeliveryState.PENDING, at_ms=T0)
    assert h.store.set_delivery_state(
        k.case_id, reply.entry_id, state=DeliveryState.FAILED, at_ms=T0 + 3 * MINUTE, error="gone"
    )
    stored = h.store.get_entry(k.case_id, reply.entry_id)
    assert stored is not None
    assert (stored.delivery_state, stored.delivery_state_at_ms, stored.delivery_error) == (
        DeliveryState.FAILED,
        T0 + 3 * MINUTE,
        "gone",
    )


# ---- commit ------------------------------------------------------------------------------------------
def test_an_action_is_stored_whole(h: Harness) -> None:
    k = h.put_case(case(1), [inbound(case(1), 1)])
    after = next_version(k, owner="alice")
    note = replace(outbound(k, T0 + MINUTE), kind=EntryKind.NOTE, delivery_state=None, delivery_state_at_ms=None)
    h.store.commit(AgentChange(k, after, audit(k, 2), entries=(note,)), now_ms=T0 + MINUTE)
    assert h.store.get_case(k.case_id) == after
    assert [e.kind for e in h.thread(k.case_id)] == [EntryKind.INBOUND, EntryKind.NOTE]
    assert h.store.audit_trail(k.case_id, limit=10, start=None).items == [audit(k, 2)]


def test_an_action_decided_on_an_old_version_stores_nothing(h: Harness) -> None:
    k = h.put_case(case(1))
    moved_on = h.put_case(next_version(k, message_count=2))
    with pytest.raises(CaseVersionConflict):
        h.store.commit(
            AgentChange(
                k, next_version(k, owner="alice"), audit(k, 2), entries=(outbound(k, T0 + MINUTE),), marker=marker(k)
            ),
            now_ms=T0 + MINUTE,
        )
    assert h.store.get_case(k.case_id) == moved_on
    assert h.thread(k.case_id) == []
    assert h.store.audit_trail(k.case_id, limit=10, start=None).items == []
    assert h.store.marker(k.case_id, "alice", "k-1", now_ms=T0) is None


def test_a_used_idempotency_key_refuses_the_second_action(h: Harness) -> None:
    k = h.put_case(case(1))
    first = next_version(k)
    h.store.commit(AgentChange(k, first, audit(k, 2), marker=marker(k)), now_ms=T0)
    stored = h.store.marker(k.case_id, "alice", "k-1", now_ms=T0 + MINUTE)
    assert stored == marker(k)
    with pytest.raises(MarkerExists):
        h.store.commit(AgentChange(first, next_version(first), audit(k, 3), marker=marker(k, entry_id="e2")), now_ms=T0)
    assert h.store.get_case(k.case_id) == first
    # the key is checked first, even when the version is stale too
    with pytest.raises(MarkerExists):
        h.store.commit(AgentChange(k, first, audit(k, 2), marker=marker(k)), now_ms=T0)


def test_an_expired_key_is_gone_and_may_be_used_again(h: Harness) -> None:
    k = h.put_case(case(1))
    expires = T0 // 1000 + 60
    first = next_version(k)
    h.store.commit(AgentChange(k, first, audit(k, 2), marker=marker(k, expires_at_s=expires)), now_ms=T0)
    assert h.store.marker(k.case_id, "alice", "k-1", now_ms=expires * 1000 - 1) is not None
    assert h.store.marker(k.case_id, "alice", "k-1", now_ms=expires * 1000) is None
    again = marker(k, entry_id="e2", expires_at_s=expires + 3600)
    h.store.commit(AgentChange(first, next_version(first), audit(k, 3), marker=again), now_ms=expires * 1000)
    assert h.store.marker(k.case_id, "alice", "k-1", now_ms=expires * 1000) == again


def test_a_marker_reads_back_as_stored_for_its_agent_only(h: Harness) -> None:
    k = h.put_case(case(1))
    h.store.commit(AgentChange(k, next_version(k), audit(k, 2), marker=marker(k)), now_ms=T0)
    assert h.store.marker(k.case_id, "alice", "k-1", now_ms=T0) == marker(k)
    assert h.store.marker(k.case_id, "bob", "k-1", now_ms=T0) is None


# ---- audit -------------------------------------------------------------------------------------------
def test_the_audit_trail_is_in_version_order_a_page_at_a_time(h: Harness) -> None:
    k = h.put_case(case(1))
    current = k
    for _ in range(5):
        after = next_version(current)
        h.store.commit(AgentChange(current, after, audit(k, after.version, at=T0 - after.version)), now_ms=T0)
        current = after
    records = all_pages(lambda **kw: h.store.audit_trail(k.case_id, **kw), limit=2)
    assert [r.case_version for r in records] == [2, 3, 4, 5, 6]
    first = h.store.audit_trail(k.case_id, limit=2, start=None)
    assert first.next_position is not None
    with pytest.raises(InvalidCursor):
        h.store.audit_trail(case(2).case_id, limit=2, start=first.next_position)


def test_acted_since_sees_only_later_versions(h: Harness) -> None:
    k = h.put_case(case(1))
    assert not h.store.acted_since(k.case_id, 1)
    h.store.commit(AgentChange(k, next_version(k), audit(k, 2)), now_ms=T0)
    assert h.store.acted_since(k.case_id, 1)
    assert not h.store.acted_since(k.case_id, 2)


# ---- lists -------------------------------------------------------------------------------------------
def _queue(h: Harness) -> list[Case]:
    cases = [
        case(1, response_due_at_ms=T0 + 30 * MINUTE),
        case(2, response_due_at_ms=T0 + 10 * MINUTE, owner="alice"),
        case(3, response_due_at_ms=None, priority=Priority.HIGH),
        case(4, response_due_at_ms=T0 + 20 * MINUTE, status=CaseStatus.PENDING_INTERNAL, owner="bob"),
        case(5, response_due_at_ms=T0 + 5 * MINUTE, team="billing"),
        case(6, status=CaseStatus.RESOLVED, resolved_at_ms=T0 + MINUTE),
        case(7, status=CaseStatus.RESOLVED, resolved_at_ms=T0 + 2 * MINUTE, channels=frozenset({Channel.X_DM})),
        case(8, status=CaseStatus.CLOSED, closed_at_ms=T0 + 3 * MINUTE, resolved_at_ms=T0),
    ]
    return [h.put_case(k) for k in cases]


def ids(items: Iterable[CaseSummary]) -> list[int]:
    return [int(k.case_id[-3:]) for k in items]


def listed(h: Harness, view: CaseView, limit: int = 2) -> list[CaseSummary]:
    return all_pages(lambda **kw: h.store.case_list(view, **kw), limit=limit)


def view(dimension: Dimension, scope: str = "care", *values: str) -> CaseView:
    return CaseView(dimension, scope, values or ("",))


def test_a_teams_queue_is_its_active_cases_soonest_due_first(h: Harness) -> None:
    _queue(h)
    assert ids(listed(h, view(Dimension.QUEUE))) == [2, 4, 1, 3]
    assert ids(h.store.case_list(view(Dimension.QUEUE, "billing"), limit=10, start=None).items) == [5]


@pytest.mark.parametrize(
    ("dimension", "values", "expected"),
    [
        (Dimension.ASSIGNEE, ("alice",), [2]),
        (Dimension.ASSIGNEE, ("none",), [1, 3]),
        (Dimension.PRIORITY, ("high",), [3]),
        (Dimension.STATUS, ("pending_internal",), [4]),
        (Dimension.STATUS, ("open", "pending_internal"), [2, 4, 1, 3]),
        (Dimension.CHANNEL, ("telegram",), [2, 4, 1, 3]),
        (Dimension.CHANNEL, ("x_dm",), []),
    ],
)
def test_one_filter_a_list(h: Harness, dimension: Dimension, values: tuple[str, ...], expected: list[int]) -> None:
    _queue(h)
    assert ids(listed(h, view(dimension, "care", *values), limit=1)) == expected


def test_a_list_shows_each_case_as_its_summary(h: Harness) -> None:
    _queue(h)
    routed = case(
        9,
        response_due_at_ms=T0 + MINUTE,
        awaiting_reply_since_ms=T0,
        priority=Priority.URGENT,
        owner="alice",
        routing=CaseRouting("vip", ("account vip",), ("vip", "refund"), 3),
        sensitive=frozenset({"self_harm"}),
        language="en",
    )
    h.put_case(routed)
    expected = summarize(routed)
    for dimension, values in (
        (Dimension.QUEUE, ("",)),
        (Dimension.STATUS, ("open",)),
        (Dimension.CHANNEL, ("telegram",)),
        (Dimension.PRIORITY, ("urgent",)),
        (Dimension.ASSIGNEE, ("alice",)),
    ):
        [first, *_] = h.store.case_list(view(dimension, "care", *values), limit=1, start=None).items
        assert replace(first, warn_at_ms=None) == replace(expected, warn_at_ms=None), dimension
    [mine] = [k for k in listed(h, view(Dimension.MINE, "alice")) if k.case_id == routed.case_id]
    assert replace(mine, warn_at_ms=None) == replace(expected, warn_at_ms=None)
    assert expected.tags == ("vip", "refund")
    assert expected.customer_display == "Joe"


def test_history_is_resolved_or_closed_latest_first_within_a_range(h: Harness) -> None:
    _queue(h)
    assert ids(listed(h, view(Dimension.HISTORY, "care", "resolved"), limit=1)) == [7, 6]
    assert ids(listed(h, view(Dimension.HISTORY, "care", "closed"))) == [8]
    assert ids(listed(h, view(Dimension.HISTORY, "care", "closed", "resolved"), limit=1)) == [8, 7, 6]
    lower, upper = finished_range(T0 + 2 * MINUTE, T0 + 3 * MINUTE)  # from 2 minutes on, before 3
    assert ids(listed(h, CaseView(Dimension.HISTORY, "care", ("closed", "resolved"), lower, upper))) == [7]
    [seven] = h.store.case_list(
        CaseView(Dimension.HISTORY, "care", ("resolved",), lower, upper), limit=5, start=None
    ).items
    assert seven.finished_at_ms == T0 + 2 * MINUTE
    assert seven.response_due_at_ms is None


def test_own_cases_and_positions_of_other_lists(h: Harness) -> None:
    _queue(h)
    assert ids(listed(h, view(Dimension.MINE, "alice"))) == [2]
    assert ids(listed(h, view(Dimension.MINE, "bob"))) == [4]
    assert {k.team for k in listed(h, view(Dimension.MINE, "alice"))} == {"care"}
    page = h.store.case_list(view(Dimension.QUEUE), limit=1, start=None)
    assert page.next_position is not None
    with pytest.raises(InvalidCursor):
        h.store.case_list(view(Dimension.QUEUE, "billing"), limit=1, start=page.next_position)
    with pytest.raises(InvalidCursor):
        h.store.case_list(view(Dimension.MINE, "alice"), limit=1, start=page.next_position)


def test_a_marked_case_is_in_its_teams_review_queue_not_its_queue_oldest_first(h: Harness) -> None:
    _queue(h)
    troll = CaseMark("troll", ("blocked",))
    # Case ids are ULIDs: in creation order, which is the review queue's.
    h.put_case(case(9, mark=troll, created_at_ms=T0 + MINUTE, owner="alice"))
    h.put_case(case(10, mark=CaseMark("spam", ("links 3",)), created_at_ms=T0 + 2 * MINUTE))
    h.put_case(case(11, mark=troll, team="billing"))
    h.put_case(case(12, mark=troll, status=CaseStatus.RESOLVED, resolved_at_ms=T0))
    assert ids(listed(h, view(Dimension.QUEUE))) == [2, 4, 1, 3]
    assert ids(listed(h, view(Dimension.ASSIGNEE, "care", "alice"))) == [2]
    review = listed(h, view(Dimension.REVIEW), limit=1)
    assert ids(review) == [9, 10]
    assert review[0].mark == troll
    assert ids(listed(h, view(Dimension.MINE, "alice"))) == [2, 9]
    assert ids(h.store.case_list(view(Dimension.REVIEW, "billing"), limit=10, start=None).items) == [11]
    first = h.store.case_list(view(Dimension.REVIEW), limit=1, start=None)
    assert first.next_position is not None
    with pytest.raises(InvalidCursor):
        h.store.case_list(view(Dimension.QUEUE), limit=1, start=first.next_position)
    with pytest.raises(InvalidCursor):
        h.store.case_list(view(Dimension.REVIEW, "billing"), limit=1, start=first.next_position)


# ---- profiles ----------------------------------------------------------------------------------------
def test_a_profile_reads_back_as_saved(h: Harness) -> None:
    assert h.store.profile("tg-1") is None
    profile = BrandProfile(
        account_id="tg-1",
        brand_name="Acme",
        signature_style=SignatureStyle.INITIALS,
        human_agent_tag=True,
        canned_responses=(CannedResponse("hi", "Hello", "Hi {customer_name}"),),
        updated_at_ms=T0,
        updated_by="root",
    )
    record = AuditRecord(
        "01JGZ8Q5K2M3N4P5Q6R7S8T9V0", T0, "root", "admin", AuditAction.PROFILE_UPDATED, account_id="tg-1"
    )
    h.store.save_profile(profile, record)
    assert h.store.profile("tg-1") == profile
    changed = replace(profile, brand_name="Acme Care", canned_responses=())
    h.store.save_profile(changed, replace(record, record_id="01JGZ8Q5K2M3N4P5Q6R7S8T9V1", at_ms=T0 + 1))
    assert h.store.profile("tg-1") == changed


# ---- department escalations ---------------------------------------------------------------------------
def escalation(k: Case, n: int = 1, **fields: Any) -> DepartmentEscalation:
    found = DepartmentEscalation(
        escalation_id=f"{k.case_id}-01JGZ8Q5K2M3N4P5Q6R7S8E{n:03d}",
        case_id=k.case_id,
        department_id="billing",
        department_name="Billing",
        question="Charged twice?",
        asked_by="alice",
        asked_by_name="Alice Smith",
        asked_at_ms=T0,
        agent="alice",
        team="care",
        update_after_s=86_400,
        manager_after_rounds=2,
        manager={"name": "Mia", "email": "mia@acme.example"},
    )
    return replace(found, **fields)


def escalated(h: Harness, k: Case, e: DepartmentEscalation) -> Case:
    after = next_version(k, status=CaseStatus.PENDING_INTERNAL)
    h.store.commit(AgentChange(k, after, audit(k, after.version), escalation=EscalationWrite(e, new=True)), now_ms=T0)
    return after


def test_an_escalation_is_stored_with_its_action_and_reads_back(h: Harness) -> None:
    k = h.put_case(case(1))
    e = escalation(k)
    escalated(h, k, e)
    assert h.store.escalation(k.case_id, e.escalation_id) == e
    assert h.store.escalations(k.case_id) == [e]
    assert h.store.escalations(case(2).case_id) == []
    with pytest.raises(EscalationClosed):  # the same id twice
        h.store.commit(AgentChange(k, next_version(k), audit(k, 9), escalation=EscalationWrite(e, new=True)), now_ms=T0)


def test_an_escalation_is_answered_once_and_keeps_the_token_stored_meanwhile(h: Harness) -> None:
    k = h.put_case(case(1))
    e = escalation(k)
    k = escalated(h, k, e)
    tokens: Any = h.store
    assert tokens.store_task_token(k.case_id, e.escalation_id, token="t0", round=0, at_ms=T0)
    assert tokens.store_task_token(k.case_id, e.escalation_id, token="t1", round=1, at_ms=T0)
    assert not tokens.store_task_token(k.case_id, e.escalation_id, token="t0", round=0, at_ms=T0), "an older round"
    answer = DepartmentAnswer("Refunded", "felix", "Felix", AnswerVia.API, T0 + MINUTE)
    answered = replace(e, status=EscalationStatus.ANSWERED, answer=answer)  # read before the round-1 token
    after = next_version(k, status=CaseStatus.OPEN)
    h.store.commit(AgentChange(k, after, audit(k, after.version), escalation=EscalationWrite(answered)), now_ms=T0)
    stored = h.store.escalation(k.case_id, e.escalation_id)
    assert stored == replace(answered, task_token="t1", token_round=1)
    assert not tokens.store_task_token(k.case_id, e.escalation_id, token="t2", round=2, at_ms=T0), "closed"
    again = next_version(after)
    with pytest.raises(EscalationClosed):
        h.store.commit(
            AgentChange(after, again, audit(k, again.version), escalation=EscalationWrite(answered)), now_ms=T0
        )
    assert h.store.get_case(k.case_id) == after, "nothing of the refused action is stored"
