"""Routing: which team's queue a new case joins, and at what priority.

A brand account belongs to one team (``account_teams``, from the stage's configuration); accounts
not named there go to the default team. A case opened by a public post or comment starts at high
priority: everyone can see it, so it waits less than a private message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from socialcare.model.case import Priority
from socialcare.model.events import EventKind, PlatformEvent


@dataclass(frozen=True, slots=True)
class Route:
    team: str
    priority: Priority


def team_for(account_id: str, *, account_teams: Mapping[str, str], default_team: str) -> str:
    return account_teams.get(account_id, default_team)


def priority_for(event: PlatformEvent) -> Priority:
    return Priority.HIGH if event.kind is EventKind.PUBLIC_POST else Priority.NORMAL


def route_new_case(event: PlatformEvent, *, account_teams: Mapping[str, str], default_team: str) -> Route:
    """Where the case a customer's first message opens goes."""
    return Route(
        team=team_for(event.account_id, account_teams=account_teams, default_team=default_team),
        priority=priority_for(event),
    )
