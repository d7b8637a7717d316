"""Business calendars: the answers a care lead expects, and the arithmetic's laws (hypothesis)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from socialcare.errors import InvalidCalendar, NoOpenTime
from socialcare.rules.calendar import BusinessCalendar

pytestmark = pytest.mark.unit

MINUTE = 60_000
HOUR = 60 * MINUTE
WEEKDAYS_9_TO_5 = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def at(zone: str, year: int, month: int, day: int, hour: int, minute: int) -> int:
    """Epoch ms of a local wall-clock time (unambiguous ones only)."""
    return int(datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).timestamp() * 1000)


def wall(zone: str, at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %Z")


def calendar(**config: object) -> BusinessCalendar:
    return BusinessCalendar.from_config({"name": "care", "time_zone": "Europe/Berlin", **config})


BERLIN = calendar(hours=WEEKDAYS_9_TO_5, holidays={"country": "DE", "subdivision": "BE"})
NEW_YORK = BusinessCalendar.from_config(
    {"name": "nyc", "time_zone": "America/New_York", "hours": WEEKDAYS_9_TO_5, "holidays": {"country": "US"}}
)


# --- what a care lead expects -----------------------------------------------------------------
def test_friday_afternoon_message_with_a_one_hour_target_is_due_monday_morning() -> None:
    friday = at("Europe/Berlin", 2026, 3, 6, 16, 30)
    due = BERLIN.add_business_time(friday, HOUR)
    assert wall("Europe/Berlin", due) == "Mon 2026-03-09 09:30 CET"
    assert BERLIN.business_time_between(friday, due) == HOUR
    assert BERLIN.describe_reopening(at("Europe/Berlin", 2026, 3, 6, 17, 30)) == "Monday 09:00 CET"


def test_a_target_that_fits_before_closing_ends_at_the_closing_time() -> None:
    due = BERLIN.add_business_time(at("Europe/Berlin", 2026, 3, 4, 16, 0), HOUR)
    assert wall("Europe/Berlin", due) == "Wed 2026-03-04 17:00 CET"
    assert not BERLIN.is_open(due)
    assert BERLIN.is_open(due - 1)


def test_is_open_and_next_open() -> None:
    tuesday_noon = at("Europe/Berlin", 2026, 3, 3, 12, 0)
    assert BERLIN.is_open(tuesday_noon)
    assert BERLIN.next_open(tuesday_noon) == tuesday_noon
    saturday = at("Europe/Berlin", 2026, 3, 7, 12, 0)
    assert not BERLIN.is_open(saturday)
    assert wall("Europe/Berlin", BERLIN.next_open(saturday)) == "Mon 2026-03-09 09:00 CET"
    assert BERLIN.is_open(at("Europe/Berlin", 2026, 3, 3, 9, 0))  # opening minute is open
    assert not BERLIN.is_open(at("Europe/Berlin", 2026, 3, 3, 17, 0))  # closing minute is not


def test_christmas_public_holidays_and_the_brands_own_closed_days() -> None:
    christmas_eve = at("Europe/Berlin", 2026, 12, 24, 16, 30)  # Thursday; 25 and 26 are holidays
    assert wall("Europe/Berlin", BERLIN.add_business_time(christmas_eve, HOUR)) == "Mon 2026-12-28 09:30 CET"
    closed = calendar(hours=WEEKDAYS_9_TO_5, holidays={"country": "DE"}, closed_dates=["2026-12-24", "2026-12-31"])
    wednesday = at("Europe/Berlin", 2026, 12, 23, 16, 30)
    assert wall("Europe/Berlin", closed.add_business_time(wednesday, HOUR)) == "Mon 2026-12-28 09:30 CET"
    # Over the year end: 31 December closed by the brand, 1 January a public holiday.
    dec_30 = at("Europe/Berlin", 2026, 12, 30, 16, 0)
    assert wall("Europe/Berlin", closed.add_business_time(dec_30, 2 * HOUR)) == "Mon 2027-01-04 10:00 CET"
    assert closed.is_holiday(datetime(2026, 12, 25).date())


def test_an_open_date_gives_special_hours_even_on_a_holiday() -> None:
    shop = calendar(hours=WEEKDAYS_9_TO_5, holidays={"country": "DE"}, open_dates={"2026-12-26": ["10:00-14:00"]})
    christmas_eve = at("Europe/Berlin", 2026, 12, 24, 16, 30)
    assert wall("Europe/Berlin", shop.add_business_time(christmas_eve, HOUR)) == "Sat 2026-12-26 10:30 CET"


def test_an_overnight_special_shift_running_into_the_next_days_hours_counts_once() -> None:
    late = calendar(hours=WEEKDAYS_9_TO_5, open_dates={"2026-03-08": ["20:00-10:00"]})  # Sunday into Monday
    sunday = at("Europe/Berlin", 2026, 3, 8, 19, 0)
    assert late.business_time_between(sunday, at("Europe/Berlin", 2026, 3, 9, 12, 0)) == 16 * HOUR
    assert late.add_business_time(sunday, 14 * HOUR) == at("Europe/Berlin", 2026, 3, 9, 10, 0)


def test_us_holidays_and_observed_days() -> None:
    # 4 July 2026 is a Saturday: the holiday is observed on Friday the 3rd.
    thursday = at("America/New_York", 2026, 7, 2, 16, 30)
    assert wall("America/New_York", NEW_YORK.add_business_time(thursday, HOUR)) == "Mon 2026-07-06 09:30 EDT"
    thanksgiving_eve = at("America/New_York", 2026, 11, 25, 17, 0)
    assert NEW_YORK.describe_reopening(thanksgiving_eve) == "Friday 09:00 EST"


def test_split_shifts_skip_the_lunch_break() -> None:
    split = calendar(hours={"tue": ["08:00-12:00", "13:00-17:00"]})
    due = split.add_business_time(at("Europe/Berlin", 2026, 3, 3, 11, 30), HOUR)
    assert wall("Europe/Berlin", due) == "Tue 2026-03-03 13:30 CET"
    assert split.describe_reopening(at("Europe/Berlin", 2026, 3, 3, 12, 10)) == "today 13:00 CET"


def test_overnight_shift_runs_into_the_next_day_and_belongs_to_the_day_it_starts() -> None:
    night = calendar(hours={"fri": ["22:00-06:00"]})
    friday_late = at("Europe/Berlin", 2026, 3, 6, 23, 0)
    assert night.is_open(friday_late)
    assert night.is_open(at("Europe/Berlin", 2026, 3, 7, 5, 59))
    assert wall("Europe/Berlin", night.add_business_time(friday_late, 2 * HOUR)) == "Sat 2026-03-07 01:00 CET"
    # Half an hour left on Saturday morning, the rest the next Friday night.
    saturday_early = at("Europe/Berlin", 2026, 3, 7, 5, 30)
    assert wall("Europe/Berlin", night.add_business_time(saturday_early, HOUR)) == "Fri 2026-03-13 22:30 CET"
    assert night.describe_reopening(at("Europe/Berlin", 2026, 3, 7, 7, 0)) == "Friday 22:00 CET"
    # A closed Friday cancels its night shift; a closed Saturday does not.
    no_friday = calendar(hours={"fri": ["22:00-06:00"]}, closed_dates=["2026-03-06"])
    assert not no_friday.is_open(friday_late)
    no_saturday = calendar(hours={"fri": ["22:00-06:00"]}, closed_dates=["2026-03-07"])
    assert no_saturday.is_open(at("Europe/Berlin", 2026, 3, 7, 3, 0))


def test_touching_shifts_join_into_one_opening() -> None:
    joined = calendar(hours={"fri": ["22:00-24:00"], "sat": ["00:00-06:00", "06:00-09:00"]})
    friday_late = at("Europe/Berlin", 2026, 3, 6, 23, 0)
    assert joined.add_business_time(friday_late, 10 * HOUR) == at("Europe/Berlin", 2026, 3, 7, 9, 0)
    assert joined.describe_reopening(at("Europe/Berlin", 2026, 3, 7, 10, 0)) == "Friday 22:00 CET"


def test_dst_sunday_in_berlin_night_shifts_last_as_long_as_the_team_is_there() -> None:
    night = calendar(hours={"sat": ["22:00-06:00"]})
    spring = night.business_time_between(
        at("Europe/Berlin", 2026, 3, 28, 12, 0), at("Europe/Berlin", 2026, 3, 29, 12, 0)
    )
    autumn = night.business_time_between(
        at("Europe/Berlin", 2026, 10, 24, 12, 0), at("Europe/Berlin", 2026, 10, 25, 12, 0)
    )
    assert (spring, autumn) == (7 * HOUR, 9 * HOUR)
    due = night.add_business_time(at("Europe/Berlin", 2026, 3, 28, 22, 0), 5 * HOUR)
    assert wall("Europe/Berlin", due) == "Sun 2026-03-29 04:00 CEST"


def test_an_opening_inside_the_spring_gap_is_the_end_of_the_gap_and_inside_the_fold_the_first_time() -> None:
    odd = calendar(hours={"sun": ["02:30-04:00"]})
    spring = odd.next_open(at("Europe/Berlin", 2026, 3, 29, 0, 0))
    assert spring == int(datetime(2026, 3, 29, 1, 0, tzinfo=ZoneInfo("UTC")).timestamp() * 1000)  # 03:00 CEST
    assert odd.describe_reopening(at("Europe/Berlin", 2026, 3, 29, 0, 0)) == "today 03:00 CEST"
    autumn = odd.next_open(at("Europe/Berlin", 2026, 10, 25, 0, 0))
    assert autumn == int(datetime(2026, 10, 25, 0, 30, tzinfo=ZoneInfo("UTC")).timestamp() * 1000)  # 02:30 CEST
    assert odd.business_time_between(autumn, autumn + 5 * HOUR) == 2 * HOUR + 30 * MINUTE  # 02:30 CEST-04:00 CET


def test_dst_sunday_in_new_york() -> None:
    friday = at("America/New_York", 2026, 3, 6, 16, 30)
    due = NEW_YORK.add_business_time(friday, HOUR)
    assert wall("America/New_York", due) == "Mon 2026-03-09 09:30 EDT"
    weekend = BusinessCalendar.from_config(
        {"name": "weekend", "time_zone": "America/New_York", "hours": {"sun": ["00:00-24:00"]}}
    )
    sunday = at("America/New_York", 2026, 3, 8, 0, 0)
    assert weekend.business_time_between(sunday, sunday + 48 * HOUR) == 23 * HOUR
    fall_sunday = at("America/New_York", 2026, 11, 1, 0, 0)
    assert weekend.business_time_between(fall_sunday, fall_sunday + 48 * HOUR) == 25 * HOUR


def test_leap_day_counts_like_any_other_tuesday() -> None:
    utc = BusinessCalendar.from_config({"name": "utc", "time_zone": "UTC", "hours": WEEKDAYS_9_TO_5})
    monday = at("UTC", 2028, 2, 28, 16, 0)
    assert wall("UTC", utc.add_business_time(monday, 2 * HOUR)) == "Tue 2028-02-29 10:00 UTC"
    closed = BusinessCalendar.from_config(
        {"name": "utc", "time_zone": "UTC", "hours": WEEKDAYS_9_TO_5, "closed_dates": ["2028-02-29"]}
    )
    assert wall("UTC", closed.add_business_time(monday, 2 * HOUR)) == "Wed 2028-03-01 10:00 UTC"
    assert utc.business_time_between(monday, at("UTC", 2028, 3, 1, 9, 0)) == 9 * HOUR


def test_describe_reopening_is_honest_about_how_far_away_it_is() -> None:
    assert BERLIN.describe_reopening(at("Europe/Berlin", 2026, 3, 3, 12, 0)) == "now"
    assert BERLIN.describe_reopening(at("Europe/Berlin", 2026, 3, 3, 7, 0)) == "today 09:00 CET"
    assert BERLIN.describe_reopening(at("Europe/Berlin", 2026, 3, 3, 18, 0)) == "tomorrow 09:00 CET"
    assert BERLIN.describe_reopening(at("Europe/Berlin", 2026, 7, 3, 18, 0)) == "Monday 09:00 CEST"
    holiday = calendar(hours=WEEKDAYS_9_TO_5, closed_dates=[f"2026-12-{day}" for day in range(21, 32)])
    assert holiday.describe_reopening(at("Europe/Berlin", 2026, 12, 18, 18, 0)) == "Friday 1 January 09:00 CET"
    dubai = BusinessCalendar.from_config({"name": "dxb", "time_zone": "Asia/Dubai", "hours": {"mon": ["09:00-17:00"]}})
    assert dubai.describe_reopening(at("Asia/Dubai", 2026, 3, 3, 12, 0)) == "Monday 09:00 UTC+04"


def test_a_target_of_a_month_on_a_team_open_one_hour_a_week_ends_years_later_without_looping() -> None:
    sparse = calendar(hours={"mon": ["09:00-10:00"]})
    start = at("Europe/Berlin", 2026, 1, 5, 9, 0)
    due = sparse.add_business_time(start, 30 * 24 * HOUR)
    assert wall("Europe/Berlin", due) == "Mon 2039-10-17 10:00 CEST"  # 720 Mondays later
    assert sparse.business_time_between(start, due) == 30 * 24 * HOUR


def test_a_calendar_that_stops_opening_raises_instead_of_looping() -> None:
    once = calendar(open_dates={"2026-01-05": ["09:00-10:00"]})
    start = at("Europe/Berlin", 2026, 1, 5, 9, 0)
    assert once.add_business_time(start, HOUR) == start + HOUR
    with pytest.raises(NoOpenTime, match="no open time"):
        once.add_business_time(start, 2 * HOUR)
    assert once.business_time_between(start - HOUR, start + 900 * 24 * HOUR) == HOUR


def test_business_time_between_is_negative_when_overdue() -> None:
    monday = at("Europe/Berlin", 2026, 3, 9, 10, 0)
    assert BERLIN.business_time_between(monday + HOUR, monday) == -HOUR


def test_twenty_four_seven_is_wall_clock_time() -> None:
    always = BusinessCalendar.twenty_four_seven("always", "Europe/Berlin")
    start = at("Europe/Berlin", 2026, 3, 28, 12, 0)
    assert always.add_business_time(start, 30 * HOUR) == start + 30 * HOUR
    assert always.is_open(start)
    assert always.describe_reopening(start) == "now"
    assert BusinessCalendar.from_config(always.to_config()) == always


def test_config_round_trips() -> None:
    full = calendar(
        hours={"mon": ["09:00-12:00", "13:00-17:00"], "fri": ["22:00-06:00"], "sun": ["00:00-24:00"]},
        holidays={"country": "DE", "subdivision": "BE", "observed": False},
        closed_dates=["2026-12-24"],
        open_dates={"2026-12-27": ["10:00-14:00"]},
    )
    config = full.to_config()
    assert config["hours"] == {"mon": ["09:00-12:00", "13:00-17:00"], "fri": ["22:00-06:00"], "sun": ["00:00-24:00"]}
    assert BusinessCalendar.from_config(config) == full


@pytest.mark.parametrize(
    ("config", "field", "reason"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "not a known IANA time zone"),
        ({"time_zone": None}, "time_zone", "required"),
        ({"name": "Care Team"}, "name", "must match"),
        ({"hours": {"mon": ["09:00-12:00", "11:00-13:00"]}}, "hours.mon", "11:00-13:00 on mon overlaps 09:00-12:00"),
        ({"hours": {"fri": ["22:00-06:00"], "sat": ["05:00-09:00"]}}, "hours.sat", "overlaps 22:00-06:00 on fri"),
        ({"hours": {"sun": ["22:00-06:00"], "mon": ["05:00-09:00"]}}, "hours.mon", "overlaps 22:00-06:00 on sun"),
        ({"hours": {"mon": ["9-17"]}}, "hours.mon[0]", "not a shift"),
        ({"hours": {"mon": ["09:00-09:00"]}}, "hours.mon[0]", "ambiguous"),
        ({"hours": {"mon": ["24:00-09:00"]}}, "hours.mon[0]", "not a time of day"),
        ({"hours": {"mon": ["09:00-24:30"]}}, "hours.mon[0]", "not a time of day"),
        ({"hours": {"monday": ["09:00-17:00"]}}, "hours.monday", "not a weekday"),
        ({"hours": {"mon": []}}, "hours.mon", "non-empty list"),
        ({"hours": {}}, "hours", "never open"),
        ({"holidays": {"country": "XX"}}, "holidays.country", "not a country"),
        ({"holidays": {"country": "DE", "subdivision": "ZZ"}}, "holidays.subdivision", "known: BB, BE"),
        ({"holidays": {"country": "DE", "observed": "yes"}}, "holidays.observed", "true or false"),
        ({"closed_dates": ["2026-02-30"]}, "closed_dates[0]", "not a date"),
        (
            {"closed_dates": ["2026-12-27"], "open_dates": {"2026-12-27": ["10:00-14:00"]}},
            "open_dates.2026-12-27",
            "closed_dates",
        ),
        ({"open_dates": {"2026-12-27": ["10:00-14:00", "13:00-15:00"]}}, "open_dates.2026-12-27", "overlaps"),
        ({"always_open": True}, "always_open", "takes no hours"),
        ({"always_open": "yes"}, "always_open", "true or false"),
        ({"opening_hours": {}}, "opening_hours", "unknown field"),
    ],
)
def test_invalid_calendars_say_which_field_and_why(config: dict[str, object], field: str, reason: str) -> None:
    base: dict[str, object] = {"name": "care", "time_zone": "Europe/Berlin", "hours": WEEKDAYS_9_TO_5}
    with pytest.raises(InvalidCalendar) as raised:
        BusinessCalendar.from_config({**base, **config})
    assert raised.value.field == field
    assert reason in raised.value.reason
    assert raised.value.code == "invalid_calendar"


# --- laws of the arithmetic (hypothesis) --------------------------------------------------------
CALENDARS = [
    BERLIN,
    NEW_YORK,
    calendar(hours={"tue": ["08:00-12:00", "13:00-17:00"], "fri": ["22:00-06:00"], "sun": ["02:30-03:30"]}),
    calendar(hours={"mon": ["09:00-10:00"], "thu": ["23:30-00:30"]}, closed_dates=["2026-03-09"]),
    BusinessCalendar.from_config(
        {"name": "sydney", "time_zone": "Australia/Sydney", "hours": {"sat": ["01:00-04:00"], "sun": ["01:30-03:00"]}}
    ),
]
DAY = 24 * HOUR
# Starts anywhere in three years, and often within two days of a time change, a year end or a leap day.
AWKWARD = [
    at("UTC", 2026, 3, 29, 1, 0),  # Berlin springs forward
    at("UTC", 2026, 10, 25, 1, 0),  # Berlin falls back
    at("UTC", 2026, 3, 8, 7, 0),  # New York springs forward
    at("UTC", 2026, 11, 1, 6, 0),  # New York falls back
    at("UTC", 2026, 4, 4, 16, 0),  # Sydney falls back
    at("UTC", 2026, 10, 3, 16, 0),  # Sydney springs forward
    at("UTC", 2026, 12, 31, 23, 0),
    at("UTC", 2028, 2, 29, 0, 0),
]
START = st.one_of(
    st.integers(min_value=at("UTC", 2025, 12, 1, 0, 0), max_value=at("UTC", 2028, 12, 31, 0, 0)),
    st.sampled_from(AWKWARD).flatmap(lambda moment: st.integers(moment - 2 * DAY, moment + 2 * DAY)),
)
DURATION = st.integers(min_value=0, max_value=40 * HOUR)
LAWS = settings(max_examples=40, deadline=None)


@LAWS
@given(cal=st.sampled_from(CALENDARS), start=START, a=DURATION, b=DURATION)
def test_adding_business_time_is_monotonic_in_the_duration(cal: BusinessCalendar, start: int, a: int, b: int) -> None:
    short, long = sorted((a, b))
    assert cal.add_business_time(start, short) <= cal.add_business_time(start, long)


@LAWS
@given(cal=st.sampled_from(CALENDARS), s1=START, s2=START, d=DURATION)
def test_adding_business_time_is_monotonic_in_the_start(cal: BusinessCalendar, s1: int, s2: int, d: int) -> None:
    early, late = sorted((s1, s2))
    assert cal.add_business_time(early, d) <= cal.add_business_time(late, d)


@LAWS
@given(cal=st.sampled_from(CALENDARS), start=START, a=DURATION, b=DURATION)
def test_adding_a_plus_b_is_adding_a_then_b(cal: BusinessCalendar, start: int, a: int, b: int) -> None:
    assert cal.add_business_time(start, a + b) == cal.add_business_time(cal.add_business_time(start, a), b)


@LAWS
@given(cal=st.sampled_from(CALENDARS), start=START, d=st.integers(min_value=1, max_value=40 * HOUR))
def test_a_due_time_never_falls_in_closed_hours(cal: BusinessCalendar, start: int, d: int) -> None:
    due = cal.add_business_time(start, d)
    assert cal.is_open(due - 1)  # the last millisecond counted was open time


@LAWS
@given(cal=st.sampled_from(CALENDARS), start=START, d=DURATION)
def test_business_time_between_start_and_due_is_the_duration(cal: BusinessCalendar, start: int, d: int) -> None:
    assert cal.business_time_between(start, cal.add_business_time(start, d)) == d


@LAWS
@given(cal=st.sampled_from(CALENDARS), start=START)
def test_next_open_is_open_and_nothing_before_it_is(cal: BusinessCalendar, start: int) -> None:
    reopening = cal.next_open(start)
    assert cal.is_open(reopening)
    assert cal.business_time_between(start, reopening) == 0


WHOLE_WEEK = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
AROUND_THE_CLOCK = [
    BusinessCalendar.twenty_four_seven("always", "Europe/Berlin"),
    calendar(hours=WHOLE_WEEK),  # every day spelled out: days join up across DST changes too
    BusinessCalendar.from_config({"name": "nyc", "time_zone": "America/New_York", "hours": WHOLE_WEEK}),
]


@LAWS
@given(cal=st.sampled_from(AROUND_THE_CLOCK), start=START, d=DURATION)
def test_a_twenty_four_seven_calendar_is_wall_clock_addition(cal: BusinessCalendar, start: int, d: int) -> None:
    assert cal.add_business_time(start, d) == start + d
    assert cal.business_time_between(start, start + d) == d


@LAWS
@given(cal=st.sampled_from(CALENDARS), moment=START)
def test_is_open_agrees_with_the_business_time_counted(cal: BusinessCalendar, moment: int) -> None:
    assert cal.is_open(moment) == (cal.business_time_between(moment, moment + 1) == 1)
