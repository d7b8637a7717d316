"""One outbound queue message through the core (send, or put back for its delay) on the in-memory twins."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from socialcare.clock import ManualClock
from socialcare.errors import MalformedOutboundRequest, RetryLater
from socialcare.ingest.service import Ingestor
from socialcare.memory.case_store import MemoryCaseStore
from socialcare.memory.outbound_store import MemoryOutboundStore
from socialcare.memory.table import MemoryTable
from socialcare.model.case import EntryKind, ThreadEntry
from socialcare.model.events import Channel, DeliveryState
from socialcare.model.outbound import OutboundRequest
from socialcare.model.stored import MessageRef
from socialcare.outbound.backoff import Backoff
from socialcare.outbound.clients import reply_clients
from socialcare.outbound.queued import QueuedReplies
from socialcare.outbound.sender import OutboundSender, Outcome, SenderSettings

from tests.outbound_support import CREDENTIALS, PAGE, FakeTransport, messenger_event, meta_sent, reply_request

pytestmark = pytest.mark.unit

HTTP_TIMEOUT_S = 10.0
MAX_RECEIVES = 4


@dataclass
class PutBack:
    """The outbound queue, as far as the core uses it here: which messages were put back, for how long."""

    delays: list[tuple[str, int]] = field(default_factory=list)

    def send_json(self, body: str, *, case_id: str, channel: str) -> None:
        raise AssertionError("the sender never queues")

    def retry_later(self, receipt_handle: str, delay_s: int) -> None:
        self.delays.append((receipt_handle, delay_s))


@dataclass
class Rig:
    queued: QueuedReplies
    queue: PutBack
    transport: FakeTransport
    outbound: MemoryOutboundStore
    request: OutboundRequest


@pytest.fixture
def rig() -> Rig:
    table, clock = MemoryTable(), ManualClock()
    cases = MemoryCaseStore(table)
    Ingestor(cases, clock=clock).ingest_event(messenger_event(PAGE, "psid-1", "m1", clock()))
    case = cases.current_case(PAGE, ["psid-1"]).case
    assert case is not None
    entry_id = f"{clock():013d}#out-1"
    table.put_entry(
        ThreadEntry(
            case_id=case.case_id,
            entry_id=entry_id,
            kind=EntryKind.OUTBOUND,
            timestamp_ms=clock(),
            channel=Channel.MESSENGER,
            author="alice",
            text="We are on it",
            delivery_state=DeliveryState.PENDING,
        )
    )
    transport = FakeTransport()
    backoff = Backoff(base_s=4, max_s=60, jitter=lambda: 1.0)
    outbound = MemoryOutboundStore(table)
    sender = OutboundSender(
        cases=cases,
        outbound=outbound,
        clients=reply_clients(),
        transport=transport,
        credentials=lambda: CREDENTIALS,
        clock=clock,
        settings=SenderSettings(max_receives=MAX_RECEIVES, http_timeout_s=HTTP_TIMEOUT_S, backoff=backoff),
    )
    queue = PutBack()
    queued = QueuedReplies(sender, queue, backoff=backoff, max_receives=MAX_RECEIVES, http_timeout_s=HTTP_TIMEOUT_S)
    request = reply_request(Channel.MESSENGER, case_id=case.case_id, entry_id=entry_id, recipient_id="psid-1")
    return Rig(queued, queue, transport, outbound, request)


def state(rig: Rig) -> DeliveryState | None:
    found = rig.outbound.get(MessageRef(rig.request.case_id, rig.request.entry_id))
    assert found is not None
    return found.entry.delivery_state


def test_a_reply_with_time_enough_is_sent(rig: Rig) -> None:
    rig.transport.script(meta_sent("m_out"))
    result = rig.queued.process(rig.request.to_json(), receipt_handle="r1", receive_count=1, remaining_ms=60_000)
    assert result.report is not None
    assert (result.report.outcome, result.error, rig.queue.delays) == (Outcome.SENT, None, [])
    assert state(rig) is DeliveryState.SENT


def test_too_little_time_left_puts_the_reply_back_untouched(rig: Rig) -> None:
    short = int(HTTP_TIMEOUT_S * 1000) + 4_999
    result = rig.queued.process(rig.request.to_json(), receipt_handle="r1", receive_count=1, remaining_ms=short)
    assert isinstance(result.error, RetryLater)
    assert result.retried
    assert rig.queue.delays == [("r1", 1)]
    assert rig.transport.requests == []
    assert state(rig) is DeliveryState.PENDING


def test_on_its_last_receive_a_reply_short_of_time_is_tried_anyway(rig: Rig) -> None:
    rig.transport.script(meta_sent("m_out"))
    result = rig.queued.process(
        rig.request.to_json(), receipt_handle="r1", receive_count=MAX_RECEIVES, remaining_ms=1_000
    )
    assert result.report is not None
    assert result.report.outcome is Outcome.SENT


def test_a_message_that_crashes_the_core_waits_for_its_back_off(rig: Rig) -> None:
    result = rig.queued.process('{"v": 1, "case_id": "no entry id"}', receipt_handle="r9", receive_count=3)
    assert isinstance(result.error, MalformedOutboundRequest)
    assert not result.retried
    assert result.request is None
    assert rig.queue.delays == [("r9", 16)]  # 4 s * 2**(3-1), full jitter
    assert result.delay_s == 16
