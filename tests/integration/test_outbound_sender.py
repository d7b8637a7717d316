"""The outbound sender against DynamoDB (moto), with a scripted platform: sending, retries,
failures visible in the thread, the never-twice guarantee, echoes, and "move to private"."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.aws.case_store import CaseStore, MessageRef
from socialcare.aws.entry_items import entry_item
from socialcare.aws.outbound_store import OutboundStore
from socialcare.clock import ManualClock
from socialcare.errors import CaseNotFound, RetryLater
from socialcare.ingest.service import Ingestor
from socialcare.ingest.service import Outcome as IngestOutcome
from socialcare.model.automation import Purpose, automated_entry_id
from socialcare.model.case import Case, CaseStatus, EntryKind
from socialcare.model.events import (
    Channel,
    Customer,
    DeliveryState,
    EventKind,
    ParsedDelivery,
    PlatformEvent,
)
from socialcare.model.outbound import OutboundRequest, ReplyMode
from socialcare.model.sending import PartRecord, SendState
from socialcare.outbound.backoff import Backoff
from socialcare.outbound.clients import ReplyApiUrls, reply_clients
from socialcare.outbound.http import HttpRequest, HttpResponse
from socialcare.outbound.sender import OutboundSender, Outcome, SenderSettings

from tests.bench.ddb_cost import DynamoDBCalls, write_units
from tests.conftest import AwsResources
from tests.event_support import message_event, platform_event
from tests.outbound_support import (
    ANSWER_LOST,
    CREDENTIALS,
    NOT_SENT,
    PAGE,
    WA_PHONE,
    X_BRAND,
    FakeTransport,
    fb_comment_event,
    messenger_event,
    meta_error,
    meta_sent,
    pending_entry,
    reply_request,
    response,
    store_pending_reply,
    whatsapp_sent,
    x_dm_sent,
)
from tests.table_support import unmatched

pytestmark = pytest.mark.integration

T0 = 1_767_225_600_000
MINUTE = 60_000
HOUR = 3_600_000
GRAPH = "https://graph.example.test/v21.0"


class CrashingOutboundStore(OutboundStore):
    """The function dies right after the platform accepted a reply, before anything is recorded."""

    def record(self, part: PartRecord) -> None:
        raise RuntimeError("function instance died")


@dataclass
class World:
    aws: AwsResources
    store: CaseStore
    outbound: OutboundStore
    ingestor: Ingestor
    clock: ManualClock
    transport: FakeTransport
    credential_calls: list[int]

    def sender(
        self, *, outbound: OutboundStore | None = None, max_receives: int = 8, credentials: Any = None
    ) -> OutboundSender:
        def load_credentials() -> Any:
            self.credential_calls.append(1)
            return CREDENTIALS

        return OutboundSender(
            cases=self.store,
            outbound=outbound or self.outbound,
            clients=reply_clients(ReplyApiUrls(GRAPH, "https://x.example.test", "https://tg.example.test")),
            transport=self.transport,
            credentials=credentials or load_credentials,
            clock=self.clock,
            settings=SenderSettings(
                max_receives=max_receives, backoff=Backoff(base_s=2, max_s=900, jitter=lambda: 0.0)
            ),
        )

    def ingest(self, *events: PlatformEvent) -> dict[str, int]:
        return dict(self.ingestor.ingest(ParsedDelivery(events[0].platform, events)).outcomes)

    def case_of(self, account: str, user: str) -> Case:
        case = self.store.current_case(account, [user]).case
        assert case is not None
        return case

    def reply(self, case: Case, channel: Channel, recipient: str, **kw: Any) -> OutboundRequest:
        return store_pending_reply(
            self.aws.dynamodb,
            self.aws.table_name,
            case,
            now_ms=self.clock(),
            channel=channel,
            recipient_id=recipient,
            **kw,
        )

    def entry(self, request: OutboundRequest) -> Any:
        found = self.outbound.get(MessageRef(request.case_id, request.entry_id))
        assert found is not None
        return found


@pytest.fixture
def world(aws: AwsResources) -> World:
    store = CaseStore(aws.table_name, client=aws.dynamodb)
    clock = ManualClock(T0)
    return World(
        aws,
        store,
        OutboundStore(aws.table_name, client=aws.dynamodb),
        Ingestor(store, clock=clock),
        clock,
        FakeTransport(),
        [],
    )


messenger = partial(messenger_event, PAGE)
fb_comment = partial(fb_comment_event, PAGE)


def whatsapp(wa_id: str, wamid: str, ts: int) -> PlatformEvent:
    return message_event(Channel.WHATSAPP, WA_PHONE, wamid, ts, customer=Customer(wa_id), text="hello")


def messenger_case(world: World, psid: str = "psid-ann") -> Case:
    world.ingest(messenger(psid, "m_in1", T0))
    world.clock.advance(minutes=5)
    return world.case_of(PAGE, psid)


def messenger_reply(world: World) -> tuple[Case, OutboundRequest]:
    """Ann wrote on Messenger; the agent's reply to her is stored PENDING (not yet sent)."""
    case = messenger_case(world)
    return case, world.reply(case, Channel.MESSENGER, "psid-ann")


def secrets_unavailable() -> Any:
    raise ConnectionError("Secrets Manager unreachable")


# --- the happy path ---------------------------------------------------------------------------
def test_a_reply_is_sent_recorded_and_stops_the_response_clock(world: World) -> None:
    case = messenger_case(world)
    assert case.awaiting_reply_since_ms == T0
    request = world.reply(case, Channel.MESSENGER, "psid-ann")
    world.transport.script(meta_sent("m_out1", "psid-ann"))

    report = world.sender().deliver(request)

    assert (report.outcome, report.platform_message_ids) == (Outcome.SENT, ("m_out1",))
    [call] = world.transport.requests
    assert call.json()["recipient"] == {"id": "psid-ann"}
    stored = world.entry(request)
    assert (stored.entry.delivery_state, stored.entry.platform_message_id, stored.send_state) == (
        DeliveryState.SENT,
        "m_out1",
        SendState.SENT,
    )
    assert stored.entry.delivery_state_at_ms == world.clock()
    assert stored.entry.delivery_error is None
    assert world.store.find_message("meta", PAGE, "m_out1") == MessageRef(case.case_id, request.entry_id)
    after = world.store.get_case(case.case_id)
    assert after.first_response_at_ms == world.clock()
    assert (after.awaiting_reply_since_ms, after.response_due_at_ms) == (None, None)
    assert after.message_count == 2
    assert world.case_of(PAGE, "psid-ann") == after  # the customer's current-case copy agrees


def test_a_reply_costs_four_dynamodb_requests_and_reads_its_case_once(world: World) -> None:
    """The entry, the case (for the window, and what the record is conditioned on), the claim, the record."""
    case, request = messenger_reply(world)
    world.transport.script(meta_sent("m_out1", "psid-ann"))
    calls = DynamoDBCalls.installed()
    calls.recording = True
    try:
        assert world.sender().deliver(request).outcome is Outcome.SENT
    finally:
        calls.recording = False
    made = calls.take()
    assert [operation for operation, _ in made] == ["GetItem", "GetItem", "UpdateItem", "TransactWriteItems"]
    # Write units: the claim (1) and the record's entry, index item, case and the customer's copy (2 each).
    assert sum(write_units(operation, params) for operation, params in made) == 9
    assert world.store.get_case(case.case_id).first_response_at_ms == world.clock()


def test_the_platform_echo_of_a_sent_reply_is_a_duplicate_not_a_customer_message(world: World) -> None:
    case, request = messenger_reply(world)
    world.transport.script(meta_sent("m_out1", "psid-ann"))
    world.sender().deliver(request)
    before = world.store.get_case(case.case_id)

    outcome = world.ingest(messenger("psid-ann", "m_out1", world.clock(), kind=EventKind.ECHO, text=request.text))

    assert outcome == {IngestOutcome.DUPLICATE: 1}
    assert world.store.get_case(case.case_id) == before
    assert [e.kind for e in world.store.thread(case.case_id)] == [EntryKind.INBOUND, EntryKind.OUTBOUND]


def test_whatsapp_statuses_find_the_sent_reply(world: World) -> None:
    world.ingest(whatsapp("16505551234", "wamid.in1", T0))
    case = world.case_of(WA_PHONE, "16505551234")
    request = world.reply(case, Channel.WHATSAPP, "16505551234", reply_to_id="wamid.in1")
    world.transport.script(whatsapp_sent("wamid.out1"))
    world.sender().deliver(request)
    assert world.transport.bodies[0]["context"] == {"message_id": "wamid.in1"}

    status = platform_event(
        Channel.WHATSAPP,
        WA_PHONE,
        EventKind.STATUS,
        "wamid.out1#delivered",
        world.clock() + 1000,
        customer=Customer("16505551234"),
        message_id="wamid.out1",
        status=DeliveryState.DELIVERED,
    )
    assert world.ingest(status) == {IngestOutcome.APPLIED: 1}
    assert world.entry(request).entry.delivery_state is DeliveryState.DELIVERED


# --- never twice --------------------------------------------------------------------------------
def test_a_duplicate_queue_message_sends_nothing_more(world: World) -> None:
    case, request = messenger_reply(world)
    world.transport.script(meta_sent("m_out1"))
    sender = world.sender()
    assert sender.deliver(request).outcome is Outcome.SENT
    again = sender.deliver(request, receive_count=2)
    assert again.outcome is Outcome.ALREADY_DONE
    assert len(world.transport.requests) == 1
    assert world.store.get_case(case.case_id).message_count == 2


def test_a_crash_after_the_platform_accepted_never_sends_again_and_says_delivery_is_uncertain(world: World) -> None:
    _, request = messenger_reply(world)
    world.transport.script(meta_sent("m_out1"))
    crashing = world.sender(outbound=CrashingOutboundStore(world.aws.table_name, client=world.aws.dynamodb))
    with pytest.raises(RuntimeError, match="died"):
        crashing.deliver(request)
    assert world.entry(request).entry.delivery_state is DeliveryState.SENDING

    # SQS delivers it again while the claim is still within its lease: nothing is sent.
    world.clock.advance(seconds=30)
    with pytest.raises(RetryLater) as wait:
        world.sender().deliver(request, receive_count=2)
    assert wait.value.delay_s == 61  # until the 90 s lease is over, and a second

    # After the lease the claimant is certainly gone: the reply is failed as uncertain, not resent.
    world.clock.advance(seconds=61)
    report = world.sender().deliver(request, receive_count=3)
    assert report.outcome is Outcome.FAILED
    assert len(world.transport.requests) == 1
    stored = world.entry(request)
    assert stored.entry.delivery_state is DeliveryState.FAILED
    assert stored.uncertain
    assert "delivery uncertain" in (stored.entry.delivery_error or "")
    assert "check the conversation" in (stored.entry.delivery_error or "")
    assert world.sender().deliver(request, receive_count=4).outcome is Outcome.ALREADY_DONE
    assert len(world.transport.requests) == 1


def test_a_crash_before_sending_leaves_the_reply_pending_and_the_retry_sends_it_once(world: World) -> None:
    _, request = messenger_reply(world)

    with pytest.raises(ConnectionError):
        world.sender(credentials=secrets_unavailable).deliver(request)
    assert world.entry(request).entry.delivery_state is DeliveryState.PENDING
    assert world.transport.requests == []

    world.transport.script(meta_sent("m_out1"))
    assert world.sender().deliver(request, receive_count=2).outcome is Outcome.SENT
    assert len(world.transport.requests) == 1


def test_an_error_on_the_last_receive_leaves_the_reply_failed_not_pending(world: World) -> None:
    _, request = messenger_reply(world)

    with pytest.raises(ConnectionError):
        world.sender(credentials=secrets_unavailable, max_receives=3).deliver(request, receive_count=3)
    stored = world.entry(request)
    assert (stored.entry.delivery_state, stored.send_state) == (DeliveryState.FAILED, SendState.GAVE_UP)
    assert stored.entry.delivery_error == (
        "not delivered after 3 attempts; the last one failed (ConnectionError). The reply was moved to the dead-letter queue"
    )
    assert world.transport.requests == []


def test_a_request_that_never_reached_the_platform_is_retried(world: World) -> None:
    _, request = messenger_reply(world)
    world.transport.script(NOT_SENT, meta_sent("m_out1"))
    with pytest.raises(RetryLater, match="could not reach"):
        world.sender().deliver(request)
    assert world.entry(request).send_state is SendState.WAITING
    assert world.sender().deliver(request, receive_count=2).outcome is Outcome.SENT
    assert len(world.transport.requests) == 2


def test_a_lost_answer_is_failed_as_uncertain_and_never_retried(world: World) -> None:
    _, request = messenger_reply(world)
    world.transport.script(ANSWER_LOST)
    report = world.sender().deliver(request)
    assert report.outcome is Outcome.FAILED
    stored = world.entry(request)
    assert stored.uncertain
    assert "did not answer" in (stored.entry.delivery_error or "")
    assert world.sender().deliver(request, receive_count=2).outcome is Outcome.ALREADY_DONE
    assert len(world.transport.requests) == 1


def test_on_the_last_receive_an_in_flight_claim_is_marked_uncertain_and_the_claimant_still_wins(world: World) -> None:
    _, request = messenger_reply(world)
    late: list[Any] = []

    def slow_platform(http: HttpRequest) -> HttpResponse:
        # While the first invocation waits for the platform, the queue's last delivery of a
        # duplicate message arrives and finds the claim.
        late.append(world.sender(max_receives=2).deliver(request, receive_count=2))
        return meta_sent("m_out1")

    world.transport.script(slow_platform)
    report = world.sender().deliver(request)

    assert late[0].outcome is Outcome.FAILED
    assert report.outcome is Outcome.SENT
    stored = world.entry(request)
    assert (stored.entry.delivery_state, stored.uncertain, stored.entry.delivery_error) == (
        DeliveryState.SENT,
        False,
        None,
    )
    assert len(world.transport.requests) == 1


# --- retries and failures ---------------------------------------------------------------------
def test_throttling_then_success(world: World) -> None:
    _, request = messenger_reply(world)
    world.transport.script(meta_error(613, "Calls to this api have exceeded the rate limit."), meta_sent("m_out1"))

    with pytest.raises(RetryLater) as retry:
        world.sender().deliver(request, receive_count=1)
    assert retry.value.delay_s == 1
    waiting = world.entry(request)
    assert (waiting.send_state, waiting.entry.delivery_state) == (SendState.WAITING, DeliveryState.PENDING)
    assert "rate limited by Meta (code 613)" in (waiting.entry.delivery_error or "")
    assert "retrying in 1 s" in (waiting.entry.delivery_error or "")

    world.clock.advance(seconds=1)
    assert world.sender().deliver(request, receive_count=2).outcome is Outcome.SENT
    assert len(world.transport.requests) == 2
    stored = world.entry(request)
    assert (stored.entry.delivery_state, stored.entry.delivery_error, stored.attempts) == (DeliveryState.SENT, None, 2)


def test_server_errors_are_retried_with_growing_delays(world: World) -> None:
    _, request = messenger_reply(world)
    world.transport.script(
        meta_error(2, "An unexpected error has occurred.", status=500),
        HttpResponse(503, {}, b"<html>unavailable</html>"),
        meta_error(1, "An unknown error occurred", status=500),
        meta_sent("m_out1"),
    )
    delays = []
    for receive in (1, 2, 3):
        with pytest.raises(RetryLater) as retry:
            world.sender().deliver(request, receive_count=receive)
        delays.append(retry.value.delay_s)
    assert delays == [1, 2, 4]
    assert world.sender().deliver(request, receive_count=4).outcome is Outcome.SENT
    assert len(world.transport.requests) == 4


def test_x_throttling_waits_for_the_rate_limit_reset(world: World) -> None:
    dm = message_event(Channel.X_DM, X_BRAND, "dm1", T0, customer=Customer("125505243"), text="hi")
    world.ingest(dm)
    case = world.case_of(X_BRAND, "125505243")
    request = world.reply(case, Channel.X_DM, "125505243")
    reset = world.clock() // 1000 + 300
    world.transport.script(
        response(429, {"title": "Too Many Requests"}, x_rate_limit_reset=str(reset)), x_dm_sent("ev9")
    )
    with pytest.raises(RetryLater) as retry:
        world.sender().deliver(request)
    assert retry.value.delay_s == 301
    world.clock.advance(seconds=301)
    assert world.sender().deliver(request, receive_count=2).platform_message_ids == ("ev9",)


def test_a_platform_refusal_is_recorded_on_the_entry_and_never_retried(world: World) -> None:
    case, request = messenger_reply(world)
    world.transport.script(meta_error(100, "No matching user found", subcode=2018001))
    report = world.sender().deliver(request)
    assert report.outcome is Outcome.FAILED
    [entry] = [e for e in world.store.thread(case.case_id) if e.kind is EntryKind.OUTBOUND]
    assert entry.delivery_state is DeliveryState.FAILED
    assert entry.delivery_error == "Meta refused it (error 100/2018001): No matching user found"
    assert world.sender().deliver(request, receive_count=2).outcome is Outcome.ALREADY_DONE
    assert len(world.transport.requests) == 1
    unanswered = world.store.get_case(case.case_id)
    assert (unanswered.first_response_at_ms, unanswered.awaiting_reply_since_ms) == (None, T0)


def test_on_the_last_receive_a_retryable_failure_gives_up_visibly(world: World) -> None:
    _, request = messenger_reply(world)
    world.transport.default = meta_error(613, "rate limit")
    for receive in (1, 2):
        with pytest.raises(RetryLater):
            world.sender(max_receives=3).deliver(request, receive_count=receive)
    with pytest.raises(RetryLater) as last:
        world.sender(max_receives=3).deliver(request, receive_count=3)
    assert last.value.delay_s == 0
    stored = world.entry(request)
    assert (stored.entry.delivery_state, stored.send_state) == (DeliveryState.FAILED, SendState.GAVE_UP)
    assert "not delivered after 3 attempts" in (stored.entry.delivery_error or "")
    assert "dead-letter queue" in (stored.entry.delivery_error or "")
    # An operator who redrives the message from the DLQ gets the reply sent after all.
    world.transport.default = None
    world.transport.script(meta_sent("m_late"))
    assert world.sender().deliver(request, receive_count=1).outcome is Outcome.SENT


# --- the messaging window, re-checked at send time ---------------------------------------------
def test_a_reply_whose_window_closed_while_queued_is_failed_with_the_reason(world: World) -> None:
    _, request = messenger_reply(world)
    world.clock.advance(hours=25)
    report = world.sender().deliver(request)
    assert report.outcome is Outcome.FAILED
    assert "HUMAN_AGENT" in (report.reason or "")
    assert world.transport.requests == []
    assert world.entry(request).entry.delivery_error == report.reason


def test_with_the_human_agent_permission_the_late_reply_goes_out_tagged(world: World) -> None:
    case = messenger_case(world)
    request = world.reply(case, Channel.MESSENGER, "psid-ann", tag="HUMAN_AGENT")
    world.transport.script(meta_sent("m_out1"))
    world.sender().deliver(request)
    assert world.transport.bodies[0]["messaging_type"] == "RESPONSE"  # still inside 24 h: no tag needed

    later = world.reply(case, Channel.MESSENGER, "psid-ann", tag="HUMAN_AGENT")
    world.clock.advance(hours=30)
    world.transport.script(meta_sent("m_out2"))
    assert world.sender().deliver(later).outcome is Outcome.SENT
    assert world.transport.bodies[1]["messaging_type"] == "MESSAGE_TAG"
    assert world.transport.bodies[1]["tag"] == "HUMAN_AGENT"


def test_whatsapp_after_24_hours_needs_a_template(world: World) -> None:
    world.ingest(whatsapp("16505551234", "wamid.in1", T0))
    case = world.case_of(WA_PHONE, "16505551234")
    world.clock.advance(hours=26)
    free_form = world.reply(case, Channel.WHATSAPP, "16505551234")
    report = world.sender().deliver(free_form)
    assert report.outcome is Outcome.FAILED
    assert "approved template" in (report.reason or "")

    template = {"name": "order_update", "language": {"code": "en_US"}}
    templated = world.reply(case, Channel.WHATSAPP, "16505551234", template=template)
    world.transport.script(whatsapp_sent("wamid.t1"))
    assert world.sender().deliver(templated).outcome is Outcome.SENT
    assert world.transport.bodies == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "template",
            "template": template,
        }
    ]


def test_a_private_reply_to_a_comment_older_than_7_days_is_refused(world: World) -> None:
    world.ingest(fb_comment("fb-user-ann", f"{PAGE}_1_10", T0))
    case = world.case_of(PAGE, "fb-user-ann")
    world.clock.advance(hours=24 * 7 + 1)
    request = world.reply(
        case,
        Channel.FACEBOOK_COMMENT,
        "fb-user-ann",
        mode=ReplyMode.PRIVATE_REPLY_TO_COMMENT,
        reply_to_id=f"{PAGE}_1_10",
    )
    report = world.sender().deliver(request)
    assert report.outcome is Outcome.FAILED
    assert "7 days" in (report.reason or "")
    assert world.transport.requests == []


def test_a_reply_to_a_case_that_no_longer_exists_fails_visibly(world: World) -> None:
    case = messenger_case(world)
    ghost = replace(case, case_id="GONE")
    request = world.reply(ghost, Channel.MESSENGER, "psid-ann")
    with pytest.raises(CaseNotFound):
        world.store.get_case("GONE")
    assert world.sender().deliver(request).outcome is Outcome.FAILED
    assert "no case GONE" in (world.entry(request).entry.delivery_error or "")


def test_a_queue_message_for_an_unknown_entry_does_nothing(world: World) -> None:
    case = messenger_case(world)
    request = replace(world.reply(case, Channel.MESSENGER, "psid-ann"), entry_id="0000000000000#out-NOPE")
    assert world.sender().deliver(request).outcome is Outcome.MISSING
    assert world.transport.requests == []


# --- several parts: text, then attachments -----------------------------------------------------
def test_attachments_resume_after_throttling_without_resending_what_went_out(world: World) -> None:
    case = messenger_case(world)
    attachments = [("image", "https://cdn.example.com/a.png"), ("file", "https://cdn.example.com/b.pdf")]
    request = world.reply(case, Channel.MESSENGER, "psid-ann", attachments=attachments)
    world.transport.script(meta_sent("m_text"), meta_error(613, "rate limit"), meta_sent("m_a"), meta_sent("m_b"))

    with pytest.raises(RetryLater):
        world.sender().deliver(request)
    partial = world.entry(request)
    assert (partial.parts_sent, partial.platform_message_ids) == (1, ("m_text",))
    assert world.store.get_case(case.case_id).first_response_at_ms == world.clock()  # the customer has an answer

    world.clock.advance(seconds=2)
    report = world.sender().deliver(request, receive_count=2)
    assert report.platform_message_ids == ("m_text", "m_a", "m_b")
    messages = [b["message"] for b in world.transport.bodies]
    assert messages[0] == {"text": request.text, "metadata": f"socialcare:{request.entry_id}"}
    assert [m.get("attachment", {}).get("payload", {}).get("url") for m in messages[1:]] == [
        "https://cdn.example.com/a.png",
        "https://cdn.example.com/a.png",
        "https://cdn.example.com/b.pdf",
    ]
    for mid in ("m_text", "m_a", "m_b"):
        assert world.store.find_message("meta", PAGE, mid) == MessageRef(case.case_id, request.entry_id)
    after = world.store.get_case(case.case_id)
    assert after.message_count == 2  # one reply, however many platform messages it took
    assert world.entry(request).entry.delivery_state is DeliveryState.SENT


def test_an_attachment_refused_after_the_text_went_out_is_a_visible_partial_failure(world: World) -> None:
    case = messenger_case(world)
    request = world.reply(
        case, Channel.MESSENGER, "psid-ann", attachments=[("image", "https://cdn.example.com/huge.png")]
    )
    world.transport.script(meta_sent("m_text"), meta_error(100, "Attachment size exceeds limit"))
    report = world.sender().deliver(request)
    assert report.outcome is Outcome.FAILED
    assert (
        report.reason
        == "attachment 1 of 1 was refused after the parts before it were delivered: Meta refused it (error 100): Attachment size exceeds limit"
    )
    assert world.store.find_message("meta", PAGE, "m_text") is not None
    assert world.store.get_case(case.case_id).first_response_at_ms is not None


# --- echoes that arrive first ---------------------------------------------------------------------
def test_an_echo_stored_before_the_reply_was_recorded_is_merged_into_the_reply(world: World) -> None:
    case, request = messenger_reply(world)

    def platform_with_fast_echo(http: HttpRequest) -> HttpResponse:
        # The platform's echo webhook is ingested before the sender records the send.
        assert world.ingest(messenger("psid-ann", "m_out1", world.clock(), kind=EventKind.ECHO)) == {
            IngestOutcome.STORED: 1
        }
        return meta_sent("m_out1")

    world.transport.script(platform_with_fast_echo)
    assert world.sender().deliver(request).outcome is Outcome.SENT
    assert_the_one_reply_answered(world, case, request, "m_out1")


def assert_the_one_reply_answered(world: World, case: Case, request: OutboundRequest, message_id: str) -> None:
    """The thread holds the reply once, sent and indexed under its platform id, and it answered the case."""
    outbound = [e for e in world.store.thread(case.case_id) if e.kind is EntryKind.OUTBOUND]
    assert [(e.entry_id, e.author, e.delivery_state) for e in outbound] == [
        (request.entry_id, "alice", DeliveryState.SENT)
    ]
    assert world.store.find_message("meta", PAGE, message_id) == MessageRef(case.case_id, request.entry_id)
    after = world.store.get_case(case.case_id)
    assert (after.message_count, after.first_response_at_ms) == (2, world.clock())


def fast_tagged_echo(world: World, message_id: str) -> Any:
    """A platform whose echo, carrying the metadata the sender attached, is ingested before the
    sender records the send (Meta's echo webhook can beat the Send API's answer)."""

    def platform(http: HttpRequest) -> HttpResponse:
        assert http.body is not None
        tag = json.loads(http.body)["message"]["metadata"]
        echo = replace(messenger("psid-ann", message_id, world.clock(), kind=EventKind.ECHO), echo_tag=tag)
        calls = DynamoDBCalls.installed()
        calls.recording = True
        try:
            assert world.ingest(echo) == {IngestOutcome.DUPLICATE: 1}
        finally:
            calls.recording = False
        assert calls.take() == []  # known by its tag alone: no read, no refused write
        return meta_sent(message_id)

    return platform


def test_a_tagged_echo_arriving_first_leaves_the_reply_to_its_sender_and_answers_once(world: World) -> None:
    case, request = messenger_reply(world)
    world.transport.script(fast_tagged_echo(world, "m_out1"))
    assert world.sender().deliver(request).outcome is Outcome.SENT
    assert_the_one_reply_answered(world, case, request, "m_out1")


def store_acknowledgement(world: World, case: Case, channel: Channel, recipient: str) -> OutboundRequest:
    """The case's acknowledgement, stored PENDING under the id the automation derives from the case."""
    request = reply_request(
        channel,
        case_id=case.case_id,
        entry_id=automated_entry_id(Purpose.ACKNOWLEDGEMENT, case.created_at_ms),
        account_id=PAGE,
        recipient_id=recipient,
        text="Thanks for your message! We reply within the hour.",
    )
    ack = replace(
        pending_entry(request, now_ms=world.clock(), agent="automation"), extra={"automated": "acknowledgement"}
    )
    world.aws.dynamodb.put_item(TableName=world.aws.table_name, Item=entry_item(ack))
    return request


def test_the_echo_of_an_automated_acknowledgement_arriving_first_answers_nobody(world: World) -> None:
    case = messenger_case(world)
    request = store_acknowledgement(world, case, Channel.MESSENGER, "psid-ann")
    world.transport.script(fast_tagged_echo(world, "m_ack1"))
    assert world.sender().deliver(request).outcome is Outcome.SENT

    after = world.store.get_case(case.case_id)
    assert (after.first_response_at_ms, after.awaiting_reply_since_ms) == (None, T0)
    assert after.response_due_at_ms == case.response_due_at_ms
    assert world.entry(request).entry.delivery_state is DeliveryState.SENT
    assert world.store.find_message("meta", PAGE, "m_ack1") == MessageRef(case.case_id, request.entry_id)


def instagram_case_with_acknowledgement(world: World) -> tuple[Case, OutboundRequest]:
    """Bo wrote on Instagram; the case's acknowledgement is stored PENDING (its id derived from the case)."""
    world.ingest(message_event(Channel.INSTAGRAM_DM, PAGE, "ig_in1", world.clock(), customer=Customer("igsid-bo")))
    case = world.case_of(PAGE, "igsid-bo")
    return case, store_acknowledgement(world, case, Channel.INSTAGRAM_DM, "igsid-bo")


def instagram_echo(world: World, message_id: str, *, attempt: int) -> dict[str, int]:
    """Instagram's echo of a message sent to Bo (no tag: Instagram documents none), ingested at ``attempt``."""
    echo = message_event(
        Channel.INSTAGRAM_DM, PAGE, message_id, world.clock(), kind=EventKind.ECHO, customer=Customer("igsid-bo")
    )
    return dict(world.ingestor.ingest(ParsedDelivery(echo.platform, (echo,)), attempt=attempt).outcomes)


def test_an_untagged_echo_waits_while_the_acknowledgement_is_in_flight_then_is_its_duplicate(world: World) -> None:
    case, request = instagram_case_with_acknowledgement(world)

    def platform_with_fast_echo(http: HttpRequest) -> HttpResponse:
        assert instagram_echo(world, "ig_ack1", attempt=1) == {IngestOutcome.WAITING: 1}
        return meta_sent("ig_ack1")

    world.transport.script(platform_with_fast_echo)
    assert world.sender().deliver(request).outcome is Outcome.SENT
    assert instagram_echo(world, "ig_ack1", attempt=2) == {IngestOutcome.DUPLICATE: 1}
    after = world.store.get_case(case.case_id)
    assert (after.first_response_at_ms, after.awaiting_reply_since_ms) == (None, case.awaiting_reply_since_ms)


def test_an_untagged_echo_whose_acknowledgement_never_goes_out_answers_after_its_waits(world: World) -> None:
    case, _ = instagram_case_with_acknowledgement(world)  # stays PENDING: its sender never runs
    last = c.INGEST_TARGET_ATTEMPTS
    assert instagram_echo(world, "ig_typed1", attempt=last - 1) == {IngestOutcome.WAITING: 1}
    assert instagram_echo(world, "ig_typed1", attempt=last) == {IngestOutcome.STORED: 1}
    assert world.store.get_case(case.case_id).first_response_at_ms is not None


def test_an_untagged_echo_with_no_acknowledgement_in_flight_answers_at_once(world: World) -> None:
    world.ingest(message_event(Channel.INSTAGRAM_DM, PAGE, "ig_in1", world.clock(), customer=Customer("igsid-bo")))
    case = world.case_of(PAGE, "igsid-bo")
    assert instagram_echo(world, "ig_typed1", attempt=1) == {IngestOutcome.STORED: 1}
    assert world.store.get_case(case.case_id).first_response_at_ms is not None


def test_a_messenger_reply_carries_this_systems_echo_tag_and_an_instagram_one_none(world: World) -> None:
    _, request = messenger_reply(world)
    world.transport.script(meta_sent("m_out1"))
    world.sender().deliver(request)
    [sent] = world.transport.requests
    assert json.loads(sent.body or b"")["message"]["metadata"] == f"socialcare:{request.entry_id}"
    world.ingest(message_event(Channel.INSTAGRAM_DM, PAGE, "ig_in1", world.clock(), customer=Customer("igsid-bo")))
    ig_case = world.case_of(PAGE, "igsid-bo")
    ig_request = world.reply(ig_case, Channel.INSTAGRAM_DM, "igsid-bo")
    world.transport.script(meta_sent("ig_out1"))
    world.sender().deliver(ig_request)
    assert "metadata" not in json.loads(world.transport.requests[-1].body or b"")["message"]


def test_the_echo_of_a_public_reply_is_recognised_although_it_names_no_customer(world: World) -> None:
    world.ingest(fb_comment("fb-user-ann", f"{PAGE}_1_10", T0))
    case = world.case_of(PAGE, "fb-user-ann")
    request = world.reply(case, Channel.FACEBOOK_COMMENT, "fb-user-ann", reply_to_id=f"{PAGE}_1_10")
    world.transport.script(response(200, {"id": f"{PAGE}_1_11"}))
    world.sender().deliver(request)
    assert world.transport.requests[0].url == f"{GRAPH}/{PAGE}_1_10/comments"

    echo = message_event(
        Channel.FACEBOOK_COMMENT,
        PAGE,
        f"{PAGE}_1_11",
        world.clock(),
        kind=EventKind.ECHO,
        customer=Customer(f"unknown:{PAGE}_1_11"),
        reply_to_id=f"{PAGE}_1_10",
    )
    assert world.ingest(echo) == {IngestOutcome.DUPLICATE: 1}
    day = "2026-01-01"
    assert unmatched(world.aws.dynamodb, world.aws.table_name, "meta", day) == []


# --- move to private -----------------------------------------------------------------------------
def private_reply(world: World, case: Case, comment_id: str) -> OutboundRequest:
    return world.reply(
        case, Channel.FACEBOOK_COMMENT, "fb-user-ann", mode=ReplyMode.PRIVATE_REPLY_TO_COMMENT, reply_to_id=comment_id
    )


def test_after_a_private_reply_the_customers_messenger_answer_lands_in_the_same_case(world: World) -> None:
    world.ingest(fb_comment("fb-user-ann", f"{PAGE}_1_10", T0))
    case = world.case_of(PAGE, "fb-user-ann")
    request = private_reply(world, case, f"{PAGE}_1_10")
    world.transport.script(meta_sent("m_priv1", "psid-of-ann"))
    assert world.sender().deliver(request).outcome is Outcome.SENT
    assert world.transport.bodies[0]["recipient"] == {"comment_id": f"{PAGE}_1_10"}

    linked = world.store.get_case(case.case_id)
    assert "psid-of-ann" in linked.customer.all_ids
    assert world.entry(request).entry.delivery_state is DeliveryState.SENT
    # The echo of the private reply (a Messenger echo to the PSID) is a duplicate.
    assert world.ingest(messenger("psid-of-ann", "m_priv1", world.clock(), kind=EventKind.ECHO)) == {
        IngestOutcome.DUPLICATE: 1
    }

    world.clock.advance(minutes=3)
    assert world.ingest(messenger("psid-of-ann", "m_dm1", world.clock(), text="my order is 123")) == {
        IngestOutcome.STORED: 1
    }
    cases = world.store.cases_of_customer(PAGE, "psid-of-ann") + world.store.cases_of_customer(PAGE, "fb-user-ann")
    assert {c.case_id for c in cases} == {case.case_id}
    final = world.store.get_case(case.case_id)
    assert final.channels == {Channel.FACEBOOK_COMMENT, Channel.MESSENGER}
    assert [e.platform_message_id for e in world.store.thread(case.case_id)] == [f"{PAGE}_1_10", "m_priv1", "m_dm1"]
    assert final.awaiting_reply_since_ms == world.clock()  # the DM awaits an answer in the same case


def test_a_private_reply_does_not_take_over_an_open_messenger_case(world: World) -> None:
    world.ingest(messenger("psid-of-ann", "m_old", T0))
    messenger_case_id = world.case_of(PAGE, "psid-of-ann").case_id
    world.ingest(fb_comment("fb-user-ann", f"{PAGE}_1_10", T0 + MINUTE))
    comment_case = world.case_of(PAGE, "fb-user-ann")
    world.transport.script(meta_sent("m_priv1", "psid-of-ann"))
    assert world.sender().deliver(private_reply(world, comment_case, f"{PAGE}_1_10")).outcome is Outcome.SENT
    assert "psid-of-ann" not in world.store.get_case(comment_case.case_id).customer.all_ids
    assert world.case_of(PAGE, "psid-of-ann").case_id == messenger_case_id


def test_a_private_reply_supersedes_a_resolved_messenger_case(world: World) -> None:
    world.ingest(messenger("psid-of-ann", "m_old", T0))
    old = world.case_of(PAGE, "psid-of-ann")
    world.store.save_case(old, old.with_status(CaseStatus.RESOLVED, T0 + MINUTE) | _bump)
    world.ingest(fb_comment("fb-user-ann", f"{PAGE}_1_10", T0 + 2 * MINUTE))
    comment_case = world.case_of(PAGE, "fb-user-ann")
    assert comment_case.case_id != old.case_id
    world.transport.script(meta_sent("m_priv1", "psid-of-ann"))
    assert world.sender().deliver(private_reply(world, comment_case, f"{PAGE}_1_10")).outcome is Outcome.SENT
    assert world.case_of(PAGE, "psid-of-ann").case_id == comment_case.case_id
    assert world.store.get_case(old.case_id).superseded_by == comment_case.case_id


class _Bump:
    """``case | _bump``: the next version of a case (what an agent's save does)."""

    def __ror__(self, case: Case) -> Case:
        return replace(case, version=case.version + 1)


_bump = _Bump()
