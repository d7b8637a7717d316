"""The period a report covers: whole days in the report's time zone, as epoch milliseconds.

A report day runs from local midnight to the next local midnight, so on the day the clocks change it
is 23 or 25 hours long (29 March 2026 in Europe/Berlin: 23 hours). The day facts are kept by UTC
day (``aws.report_store``); ``utc_days`` names every UTC day the window touches, and ``contains``
keeps only the facts inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from socialcare.errors import InvalidRequest

MAX_RANGE_DAYS = 31


@dataclass(frozen=True, slots=True)
class ReportWindow:
    first: date
    last: date
    time_zone: str
    start_ms: int
    end_ms: int

    @classmethod
    def of(cls, first: date, last: date, time_zone: str) -> ReportWindow:
        zone = report_zone(time_zone)
        return cls(first, last, time_zone, _midnight_ms(first, zone), _midnight_ms(last + timedelta(days=1), zone))

    @property
    def single_day(self) -> bool:
        return self.first == self.last

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def utc_days(self) -> list[str]:
        """Every UTC date (``YYYY-MM-DD``) an instant of the window falls on."""
        first = _utc_date(self.start_ms)
        last = _utc_date(self.end_ms - 1)
        return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]

    def contains(self, at_ms: int) -> bool:
        return self.start_ms <= at_ms < self.end_ms

    def local(self, at_ms: int) -> datetime:
        return datetime.fromtimestamp(at_ms / 1000, ZoneInfo(self.time_zone))

    def period_of(self, at_ms: int) -> str:
        """The trend's bucket: the local hour on a one-day report (``2026-03-29T09``), else the local day."""
        moment = self.local(at_ms)
        return moment.strftime("%Y-%m-%dT%H") if self.single_day else moment.date().isoformat()


def report_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(f"{name!r} is not a time zone (an IANA name such as Europe/Berlin)") from None


def local_date(at_ms: int, time_zone: str) -> date:
    """The date an instant falls on in the report's time zone."""
    return datetime.fromtimestamp(at_ms / 1000, report_zone(time_zone)).date()


def utc_day(at_ms: int) -> str:
    """The UTC date an instant falls on: the partition its day facts are kept in."""
    return _utc_date(at_ms).isoformat()


def _utc_date(at_ms: int) -> date:
    return datetime.fromtimestamp(at_ms / 1000, UTC).date()


def _midnight_ms(day: date, zone: ZoneInfo) -> int:
    return int(datetime.combine(day, time(0, 0), tzinfo=zone).timestamp() * 1000)


def parse_date(text: str, name: str) -> date:
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or len(text) != len("2026-03-29"):
        raise InvalidRequest(f"{name} must be a date like 2026-03-29, not {text!r}")
    return parsed


def report_dates(*, day: str | None, first: str | None, last: str | None, today: date) -> tuple[date, date]:
    """The dates a report covers: one ``day``, or ``first`` to ``last`` (both included, at most
    ``MAX_RANGE_DAYS``); never after ``today`` (the day in progress may be asked for)."""
    if day is not None and (first is not None or last is not None):
        raise InvalidRequest("give either date, or from and to")
    if day is not None:
        start = end = parse_date(day, "date")
    elif first is not None and last is not None:
        start, end = parse_date(first, "from"), parse_date(last, "to")
    else:
        raise InvalidRequest("give date=YYYY-MM-DD, or from=YYYY-MM-DD and to=YYYY-MM-DD")
    if end < start:
        raise InvalidRequest(f"to ({end}) is before from ({start})")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidRequest(f"a report covers at most {MAX_RANGE_DAYS} days; ask for a shorter range")
    if end > today:
        raise InvalidRequest(f"{end} has not begun yet (today is {today} in the report's time zone)")
    return start, end
