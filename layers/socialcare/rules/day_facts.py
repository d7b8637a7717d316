"""The facts a case write carries for the accountability report, from the case before and after it.

Every committed case write reaches the stream consumer with both images; ``day_facts(before, after)``
says what the write did, in the report's terms (``model.day_facts``):

- **created**: a new case (``before`` None), with its routing tags and language;
- **first_response** / **next_response**: the customer was waiting and the brand's answer stopped the
  wait (the first answer the case ever had, or a later one). The fact keeps the wait's start, where
  its SLA clock started, the due time the case was promised (the queue's ``response_due_at_ms`` of
  ``before``: what the SLA in force gave it, pauses included) and the business time the clock was
  paused. A wait ended by a status change with a reason (spam, answered by phone) is no answer;
- **resolved** / **closed** (closed straight from an active status), with when the case opened and
  the resolution clock's pauses;
- **reopened**: the customer came back within the reopen window; owned by whoever held the case;
- **tier**: the case clock recorded an escalation tier (``warn``, ``breach``, ``second_tier``) — once
  per tier of a wait, however often the schedule is rewritten.

A customer's message is a fact of its own, **inbound** (``message_fact``), from its thread entry as
inserted: channel, language and sentiment — never its text.

Pure: the same images always give the same facts, so a stream record delivered twice records the
same facts (their ``key``) again.
"""

from __future__ import annotations

from dataclasses import replace

from socialcare.model.case import Case, CaseStatus, EntryKind, Priority, ThreadEntry
from socialcare.model.day_facts import DayFact, FactKind
from socialcare.model.escalation import EscalationTier
from socialcare.rules.case_sla import awaited_channel
from socialcare.rules.policies import SlaClock


def day_facts(before: Case | None, after: Case) -> tuple[DayFact, ...]:
    facts: list[DayFact] = []
    if before is None:
        facts.append(_fact(FactKind.CREATED, after, after.created_at_ms, tags=_tags(after), language=after.language))
    if before is not None:
        facts += _answer(before, after)
        facts += _status(before, after)
    facts += _tier(before, after)
    return tuple(facts)


def _fact(kind: FactKind, case: Case, at_ms: int, **fields: object) -> DayFact:
    return DayFact(
        kind=kind,
        case_id=case.case_id,
        at_ms=at_ms,
        team=case.team,
        channel=case.response_channel or awaited_channel(case),
        priority=case.priority,
        account_id=case.account_id,
        owner=case.owner,
        **fields,  # type: ignore[arg-type]
    )


def _tags(case: Case) -> tuple[str, ...]:
    return case.routing.tags if case.routing is not None else ()


def _answer(before: Case, after: Case) -> list[DayFact]:
    since = before.awaiting_reply_since_ms
    if since is None or after.awaiting_reply_since_ms is not None:
        return []
    if before.first_response_at_ms is None and after.first_response_at_ms is not None:
        kind, at_ms = FactKind.FIRST_RESPONSE, after.first_response_at_ms
    elif after.last_outbound_at_ms is not None and after.last_outbound_at_ms != before.last_outbound_at_ms:
        kind, at_ms = FactKind.NEXT_RESPONSE, after.last_outbound_at_ms
    else:
        return []  # the wait ended without an answer (a status change with a reason)
    answered = _fact(
        kind,
        before,
        at_ms,
        since_ms=since,
        clock_ms=before.response_started_at_ms or since,
        due_ms=before.response_due_at_ms,
        paused_ms=before.paused_ms.get(SlaClock(kind.value).value, 0),
    )
    # Whoever holds the case after the write answered (an echo of the brand's own app: the owner, if any).
    return [_owned(answered, after.owner)]


def _owned(fact: DayFact, owner: str | None) -> DayFact:
    return replace(fact, owner=owner)


def _status(before: Case, after: Case) -> list[DayFact]:
    facts: list[DayFact] = []
    opened = {"since_ms": after.created_at_ms, "paused_ms": after.paused_ms.get(SlaClock.RESOLUTION.value, 0)}
    if after.status is CaseStatus.RESOLVED and before.status is not CaseStatus.RESOLVED:
        facts.append(_fact(FactKind.RESOLVED, after, after.resolved_at_ms or after.updated_at_ms, **opened))
    if after.status is CaseStatus.CLOSED and before.status.is_active:
        facts.append(_fact(FactKind.CLOSED, after, after.closed_at_ms or after.updated_at_ms, **opened))
    if after.reopen_count > before.reopen_count:
        facts.append(_owned(_fact(FactKind.REOPENED, after, after.updated_at_ms), before.owner))
    return facts


def _tier(before: Case | None, after: Case) -> list[DayFact]:
    schedule = after.escalation
    if schedule is None or schedule.tier is None:
        return []
    previous = before.escalation if before is not None else None
    if (
        previous is not None
        and (previous.clock, previous.started_at_ms) == (schedule.clock, schedule.started_at_ms)
        and previous.tier is not None
        and previous.tier.rank >= schedule.tier.rank
    ):
        return []
    instants = dict(schedule.tiers())
    at_ms = instants.get(schedule.tier, after.updated_at_ms)
    fact = _fact(
        FactKind.TIER,
        after,
        at_ms,
        clock_ms=schedule.started_at_ms,
        sla_clock=schedule.clock,
        tier=EscalationTier(schedule.tier).value,
    )
    return [_owned(fact, schedule.tier_owner or after.owner)]


def message_fact(entry: ThreadEntry) -> DayFact | None:
    """The customer's message as the marketing summary counts it; None for anything else."""
    if entry.kind is not EntryKind.INBOUND or entry.channel is None:
        return None
    sentiment = entry.sentiment
    return DayFact(
        kind=FactKind.INBOUND,
        case_id=entry.case_id,
        at_ms=entry.timestamp_ms,
        team="",
        channel=entry.channel,
        priority=Priority.NORMAL,
        account_id="",
        message_id=entry.entry_id,
        language=entry.language,
        sentiment=sentiment.label if sentiment is not None else None,
        score=sentiment.score if sentiment is not None else None,
    )
