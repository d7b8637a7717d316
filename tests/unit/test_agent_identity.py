"""Verified token claims to a caller, in every shape the claims arrive in."""

from __future__ import annotations

import pytest
from socialcare.agents.identity import Role, caller_from_claims, split_claim
from socialcare.errors import ForbiddenRole, NotAuthenticated

pytestmark = pytest.mark.unit


def claims(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "cognito:username": "alice",
        "cognito:groups": ["agents"],
        "custom:teams": "care,billing",
        "name": "Alice Smith",
        "token_use": "id",
        "email": "alice@example.com",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    "groups",
    [["agents", "leads"], "agents,leads", "[agents leads]", "[agents, leads]", " leads ", '["agents","leads"]'],
)
def test_groups_arrive_as_list_comma_string_or_bracketed(groups: object) -> None:
    assert caller_from_claims(claims(**{"cognito:groups": groups})).role is Role.LEAD


def test_the_highest_role_wins_and_unknown_groups_are_ignored() -> None:
    caller = caller_from_claims(claims(**{"cognito:groups": "marketing,admins,agents"}))
    assert caller.role is Role.ADMIN
    assert caller.in_team("anything")


def test_teams_and_names() -> None:
    caller = caller_from_claims(claims(**{"custom:teams": "[care billing]"}))
    assert caller.teams == frozenset({"care", "billing"})
    assert caller.in_team("care")
    assert not caller.in_team("pr")
    assert (caller.display_name, caller.first_name, caller.initials) == ("Alice Smith", "Alice", "AS")


def test_a_name_from_given_and_family_names_or_the_username() -> None:
    assert caller_from_claims(claims(name=None, given_name="Zoë", family_name="Ünal")).initials == "ZÜ"
    plain = caller_from_claims(claims(name=None))
    assert (plain.display_name, plain.initials) == ("alice", "A")
    assert caller_from_claims(claims(name="Mary Jane Watson")).initials == "MW"


def test_bad_team_names_are_dropped() -> None:
    assert caller_from_claims(claims(**{"custom:teams": "care,Bad Team,#x"})).teams == frozenset({"care"})


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"cognito:username": None}, NotAuthenticated),
        ({"cognito:username": "has space"}, NotAuthenticated),
        ({"token_use": "access"}, NotAuthenticated),
        ({"cognito:groups": None}, ForbiddenRole),
        ({"cognito:groups": "marketing"}, ForbiddenRole),
    ],
)
def test_claims_that_make_no_caller(overrides: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        caller_from_claims(claims(**overrides))


def test_no_claims_at_all() -> None:
    with pytest.raises(NotAuthenticated):
        caller_from_claims(None)
    with pytest.raises(NotAuthenticated):
        caller_from_claims({})


def test_split_claim_keeps_order_and_drops_duplicates() -> None:
    assert split_claim("b, a,,b") == ("b", "a")
    assert split_claim(None) == ()
    assert split_claim(["x", "", "y"]) == ("x", "y")
