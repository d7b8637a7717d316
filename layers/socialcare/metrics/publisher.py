"""The scheduled open-work publisher: each watched team's active cases, read from the queue index
(``OpenWork``), to the care floor's gauges (``open_work``), published in one go (``MetricSink``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from socialcare.clock import Clock
from socialcare.metrics.open_work import open_work_points
from socialcare.model.summary import CaseSummary
from socialcare.ports import MetricSink, OpenWork


@dataclass(frozen=True, slots=True)
class PublishedWork:
    """What one run did: for the function's log and the benchmark."""

    at_ms: int
    teams: int
    cases: int
    points: int
    items_read: int
    requests: int


class OpenWorkPublisher:
    def __init__(self, work: OpenWork, sink: MetricSink, *, teams: Sequence[str], clock: Clock) -> None:
        self._work = work
        self._sink = sink
        self._teams = tuple(teams)
        self._clock = clock

    def publish(self) -> PublishedWork:
        now = self._clock()
        by_team: dict[str, tuple[CaseSummary, ...]] = {}
        read = 0
        for team in self._teams:
            found = self._work.open_cases(team)
            by_team[team] = found.cases
            read += found.items_read
        points = open_work_points(by_team, now)
        requests = self._sink.put(points, at_ms=now)
        cases = sum(len(cases) for cases in by_team.values())
        return PublishedWork(now, len(self._teams), cases, len(points), read, requests)
