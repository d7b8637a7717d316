"""The clock sweep: starts the case clocks that came due since its last run (run every minute).

A case write whose clock starts later than the clock function's margin leaves it in the clock index
(``DueClocks``); each run reads, per shard, the clocks whose start time passed since the shard's
watermark, starts each (``CaseClocks``: the same name and input the clock function gives, so one
started both ways is one execution) and moves the watermark past it. A case answered before its
start time has left the index with that write and is never started.

Bounded: at most ``limit`` clocks per shard per run and nothing begun after its time budget; what is
left waits for the next run, from the watermark. A clock that cannot start stops its shard there
(the others go on); the watermarks reached are stored all the same and the run then fails
(``ClockSweepIncomplete``), so the next run starts again from the clock that failed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from socialcare import constants as c
from socialcare.clock import Clock
from socialcare.errors import CaseClockNotStarted, ClockSweepIncomplete
from socialcare.ports import CaseClocks, DueClockPage, DueClocks

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SweepRun:
    """What one run did: clocks started (or found started already), shards read, the shards whose
    page was full (the rest is read next run)."""

    started: int
    shards_read: int
    behind: tuple[int, ...] = ()


class ClockSweep:
    def __init__(
        self,
        index: DueClocks,
        clocks: CaseClocks,
        *,
        clock: Clock,
        shards: int = c.CLOCK_SHARDS,
        limit: int = c.CLOCK_SWEEP_LIMIT,
    ) -> None:
        self._index = index
        self._clocks = clocks
        self._clock = clock
        self._shards = shards
        self._limit = limit

    def run(self, *, budget_ms: int | None = None) -> SweepRun:
        """One run over every shard, up to now, beginning nothing after ``budget_ms``; raises
        ``ClockSweepIncomplete`` after storing the watermarks reached when a clock could not start."""
        until_ms = self._clock()
        deadline_ms = None if budget_ms is None else until_ms + budget_ms
        marks = self._index.watermarks()
        moved: dict[int, str] = {}
        failed: list[str] = []
        behind: list[int] = []
        started = shards_read = 0
        try:
            for shard in range(self._shards):
                if deadline_ms is not None and self._clock() >= deadline_ms:
                    break
                page = self._index.due(shard, after=marks.get(shard), until_ms=until_ms, limit=self._limit)
                shards_read += 1
                mark, count, error = self._start_page(page, deadline_ms)
                started += count
                if mark is not None and mark != marks.get(shard):
                    moved[shard] = mark
                if error is not None:
                    failed.append(f"shard {shard:02d}: {error}")
                elif page.end is None:
                    behind.append(shard)
        finally:
            if moved:
                self._index.save_watermarks({**marks, **moved})
        if failed:
            raise ClockSweepIncomplete("; ".join(failed))
        return SweepRun(started=started, shards_read=shards_read, behind=tuple(behind))

    def _start_page(self, page: DueClockPage, deadline_ms: int | None) -> tuple[str | None, int, str | None]:
        """Start the page's clocks in order: (the watermark reached, clocks started, the error that
        stopped the page)."""
        mark: str | None = None
        for count, (position, start) in enumerate(page.clocks):
            if deadline_ms is not None and self._clock() >= deadline_ms:
                return mark, count, None
            try:
                self._clocks.start(start.case_id, start.generation, start.input)
            except CaseClockNotStarted as exc:
                logger.warning("case clock not started by the sweep", extra={"case_id": start.case_id})
                return mark, count, str(exc)
            mark = position
        return page.end or mark, len(page.clocks), None
