"""Whether a case write must start the case's clock now, and with which input.

Call ``CaseClockTimers.case_changed(before, after)`` after every committed case write, with the case
as it was read (``None`` for a new case) and as written. The schedule and generation on ``after``
come from ``rules.escalation.with_escalation``, applied before the write. A write needs a clock only
when the generation changed (or the case is new) and a tier is still to come; otherwise the running
clock follows the case by reading it each time it wakes.

The clock is started lazily: only when its first tier is near (``ClockStart.start_at_ms``, the lead
before it). A write whose clock starts within ``margin_ms`` from now starts it at once; any other
leaves it to the sweep (``timers.sweep``), which finds it in the clock index when it comes due — and
never, if the case is answered first. Starting is idempotent (the execution's name is
``case-<case id>-<generation>``), so calling again after a retried write does no harm.
"""

from __future__ import annotations

from socialcare import constants as c
from socialcare.clock import Clock
from socialcare.model.case import Case
from socialcare.model.escalation import ClockStart
from socialcare.ports import CaseClocks
from socialcare.rules.escalation import awaited_clock

__all__ = ["CaseClockTimers", "ClockStart", "clock_start"]


def clock_start(before: Case | None, after: Case) -> ClockStart | None:
    """The clock ``after`` needs started, or ``None`` when none is needed (or one already runs)."""
    start = awaited_clock(after)
    if start is None:
        return None
    if (
        before is not None
        and before.case_id == after.case_id
        and before.escalation is not None
        and before.clock_generation == after.clock_generation
    ):
        return None  # the generation's clock is running (or the sweep starts it): it follows the case
    return start


class CaseClockTimers:
    """Starts, through the ``CaseClocks`` port, the case clocks that writes make due soon."""

    def __init__(self, clocks: CaseClocks, *, clock: Clock, margin_ms: int = c.CLOCK_START_MARGIN_MS) -> None:
        self._clocks = clocks
        self._clock = clock
        self._margin_ms = margin_ms

    def case_changed(self, before: Case | None, after: Case) -> ClockStart | None:
        """Start the clock the write needs if it is due within the margin; returns what was started
        (``None``: none needed, or the sweep starts it later)."""
        start = clock_start(before, after)
        if start is None or start.start_at_ms > self._clock() + self._margin_ms:
            return None
        self._clocks.start(start.case_id, start.generation, start.input)
        return start
