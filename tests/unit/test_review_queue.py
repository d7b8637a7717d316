"""Spam and trolls set aside, never dropped (rules/review.py through in-memory ingest): a marked case has
no due time and no case clock, gets no automated message, stays aside as its customer writes on, and
one restore starts its clock from the restore."""

from __future__ import annotations

from dataclasses import replace

import pytest
from socialcare.clock import ManualClock
from socialcare.ingest.service import Ingestor, IngestSettings
from socialcare.ingest.triage import Triage
from socialcare.memory.case_store import MemoryCaseStore
from socialcare.model.case import Case, CaseMark, Priority
from socialcare.model.events import Channel, Customer, EventKind, ParsedDelivery, PublicKind
from socialcare.rules.case_sla import SlaInForce
from socialcare.rules.review import restored, set_aside
from socialcare.rules.routing_rules import RoutingRules
from socialcare.rules.sla import ResponseTargets

from tests.event_support import message_event

pytestmark = pytest.mark.unit

T0 = 1_767_258_000_000
MINUTE = 60_000
X = "x-1"
SPAM = "cheap pills http://a.example http://b.example http://c.example"
RULES = RoutingRules.from_config(
    {
        "version": 1,
        "lists": {"blocked": ["x:troll-1"]},
        "rules": [
            {"name": "quiet", "when": {"customer_in": ["blocked"]}, "then": {"automated_messages_allowed": False}}
        ],
    }
)


class World:
    def __init__(self, rules: RoutingRules | None = None) -> None:
        self.clock = ManualClock(T0)
        self.store = MemoryCaseStore()
        self.ingestor = Ingestor(self.store, clock=self.clock, settings=IngestSettings(), triage=Triage(rules))
        self._n = 0

    def writes(self, user: str, text: str, *, at_ms: int | None = None) -> Case:
        self._n += 1
        event = message_event(
            Channel.X_POST,
            X,
            f"t{self._n}",
            self.clock() if at_ms is None else at_ms,
            kind=EventKind.PUBLIC_POST,
            customer=Customer(user, handle=user),
            text=text,
            public_kind=PublicKind.MENTION,
            conversation_ref=f"t{self._n}",
        )
        self.ingestor.ingest(ParsedDelivery(event.platform, (event,)))
        case = self.store.current_case(X, [user]).case
        assert case is not None
        return case


def test_ingest_sets_a_spam_case_aside_with_no_due_time_no_clock_and_no_automated_message() -> None:
    case = World().writes("spammer", SPAM)
    assert case.mark is not None
    assert case.mark.kind == "spam"
    assert case.mark.by is None  # ingest's rules
    assert (case.response_due_at_ms, case.escalation, case.awaiting_reply_since_ms) == (None, None, T0)
    assert not case.automated_messages_allowed
    assert case.mark.automated_before
    assert case.message_count == 1  # kept, never dropped


def test_a_marked_cases_next_message_starts_no_clock_and_the_mark_stays_as_it_was() -> None:
    world = World()
    first = world.writes("spammer", SPAM)
    world.clock.advance(minutes=5)
    later = world.writes("spammer", "hello?")
    assert later.case_id == first.case_id
    assert later.mark == first.mark
    assert (later.response_due_at_ms, later.escalation) == (None, None)
    assert later.message_count == 2


def test_restoring_starts_the_clock_at_the_restore_and_allows_automated_messages_as_before() -> None:
    world = World()
    marked = world.writes("spammer", SPAM)
    now = T0 + 3 * 60 * MINUTE
    back = restored(marked, by="carmen", now_ms=now, sla=SlaInForce(ResponseTargets()))
    assert (back.mark, back.restored_by, back.restored_at_ms) == (None, "carmen", now)
    assert (back.awaiting_reply_since_ms, back.response_due_at_ms) == (now, now + 60 * MINUTE)  # public: 60 min
    assert back.escalation is not None
    assert back.escalation.breach_at_ms == now + 60 * MINUTE
    assert back.clock_generation == marked.clock_generation + 1  # a new clock starts
    assert back.automated_messages_allowed


def test_a_case_a_rule_kept_quiet_stays_quiet_after_its_restore() -> None:
    world = World(RULES)
    marked = world.writes("troll-1", "you again")
    assert marked.mark is not None
    assert (marked.mark.kind, marked.mark.automated_before) == ("troll", False)
    assert not restored(marked, by="carmen", now_ms=T0, sla=SlaInForce(ResponseTargets())).automated_messages_allowed
    sensitive = replace(set_aside(replace(marked, mark=None), CaseMark("spam")), sensitive=frozenset({"abuse"}))
    assert not restored(sensitive, by="carmen", now_ms=T0, sla=SlaInForce(ResponseTargets())).automated_messages_allowed


def test_an_answered_case_restored_has_no_clock_to_start() -> None:
    world = World()
    marked = replace(world.writes("spammer", SPAM), awaiting_reply_since_ms=None)
    back = restored(marked, by="carmen", now_ms=T0 + MINUTE, sla=SlaInForce(ResponseTargets()))
    assert (back.response_due_at_ms, back.escalation, back.mark) == (None, None, None)


def test_ingest_never_marks_a_restored_case_again() -> None:
    world = World()
    marked = world.writes("spammer", SPAM)
    back = restored(
        replace(marked, version=marked.version + 1), by="carmen", now_ms=T0, sla=SlaInForce(ResponseTargets())
    )
    world.store.save_case(marked, back)
    again = world.writes("spammer", SPAM)
    assert again.case_id == marked.case_id
    assert again.mark is None
    assert again.response_due_at_ms is not None


def test_a_sensitive_message_clears_the_mark_and_starts_the_clock() -> None:
    world = World()
    world.writes("spammer", SPAM)
    world.clock.advance(minutes=1)
    case = world.writes("spammer", "my father passed away last week and I need to close his account")
    assert case.mark is None
    assert (case.team, case.priority) == ("trained-care", Priority.URGENT)
    assert case.response_due_at_ms is not None
    assert case.escalation is not None
    assert not case.automated_messages_allowed
