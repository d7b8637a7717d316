"""Metrics function: every minute (an EventBridge Scheduler schedule), the teams' open work to CloudWatch.

Thin: the watched teams come from the deployed configuration (``DEFAULT_TEAM``, ``ACCOUNT_TEAMS``,
``ROUTING_RULES``, as ingest reads them); the core (``socialcare.metrics.publisher``) reads each
team's active cases from the queue index — keyed Queries of open work only, never the closed
history — and publishes the care floor's gauges with PutMetricData. The event it is invoked with
carries nothing it needs; a run that fails is retried by the schedule, then kept in its dead-letter
queue, and the next minute's run publishes afresh.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Tracer
from socialcare import constants as c
from socialcare.aws.wiring import AwsClients, Wiring
from socialcare.clock import Clock
from socialcare.environment import json_object, required

if TYPE_CHECKING:
    from socialcare.metrics.publisher import OpenWorkPublisher

logger = Logger(service="metrics")
tracer = Tracer(service="metrics")


@dataclass(frozen=True)
class MetricsConfig:
    table_name: str
    default_team: str = c.DEFAULT_TEAM
    account_teams: dict[str, str] = field(default_factory=dict)
    routing_rules: dict[str, object] | None = None  # ROUTING_RULES as read; its teams are watched too

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MetricsConfig:
        env = os.environ if env is None else env
        teams = json_object(env, c.ENV_ACCOUNT_TEAMS)
        if not all(isinstance(team, str) and team for team in teams.values()):
            raise RuntimeError(f"environment variable {c.ENV_ACCOUNT_TEAMS} must map account ids to team names")
        return cls(
            table_name=required(env, c.ENV_TABLE_NAME),
            default_team=env.get(c.ENV_DEFAULT_TEAM) or c.DEFAULT_TEAM,
            account_teams={account: str(team) for account, team in teams.items()},
            routing_rules=json_object(env, c.ENV_ROUTING_RULES) or None,
        )


def _build(clients: AwsClients, clock: Clock) -> OpenWorkPublisher:
    from socialcare.aws.metric_sink import CloudWatchMetrics
    from socialcare.aws.open_work import OpenWorkQueries
    from socialcare.errors import InvalidRoutingRules
    from socialcare.metrics.publisher import OpenWorkPublisher
    from socialcare.metrics.teams import watched_teams
    from socialcare.rules.routing_rules import RoutingRules

    config = MetricsConfig.from_env()
    try:
        rules = RoutingRules.from_config(config.routing_rules) if config.routing_rules is not None else None
    except InvalidRoutingRules as exc:
        raise RuntimeError(f"{c.ENV_ROUTING_RULES} is invalid at {exc.field}: {exc.reason}") from exc
    return OpenWorkPublisher(
        OpenWorkQueries(config.table_name, client=clients("dynamodb")),
        CloudWatchMetrics(client=clients("cloudwatch")),
        teams=watched_teams(config.default_team, config.account_teams, rules),
        clock=clock,
    )


_wiring: Wiring[OpenWorkPublisher] = Wiring(_build)


def wire(*, clients: Mapping[str, Any] | None = None, clock: Clock | None = None) -> None:
    """Run on these boto3 clients (by service name: "dynamodb", "cloudwatch") and this clock; ``wire()``
    restores the defaults. Nothing calls it in AWS."""
    _wiring.wire(clients=clients, clock=clock)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    run = _wiring.get().publish()
    summary = {
        "teams": run.teams,
        "open_cases": run.cases,
        "points": run.points,
        "items_read": run.items_read,
        "requests": run.requests,
    }
    logger.info("open work published", extra=summary)
    return summary
