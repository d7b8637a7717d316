"""Business calendars: when a care team is open, and business-time arithmetic on epoch milliseconds.

A response target of "1 hour" on a Monday-to-Friday 9-17 team means one hour *while the team is open*:
a message at Friday 16:30 is due Monday 09:30. Every operation here takes and returns epoch
milliseconds (the project's clock is ``Callable[[], int]``); local wall-clock time exists only inside.

Configuration (what an admin PUTs through the agent API and the local config file holds)::

    {
      "name": "berlin-care",                   # required: [a-z0-9][a-z0-9_-]{0,63}
      "time_zone": "Europe/Berlin",            # required: an IANA zone name
      "hours": {                               # weekly hours; days mon..sun, each a list of shifts
        "mon": ["09:00-17:00"],
        "tue": ["08:00-12:00", "13:00-17:00"], # split shifts: several per day
        "fri": ["09:00-17:00", "22:00-06:00"]  # end <= start: an overnight shift, ends the next day
      },
      "holidays": {"country": "DE", "subdivision": "BE", "observed": true},   # optional
      "closed_dates": ["2026-12-24", "2026-12-31"],                          # the brand's own closed days
      "open_dates": {"2026-12-27": ["10:00-14:00"]},                         # special hours on a date
      "always_open": false                     # true: a 24/7 team (then give nothing but name and zone)
    }

Rules, chosen so that a care lead can predict every answer:

* A shift is ``HH:MM-HH:MM``, start inclusive, end exclusive, whole minutes; ``24:00`` ends at midnight;
  an end at or before the start makes an overnight shift (at most 24 hours; ``00:00-24:00`` is a whole
  day, ``09:00-09:00`` is refused as ambiguous). Shifts of one week must not overlap, across midnight
  and across the Sunday-Monday wrap included; touching shifts (one ends 13:00, the next starts 13:00)
  leave no closed instant between them.
* A shift belongs to the date it starts on: Friday's ``22:00-06:00`` is closed when Friday is a holiday
  or a closed date, and runs in full when only Saturday is one.
* ``open_dates`` replace that date's weekly hours and win over holidays (a Sunday sale, a short
  Christmas Eve); a date may not be both closed and open. Their overnight shifts may run into the next
  day's hours; the two simply join.
* ``holidays`` come from the ``holidays`` package (country code, optional subdivision, ``observed``
  days included unless ``false``); every public holiday of the place closes the team for the day.
* Time changes. Each shift boundary is *the first instant the local wall clock shows that time or
  later*: in a spring-forward gap (02:30 on the DST Sunday in Berlin never happens) that is the end of
  the gap, 03:00 local; in a fall-back fold (02:30 happens twice) it is the first occurrence. So a
  22:00-06:00 night shift lasts 7 hours on the spring-forward night and 9 on the fall-back night,
  which is how long the team is really there.
* Business time is counted in real milliseconds while open. ``add_business_time(s, d)`` for ``d > 0``
  returns the instant at which ``d`` of open time has passed since ``s``; the last millisecond counted
  is open, so the result can be a closing instant (1 hour from 16:00 on a 9-17 day is 17:00); adding
  nothing returns ``s``. ``business_time_between(a, b)`` is negative when ``b`` is before ``a``, so
  "remaining" turns negative once a target is overdue.
* ``describe_reopening`` speaks fixed English, never the process locale, in the calendar's zone:
  ``now``, ``today 13:00 CET``, ``tomorrow 09:00 CET``, ``Monday 09:00 CET`` within six days, and
  ``Friday 1 January 09:00 CET`` further away (a weekday alone would be a broken promise then).
* Walks go interval by interval, not minute by minute, and are bounded: a calendar that shows no open
  time for ``MAX_CLOSED_DAYS`` days in a row, or a target further away than ``MAX_HORIZON_DAYS``,
  raises ``NoOpenTime`` instead of looping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from socialcare.errors import InvalidCalendar, NoOpenTime

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_CLOSED_DAYS = 400  # more than a year without any open time is a configuration mistake
MAX_HORIZON_DAYS = 366 * 30  # a due time three decades away is one too
MAX_SHIFTS_PER_DAY = 12
MAX_LISTED_DATES = 2000

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAY_MINUTES = 1440
_WEEK_MINUTES = 7 * _DAY_MINUTES
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SHIFT = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")
_CONFIG_KEYS = frozenset({"name", "time_zone", "hours", "holidays", "closed_dates", "open_dates", "always_open"})


@dataclass(frozen=True, slots=True, order=True)
class Shift:
    """Open from ``start_minute`` to ``end_minute`` after local midnight of the day that owns the shift.

    ``end_minute`` is past 1440 for an overnight shift; the span is 1 minute to 24 hours.
    """

    start_minute: int
    end_minute: int

    @classmethod
    def parse(cls, text: object, where: str) -> Shift:
        match = _SHIFT.match(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidCalendar(where, f"{text!r} is not a shift like '09:00-17:00'")
        start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
        if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
            raise InvalidCalendar(where, f"{text!r} is not a time of day (00:00 to 23:59, or 24:00 as an end)")
        start, end = start_h * 60 + start_m, end_h * 60 + end_m
        if start == end:
            raise InvalidCalendar(where, f"{text!r} is empty or ambiguous; a whole day is '00:00-24:00'")
        return cls(start, end if end > start else end + _DAY_MINUTES)

    def __str__(self) -> str:
        end = self.end_minute if self.end_minute <= _DAY_MINUTES else self.end_minute - _DAY_MINUTES
        return f"{_hhmm(self.start_minute)}-{_hhmm(end)}"


@dataclass(frozen=True, slots=True)
class HolidaySource:
    """Public holidays of a country (ISO 3166 code as the ``holidays`` package knows it) or a subdivision."""

    country: str
    subdivision: str | None = None
    observed: bool = True


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """A team's opening hours in one time zone; see the module docstring for the rules."""

    name: str
    time_zone: str
    weekly: tuple[tuple[Shift, ...], ...] = ((),) * 7  # Monday first
    holidays: HolidaySource | None = None
    closed_dates: frozenset[date] = frozenset()
    open_dates: Mapping[date, tuple[Shift, ...]] = field(default_factory=dict)
    always_open: bool = False
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _holiday_years: dict[int, frozenset[date]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", _zone(self.time_zone))
        object.__setattr__(self, "_holiday_years", {})
        _check_structure(self)

    # --- construction -----------------------------------------------------------------------
    @classmethod
    def twenty_four_seven(cls, name: str, time_zone: str = "UTC") -> BusinessCalendar:
        return cls(name=name, time_zone=time_zone, always_open=True)

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> BusinessCalendar:
        if not isinstance(config, Mapping):
            raise InvalidCalendar("calendar", "must be an object")
        unknown = set(config) - _CONFIG_KEYS
        if unknown:
            raise InvalidCalendar(sorted(unknown)[0], f"unknown field; allowed: {', '.join(sorted(_CONFIG_KEYS))}")
        name = config.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise InvalidCalendar("name", f"must match {_NAME.pattern}")
        zone = config.get("time_zone")
        if not isinstance(zone, str):
            raise InvalidCalendar("time_zone", "an IANA time zone name such as 'Europe/Berlin' is required")
        always_open = config.get("always_open", False)
        if not isinstance(always_open, bool):
            raise InvalidCalendar("always_open", "must be true or false")
        return cls(
            name=name,
            time_zone=zone,
            weekly=_parse_weekly(config.get("hours", {})),
            holidays=_parse_holidays(config.get("holidays")),
            closed_dates=frozenset(_parse_dates(config.get("closed_dates", []))),
            open_dates=_parse_open_dates(config.get("open_dates", {})),
            always_open=always_open,
        )

    def to_config(self) -> dict[str, object]:
        config: dict[str, object] = {"name": self.name, "time_zone": self.time_zone}
        if self.always_open:
            config["always_open"] = True
            return config
        config["hours"] = {
            day: [str(s) for s in shifts] for day, shifts in zip(WEEKDAYS, self.weekly, strict=True) if shifts
        }
        if self.holidays is not None:
            source: dict[str, object] = {"country": self.holidays.country, "observed": self.holidays.observed}
            if self.holidays.subdivision is not None:
                source["subdivision"] = self.holidays.subdivision
            config["holidays"] = source
        if self.closed_dates:
            config["closed_dates"] = [d.isoformat() for d in sorted(self.closed_dates)]
        if self.open_dates:
            config["open_dates"] = {
                d.isoformat(): [str(s) for s in self.open_dates[d]] for d in sorted(self.open_dates)
            }
        return config

    # --- questions --------------------------------------------------------------------------
    def is_open(self, at_ms: int) -> bool:
        if self.always_open:
            return True
        start, _end = next(self._open_intervals(at_ms))
        return start <= at_ms

    def next_open(self, at_ms: int) -> int:
        """The next instant the team is open: ``at_ms`` itself when it is open then."""
        if self.always_open:
            return at_ms
        start, _end = next(self._open_intervals(at_ms))
        return max(start, at_ms)

    def add_business_time(self, start_ms: int, duration_ms: int) -> int:
        """The instant at which ``duration_ms`` of open time has passed since ``start_ms``."""
        if duration_ms < 0:
            raise ValueError(f"business time to add must not be negative, got {duration_ms}")
        if self.always_open or duration_ms == 0:
            return start_ms + duration_ms
        remaining = duration_ms
        for open_ms, close_ms in self._open_intervals(start_ms):
            begin = max(open_ms, start_ms)
            if remaining <= close_ms - begin:
                return begin + remaining
            remaining -= close_ms - begin
        raise AssertionError("unreachable: the interval walk ends only by raising NoOpenTime")

    def business_time_between(self, a_ms: int, b_ms: int) -> int:
        """Open time from ``a_ms`` to ``b_ms``; negative when ``b_ms`` is earlier (time overdue)."""
        if b_ms < a_ms:
            return -self.business_time_between(b_ms, a_ms)
        if self.always_open:
            return b_ms - a_ms
        total = 0
        for open_ms, close_ms in self._open_intervals(a_ms, until_ms=b_ms):
            if open_ms >= b_ms:
                break
            total += min(close_ms, b_ms) - max(open_ms, a_ms)
        return total

    def describe_reopening(self, at_ms: int) -> str:
        """When the team is back, in its own zone and in English: 'Monday 09:00 CET', 'now' if open."""
        back_ms = self.next_open(at_ms)
        if back_ms == at_ms:
            return "now"
        return self.describe_instant(back_ms, seen_from_ms=at_ms)

    def describe_instant(self, at_ms: int, *, seen_from_ms: int, before_clock: str = "") -> str:
        """``at_ms`` as someone at ``seen_from_ms`` reads it, in the calendar's zone and the same English
        as ``describe_reopening`` ("today 13:00 CET", "Monday 09:00 CET"); ``before_clock`` goes before
        the time ("by " gives "today by 13:00 CET")."""
        moment, asked = self._local(at_ms), self._local(seen_from_ms)
        days_ahead = (moment.date() - asked.date()).days
        clock = f"{before_clock}{moment:%H:%M} {_zone_label(moment)}"
        if days_ahead == 0:
            return f"today {clock}"
        if days_ahead == 1:
            return f"tomorrow {clock}"
        weekday = _DAY_NAMES[moment.weekday()]
        if 1 < days_ahead < 7:
            return f"{weekday} {clock}"
        return f"{weekday} {moment.day} {_MONTH_NAMES[moment.month - 1]} {clock}"

    def is_holiday(self, day: date) -> bool:
        if self.holidays is None:
            return False
        known = self._holiday_years.get(day.year)
        if known is None:
            known = _holiday_dates(self.holidays, day.year)
            self._holiday_years[day.year] = known
        return day in known

    # --- the walk ---------------------------------------------------------------------------
    def _open_intervals(self, from_ms: int, *, until_ms: int | None = None) -> Iterator[tuple[int, int]]:
        """Open intervals ``[open, close)`` that end after ``from_ms``, in order, disjoint (touching ones
        are not joined: a team open around the clock yields one interval a day, not one endless one).

        Stops quietly once past ``until_ms``; otherwise raises ``NoOpenTime`` at the bounds.
        """
        day = self._local(from_ms).date() - timedelta(days=1)  # yesterday's overnight shift may still run
        last_day = day + timedelta(days=MAX_HORIZON_DAYS)
        covered_to = from_ms  # an overnight special shift may overlap the next day's: count it once
        closed_days = 0
        while day < last_day:
            if until_ms is not None and self._instant(day, 0) >= until_ms:
                return
            shifts = self._shifts_on(day)
            closed_days = 0 if shifts else closed_days + 1
            if closed_days >= MAX_CLOSED_DAYS and until_ms is None:  # with an end, the walk is bounded
                raise NoOpenTime(f"calendar {self.name} has no open time in the {MAX_CLOSED_DAYS} days before {day}")
            for shift in shifts:
                begin = max(self._instant(day, shift.start_minute), covered_to)
                end = self._instant(day, shift.end_minute)
                if end > begin:
                    yield begin, end
                    covered_to = end
            day += timedelta(days=1)
        raise NoOpenTime(f"calendar {self.name}: no open time found within {MAX_HORIZON_DAYS // 366} years")

    def _shifts_on(self, day: date) -> tuple[Shift, ...]:
        special = self.open_dates.get(day)
        if special is not None:
            return special
        if day in self.closed_dates or self.is_holiday(day):
            return ()
        return self.weekly[day.weekday()]

    def _instant(self, day: date, minute: int) -> int:
        """The first instant the wall clock shows ``minute`` after midnight of ``day`` (or later)."""
        extra_days, minute = divmod(minute, _DAY_MINUTES)
        if extra_days:
            day += timedelta(days=extra_days)
        wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=self._zone)
        first, second = _epoch_ms(wall), _epoch_ms(wall.replace(fold=1))
        if first <= second:  # an ordinary time (equal) or a fold: the first occurrence
            return first
        return self._transition_between(second, first)

    def _transition_between(self, before_ms: int, after_ms: int) -> int:
        """The instant the offset changes, between two instants either side of a spring-forward gap."""
        offset_after = self._local(after_ms).utcoffset()
        low, high = before_ms // 1000, after_ms // 1000  # zone rules change on whole seconds
        while high - low > 1:
            middle = (low + high) // 2
            if self._local(middle * 1000).utcoffset() == offset_after:
                high = middle
            else:
                low = middle
        return high * 1000

    def _local(self, at_ms: int) -> datetime:
        return (_EPOCH + timedelta(milliseconds=at_ms)).astimezone(self._zone)


# --- helpers --------------------------------------------------------------------------------
def _epoch_ms(moment: datetime) -> int:
    return (moment.astimezone(UTC) - _EPOCH) // _ONE_MS


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _zone_label(moment: datetime) -> str:
    label = moment.tzname() or ""
    return f"UTC{label}" if label[:1] in ("+", "-") else label  # zones without an abbreviation say '+04'


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise InvalidCalendar("time_zone", "an IANA time zone name such as 'Europe/Berlin' is required")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidCalendar("time_zone", f"{name!r} is not a known IANA time zone") from exc


def _holiday_dates(source: HolidaySource, year: int) -> frozenset[date]:
    # Observed days can cross a year end (New Year on a Saturday is observed on 31 December), and
    # the package files them under the year they are observed for; ask for the neighbours too.
    table = holidays.country_holidays(
        source.country, subdiv=source.subdivision, years=(year - 1, year, year + 1), observed=source.observed
    )
    return frozenset(day for day in table if day.year == year)


def _check_holiday_source(source: HolidaySource) -> None:
    supported = holidays.list_supported_countries()
    if source.country not in supported:
        raise InvalidCalendar("holidays.country", f"{source.country!r} is not a country the holidays package knows")
    subdivisions = supported[source.country]
    if source.subdivision is not None and source.subdivision not in subdivisions:
        known = ", ".join(subdivisions) or "none"
        raise InvalidCalendar(
            "holidays.subdivision", f"{source.subdivision!r} is not a subdivision of {source.country}; known: {known}"
        )


def _check_structure(calendar: BusinessCalendar) -> None:
    if not _NAME.match(calendar.name):
        raise InvalidCalendar("name", f"must match {_NAME.pattern}")
    if len(calendar.weekly) != len(WEEKDAYS):
        raise InvalidCalendar("hours", "weekly hours need one entry per weekday, Monday first")
    if calendar.always_open:
        if any(calendar.weekly) or calendar.holidays or calendar.closed_dates or calendar.open_dates:
            raise InvalidCalendar(
                "always_open", "a 24/7 calendar takes no hours, holidays or dates; give '00:00-24:00' hours instead"
            )
        return
    if not any(calendar.weekly) and not calendar.open_dates:
        raise InvalidCalendar("hours", "the calendar is never open; give hours, open_dates or always_open")
    _check_week_overlaps(calendar.weekly)
    for day, shifts in calendar.open_dates.items():
        _check_day_overlaps(shifts, f"open_dates.{day.isoformat()}")
        if day in calendar.closed_dates:
            raise InvalidCalendar(f"open_dates.{day.isoformat()}", "the date is also in closed_dates")
    if calendar.holidays is not None:
        _check_holiday_source(calendar.holidays)


def _check_week_overlaps(weekly: Sequence[tuple[Shift, ...]]) -> None:
    spans = sorted(
        (index * _DAY_MINUTES + shift.start_minute, index * _DAY_MINUTES + shift.end_minute, index, shift)
        for index, shifts in enumerate(weekly)
        for shift in shifts
    )
    if not spans:
        return
    wrapped = spans[0]
    spans.append((wrapped[0] + _WEEK_MINUTES, wrapped[1] + _WEEK_MINUTES, wrapped[2], wrapped[3]))
    for (_s, end, day, shift), (start, _e, next_day, next_shift) in pairwise(spans):
        if start < end:
            raise InvalidCalendar(
                f"hours.{WEEKDAYS[next_day]}",
                f"{next_shift} on {WEEKDAYS[next_day]} overlaps {shift} on {WEEKDAYS[day]}",
            )


def _check_day_overlaps(shifts: Sequence[Shift], where: str) -> None:
    ordered = sorted(shifts)
    for earlier, later in pairwise(ordered):
        if later.start_minute < earlier.end_minute:
            raise InvalidCalendar(where, f"{later} overlaps {earlier}")


def _parse_shifts(raw: object, where: str) -> tuple[Shift, ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidCalendar(where, "must be a non-empty list of shifts like '09:00-17:00'")
    if len(raw) > MAX_SHIFTS_PER_DAY:
        raise InvalidCalendar(where, f"at most {MAX_SHIFTS_PER_DAY} shifts a day")
    return tuple(sorted(Shift.parse(item, f"{where}[{index}]") for index, item in enumerate(raw)))


def _parse_weekly(raw: object) -> tuple[tuple[Shift, ...], ...]:
    if not isinstance(raw, Mapping):
        raise InvalidCalendar("hours", "must be an object of weekday (mon..sun) to a list of shifts")
    for key in raw:
        if key not in WEEKDAYS:
            raise InvalidCalendar(f"hours.{key}", f"not a weekday; use {', '.join(WEEKDAYS)}")
    return tuple(_parse_shifts(raw[day], f"hours.{day}") if day in raw else () for day in WEEKDAYS)


def _parse_holidays(raw: object) -> HolidaySource | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) - {"country", "subdivision", "observed"}:
        raise InvalidCalendar("holidays", "must be an object with country, optional subdivision and observed")
    country, subdivision, observed = raw.get("country"), raw.get("subdivision"), raw.get("observed", True)
    if not isinstance(country, str) or not country:
        raise InvalidCalendar("holidays.country", "a country code such as 'DE' is required")
    if subdivision is not None and not isinstance(subdivision, str):
        raise InvalidCalendar("holidays.subdivision", "must be a subdivision code such as 'BE'")
    if not isinstance(observed, bool):
        raise InvalidCalendar("holidays.observed", "must be true or false")
    return HolidaySource(country=country, subdivision=subdivision, observed=observed)


def _parse_date(raw: object, where: str) -> date:
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise InvalidCalendar(where, f"{raw!r} is not a date like '2026-12-24'")


def _parse_dates(raw: object) -> list[date]:
    if not isinstance(raw, list) or len(raw) > MAX_LISTED_DATES:
        raise InvalidCalendar("closed_dates", f"must be a list of at most {MAX_LISTED_DATES} dates")
    return [_parse_date(item, f"closed_dates[{index}]") for index, item in enumerate(raw)]


def _parse_open_dates(raw: object) -> dict[date, tuple[Shift, ...]]:
    if not isinstance(raw, Mapping) or len(raw) > MAX_LISTED_DATES:
        raise InvalidCalendar("open_dates", f"must be an object of at most {MAX_LISTED_DATES} dates to shifts")
    return {_parse_date(key, "open_dates"): _parse_shifts(value, f"open_dates.{key}") for key, value in raw.items()}
