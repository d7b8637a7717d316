"""The ports of the figures: the open-work metrics (``socialcare.metrics``) and the reports (the
accountability report, the marketing summary; ``socialcare.reports``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from socialcare.model.day_facts import DayFact
from socialcare.model.metrics import MetricPoint
from socialcare.model.summary import CaseSummary

# ---- metrics (the scheduled open-work publisher; see socialcare/metrics) ---------------------------
# The DynamoDB and CloudWatch adapters are ``socialcare.aws.open_work.OpenWorkQueries`` and
# ``socialcare.aws.metric_sink.CloudWatchMetrics``, their twins in ``socialcare.memory.metrics``.


@dataclass(frozen=True, slots=True)
class OpenCases:
    """A team's active cases and how many items the store read to find them."""

    cases: tuple[CaseSummary, ...]
    items_read: int


class OpenWork(Protocol):
    def open_cases(self, team: str) -> OpenCases:
        """Every active case of ``team``: keyed reads of an index of open work only, so the cost follows
        the open cases, never the resolved and closed history."""
        ...


class MetricSink(Protocol):
    def put(self, points: Sequence[MetricPoint], *, at_ms: int) -> int:
        """Publish the points, all stamped ``at_ms``; the number of requests it took."""
        ...


# ---- reports (the accountability report, the marketing summary) ---------------------------------


class DayFactStore(Protocol):
    """The day facts of cases (``model.day_facts``), kept by UTC day, one item per case and day."""

    def record_facts(self, day: str, case_id: str, facts: Sequence[DayFact]) -> None:
        """Add ``facts`` (all of one case, on the UTC date ``day``); a fact recorded again replaces
        itself (by its ``key``), so recording is idempotent."""
        ...

    def count_messages(self, day: str, case_id: str, facts: Sequence[DayFact], *, first: str, last: str) -> bool:
        """Add inbound ``facts`` (all of one case and UTC quarter hour of ``day``; ``model.day_facts.counted``)
        to their counts, in one write, unless a stream position at or after ``first`` was counted there
        already: then nothing is written and False returned. ``last`` is the position counted through
        (positions compare as text)."""
        ...

    def day_facts(self, day: str) -> list[DayFact]:
        """Every fact recorded for the UTC date ``day`` (one keyed Query of that day's partition), the
        customers' messages as counts."""
        ...


class ReportReads(DayFactStore, Protocol):
    """What a report reads besides the facts: the teams' queues, by key."""

    def team_backlog(self, team: str) -> list[CaseSummary]:
        """Every active case of the team (its queue index)."""
        ...


class ReportArchive(Protocol):
    """Stored reports (S3 in AWS), by key."""

    def put(self, key: str, body: bytes, *, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None:
        """The stored object, or None when there is none."""
        ...
