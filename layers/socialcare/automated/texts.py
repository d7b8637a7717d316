"""What an automated message says: the brand's template, filled in for the case, in plain English.

The acknowledgement's promise is the case's stored response due time, told in the time zone of the
calendar its SLA policy runs on ("today by 14:30 CET", "Monday by 09:30 CET"), with whether the team
is there now ("Our team is away right now and back Monday 09:00 CET."): after hours and on holidays
the customer reads when someone will really be back, not a promise the calendar cannot keep.
"""

from __future__ import annotations

from socialcare.errors import NoOpenTime
from socialcare.model.automation import ACKNOWLEDGEMENT_PLACEHOLDERS, NUDGE_PLACEHOLDERS
from socialcare.model.case import Case
from socialcare.model.profile import BrandProfile, case_values, placeholders_of, render
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.sla import NOT_DUE_MS

QUEUE_POSITION_BOUND = 50  # the queue count reads at most this many cases: "more than 50" past it
AS_SOON_AS_POSSIBLE = "as soon as possible"


def expected_reply(due_ms: int | None, now_ms: int, calendar: BusinessCalendar) -> str:
    """When the brand promises its answer: the due time in the calendar's zone, or, when there is
    none or it has passed already (a message that arrived late), as soon as possible."""
    if due_ms is None or due_ms == NOT_DUE_MS or due_ms <= now_ms:
        return AS_SOON_AS_POSSIBLE
    return calendar.describe_instant(due_ms, seen_from_ms=now_ms, before_clock="by ")


def availability(now_ms: int, calendar: BusinessCalendar) -> str:
    if calendar.is_open(now_ms):
        return "Our team is here now."
    try:
        return f"Our team is away right now and back {calendar.describe_reopening(now_ms)}."
    except NoOpenTime:  # closed for over a year: no honest "back at" to give
        return "Our team is away right now."


def queue_position(cases_ahead: int, bound: int = QUEUE_POSITION_BOUND) -> str:
    """The case's place in its queue ("3"), or "more than <bound>" once the count reached its bound."""
    return f"more than {bound}" if cases_ahead >= bound else str(cases_ahead + 1)


def wants_queue_position(profile: BrandProfile) -> bool:
    """Whether the acknowledgement shows the queue position (so the queue is to be counted)."""
    settings = profile.acknowledgement
    return settings.queue_position and "queue_position" in placeholders_of(settings.text, ACKNOWLEDGEMENT_PLACEHOLDERS)


def acknowledgement_text(
    case: Case, profile: BrandProfile, *, now_ms: int, calendar: BusinessCalendar, position: str | None
) -> str:
    """The acknowledgement for the case; ``PlaceholderUnavailable`` names a value it does not have."""
    values = {
        **case_values(case, profile.brand_name),
        "expected_reply": expected_reply(case.response_due_at_ms, now_ms, calendar),
        "availability": availability(now_ms, calendar),
        "queue_position": position,
    }
    return render(profile.acknowledgement.text, values, ACKNOWLEDGEMENT_PLACEHOLDERS)


def nudge_text(case: Case, profile: BrandProfile) -> str:
    return render(profile.nudge.text, case_values(case, profile.brand_name), NUDGE_PLACEHOLDERS)


def template_description(template: dict[str, object]) -> str:
    """What the thread shows for a message sent as a WhatsApp template (as for an agent's)."""
    return f"[WhatsApp template {template['name']} ({template['language']})]"
