"""The pure decisions of automated messages: the gate, the texts (after hours, holidays, DST), the
brand's templates checked when saved, and a crisis's declaration and scope."""

from __future__ import annotations

from typing import Any

import pytest
from socialcare.automated import texts
from socialcare.errors import InvalidCrisis, InvalidRequest, UnknownPlaceholder
from socialcare.model.automation import Purpose
from socialcare.model.case import CaseMark, CaseRouting, CaseStatus
from socialcare.model.events import Channel, Customer
from socialcare.model.profile import BrandProfile, profile_document, profile_from_document
from socialcare.rules.automated import GateFacts, gate, private_channel
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.crisis import crises_for, declare, in_scope

from tests.case_support import care_case
from tests.sla_config_support import BERLIN

pytestmark = pytest.mark.unit

T0 = 1_767_258_000_000  # 2026-01-01T09:00:00Z
HOUR = 3_600_000
CALENDAR = BusinessCalendar.from_config(BERLIN)
BASE = BrandProfile.default("page-1", "Acme")


def case_on(channel: Channel, *, inbound_at: int = T0, **fields: Any) -> Any:
    facts: dict[str, Any] = {
        "last_inbound_by_channel": {channel: inbound_at},
        "last_inbound_at_ms": inbound_at,
        "awaiting_reply_since_ms": inbound_at,
        "response_due_at_ms": inbound_at + 4 * HOUR,
        "customer": Customer("cust-1", name="Ana Lima"),
    }
    facts.update(fields)
    customer = facts.pop("customer")
    return care_case("01JGZ8Q5K2M3N4P5Q6R7S8T9V0", channel, "page-1", customer, inbound_at, **facts)


def ack(now: int = T0) -> GateFacts:
    return GateFacts(Purpose.ACKNOWLEDGEMENT, now)


# --- the gate -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("channel", [Channel.X_DM, Channel.TELEGRAM])
def test_channels_without_a_window_always_take_an_automated_message(channel: Channel) -> None:
    decision = gate(case_on(channel), ack(T0 + 30 * 24 * HOUR))
    assert decision.sends
    assert decision.delivery is not None
    assert (decision.delivery.channel, decision.delivery.tag) == (channel, None)


def test_an_acknowledgement_never_uses_the_human_agent_tag() -> None:
    late = GateFacts(Purpose.ACKNOWLEDGEMENT, T0 + 30 * HOUR, human_agent_allowed=True)
    decision = gate(case_on(Channel.INSTAGRAM_DM), late)
    assert decision.delivery is None
    assert "HUMAN_AGENT tag" in decision.reason


def test_the_mark_decides_before_anything_else() -> None:
    decision = gate(case_on(Channel.FACEBOOK_COMMENT, mark=CaseMark("troll", ("blocked",))), ack())
    assert decision.reason == "the case is marked troll"


def test_the_private_channel_is_the_one_the_customer_last_wrote_on_privately() -> None:
    case = case_on(
        Channel.X_POST,
        last_inbound_by_channel={Channel.X_POST: T0 + HOUR, Channel.X_DM: T0, Channel.MESSENGER: T0 - HOUR},
    )
    assert private_channel(case) is Channel.X_DM
    assert private_channel(case_on(Channel.X_POST)) is None


def test_a_crisis_in_scope_holds_what_would_go_and_names_itself() -> None:
    storm = declare({"name": "Storm", "scope": {"accounts": ["page-1"]}}, crisis_id="C1", by="root", now_ms=T0)
    decision = gate(case_on(Channel.MESSENGER), ack(T0 + 1), [storm])
    assert decision.held_by == storm
    assert decision.delivery is not None
    assert not decision.sends
    refused = gate(case_on(Channel.MESSENGER, status=CaseStatus.CLOSED), ack(T0 + 1), [storm])
    assert (refused.held_by, refused.reason) == (None, "the case is closed")


# --- the texts ------------------------------------------------------------------------------------------
def berlin(text: str) -> int:
    from datetime import datetime

    return round(datetime.fromisoformat(text).timestamp() * 1000)


@pytest.mark.parametrize(
    ("now", "due", "expected"),
    [
        ("2026-01-06T10:00:00+01:00", "2026-01-06T14:30:00+01:00", "today by 14:30 CET"),
        ("2026-01-06T16:30:00+01:00", "2026-01-07T09:30:00+01:00", "tomorrow by 09:30 CET"),
        ("2026-01-09T18:00:00+01:00", "2026-01-12T10:00:00+01:00", "Monday by 10:00 CET"),
        ("2026-12-23T18:00:00+01:00", "2026-12-31T10:00:00+01:00", "Thursday 31 December by 10:00 CET"),
        # DST: the promise made on Friday before the clocks go forward is told in summer time
        ("2026-03-27T18:00:00+01:00", "2026-03-30T10:00:00+02:00", "Monday by 10:00 CEST"),
        ("2026-01-06T10:00:00+01:00", "2026-01-06T09:00:00+01:00", "as soon as possible"),
    ],
)
def test_the_expected_reply_is_the_due_time_in_the_calendars_zone(now: str, due: str, expected: str) -> None:
    assert texts.expected_reply(berlin(due), berlin(now), CALENDAR) == expected
    assert texts.expected_reply(None, berlin(now), CALENDAR) == "as soon as possible"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-01-06T10:00:00+01:00", "Our team is here now."),
        ("2026-01-06T18:00:00+01:00", "Our team is away right now and back tomorrow 09:00 CET."),
        # New Year's Day is a public holiday in Berlin: back on Friday
        ("2026-01-01T10:00:00+01:00", "Our team is away right now and back tomorrow 09:00 CET."),
        ("2026-12-24T18:00:00+01:00", "Our team is away right now and back Monday 09:00 CET."),
        ("2026-03-28T12:00:00+01:00", "Our team is away right now and back Monday 09:00 CEST."),
    ],
)
def test_the_team_availability_is_honest_after_hours_and_on_holidays(now: str, expected: str) -> None:
    assert texts.availability(berlin(now), CALENDAR) == expected


def test_the_queue_position_says_more_than_the_bound_past_it() -> None:
    assert texts.queue_position(0) == "1"
    assert texts.queue_position(49) == "50"
    assert texts.queue_position(50) == "more than 50"
    assert texts.queue_position(5, bound=5) == "more than 5"


def test_a_template_needing_a_name_the_case_lacks_is_not_sent() -> None:
    profile = profile_from_document("page-1", {"acknowledgement": {"text": "Hi {customer_name}!"}}, base=BASE)
    nameless = case_on(Channel.MESSENGER, customer=Customer("cust-1"))
    with pytest.raises(Exception, match="this case has no customer_name"):
        texts.acknowledgement_text(nameless, profile, now_ms=T0, calendar=CALENDAR, position=None)


# --- the brand's templates, checked when the profile is saved -----------------------------------------
def test_the_acknowledgement_and_nudge_are_off_and_default_until_set() -> None:
    document = profile_document(BASE)
    assert document["acknowledgement"] == {"enabled": False, "text": texts_default(), "queue_position": False}
    assert document["nudge"]["whatsapp_template"] is None
    again = profile_from_document("page-1", {k: v for k, v in document.items() if k != "account_id"}, base=BASE)
    assert again == BASE


def texts_default() -> str:
    from socialcare.model.automation import DEFAULT_ACKNOWLEDGEMENT_TEXT

    return DEFAULT_ACKNOWLEDGEMENT_TEXT


@pytest.mark.parametrize(
    ("document", "error", "message"),
    [
        ({"acknowledgement": {"text": "Hi {agent_name}"}}, UnknownPlaceholder, "acknowledgement.text: unknown placeholder {agent_name}"),
        ({"acknowledgement": {"text": "Place {queue_position}"}}, UnknownPlaceholder, "set acknowledgement.queue_position to true"),
        ({"acknowledgement": {"text": "{expected_reply"}}, UnknownPlaceholder, "unbalanced braces"),
        ({"acknowledgement": {"text": "x" * 1001}}, InvalidRequest, "at most 1000 characters"),
        ({"acknowledgement": {"enabled": "yes"}}, InvalidRequest, "acknowledgement.enabled must be true or false"),
        ({"acknowledgement": {"shout": True}}, InvalidRequest, "acknowledgement: unknown field(s) ['shout']"),
        ({"nudge": {"text": "See you {expected_reply}"}}, UnknownPlaceholder, "nudge.text: unknown placeholder {expected_reply}"),
        ({"nudge": {"whatsapp_template": {"name": "Bad Name", "language": "en"}}}, InvalidRequest, "whatsapp_template.name"),
        ({"nudge": {"whatsapp_template": {"name": "ok", "language": "english"}}}, InvalidRequest, "whatsapp_template.language"),
        ({"nudge": {"whatsapp_template": {"name": "ok", "language": "en", "components": "x"}}}, InvalidRequest, "components"),
        ({"nudge": []}, InvalidRequest, "nudge must be an object"),
    ],
)  # fmt: skip
def test_a_template_is_checked_when_saved(document: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as raised:
        profile_from_document("page-1", document, base=BASE)
    assert message in str(raised.value)


def test_a_valid_template_is_kept_and_the_rest_of_the_settings_stay() -> None:
    profile = profile_from_document(
        "page-1",
        {
            "acknowledgement": {
                "enabled": True,
                "queue_position": True,
                "text": "Hi {customer_name}, {brand_name} here: we reply {expected_reply}. {availability} "
                "Place: {queue_position}. Ref {case_id}; {{braces}}",
            }
        },
        base=BASE,
    )
    changed = profile_from_document("page-1", {"acknowledgement": {"enabled": False}}, base=profile)
    assert (changed.acknowledgement.text, changed.acknowledgement.queue_position) == (
        profile.acknowledgement.text,
        True,
    )
    assert not changed.acknowledgement.enabled


# --- crises -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({}, "name"),
        ({"name": " "}, "name"),
        ({"name": "Storm", "colour": "red"}, "colour"),
        ({"name": "Storm", "scope": []}, "scope"),
        ({"name": "Storm", "scope": {"regions": ["north"]}}, "scope.regions"),
        ({"name": "Storm", "scope": {"languages": ["german"]}}, "scope.languages[0]"),
        ({"name": "Storm", "scope": {"keywords": ["flood", ".."]}}, "scope.keywords[1]"),
        ({"name": "Storm", "scope": {"accounts": ["has space"]}}, "scope.accounts[0]"),
        ({"name": "Storm", "starts_at": "tomorrow"}, "starts_at"),
        ({"name": "Storm", "ends_at": "2026-01-01T10:00:00"}, "ends_at"),
        ({"name": "Storm", "ends_at": "2025-12-31T10:00:00Z"}, "ends_at"),
    ],
)
def test_a_declaration_is_refused_with_the_field_at_fault(document: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidCrisis) as raised:
        declare(document, crisis_id="C1", by="root", now_ms=T0)
    assert raised.value.field == field


def test_a_crisis_is_active_in_its_window_until_it_is_ended() -> None:
    crisis = declare(
        {"name": "Storm", "starts_at": "2026-01-01T10:00:00+01:00", "ends_at": "2026-01-02T09:00:00Z"},
        crisis_id="C1",
        by="root",
        now_ms=T0,
    )
    assert crisis.starts_at_ms == T0
    assert [crisis.active_at(t) for t in (T0 - 1, T0, T0 + 24 * HOUR - 1, T0 + 24 * HOUR)] == [False, True, True, False]
    from dataclasses import replace

    ended = replace(crisis, ended_at_ms=T0 + HOUR)
    assert (ended.active_at(T0 + HOUR - 1), ended.active_at(T0 + HOUR)) == (True, False)


def test_scope_by_account_language_and_keyword_on_the_cases_routing() -> None:
    routed = CaseRouting(rule="floods", reasons=("keyword 'flood*'",), tags=("weather",))
    case = case_on(Channel.MESSENGER, language="de", routing=routed)

    def scope(**given: Any) -> bool:
        return in_scope(declare({"name": "S", "scope": given}, crisis_id="C", by="r", now_ms=T0), case)

    assert scope()
    assert scope(accounts=["page-1", "page-2"])
    assert not scope(accounts=["page-2"])
    assert scope(languages=["de"], accounts=["page-1"])
    assert not scope(languages=["nl"])
    assert scope(keywords=["weather"])
    assert scope(keywords=["flood*"])
    assert scope(keywords=["storm", "flooding"]) is False
    assert not in_scope(
        declare({"name": "S", "scope": {"keywords": ["weather"]}}, crisis_id="C", by="r", now_ms=T0),
        case_on(Channel.MESSENGER),
    )


def test_only_active_crises_covering_the_case_count_earliest_first() -> None:
    case = case_on(Channel.MESSENGER)
    first = declare({"name": "A"}, crisis_id="C1", by="r", now_ms=T0)
    second = declare({"name": "B"}, crisis_id="C2", by="r", now_ms=T0 + 1)
    later = declare({"name": "C", "starts_at": "2026-01-05T00:00:00Z"}, crisis_id="C3", by="r", now_ms=T0)
    elsewhere = declare({"name": "D", "scope": {"accounts": ["page-9"]}}, crisis_id="C4", by="r", now_ms=T0)
    assert crises_for(case, [second, later, elsewhere, first], T0 + HOUR) == (first, second)
