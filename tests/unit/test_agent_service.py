"""The agent service's rules on the in-memory store: no AWS, no HTTP."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from socialcare.agents.commands import MoveToPrivateCommand, NoteCommand, ReplyCommand, StatusCommand
from socialcare.agents.cursor import CursorCodec
from socialcare.agents.identity import Caller, Role
from socialcare.agents.service import AgentService
from socialcare.clock import ManualClock
from socialcare.errors import (
    AlreadyClaimed,
    CaseVersionConflict,
    IdempotencyKeyReused,
    NotCaseOwner,
    ReasonRequired,
    ReplyNotQueued,
    UnansweredCustomerMessage,
)
from socialcare.memory.agents import MemoryAgentStore
from socialcare.model.audit import AuditAction
from socialcare.model.case import Case, CaseStatus, EntryKind, ThreadEntry
from socialcare.model.events import Channel, Customer, DeliveryState
from socialcare.ports import AgentChange

from tests.case_support import care_case

pytestmark = pytest.mark.unit

T0 = 1_767_258_000_000
CASE_ID = "01JGZ8Q5K2M3N4P5Q6R7S8T9V0"
ALICE = Caller("alice", Role.AGENT, frozenset({"care"}), "Alice Smith")
BOB = Caller("bob", Role.AGENT, frozenset({"care"}), "Bob Jones")


class Outbox:
    """The outbound queue: what was queued, or a failure while ``down``."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.down = False

    def send_json(self, body: str, *, case_id: str, channel: str) -> None:
        if self.down:
            raise ConnectionError("the queue is unreachable")
        self.sent.append(json.loads(body))


class World:
    def __init__(self, channel: Channel = Channel.TELEGRAM) -> None:
        self.clock = ManualClock(T0)
        self.store = MemoryAgentStore()
        self.outbox = Outbox()
        self.service = AgentService(
            self.store, self.outbox, clock=self.clock, cursors=CursorCodec(b"0123456789abcdef0123")
        )
        inbound = ThreadEntry(
            case_id=CASE_ID,
            entry_id=f"{T0:013d}#m1",
            kind=EntryKind.INBOUND,
            timestamp_ms=T0,
            channel=channel,
            platform_message_id="m1",
            author="cust-1",
            text="Where is my order?",
            public=channel.is_public,
            conversation_ref="chat-1",
        )
        self.store.put_case(
            care_case(
                CASE_ID,
                channel,
                "acct-1",
                Customer("cust-1", name="Joe"),
                T0,
                last_inbound_at_ms=T0,
                last_inbound_by_channel={channel: T0},
                awaiting_reply_since_ms=T0,
                response_due_at_ms=T0 + 3_600_000,
                message_count=1,
            ),
            [inbound],
        )

    @property
    def case(self) -> Case:
        return self.store.get_case(CASE_ID)

    def actions(self) -> list[AuditAction]:
        return [r.action for r in self.store.audit_trail(CASE_ID, limit=100, start=None).items]


@pytest.fixture
def world() -> World:
    return World()


def test_a_claimed_case_is_not_claimed_again_by_a_colleague(world: World) -> None:
    assert world.service.claim(ALICE, CASE_ID).case.owner == "alice"
    with pytest.raises(AlreadyClaimed):
        world.service.claim(BOB, CASE_ID)
    with pytest.raises(NotCaseOwner):
        world.service.reply(BOB, CASE_ID, ReplyCommand(text="Hi"))
    assert world.actions() == [AuditAction.CLAIMED]


def test_a_reply_is_stored_once_per_key_and_queued_again_only_while_it_waits(world: World) -> None:
    first = world.service.reply(ALICE, CASE_ID, ReplyCommand(text="On it"), idempotency_key="k-1")
    assert first.accepted_for_delivery
    assert first.entry is not None
    assert first.entry.delivery_state is DeliveryState.PENDING
    assert first.entry.text == "On it\n— Alice"
    again = world.service.reply(ALICE, CASE_ID, ReplyCommand(text="On it"), idempotency_key="k-1")
    assert again.replayed
    assert again.entry == first.entry
    # Still pending: queued again (the outbound sender sends an entry once, however often it is queued).
    assert [m["entry_id"] for m in world.outbox.sent] == [first.entry.entry_id] * 2
    world.store.set_delivery_state(CASE_ID, first.entry.entry_id, state=DeliveryState.SENT, at_ms=T0 + 1)
    world.service.reply(ALICE, CASE_ID, ReplyCommand(text="On it"), idempotency_key="k-1")
    assert len(world.outbox.sent) == 2  # sent: a retry queues nothing
    with pytest.raises(IdempotencyKeyReused):
        world.service.reply(ALICE, CASE_ID, ReplyCommand(text="Something else"), idempotency_key="k-1")
    assert world.case.owner == "alice"  # replying claims an unowned case


def test_an_unqueued_reply_is_queued_by_its_retry_or_failed_without_a_key(world: World) -> None:
    world.outbox.down = True
    with pytest.raises(ReplyNotQueued):
        world.service.reply(ALICE, CASE_ID, ReplyCommand(text="On it"), idempotency_key="k-1")
    world.clock.advance(seconds=1)
    with pytest.raises(ReplyNotQueued):
        world.service.reply(ALICE, CASE_ID, ReplyCommand(text="Again"))
    states = [e.delivery_state for e in world.store.thread(CASE_ID) if e.kind is EntryKind.OUTBOUND]
    assert states == [DeliveryState.PENDING, DeliveryState.FAILED]
    world.outbox.down = False
    retried = world.service.reply(ALICE, CASE_ID, ReplyCommand(text="On it"), idempotency_key="k-1")
    assert retried.replayed
    assert len(world.outbox.sent) == 1


def test_a_note_is_added_once_per_key_and_never_sent(world: World) -> None:
    note = world.service.add_note(BOB, CASE_ID, NoteCommand("VIP"), idempotency_key="n-1")
    again = world.service.add_note(BOB, CASE_ID, NoteCommand("VIP"), idempotency_key="n-1")
    assert again.replayed
    assert not again.accepted_for_delivery
    assert again.entry == note.entry
    assert [e.kind for e in world.store.thread(CASE_ID)] == [EntryKind.INBOUND, EntryKind.NOTE]
    assert world.outbox.sent == []


def test_status_rules_while_the_customer_waits(world: World) -> None:
    with pytest.raises(UnansweredCustomerMessage):
        world.service.change_status(ALICE, CASE_ID, StatusCommand(CaseStatus.PENDING_CUSTOMER))
    with pytest.raises(ReasonRequired):
        world.service.change_status(ALICE, CASE_ID, StatusCommand(CaseStatus.RESOLVED))
    resolved = world.service.change_status(ALICE, CASE_ID, StatusCommand(CaseStatus.RESOLVED, reason="spam"))
    assert resolved.case.awaiting_reply_since_ms is None
    assert world.actions() == [AuditAction.STATUS_CHANGED]


def test_an_action_on_a_version_moved_on_by_a_person_is_refused(world: World) -> None:
    seen = world.case.version
    world.service.add_note(BOB, CASE_ID, NoteCommand("Careful"))
    with pytest.raises(CaseVersionConflict) as refused:
        world.service.claim(ALICE, CASE_ID, expected_version=seen)
    assert refused.value.current == world.case


def test_bookkeeping_in_between_is_decided_again(world: World) -> None:
    """The outbound sender records a reply's delivery between the status change's read and its write."""
    world.service.reply(ALICE, CASE_ID, ReplyCommand(text="Refunded"))
    real_commit = world.store.commit

    def commit_after_the_sender(change: AgentChange, *, now_ms: int) -> None:
        world.store.commit = real_commit  # type: ignore[method-assign]
        current = world.case
        world.store.put_case(
            replace(current, version=current.version + 1, last_outbound_at_ms=T0 + 1, first_response_at_ms=T0 + 1)
        )
        real_commit(change, now_ms=now_ms)

    world.store.commit = commit_after_the_sender  # type: ignore[method-assign]
    resolved = world.service.change_status(ALICE, CASE_ID, StatusCommand(CaseStatus.RESOLVED))
    assert resolved.case.status is CaseStatus.RESOLVED
    assert world.case.first_response_at_ms == T0 + 1


def test_move_to_private_answers_the_public_message_and_waits() -> None:
    world = World(Channel.X_POST)
    moved = world.service.move_to_private(ALICE, CASE_ID, MoveToPrivateCommand())
    assert moved.accepted_for_delivery
    assert world.case.status is CaseStatus.PENDING_CUSTOMER
    [request] = world.outbox.sent
    assert (request["mode"], request["reply_to_id"]) == ("public", "m1")
    kinds = [e.kind for e in world.store.thread(CASE_ID)]
    assert kinds == [EntryKind.INBOUND, EntryKind.OUTBOUND, EntryKind.STATUS_CHANGE]
