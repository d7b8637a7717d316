"""SLA policies: which promise applies to a case, and when its clocks warn, breach and escalate."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from socialcare.clock import ManualClock
from socialcare.errors import InvalidPolicy
from socialcare.model.case import CaseStatus, Priority
from socialcare.model.events import Channel
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.policies import PolicySet, SlaClock
from socialcare.rules.sla import (
    NOT_DUE_MS,
    CaseClockFacts,
    EscalationTier,
    ResponseTargets,
    accumulate_pauses,
    compute_due,
    due_times,
    policy_set_from_response_targets,
)

pytestmark = pytest.mark.unit

MINUTE = 60_000
HOUR = 60 * MINUTE
BERLIN = "Europe/Berlin"


def at(year: int, month: int, day: int, hour: int, minute: int) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(BERLIN)).timestamp() * 1000)


def wall(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, ZoneInfo(BERLIN)).strftime("%a %H:%M")


CALENDARS = {
    "office": BusinessCalendar.from_config(
        {
            "name": "office",
            "time_zone": BERLIN,
            "hours": {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": {"country": "DE", "subdivision": "BE"},
        }
    ),
    "always": BusinessCalendar.twenty_four_seven("always", BERLIN),
}


def first_response_policy(
    name: str, calendar: str, match: dict[str, str], minutes: int, **settings: object
) -> dict[str, object]:
    """A policy's config that sets only its first-response target (the rest it takes from the default)."""
    return {
        "name": name,
        "calendar": calendar,
        "match": match,
        "targets_minutes": {"first_response": minutes},
        **settings,
    }


CONFIG: dict[str, object] = {
    "version": 3,
    "policies": [
        {
            "name": "default",
            "calendar": "office",
            "match": {},
            "targets_minutes": {"first_response": 60, "next_response": 120, "periodic_update": 480, "resolution": 960},
        },
        first_response_policy("whatsapp", "office", {"channel": "whatsapp"}, 30),
        first_response_policy("urgent", "always", {"priority": "urgent"}, 15),
        first_response_policy("billing", "office", {"team": "billing"}, 90),
        first_response_policy("acme-uk", "office", {"account": "acme-uk"}, 45),
        first_response_policy(
            "urgent-whatsapp",
            "always",
            {"channel": "whatsapp", "priority": "urgent"},
            10,
            warn_before=0.5,
            second_tier_after=None,
        ),
    ],
}
POLICIES = PolicySet.from_config(CONFIG)


def facts(**changes: object) -> CaseClockFacts:
    friday = at(2026, 3, 6, 16, 30)
    base = CaseClockFacts(
        account_id="acme-de",
        channel=Channel.MESSENGER,
        priority=Priority.NORMAL,
        team="care",
        status=CaseStatus.OPEN,
        status_since_ms=friday,
        opened_at_ms=friday,
        awaiting_reply_since_ms=friday,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def policy_name(**case: object) -> str:
    found = facts(**case)
    return POLICIES.policy_for(
        account=found.account_id, channel=found.channel, priority=found.priority, team=found.team
    ).name


# --- which policy applies ----------------------------------------------------------------------
def test_the_most_specific_policy_wins() -> None:
    assert policy_name() == "default"
    assert policy_name(channel=Channel.WHATSAPP) == "whatsapp"
    assert policy_name(priority=Priority.URGENT) == "urgent"
    assert policy_name(channel=Channel.WHATSAPP, priority=Priority.URGENT) == "urgent-whatsapp"  # two fields beat one


def test_between_equally_specific_policies_account_beats_team_beats_priority_beats_channel() -> None:
    assert policy_name(account_id="acme-uk", team="billing") == "acme-uk"
    assert policy_name(team="billing", priority=Priority.URGENT) == "billing"
    assert policy_name(priority=Priority.URGENT, team="care", channel=Channel.X_POST) == "urgent"
    assert policy_name(channel=Channel.WHATSAPP, team="billing") == "billing"


# --- due times ---------------------------------------------------------------------------------
def test_friday_afternoon_first_response_is_due_monday_with_warning_and_second_tier() -> None:
    friday = at(2026, 3, 6, 16, 30)
    due = due_times(POLICIES, CALENDARS, facts(), ManualClock(friday))
    first = due.due(SlaClock.FIRST_RESPONSE)
    assert first is not None
    assert (due.policy, due.policy_version, due.calendar, due.computed_at_ms) == ("default", 3, "office", friday)
    assert (wall(first.warn_at_ms), wall(first.breach_at_ms), wall(first.second_tier_at_ms or 0)) == (
        "Mon 09:15",  # a quarter of the target before the breach
        "Mon 09:30",
        "Mon 10:00",  # half the target after it
    )
    assert first.remaining_ms == HOUR
    assert due.response_due_at_ms == first.breach_at_ms
    resolution = due.due(SlaClock.RESOLUTION)
    assert resolution is not None
    assert wall(resolution.breach_at_ms) == "Tue 16:30"  # 16 business hours from Friday 16:30
    assert due.due(SlaClock.NEXT_RESPONSE) is None
    assert due.due(SlaClock.PERIODIC_UPDATE) is None


def test_the_case_clock_waits_for_the_tiers_in_order() -> None:
    friday = at(2026, 3, 6, 16, 30)
    due = due_times(POLICIES, CALENDARS, facts(), ManualClock(friday))
    assert [(wall(moment), clock, tier) for moment, clock, tier in due.escalations(friday)] == [
        ("Mon 09:15", SlaClock.FIRST_RESPONSE, EscalationTier.WARN),
        ("Mon 09:30", SlaClock.FIRST_RESPONSE, EscalationTier.BREACH),
        ("Mon 10:00", SlaClock.FIRST_RESPONSE, EscalationTier.SECOND_TIER),
        ("Tue 12:30", SlaClock.RESOLUTION, EscalationTier.WARN),
        ("Tue 16:30", SlaClock.RESOLUTION, EscalationTier.BREACH),
        ("Wed 16:30", SlaClock.RESOLUTION, EscalationTier.SECOND_TIER),
    ]
    assert due.next_escalation(at(2026, 3, 9, 9, 15)) == (
        at(2026, 3, 9, 9, 30),
        SlaClock.FIRST_RESPONSE,
        EscalationTier.BREACH,
    )


def test_an_urgent_whatsapp_on_a_24_7_calendar_has_no_second_tier() -> None:
    sunday = at(2026, 3, 8, 3, 0)
    due = due_times(POLICIES, CALENDARS, facts(channel=Channel.WHATSAPP, priority=Priority.URGENT), ManualClock(sunday))
    first = due.due(SlaClock.FIRST_RESPONSE)
    assert first is not None
    assert (first.warn_at_ms, first.breach_at_ms, first.second_tier_at_ms) == (
        at(2026, 3, 6, 16, 35),
        at(2026, 3, 6, 16, 40),
        None,
    )
    assert first.remaining_ms < 0  # breached since Friday


def test_after_the_first_answer_the_next_message_runs_the_next_response_clock() -> None:
    monday = at(2026, 3, 9, 10, 0)
    answered = facts(first_response_at_ms=at(2026, 3, 9, 9, 10), awaiting_reply_since_ms=monday)
    due = due_times(POLICIES, CALENDARS, answered, ManualClock(monday))
    assert due.due(SlaClock.FIRST_RESPONSE) is None
    next_response = due.due(SlaClock.NEXT_RESPONSE)
    assert next_response is not None
    assert wall(next_response.breach_at_ms) == "Mon 12:00"
    nobody_waiting = replace(answered, awaiting_reply_since_ms=None)
    assert due_times(POLICIES, CALENDARS, nobody_waiting, ManualClock(monday)).response_due_at_ms == NOT_DUE_MS


def test_waiting_on_a_department_runs_the_periodic_update_clock_from_the_last_update() -> None:
    handed_over = at(2026, 3, 9, 10, 0)
    waiting = facts(
        status=CaseStatus.PENDING_INTERNAL,
        status_since_ms=handed_over,
        first_response_at_ms=at(2026, 3, 6, 16, 40),
        awaiting_reply_since_ms=None,
        last_outbound_at_ms=at(2026, 3, 9, 11, 0),
    )
    due = due_times(POLICIES, CALENDARS, waiting, ManualClock(handed_over))
    update = due.due(SlaClock.PERIODIC_UPDATE)
    assert update is not None
    assert update.started_at_ms == at(2026, 3, 9, 11, 0)
    assert wall(update.breach_at_ms) == "Tue 11:00"  # 8 business hours


def test_pending_customer_pauses_the_resolution_clock_and_the_pause_does_not_count() -> None:
    opened = at(2026, 3, 9, 9, 0)  # Monday; resolution target 16 business hours
    asked = at(2026, 3, 9, 13, 0)  # the agent asks the customer for an order number
    pending = facts(
        status=CaseStatus.PENDING_CUSTOMER,
        status_since_ms=asked,
        opened_at_ms=opened,
        awaiting_reply_since_ms=None,
        first_response_at_ms=at(2026, 3, 9, 9, 20),
    )
    policy = POLICIES.policy_for(account="acme-de", channel=Channel.MESSENGER, priority=Priority.NORMAL, team="care")
    during = compute_due(policy, CALENDARS["office"], pending, version=3, now_ms=at(2026, 3, 10, 9, 0))
    assert during.due(SlaClock.RESOLUTION) is None
    (paused,) = during.paused
    assert (paused.clock, paused.paused_since_ms, paused.remaining_ms) == (SlaClock.RESOLUTION, asked, 12 * HOUR)
    replied = at(2026, 3, 10, 11, 0)  # the customer answers on Tuesday morning: 6 business hours paused
    paused_ms = accumulate_pauses(policy, CALENDARS["office"], pending, until_ms=replied)
    assert paused_ms == {SlaClock.RESOLUTION: 6 * HOUR}
    running = replace(
        pending, status=CaseStatus.OPEN, status_since_ms=replied, awaiting_reply_since_ms=replied, paused_ms=paused_ms
    )
    after = compute_due(policy, CALENDARS["office"], running, version=3, now_ms=replied)
    resolution = after.due(SlaClock.RESOLUTION)
    assert resolution is not None
    assert wall(resolution.breach_at_ms) == "Wed 15:00"  # 12 h left at Tuesday 11:00: 6 h Tuesday, 6 h Wednesday
    assert resolution.remaining_ms == 12 * HOUR


def test_a_policy_can_pause_response_clocks_while_a_department_works() -> None:
    config = {
        "version": 1,
        "policies": [
            {
                "name": "default",
                "calendar": "always",
                "targets_minutes": {"first_response": 60},
                "pauses": {"first_response": ["pending_internal"]},
            }
        ],
    }
    policies = PolicySet.from_config(config)
    waiting = facts(status=CaseStatus.PENDING_INTERNAL, status_since_ms=at(2026, 3, 6, 16, 45))
    due = due_times(policies, CALENDARS, waiting, ManualClock(at(2026, 3, 6, 18, 0)))
    assert [(p.clock, p.remaining_ms) for p in due.paused] == [(SlaClock.FIRST_RESPONSE, 45 * MINUTE)]
    assert due.response_due_at_ms == NOT_DUE_MS


def test_resolved_and_closed_cases_run_no_clocks() -> None:
    for status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        due = due_times(POLICIES, CALENDARS, facts(status=status), ManualClock(at(2026, 3, 6, 17, 0)))
        assert (due.running, due.paused, due.response_due_at_ms) == ((), (), NOT_DUE_MS)
        assert due.next_escalation(0) is None


def test_due_times_computed_after_a_change_use_the_new_version() -> None:
    clock = ManualClock(at(2026, 3, 6, 16, 30))
    before = due_times(POLICIES, CALENDARS, facts(), clock)
    changed = {**CONFIG, "version": 4}
    changed["policies"] = [
        {**CONFIG["policies"][0], "targets_minutes": {"first_response": 30}},  # type: ignore[index]
        *CONFIG["policies"][1:],  # type: ignore[index]
    ]
    after = due_times(PolicySet.from_config(changed), CALENDARS, facts(), clock)
    assert (before.policy_version, wall(before.response_due_at_ms)) == (3, "Mon 09:30")
    assert (after.policy_version, wall(after.response_due_at_ms)) == (4, "Fri 17:00")


def test_response_targets_keep_working_and_translate_to_an_equivalent_policy_set() -> None:
    targets = ResponseTargets()
    since = at(2026, 3, 28, 23, 0)  # over the spring-forward night: wall-clock time is business time
    assert targets.due_at(Channel.X_POST, since) == since + HOUR
    policies = policy_set_from_response_targets(targets)
    calendars = {"always": BusinessCalendar.twenty_four_seven("always")}
    for channel in Channel:
        due = due_times(policies, calendars, facts(channel=channel, awaiting_reply_since_ms=since), ManualClock(since))
        assert due.response_due_at_ms == targets.due_at(channel, since)


def test_config_round_trips() -> None:
    assert PolicySet.from_config(POLICIES.to_config()) == POLICIES


def test_every_named_calendar_must_exist() -> None:
    POLICIES.require_calendars(CALENDARS)
    with pytest.raises(InvalidPolicy) as raised:
        POLICIES.require_calendars({"office"})
    assert raised.value.field == "policies[2].calendar"
    assert POLICIES.calendar_names == {"office", "always"}


DEFAULT = {"name": "default", "calendar": "office", "targets_minutes": {"first_response": 60}}


@pytest.mark.parametrize(
    ("config", "field", "reason"),
    [
        ({"version": 0, "policies": [DEFAULT]}, "version", "positive integer"),
        ({"version": True, "policies": [DEFAULT]}, "version", "positive integer"),
        ({"version": 1, "policies": []}, "policies", "give 1 to"),
        ({"version": 1, "policies": {}}, "policies", "must be a list"),
        ({"version": 1, "policies": [DEFAULT], "extra": 1}, "policy set", "version and policies"),
        ({"version": 1, "policies": [{**DEFAULT, "match": {"team": "care"}}]}, "policies", "empty match"),
        ({"version": 1, "policies": [DEFAULT, DEFAULT]}, "policies[1].name", "used twice"),
        ({"version": 1, "policies": [DEFAULT, {**DEFAULT, "name": "other"}]}, "policies[1].match", "same match"),
        (
            {"version": 1, "policies": [{**DEFAULT, "match": {"channel": "fax"}}]},
            "policies[0].match.channel",
            "not one of",
        ),
        (
            {"version": 1, "policies": [{**DEFAULT, "match": {"priority": "asap"}}]},
            "policies[0].match.priority",
            "not one of",
        ),
        (
            {"version": 1, "policies": [{**DEFAULT, "match": {"region": "eu"}}]},
            "policies[0].match.region",
            "unknown field",
        ),
        ({"version": 1, "policies": [{**DEFAULT, "match": {"team": ""}}]}, "policies[0].match.team", "non-empty"),
        (
            {"version": 1, "policies": [{**DEFAULT, "targets_minutes": {}}]},
            "policies[0].targets_minutes",
            "at least one",
        ),
        (
            {"version": 1, "policies": [{**DEFAULT, "targets_minutes": {"first_response": 0}}]},
            "policies[0].targets_minutes.first_response",
            "1 to",
        ),
        (
            {"version": 1, "policies": [{**DEFAULT, "targets_minutes": {"first_response": 1.5}}]},
            "policies[0].targets_minutes.first_response",
            "whole number",
        ),
        (
            {"version": 1, "policies": [{**DEFAULT, "targets_minutes": {"reply": 5}}]},
            "policies[0].targets_minutes.reply",
            "not one of",
        ),
        ({"version": 1, "policies": [{**DEFAULT, "warn_before": 1}]}, "policies[0].warn_before", "between 0 and 1"),
        ({"version": 1, "policies": [{**DEFAULT, "warn_before": "10%"}]}, "policies[0].warn_before", "a number"),
        ({"version": 1, "policies": [{**DEFAULT, "second_tier_after": 0}]}, "policies[0].second_tier_after", "above 0"),
        (
            {"version": 1, "policies": [{**DEFAULT, "pauses": {"periodic_update": ["pending_customer"]}}]},
            "policies[0].pauses.periodic_update",
            "allowed: none",
        ),
        (
            {"version": 1, "policies": [{**DEFAULT, "pauses": {"resolution": ["resolved"]}}]},
            "policies[0].pauses.resolution",
            "cannot pause",
        ),
        (
            {"version": 1, "policies": [{**DEFAULT, "pauses": {"resolution": ["on_hold"]}}]},
            "policies[0].pauses.resolution",
            "not one of",
        ),
        (
            {"version": 1, "policies": [{**DEFAULT, "calendar": "Office Hours"}]},
            "policies[0].calendar",
            "must name a calendar",
        ),
        ({"version": 1, "policies": [{**DEFAULT, "calendar": None}]}, "policies[0].calendar", "required"),
        ({"version": 1, "policies": [{**DEFAULT, "owner": "x"}]}, "policies[0].owner", "unknown field"),
    ],
)
def test_invalid_policies_say_which_field_and_why(config: dict[str, object], field: str, reason: str) -> None:
    with pytest.raises(InvalidPolicy) as raised:
        PolicySet.from_config(config)
    assert raised.value.field == field
    assert reason in raised.value.reason
    assert raised.value.code == "invalid_policy"
