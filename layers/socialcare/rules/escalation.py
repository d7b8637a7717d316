"""A case's escalation schedule and clock generation, from its due times: call on every case write.

The case clock (``infra/state_machines/case_clock.asl.json``) watches the response clock — the
answer the customer awaits (first response, or next response after an agent's reply). Given the
case as it is about to be written (its ``escalation`` and ``clock_generation`` still the ones it
had) and the due times just computed for it, ``with_escalation`` says what the case item stores:

- nothing awaited (answered, paused, resolved): no schedule; the generation stays, and a running
  clock ends when it next wakes and reads the case;
- the same cycle (same clock, same start) with no tier earlier than before: the same generation and
  recorded tier — the running clock follows the new times;
- a new cycle (a first schedule, a new customer message after a reply, a new clock): the next
  generation, no tier recorded yet — a new clock starts and the old one, if any, ends on waking;
- the same cycle with a tier moved earlier (a stricter policy, a higher priority): the next
  generation, keeping the recorded tier — a new clock starts at the tier after it, because the
  running one sleeps until the later instant.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from socialcare.constants import CLOCK_SHARDS
from socialcare.model.case import Case
from socialcare.model.escalation import ClockStart, EscalationSchedule
from socialcare.rules.policies import SlaClock
from socialcare.rules.sla import DueTimes

WATCHED_CLOCKS = (SlaClock.FIRST_RESPONSE, SlaClock.NEXT_RESPONSE)


def watched_schedule(due: DueTimes | None) -> EscalationSchedule | None:
    """The response clock's tiers, if one runs (never both: a case awaits a first or a next response)."""
    if due is None:
        return None
    for sla_clock in WATCHED_CLOCKS:
        running = due.due(sla_clock)
        if running is not None:
            return EscalationSchedule(
                clock=sla_clock.value,
                started_at_ms=running.started_at_ms,
                warn_at_ms=running.warn_at_ms,
                breach_at_ms=running.breach_at_ms,
                second_tier_at_ms=running.second_tier_at_ms,
            )
    return None


def with_escalation(case: Case, due: DueTimes | None) -> Case:
    """``case`` with the schedule and generation its item must store (see the module's rules)."""
    previous = case.escalation
    schedule = watched_schedule(due) if case.status.is_active else None
    if schedule is None:
        return replace(case, escalation=None)
    if previous is None or not _same_cycle(previous, schedule):
        return replace(case, escalation=schedule, clock_generation=case.clock_generation + 1)
    carried = replace(schedule, tier=previous.tier, tier_owner=previous.tier_owner)
    generation = case.clock_generation + 1 if _moved_earlier(previous, schedule) else case.clock_generation
    return replace(case, escalation=carried, clock_generation=generation)


def awaited_clock(case: Case) -> ClockStart | None:
    """The clock of the case's wait as written — its generation, aimed at the next tier not recorded —
    or ``None`` when nothing is awaited or every tier is recorded. The case item carries it in the
    clock index while it exists (``aws/items.py``), which is where the sweep finds it."""
    schedule = case.escalation
    if schedule is None or not case.status.is_active:
        return None
    upcoming = schedule.next_tier()
    if upcoming is None:
        return None
    tier, at_ms = upcoming
    return ClockStart(case_id=case.case_id, generation=case.clock_generation, tier=tier, at_ms=at_ms)


def clock_shard(case_id: str) -> int:
    """Which of the clock index's ``CLOCK_SHARDS`` partitions holds the case's clock: a stable hash of
    its id, so a surge of new cases spreads evenly."""
    digest = hashlib.blake2b(case_id.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big") % CLOCK_SHARDS


def _same_cycle(previous: EscalationSchedule, current: EscalationSchedule) -> bool:
    return (previous.clock, previous.started_at_ms) == (current.clock, current.started_at_ms)


def _moved_earlier(previous: EscalationSchedule, current: EscalationSchedule) -> bool:
    """Whether a tier still to come is now earlier than the instant the running clock waits for."""
    recorded = previous.tier.rank if previous.tier is not None else 0
    before = dict(previous.tiers())
    return any(tier.rank > recorded and tier in before and at_ms < before[tier] for tier, at_ms in current.tiers())
