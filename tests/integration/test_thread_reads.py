"""What the agent API reads of a long thread, counted on moto: every DynamoDB request and the items it
read (botocore's history recorder, as ``make bench`` counts them). An action reads the few entries it
needs and the case view one page, however long the thread."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from socialcare.agents.commands import MoveToPrivateCommand, PageQuery, ReplyCommand, StatusCommand
from socialcare.agents.identity import Caller, Role
from socialcare.model.case import Case, CaseStatus
from socialcare.model.events import Channel

from tests.agent_api_support import World, app_module, build_service
from tests.bench.ddb_cost import WRITE_OPERATIONS, DynamoDBCalls

pytestmark = pytest.mark.integration

ALICE = Caller("alice", Role.AGENT, frozenset({"care"}), "Alice Smith")
MESSAGES = 200  # a long case for the reply; the other checks need fewer to show the same
HANDFUL = 8  # the case, the brand profile, the idempotency key's marker, one page of entries (4)


@dataclass
class ItemsRead(DynamoDBCalls):
    """``DynamoDBCalls`` that also counts the items each read returned or scanned (its response)."""

    reads: list[tuple[str, int]] = field(default_factory=list)
    _pending: str | None = None

    def emit(self, event_type: str, payload: Any, source: str) -> None:
        super().emit(event_type, payload, source)
        if not self.recording:
            return
        if event_type == "API_CALL":
            self._pending = payload["operation"] if payload.get("service") == "dynamodb" else None
        elif event_type == "PARSED_RESPONSE" and self._pending is not None:
            self.reads.append((self._pending, _items_read(self._pending, payload)))
            self._pending = None

    def during(self, action: Any) -> Any:
        self.calls.clear()
        self.reads.clear()
        self.recording = True
        try:
            return action()
        finally:
            self.recording = False

    @property
    def items_read(self) -> int:
        return sum(count for _, count in self.reads)

    @property
    def written(self) -> list[list[str]]:
        """The sort keys each write request wrote, by request (one list per request)."""
        return [
            [
                body.get("Item", body.get("Key"))["SK"]["S"].split("#", 1)[0]
                for entry in params["TransactItems"]
                for body in entry.values()
            ]
            if op == "TransactWriteItems"
            else [op]
            for op, params in self.calls
            if op in WRITE_OPERATIONS
        ]


def _items_read(operation: str, response: dict[str, Any]) -> int:
    if operation == "Query":
        return int(response.get("ScannedCount", response.get("Count", 0)))
    if operation == "GetItem":
        return 1 if "Item" in response else 0
    if operation == "BatchGetItem":
        return sum(len(items) for items in response.get("Responses", {}).values())
    return 0


@pytest.fixture(scope="module")
def recorder() -> ItemsRead:
    found: ItemsRead = ItemsRead.installed()
    return found


@pytest.fixture
def service(world: World) -> Any:
    app_module()  # puts the app's chalicelib on the path, as Lambda does
    return build_service(world)


def long_case(world: World, channel: Channel, user: str, messages: int = MESSAGES) -> Case:
    """A case whose customer wrote ``messages`` times, a minute apart."""
    for n in range(messages):
        case = world.writes(channel, user, f"message {n}", at_ms=world.clock.now_ms)
        world.clock.advance(minutes=1)
    return case


def test_a_reply_on_a_long_thread_reads_a_handful_of_items(world: World, service: Any, recorder: ItemsRead) -> None:
    case = long_case(world, Channel.MESSENGER, "psid-1")
    command = ReplyCommand(text="So sorry, checking now")

    result = recorder.during(lambda: service.reply(ALICE, case.case_id, command, idempotency_key="reply-1"))

    assert result.entry.reply_to_id is None  # a DM answers the conversation, no message in particular
    [request] = world.outbound_messages()
    assert request["recipient_id"] == "psid-1"
    assert recorder.items_read <= HANDFUL, recorder.reads
    # One write request: the case, the customer's current-case copy, the reply, its audit record and
    # the key's marker (nothing marks the marker queued afterwards: a retry queues a pending reply again).
    assert recorder.written == [["CASE", "CURRENT", "MSG", "AUDIT", "IDEMP"]]
    queries = [params for op, params in recorder.calls if op == "Query"]
    assert queries
    assert all(params["Limit"] <= 4 for params in queries)


def test_a_public_reply_answers_the_newest_comment_reading_a_handful(
    world: World, service: Any, recorder: ItemsRead
) -> None:
    long_case(world, Channel.FACEBOOK_COMMENT, "fb-1", 30)
    case = long_case(world, Channel.MESSENGER, "fb-1", 30)
    command = ReplyCommand(text="Thanks, we are on it", channel=Channel.FACEBOOK_COMMENT)

    result = recorder.during(lambda: service.reply(ALICE, case.case_id, command))

    assert result.entry.reply_to_id == "m30"  # the customer's newest comment
    assert recorder.items_read <= HANDFUL, recorder.reads


def test_moving_a_long_case_to_private_reads_a_handful(world: World, service: Any, recorder: ItemsRead) -> None:
    long_case(world, Channel.INSTAGRAM_COMMENT, "ig-1", 30)
    case = long_case(world, Channel.INSTAGRAM_DM, "ig-1", 30)

    result = recorder.during(lambda: service.move_to_private(ALICE, case.case_id, MoveToPrivateCommand()))

    assert result.entry.reply_to_id == "m30"  # under the customer's newest comment
    assert result.case.status is CaseStatus.PENDING_CUSTOMER
    assert recorder.items_read <= HANDFUL, recorder.reads


def test_a_status_check_reads_back_only_to_the_newest_reply(world: World, service: Any, recorder: ItemsRead) -> None:
    case = long_case(world, Channel.TELEGRAM, "tg-1", 60)
    service.reply(ALICE, case.case_id, ReplyCommand(text="On it"))
    world.clock.advance(minutes=1)

    result = recorder.during(
        lambda: service.change_status(ALICE, case.case_id, StatusCommand(CaseStatus.PENDING_CUSTOMER))
    )

    assert result.case.status is CaseStatus.PENDING_CUSTOMER
    entries_read = sum(count for op, count in recorder.reads if op == "Query")
    assert entries_read <= 4, recorder.reads


def test_the_case_view_reads_one_page_of_a_long_thread(world: World, service: Any, recorder: ItemsRead) -> None:
    case = long_case(world, Channel.TELEGRAM, "tg-1", 60)

    detail = recorder.during(lambda: service.get_case(ALICE, case.case_id, PageQuery(limit=50)))

    assert [e.text for e in detail.thread.entries[:2]] == ["message 59", "message 58"]
    assert len(detail.thread.entries) == 50
    assert detail.thread.next_cursor is not None
    [query] = [params for op, params in recorder.calls if op == "Query" and "MSG#" in str(params)]
    [read] = [count for (op, count), (_, params) in zip(recorder.reads, recorder.calls, strict=True) if params is query]
    assert read == 51  # the page, and one entry more to know that older ones follow
    assert "ConsistentRead" not in query  # a view: eventually consistent, half the read units


def paged(service: Any, case_id: str) -> Iterator[list[str]]:
    cursor = None
    while True:
        page = service.case_thread(ALICE, case_id, PageQuery(limit=100, cursor=cursor))
        yield [e.text for e in page.entries]
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def test_every_entry_of_a_long_thread_is_paged_once(world: World, service: Any) -> None:
    case = long_case(world, Channel.TELEGRAM, "tg-1", 120)
    pages = list(paged(service, case.case_id))
    assert [len(p) for p in pages] == [100, 20]
    assert [t for p in pages for t in p] == [f"message {n}" for n in range(119, -1, -1)]
