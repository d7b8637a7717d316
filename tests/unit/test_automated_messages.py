"""The automated messages service on the in-memory twins, with the real outbound sender: what a
customer receives (or why nothing), never twice, never counted as the brand's answer, held in a crisis."""

from __future__ import annotations

import pytest
from socialcare.errors import MalformedTask
from socialcare.ingest.service import Ingestor
from socialcare.model.automation import automated_request
from socialcare.model.case import Case, CaseMark, CaseStatus
from socialcare.model.crisis import HeldState
from socialcare.model.events import Channel, DeliveryState
from socialcare.model.tasks import CaseTask, TaskKind
from socialcare.outbound.sender import Outcome
from socialcare.rules.windows import HUMAN_AGENT_TAG

from tests.automation_support import HOUR, MINUTE, T0, AutomationWorld
from tests.outbound_support import NOT_SENT, meta_sent, whatsapp_sent
from tests.sla_config_support import BERLIN

pytestmark = pytest.mark.unit

FRIDAY_EVENING = 1_767_978_000_000  # 2026-01-09T17:00:00Z: 18:00 in Berlin, the office closed for the weekend
MONDAY_10_BERLIN = 1_768_208_400_000  # 2026-01-12T09:00:00Z
BERLIN_POLICIES = {
    "policies": [
        {"name": "default", "calendar": "berlin-office", "match": {}, "targets_minutes": {"first_response": 60}}
    ]
}


@pytest.fixture
def world() -> AutomationWorld:
    return AutomationWorld()


# --- the acknowledgement ---------------------------------------------------------------------------
def test_no_acknowledgement_unless_the_brand_enabled_it(world: AutomationWorld) -> None:
    case = world.writes(Channel.MESSENGER)
    assert world.acknowledge(case) == "skipped: the brand has not enabled the acknowledgement"
    assert world.automated_entries(case.case_id) == []
    assert world.transport.requests == []


def test_a_new_dm_is_acknowledged_with_the_expected_reply_time_and_still_awaits_an_answer(
    world: AutomationWorld,
) -> None:
    world.acknowledgement_on(Channel.MESSENGER)
    case = world.writes(Channel.MESSENGER, "psid-ana")
    world.transport.script(meta_sent("m_ack", "psid-ana"))
    world.clock.advance(seconds=2)

    assert world.acknowledge(case) == "sent"

    [request] = world.transport.requests
    body = request.json()
    assert body["recipient"] == {"id": "psid-ana"}
    assert body["message"]["text"] == (
        "Thanks for your message! Our team is here now. You can expect our reply today by 13:00 UTC."
    )
    [entry] = world.automated_entries(case.case_id)
    assert (entry.author, entry.extra["automated"], entry.delivery_state) == (
        "automation",
        "acknowledgement",
        DeliveryState.SENT,
    )
    after = world.case(case.case_id)
    assert after == case  # not the brand's answer: still awaiting one, first response unset, clock running
    assert (after.awaiting_reply_since_ms, after.first_response_at_ms) == (T0, None)
    assert after.response_due_at_ms == T0 + 4 * HOUR


def test_a_redelivered_task_sends_once(world: AutomationWorld) -> None:
    world.acknowledgement_on(Channel.MESSENGER)
    case = world.writes(Channel.MESSENGER, "psid-ana")
    world.transport.script(meta_sent("m_ack", "psid-ana"))
    assert world.acknowledge(case) == "sent"
    assert world.acknowledge(case) == "already sent"
    assert len(world.transport.requests) == 1
    assert len(world.automated_entries(case.case_id)) == 1


def test_a_task_that_died_after_storing_sends_the_stored_message_when_it_runs_again(world: AutomationWorld) -> None:
    world.acknowledgement_on(Channel.MESSENGER)
    case = world.writes(Channel.MESSENGER, "psid-ana")
    world.transport.script(NOT_SENT, meta_sent("m_ack", "psid-ana"))
    with pytest.raises(Exception, match="could not reach the platform"):
        world.acknowledge(case)
    world.clock.advance(minutes=1)
    assert world.acknowledge(case) == "sent"
    assert world.transport.bodies[1]["message"]["text"].startswith("Thanks for your message!")
    assert len(world.automated_entries(case.case_id)) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"mark": CaseMark("spam", ("link flood",))}, "the case is marked spam"),
        ({"mark": CaseMark("troll", ("blocked",))}, "the case is marked troll"),
        ({"sensitive": frozenset({"bereavement"})}, "the case is sensitive"),
        ({"automated_messages_allowed": False}, "automated messages are off for this case (routing rule default)"),
        ({"first_response_at_ms": T0 + MINUTE, "awaiting_reply_since_ms": None}, "the brand has answered"),
        ({"status": CaseStatus.RESOLVED}, "the case is resolved"),
    ],
)
def test_no_acknowledgement_to_a_case_the_gate_refuses(
    world: AutomationWorld, change: dict[str, object], reason: str
) -> None:
    world.acknowledgement_on(Channel.MESSENGER)
    case = world.change(world.writes(Channel.MESSENGER), **change)
    assert world.acknowledge(case).startswith(f"skipped: {reason}")
    assert world.automated_entries(case.case_id) == []
    assert world.transport.requests == []


def test_no_acknowledgement_on_a_public_comment(world: AutomationWorld) -> None:
    world.acknowledgement_on(Channel.FACEBOOK_COMMENT)
    case = world.writes(Channel.FACEBOOK_COMMENT)
    assert world.acknowledge(case) == (
        "skipped: the customer wrote only in public; automated messages go to private channels only"
    )
    assert world.transport.requests == []


def test_no_acknowledgement_where_whatsapp_would_refuse_it(world: AutomationWorld) -> None:
    """A message that arrives a day late: outside the 24-hour window, only a template could go."""
    world.acknowledgement_on(Channel.WHATSAPP)
    case = world.writes(Channel.WHATSAPP, "34600111222", at_ms=T0 - 26 * HOUR)
    outcome = world.acknowledge(case)
    assert outcome.startswith("skipped: the platform would refuse it: the customer last wrote 26 h ago")
    assert outcome.endswith("no approved template is configured for this message")
    assert world.transport.requests == []


def test_a_missing_case_is_skipped(world: AutomationWorld) -> None:
    task = CaseTask(TaskKind.ACKNOWLEDGE, "01JGZ8Q5K2M3N4P5Q6R7S8T9V9")
    assert world.service.acknowledge(task) == "skipped: no such case"


def test_after_hours_the_acknowledgement_says_when_the_team_is_back(world: AutomationWorld) -> None:
    world.clock.now_ms = FRIDAY_EVENING
    world.sla(BERLIN, BERLIN_POLICIES)
    world.acknowledgement_on(Channel.MESSENGER)
    case = world.change(world.writes(Channel.MESSENGER, "psid-ana"), response_due_at_ms=MONDAY_10_BERLIN)
    world.transport.script(meta_sent("m_ack", "psid-ana"))
    assert world.acknowledge(case) == "sent"
    assert world.transport.bodies[0]["message"]["text"] == (
        "Thanks for your message! Our team is away right now and back Monday 09:00 CET. "
        "You can expect our reply Monday by 10:00 CET."
    )


def test_the_queue_position_is_counted_where_the_brand_shows_it(world: AutomationWorld) -> None:
    world.acknowledgement_on(
        Channel.MESSENGER,
        queue_position=True,
        text="Thanks, {customer_name}! Your place in our queue: {queue_position}.",
    )
    for number in range(3):
        world.writes(Channel.MESSENGER, f"earlier-{number}")
        world.clock.advance(seconds=1)
    case = world.writes(Channel.MESSENGER, "psid-ana")
    world.transport.script(meta_sent("m_ack", "psid-ana"))
    assert world.acknowledge(case) == "sent"
    assert world.transport.bodies[0]["message"]["text"] == "Thanks, Ana Lima! Your place in our queue: 4."


# --- crisis mode ----------------------------------------------------------------------------------------
def test_in_a_crisis_the_acknowledgement_is_held_not_sent(world: AutomationWorld) -> None:
    world.acknowledgement_on(Channel.MESSENGER)
    crisis = world.declare(scope={"accounts": [world.writes(Channel.MESSENGER, "someone").account_id]})
    case = world.writes(Channel.MESSENGER, "psid-ana")

    assert world.acknowledge(case) == f"held: crisis {crisis.crisis_id}"
    assert world.acknowledge(case) == "held: waiting for a person's decision"

    assert world.transport.requests == []
    [entry] = world.automated_entries(case.case_id)
    assert entry.delivery_state is DeliveryState.HELD
    [held] = world.automated.held.values()
    assert (held.crisis_id, held.case_id, held.entry_id, held.state) == (
        crisis.crisis_id,
        case.case_id,
        entry.entry_id,
        HeldState.HELD,
    )
    assert held.text == entry.text
    # the sender never sends a held message, whoever asks
    assert world.sender.deliver(automated_request(entry, case.account_id)).outcome is Outcome.HELD
    assert world.transport.requests == []


def test_a_crisis_out_of_scope_or_over_holds_nothing(world: AutomationWorld) -> None:
    world.acknowledgement_on(Channel.MESSENGER)
    world.declare(scope={"languages": ["fr"]})
    world.declare(ends_at="2026-01-01T10:00:00Z")
    world.clock.advance(hours=2)
    case = world.writes(Channel.MESSENGER, "psid-ana")
    assert case.language != "fr"
    world.transport.script(meta_sent("m_ack", "psid-ana"))
    assert world.acknowledge(case) == "sent"


# --- the nudge --------------------------------------------------------------------------------------------
def pending(world: AutomationWorld, channel: Channel, user: str, *, at_ms: int | None = None) -> tuple[Case, int]:
    case = world.writes(channel, user, at_ms=at_ms)
    since = world.clock.now_ms
    waiting = world.change(
        case,
        status=CaseStatus.PENDING_CUSTOMER,
        awaiting_reply_since_ms=None,
        response_due_at_ms=None,
        first_response_at_ms=since,
        last_outbound_at_ms=since,
    )
    return waiting, since


def test_a_case_waiting_for_the_customer_is_nudged_politely_and_still_waits(world: AutomationWorld) -> None:
    case, since = pending(world, Channel.MESSENGER, "psid-ana")
    world.clock.advance(hours=20)
    world.transport.script(meta_sent("m_nudge", "psid-ana"))
    assert world.nudge(case, since) == "sent"
    assert world.transport.bodies[0]["message"]["text"].startswith("Hi again! We're still here to help")
    assert world.case(case.case_id) == case
    assert world.nudge(case, since) == "already sent"


def test_no_nudge_once_the_customer_wrote_or_the_case_moved_on(world: AutomationWorld) -> None:
    case, since = pending(world, Channel.MESSENGER, "psid-ana")
    world.clock.advance(hours=1)
    world.writes(Channel.MESSENGER, "psid-ana", "Here is my order number")
    assert world.nudge(case, since).startswith("skipped: the case is open, no longer waiting")
    waiting = world.change(world.case(case.case_id), status=CaseStatus.PENDING_CUSTOMER)
    assert world.nudge(waiting, since) == "skipped: the customer wrote since the case began waiting for them"
    assert world.transport.requests == []


def test_a_nudge_after_24_hours_on_messenger_needs_the_human_agent_tag(world: AutomationWorld) -> None:
    case, since = pending(world, Channel.MESSENGER, "psid-ana")
    world.clock.advance(hours=30)
    assert "HUMAN_AGENT tag" in world.nudge(case, since)
    world.profile(Channel.MESSENGER, human_agent_tag=True)
    world.transport.script(meta_sent("m_nudge", "psid-ana"))
    assert world.nudge(case, since) == "sent"
    assert world.transport.bodies[0]["tag"] == HUMAN_AGENT_TAG


def test_a_nudge_after_24_hours_on_whatsapp_is_the_brands_approved_template_or_nothing(
    world: AutomationWorld,
) -> None:
    case, since = pending(world, Channel.WHATSAPP, "34600111222")
    world.clock.advance(hours=30)
    assert world.nudge(case, since).endswith("no approved template is configured for this message")
    world.profile(Channel.WHATSAPP, nudge={"whatsapp_template": {"name": "still_there", "language": "en"}})
    world.transport.script(whatsapp_sent("wamid.nudge"))
    assert world.nudge(case, since) == "sent"
    assert world.transport.bodies[0]["template"]["name"] == "still_there"
    [entry] = world.automated_entries(case.case_id)
    assert entry.text == "[WhatsApp template still_there (en)]"


def test_never_a_nudge_beyond_what_the_platform_allows(world: AutomationWorld) -> None:
    case, since = pending(world, Channel.MESSENGER, "psid-ana")
    world.profile(Channel.MESSENGER, human_agent_tag=True)
    world.clock.advance(hours=8 * 24)
    assert "allows no reply after 7 days" in world.nudge(case, since)
    assert world.transport.requests == []


def test_a_nudge_task_needs_an_instant(world: AutomationWorld) -> None:
    case, _ = pending(world, Channel.MESSENGER, "psid-ana")
    with pytest.raises(MalformedTask, match="not an instant"):
        world.nudge(case, "yesterday")


# --- ingest asks for the acknowledgement ----------------------------------------------------------------
class Tasks:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def send_json(self, body: str, *, case_id: str, channel: str) -> None:
        self.sent.append((body, case_id, channel))


def test_ingest_asks_for_one_acknowledgement_per_new_case(world: AutomationWorld) -> None:
    tasks = Tasks()
    world.ingestor = Ingestor(world.cases, clock=world.clock, tasks=tasks)
    first = world.writes(Channel.MESSENGER, "psid-ana")
    world.writes(Channel.MESSENGER, "psid-ana", "Any news?")
    world.writes(Channel.MESSENGER, "psid-ana", "Any news?")  # not even a duplicate asks again
    assert tasks.sent == [(CaseTask(TaskKind.ACKNOWLEDGE, first.case_id).to_json(), first.case_id, "messenger")]


def test_a_queue_that_cannot_take_the_task_does_not_fail_the_message(world: AutomationWorld) -> None:
    class Down:
        def send_json(self, body: str, *, case_id: str, channel: str) -> None:
            raise ConnectionError("the queue is unreachable")

    world.ingestor = Ingestor(world.cases, clock=world.clock, tasks=Down())
    case = world.writes(Channel.MESSENGER, "psid-ana")
    assert [e.kind.value for e in world.cases.thread(case.case_id)] == ["inbound"]


def test_a_nudge_task_of_an_earlier_pending_cycle_never_nudges_a_later_one(world: AutomationWorld) -> None:
    from tests.follow_up_support import schedule_in

    case, since = pending(world, Channel.MESSENGER, "psid-ana")
    later = world.change(case, follow_up=schedule_in(since + 3_600_000, nudge_s=60, resolve_s=120))
    assert later.follow_up is not None
    world.clock.advance(hours=2)
    stale = world.nudge(later, since)  # the first cycle's task, delivered late
    assert stale == "skipped: the case has waited for the customer since another instant (a later cycle)"
    assert world.transport.requests == []
    world.transport.script(meta_sent("m_nudge", "psid-ana"))
    assert world.nudge(later, later.follow_up.pending_since) == "sent"
