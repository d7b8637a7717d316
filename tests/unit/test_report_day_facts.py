"""What a case write tells the report (``rules.day_facts``), from the case before and after it, and the
recorder that keeps the facts by UTC day (on the in-memory twin)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from socialcare.memory.reports import MemoryReportReads
from socialcare.model.case import Case, CaseRouting, CaseStatus, EntryKind, EntrySentiment, ThreadEntry
from socialcare.model.day_facts import DayFact, FactKind
from socialcare.model.escalation import EscalationSchedule, EscalationTier
from socialcare.model.events import Channel, Customer
from socialcare.reports.recorder import DayFactRecorder
from socialcare.rules.cases import apply_outbound
from socialcare.rules.day_facts import day_facts, message_fact

from tests.case_support import care_case
from tests.report_support import ACCOUNT, berlin

pytestmark = pytest.mark.unit

T = berlin(3, 30, 10)
MIN = 60_000


def waiting(**fields: object) -> Case:
    case = care_case(
        "C1",
        Channel.X_POST,
        ACCOUNT,
        Customer("u1", name="Joe Bloggs"),
        T,
        owner="alice",
        last_inbound_at_ms=T,
        awaiting_reply_since_ms=T,
        response_started_at_ms=T,
        response_channel=Channel.X_POST,
        response_due_at_ms=T + 60 * MIN,
        routing=CaseRouting(rule="press", tags=("press",)),
        language="en",
    )
    return replace(case, **fields)  # type: ignore[arg-type]


def kinds(facts: tuple[DayFact, ...]) -> list[FactKind]:
    return [fact.kind for fact in facts]


def test_a_new_case_is_created_with_its_topics_and_language() -> None:
    [created] = day_facts(None, waiting())
    assert created.kind is FactKind.CREATED
    assert (created.tags, created.language, created.channel, created.at_ms) == (("press",), "en", Channel.X_POST, T)
    assert "Joe" not in str(created.to_document())


def message(kind: EntryKind = EntryKind.INBOUND, sentiment: EntrySentiment | None = None) -> ThreadEntry:
    return ThreadEntry(
        case_id="C1",
        entry_id=f"{T:013d}#m1",
        kind=kind,
        timestamp_ms=T,
        channel=Channel.X_POST,
        author="joe",
        text="Joe here: my parcel is lost",
        language="en",
        sentiment=sentiment,
    )


def test_a_customers_message_is_a_fact_with_its_channel_language_and_sentiment_never_its_text() -> None:
    fact = message_fact(message(sentiment=EntrySentiment("negative", -0.6, 0.9, "vader")))
    assert fact is not None
    assert (fact.kind, fact.at_ms, fact.channel, fact.language, fact.sentiment, fact.score) == (
        FactKind.INBOUND,
        T,
        Channel.X_POST,
        "en",
        "negative",
        -0.6,
    )
    assert fact.key == f"inbound#{T:013d}#m1"
    assert DayFact.from_document(fact.to_document()) == fact
    assert "parcel" not in str(fact.to_document())
    assert message_fact(message(EntryKind.OUTBOUND)) is None
    assert message_fact(message()).sentiment is None  # type: ignore[union-attr]


def test_the_first_answer_keeps_the_wait_and_the_promise() -> None:
    before = waiting(paused_ms={"first_response": 5 * MIN})
    after = apply_outbound(before, timestamp_ms=T + 20 * MIN, now_ms=T + 20 * MIN)
    [answer] = day_facts(before, after)
    assert answer == DayFact(
        kind=FactKind.FIRST_RESPONSE,
        case_id="C1",
        at_ms=T + 20 * MIN,
        team="care",
        channel=Channel.X_POST,
        priority=before.priority,
        account_id=ACCOUNT,
        owner="alice",
        since_ms=T,
        clock_ms=T,
        due_ms=T + 60 * MIN,
        paused_ms=5 * MIN,
    )
    assert DayFact.from_document(answer.to_document()) == answer
    assert answer.key == "first_response"


def test_a_later_answer_is_a_next_response_named_by_its_wait() -> None:
    before = waiting(first_response_at_ms=T - 90 * MIN, last_outbound_at_ms=T - 90 * MIN)
    after = apply_outbound(before, timestamp_ms=T + 30 * MIN, now_ms=T + 30 * MIN)
    [answer] = day_facts(before, after)
    assert (answer.kind, answer.at_ms, answer.key) == (FactKind.NEXT_RESPONSE, T + 30 * MIN, f"next_response#{T}")


def test_resolving_without_an_answer_is_no_answer() -> None:
    before = waiting()
    after = replace(before.with_status(CaseStatus.RESOLVED, T + 5 * MIN), awaiting_reply_since_ms=None)
    [done] = day_facts(before, after)
    assert (done.kind, done.since_ms, done.at_ms, done.owner) == (FactKind.RESOLVED, T, T + 5 * MIN, "alice")


def test_closing_counts_once_and_a_resolved_case_closed_later_is_not_closed_again() -> None:
    active = waiting(awaiting_reply_since_ms=None)
    closed = active.with_status(CaseStatus.CLOSED, T + MIN)
    assert kinds(day_facts(active, closed)) == [FactKind.CLOSED]
    resolved = active.with_status(CaseStatus.RESOLVED, T + MIN)
    assert day_facts(resolved, resolved.with_status(CaseStatus.CLOSED, T + 2 * MIN)) == ()


def test_a_reopening_is_counted_for_whoever_held_the_case() -> None:
    before = waiting(status=CaseStatus.RESOLVED, awaiting_reply_since_ms=None, owner="bob")
    after = replace(before, status=CaseStatus.OPEN, reopen_count=1, owner=None, updated_at_ms=T + 9 * MIN)
    [reopened] = day_facts(before, after)
    assert (reopened.kind, reopened.owner, reopened.at_ms) == (FactKind.REOPENED, "bob", T + 9 * MIN)


def schedule(tier: EscalationTier | None, *, started: int = T) -> EscalationSchedule:
    return EscalationSchedule(
        clock="first_response",
        started_at_ms=started,
        warn_at_ms=started + 45 * MIN,
        breach_at_ms=started + 60 * MIN,
        second_tier_at_ms=started + 90 * MIN,
        tier=tier,
        tier_owner="alice" if tier else None,
    )


def test_each_tier_of_a_wait_is_counted_once() -> None:
    quiet = waiting(escalation=schedule(None), clock_generation=1)
    warned = replace(quiet, escalation=schedule(EscalationTier.WARN))
    [warn] = day_facts(quiet, warned)
    assert (warn.kind, warn.tier, warn.at_ms, warn.owner) == (FactKind.TIER, "warn", T + 45 * MIN, "alice")
    assert day_facts(warned, replace(warned, version=9)) == ()  # written again: nothing new
    moved = replace(warned, clock_generation=2)  # a new generation carrying the recorded tier
    assert day_facts(warned, moved) == ()
    breached = replace(moved, escalation=schedule(EscalationTier.BREACH))
    assert [f.tier for f in day_facts(moved, breached)] == ["breach"]
    # A new wait (a new start): its warning is a new fact.
    assert [f.key for f in day_facts(breached, waiting(escalation=schedule(EscalationTier.WARN, started=T + MIN)))] == [
        f"tier#first_response#{T + MIN}#warn"
    ]


def test_a_claim_carries_no_fact() -> None:
    before = waiting(owner=None)
    assert day_facts(before, replace(before, owner="alice", version=2)) == ()


def test_the_recorder_keeps_facts_by_utc_day_and_a_record_twice_is_one_fact() -> None:
    store = MemoryReportReads()
    recorder = DayFactRecorder(store)
    # Monday 00:30 CEST is Sunday 22:30 UTC: kept under Sunday's UTC date.
    late = waiting(created_at_ms=berlin(3, 30, 0, 30), last_inbound_at_ms=berlin(3, 30, 0, 30))
    recorder.case_changed(None, late)
    recorder.case_changed(None, late)
    recorder.message_written(replace(message(), timestamp_ms=berlin(3, 30, 0, 30)))
    recorder.message_written(replace(message(), timestamp_ms=berlin(3, 30, 0, 30)))
    assert recorder.message_written(message(EntryKind.NOTE)) is None
    assert set(store.facts) == {"2026-03-29"}
    assert [f.kind for f in store.day_facts("2026-03-29")] == [FactKind.CREATED, FactKind.INBOUND]
    assert recorder.case_changed(late, replace(late, owner="bob")) == ()
