"""Whether a case write must start the case's clock, and with which input.

Call ``CaseClockTimers.case_changed(before, after)`` after every committed case write, with the case
as it was read (``None`` for a new case) and as written. The schedule and generation on ``after``
come from ``rules.escalation.with_escalation``, applied before the write. A clock starts only when
the generation changed (or the case is new) and a tier is still to come; otherwise the running clock
follows the case by reading it each time it wakes. Starting is idempotent (the execution's name is
``case-<case id>-<generation>``), so calling again after a retried write does no harm.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialcare.model.case import Case
from socialcare.model.escalation import clock_name, instant_text
from socialcare.ports import CaseClocks


@dataclass(frozen=True, slots=True)
class ClockStart:
    """A clock to start: the execution's name and input (what the state machine reads first)."""

    case_id: str
    generation: int
    input: dict[str, str]

    @property
    def name(self) -> str:
        return clock_name(self.case_id, self.generation)


def clock_start(before: Case | None, after: Case) -> ClockStart | None:
    """The clock ``after`` needs started, or ``None`` when none is needed (or one already runs)."""
    schedule = after.escalation
    if schedule is None or not after.status.is_active:
        return None
    if (
        before is not None
        and before.case_id == after.case_id
        and before.escalation is not None
        and before.clock_generation == after.clock_generation
    ):
        return None  # the running clock follows the case
    upcoming = schedule.next_tier()
    if upcoming is None:
        return None  # every tier of this cycle is recorded: nothing left to wait for
    tier, at_ms = upcoming
    return ClockStart(
        case_id=after.case_id,
        generation=after.clock_generation,
        input={
            "case_id": after.case_id,
            "generation": str(after.clock_generation),
            "tier": tier.value,
            "at": instant_text(at_ms),
        },
    )


class CaseClockTimers:
    """Starts case clocks through the ``CaseClocks`` port."""

    def __init__(self, clocks: CaseClocks) -> None:
        self._clocks = clocks

    def case_changed(self, before: Case | None, after: Case) -> ClockStart | None:
        """Start the clock the write needs, if any; returns what was started (for logs and tests)."""
        start = clock_start(before, after)
        if start is not None:
            self._clocks.start(start.case_id, start.generation, start.input)
        return start
