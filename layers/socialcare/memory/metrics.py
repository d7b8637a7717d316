"""In-memory twins of the metrics ports: open work from a dict of cases, points kept in a list."""

from __future__ import annotations

from collections.abc import Sequence

from socialcare.model.case import Case
from socialcare.model.metrics import MetricPoint
from socialcare.ports import OpenCases
from socialcare.rules.views import queue_of

MAX_POINTS_PER_REQUEST = 1000  # as CloudWatch's PutMetricData


class MemoryOpenWork:
    """Holds cases as the table would; like the queue index, reads only a team's queue (its active
    cases not set aside)."""

    def __init__(self) -> None:
        self._cases: dict[str, Case] = {}

    def put_case(self, case: Case) -> None:
        self._cases[case.case_id] = case

    def open_cases(self, team: str) -> OpenCases:
        found = queue_of(self._cases.values(), team)
        return OpenCases(found, len(found))


class MemoryMetricSink:
    def __init__(self) -> None:
        self.published: list[tuple[int, MetricPoint]] = []
        self.requests = 0

    def put(self, points: Sequence[MetricPoint], *, at_ms: int) -> int:
        self.published.extend((at_ms, point) for point in points)
        made = -(-len(points) // MAX_POINTS_PER_REQUEST)
        self.requests += made
        return made
