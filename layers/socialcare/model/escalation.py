"""A case's escalation schedule: what its case clock (a Step Functions execution) waits for.

The times are computed in code (``rules.escalation`` from the SLA due times) and stored on the case
item, so the state machine only compares and waits. Each schedule belongs to a clock *generation*:
a new generation (a new execution, ``case-<case id>-<generation>``) starts when the watched clock
starts a new cycle or a tier moves earlier; while the generation stays, the running execution
follows the times as they move later. ``tier`` is the last tier the clock recorded on the case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from socialcare.constants import CLOCK_START_LEAD_MS


class EscalationTier(StrEnum):
    WARN = "warn"  # the assignee, a share of the target before the breach
    BREACH = "breach"  # the team lead
    SECOND_TIER = "second_tier"  # the manager, a share of the target after the breach

    @property
    def rank(self) -> int:
        """1, 2, 3 in escalation order: what the clock's conditional write compares."""
        return _RANKS[self]


_RANKS = {EscalationTier.WARN: 1, EscalationTier.BREACH: 2, EscalationTier.SECOND_TIER: 3}

# The notifications: EventBridge events on the project's bus (the state machine spells these too;
# a test holds the ASL file to them).
EVENT_SOURCE = "socialcare"
DETAIL_TYPES: dict[EscalationTier, str] = {
    EscalationTier.WARN: "SLA warning",
    EscalationTier.BREACH: "SLA breached",
    EscalationTier.SECOND_TIER: "SLA escalated",
}


@dataclass(frozen=True, slots=True)
class EscalationSchedule:
    """When the watched SLA clock (``clock``: first or next response) warns, breaches and reaches the
    second tier, in epoch milliseconds; ``tier``/``tier_owner``: the last tier recorded and whom it
    addressed (``None``: nobody, or unassigned)."""

    clock: str
    started_at_ms: int
    warn_at_ms: int
    breach_at_ms: int
    second_tier_at_ms: int | None = None
    tier: EscalationTier | None = None
    tier_owner: str | None = None

    def tiers(self) -> tuple[tuple[EscalationTier, int], ...]:
        found = [(EscalationTier.WARN, self.warn_at_ms), (EscalationTier.BREACH, self.breach_at_ms)]
        if self.second_tier_at_ms is not None:
            found.append((EscalationTier.SECOND_TIER, self.second_tier_at_ms))
        return tuple(found)

    def next_tier(self) -> tuple[EscalationTier, int] | None:
        """The first tier after the one recorded: where a new clock starts waiting."""
        recorded = self.tier.rank if self.tier is not None else 0
        return next(((tier, at) for tier, at in self.tiers() if tier.rank > recorded), None)


@dataclass(frozen=True, slots=True)
class ClockStart:
    """A case clock to start: the execution ``case-<case_id>-<generation>``, waiting first for ``tier``
    at ``at_ms``. It is started ``CLOCK_START_LEAD_MS`` before that instant (``start_at_ms``) — by the
    clock function when a case write makes it due that soon, else by the sweep — and sleeps the rest
    in its Wait state. Whoever starts it gives the same name and input."""

    case_id: str
    generation: int
    tier: EscalationTier
    at_ms: int

    @property
    def name(self) -> str:
        return clock_name(self.case_id, self.generation)

    @property
    def start_at_ms(self) -> int:
        return self.at_ms - CLOCK_START_LEAD_MS

    @property
    def input(self) -> dict[str, str]:
        """The execution's input, what the state machine reads first."""
        return {
            "case_id": self.case_id,
            "generation": str(self.generation),
            "tier": self.tier.value,
            "at": instant_text(self.at_ms),
        }


def clock_name(case_id: str, generation: int) -> str:
    """The execution name of a case's clock: deterministic, so a duplicate start finds the first."""
    return f"case-{case_id}-{generation}"


def instant_text(epoch_ms: int) -> str:
    """``2026-03-02T09:30:00Z``: the form Step Functions' Wait and Choice compare (UTC, ``Z``), rounded
    up to the whole second so the clock never wakes before the instant."""
    seconds = -(-epoch_ms // 1000)
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
