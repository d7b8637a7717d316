"""The reports service: make a day's reports and store them; serve them to leads and admins.

Reads are keyed and grow with the period's cases, never with history (``ports.ReportReads``):

- the day facts: one Query per UTC day the period touches (``REPORTDAY#<date>``: one item per case
  with a fact that day — its answers, resolutions, tiers, its customer's messages with their sentiment —
  written by the stream consumer as cases and messages are written, ``recorder.py``);
- the backlog: one Query per team of its queue index (active cases only), and only when the period
  has just ended (or is the day in progress): a queue read later says nothing about that day's end;
- the SLA in force (policies and calendars): one Query.

``store_day`` writes the day's four objects (``documents.py``). The API serves a stored day as it
was stored, and computes anything else when asked: one day not stored (the day in progress), or a
range — the accountability report from the range's facts, the marketing summary by adding up the
daily summaries (stored ones, else computed), which are counts and so add up exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from socialcare.clock import Clock
from socialcare.errors import ForbiddenRole
from socialcare.model.day_facts import DayFact
from socialcare.ports import ReportArchive, ReportReads
from socialcare.reports import documents
from socialcare.reports.accountability import Backlog, build_accountability
from socialcare.reports.marketing import build_marketing, merge_marketing
from socialcare.reports.window import ReportWindow, local_date, report_dates
from socialcare.rules.case_sla import SlaInForce

HOUR_MS = 3_600_000
# The queues are read for a period that ended less than this long ago (or is in progress): the
# scheduled run minutes after midnight, and its retries.
BACKLOG_FRESH_MS = 6 * HOUR_MS


class Reader(Protocol):
    """Who asks for a report (the agent API's caller)."""

    @property
    def is_lead_or_admin(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class ReportSettings:
    time_zone: str  # the report's days run midnight to midnight here
    teams: frozenset[str]  # the deployed teams: their queues give the backlog


@dataclass(frozen=True, slots=True)
class ReportResult:
    """A report document and whether it was served as stored (else computed for this request)."""

    document: dict[str, Any]
    stored: bool


@dataclass(frozen=True, slots=True)
class StoredDay:
    day: date
    keys: tuple[str, ...]
    facts: int  # facts of the day read (one per case and kind, roughly)


@dataclass
class PeriodData:
    """What one period's reports are computed from, read once."""

    window: ReportWindow
    facts: list[DayFact]
    backlog: Backlog | None
    teams: frozenset[str] = field(default_factory=frozenset)


class ReportService:
    def __init__(
        self,
        reads: ReportReads,
        archive: ReportArchive,
        *,
        sla: Callable[[], SlaInForce],
        settings: ReportSettings,
        clock: Clock,
    ) -> None:
        self._reads = reads
        self._archive = archive
        self._sla = sla
        self._settings = settings
        self._clock = clock

    # --- days ---------------------------------------------------------------------------------
    def today(self) -> date:
        return local_date(self._clock(), self._settings.time_zone)

    def yesterday(self) -> date:
        return self.today() - timedelta(days=1)

    def window(self, first: date, last: date) -> ReportWindow:
        return ReportWindow.of(first, last, self._settings.time_zone)

    # --- making and storing -------------------------------------------------------------------
    def period_data(self, window: ReportWindow) -> PeriodData:
        # Facts of the UTC days the window touches; the builders keep those inside it.
        facts = [fact for day in window.utc_days() for fact in self._reads.day_facts(day)]
        teams = self._settings.teams | {fact.team for fact in facts if fact.team}
        return PeriodData(window, facts, self._backlog(window, teams), frozenset(teams))

    def _backlog(self, window: ReportWindow, teams: Iterable[str]) -> Backlog | None:
        now = self._clock()
        if now >= window.end_ms + BACKLOG_FRESH_MS:
            return None
        return Backlog(now, tuple(case for team in sorted(teams) for case in self._reads.team_backlog(team)))

    def accountability_document(self, data: PeriodData) -> dict[str, Any]:
        return build_accountability(
            data.window,
            data.facts,
            sla=self._sla(),
            teams=data.teams,
            backlog=data.backlog,
            generated_at_ms=self._clock(),
        )

    def marketing_document(self, data: PeriodData) -> dict[str, Any]:
        return build_marketing(data.window, data.facts, generated_at_ms=self._clock())

    def store_day(self, day: date) -> StoredDay:
        """Compute the day's accountability report and marketing summary and store them (replacing
        what was stored for the day)."""
        data = self.period_data(self.window(day, day))
        accountability = self.accountability_document(data)
        objects = {
            documents.accountability_key(day): (documents.json_line(accountability), "application/json"),
            documents.rows_key(day): (documents.accountability_csv(accountability).encode(), "text/csv"),
            documents.leaderboard_key(day): (documents.leaderboard_csv(accountability).encode(), "text/csv"),
            documents.marketing_key(day): (documents.json_line(self.marketing_document(data)), "application/json"),
        }
        for key, (body, content_type) in objects.items():
            self._archive.put(key, body, content_type=content_type)
        return StoredDay(day, tuple(objects), len(data.facts))

    # --- serving (the agent API) --------------------------------------------------------------
    def accountability(
        self, reader: Reader, *, day: str | None = None, first: str | None = None, last: str | None = None
    ) -> ReportResult:
        window = self._asked(reader, day, first, last)
        if window.single_day:
            stored = self._stored(documents.ACCOUNTABILITY, window.first)
            if stored is not None:
                return ReportResult(stored, stored=True)
        return ReportResult(self.accountability_document(self.period_data(window)), stored=False)

    def marketing(
        self, reader: Reader, *, day: str | None = None, first: str | None = None, last: str | None = None
    ) -> ReportResult:
        window = self._asked(reader, day, first, last)
        daily = [self._marketing_day(one) for one in window.days]
        if window.single_day:
            document, stored = daily[0]
            return ReportResult(document, stored=stored)
        merged = merge_marketing(window, [document for document, _ in daily], generated_at_ms=self._clock())
        return ReportResult(merged, stored=False)

    def _marketing_day(self, day: date) -> tuple[dict[str, Any], bool]:
        stored = self._stored(documents.MARKETING, day)
        if stored is not None:
            return stored, True
        return self.marketing_document(self.period_data(self.window(day, day))), False

    def _asked(self, reader: Reader, day: str | None, first: str | None, last: str | None) -> ReportWindow:
        if not reader.is_lead_or_admin:
            raise ForbiddenRole("only team leads and admins read the reports")
        start, end = report_dates(day=day, first=first, last=last, today=self.today())
        return self.window(start, end)

    def _stored(self, kind: str, day: date) -> dict[str, Any] | None:
        body = self._archive.get(documents.document_key(kind, day))
        if body is None:
            return None
        document: dict[str, Any] = json.loads(body)
        return document
