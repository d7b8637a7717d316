"""Routing rules: the team of a brand account, the priority of what opened the case."""

from __future__ import annotations

from socialcare.model.case import Priority
from socialcare.model.events import Channel, Customer, EventKind, PlatformEvent
from socialcare.rules.routing import Route, priority_for, route_new_case, team_for

from tests.event_support import message_event


def event(kind: EventKind, *, account: str = "page-1", channel: Channel = Channel.MESSENGER) -> PlatformEvent:
    return message_event(channel, account, "m1", 1, kind=kind, customer=Customer("psid-1"), text="hi")


def test_an_account_named_in_the_configuration_goes_to_its_team() -> None:
    teams = {"page-1": "billing"}
    assert team_for("page-1", account_teams=teams, default_team="care") == "billing"


def test_other_accounts_go_to_the_default_team() -> None:
    assert team_for("page-2", account_teams={"page-1": "billing"}, default_team="care") == "care"
    assert team_for("page-2", account_teams={}, default_team="care") == "care"


def test_a_public_post_opens_a_high_priority_case_a_message_a_normal_one() -> None:
    assert priority_for(event(EventKind.PUBLIC_POST, channel=Channel.FACEBOOK_COMMENT)) is Priority.HIGH
    assert priority_for(event(EventKind.MESSAGE)) is Priority.NORMAL


def test_route_of_a_new_case_combines_team_and_priority() -> None:
    route = route_new_case(
        event(EventKind.PUBLIC_POST, account="page-1", channel=Channel.FACEBOOK_COMMENT),
        account_teams={"page-1": "social"},
        default_team="care",
    )
    assert route == Route(team="social", priority=Priority.HIGH)
