"""The teams the open-work publisher watches: every team a case can be routed to by the deployed
configuration — the default team, the brand accounts' teams, and the routing rules' teams (each
rule's, the rules' default's, and the team sensitive cases go to, which exists even without rules)."""

from __future__ import annotations

from collections.abc import Mapping

from socialcare.rules.routing_rules import DEFAULT_SENSITIVE_TEAM, RoutingRules


def watched_teams(default_team: str, account_teams: Mapping[str, str], rules: RoutingRules | None) -> tuple[str, ...]:
    teams = {default_team, *account_teams.values()}
    if rules is None:
        teams.add(DEFAULT_SENSITIVE_TEAM)
    else:
        teams |= {rule.then.team for rule in rules.rules if rule.then.team}
        teams |= {team for team in (rules.default.team, rules.sensitive_team) if team}
    return tuple(sorted(team for team in teams if team))
