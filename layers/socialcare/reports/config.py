"""The reports' configuration, read from an environment mapping (the report function's and the agent
API's): where the facts and the stored reports are, the report's time zone, the deployed teams."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from socialcare import constants as c
from socialcare.environment import json_object, required_settings
from socialcare.errors import InvalidConfig, InvalidRequest
from socialcare.reports.service import ReportSettings
from socialcare.reports.teams import deployed_teams
from socialcare.reports.window import report_zone
from socialcare.rules.sla import ResponseTargets


@dataclass(frozen=True, slots=True)
class ReportConfig:
    table_name: str
    bucket: str
    settings: ReportSettings
    targets: ResponseTargets = field(default_factory=ResponseTargets)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> ReportConfig:
        names = required_settings(env, table_name=c.ENV_TABLE_NAME, bucket=c.ENV_REPORTS_BUCKET)
        time_zone = env.get(c.ENV_REPORT_TIME_ZONE) or c.DEFAULT_REPORT_TIME_ZONE
        try:
            report_zone(time_zone)
            account_teams = json.loads(env.get(c.ENV_ACCOUNT_TEAMS) or "{}")
            teams = deployed_teams(
                env.get(c.ENV_DEFAULT_TEAM) or c.DEFAULT_TEAM,
                account_teams,
                json_object(env, c.ENV_ROUTING_RULES) or None,
            )
        except (InvalidRequest, InvalidConfig, ValueError, AttributeError) as exc:
            raise RuntimeError(
                f"{c.ENV_REPORT_TIME_ZONE}, {c.ENV_ACCOUNT_TEAMS} or {c.ENV_ROUTING_RULES} is invalid: {exc}"
            ) from exc
        return cls(
            **names,
            settings=ReportSettings(time_zone=time_zone, teams=teams),
            targets=ResponseTargets.from_config(json_object(env, c.ENV_RESPONSE_TARGETS)),
        )
