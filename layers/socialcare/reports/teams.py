"""The teams a deployment routes cases to: whose queues make the backlog."""

from __future__ import annotations

from collections.abc import Mapping

from socialcare.rules.routing_rules import RoutingRules


def deployed_teams(
    default_team: str, account_teams: Mapping[str, str], routing_rules: Mapping[str, object] | None
) -> frozenset[str]:
    """The default team, the brand accounts' teams and every team the routing rules name (their
    default, each rule's, and where sensitive cases go)."""
    teams = {default_team, *account_teams.values()}
    if routing_rules:
        rules = RoutingRules.from_config(routing_rules)
        teams.add(rules.sensitive_team)
        teams.update(team for team in (rules.default.team, *(rule.then.team for rule in rules.rules)) if team)
    return frozenset(teams)
