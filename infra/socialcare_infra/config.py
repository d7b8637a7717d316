"""Stage configuration: ``infra/stages.toml`` picked by the ``stage`` context value, overridable per run.

``cdk synth -c stage=prod`` selects the ``[prod]`` section; ``-c alarm_email=ops@example.com``
overrides one key for that run. Every key is typed and validated here, so a typo fails the
synthesis with the key's name instead of deploying something unintended.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from socialcare import constants as c
from socialcare.errors import InvalidRoutingRules, InvalidSurgeSettings
from socialcare.model.accounts import BrandAccounts, InvalidBrandAccounts
from socialcare.rules.routing_rules import RoutingRules
from socialcare.rules.surges import SurgeSettings

from socialcare_infra import paths

STAGE_CONTEXT_KEY = "stage"
DEFAULT_STAGE = "dev"
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9]{0,15}$")
# E.164: a plus, the country code (no leading zero) and at most 15 digits in all, as SNS SMS wants.
_E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
# The values CloudWatch Logs accepts for a log group's retention.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


class StageConfigError(ValueError):
    pass


@dataclass(frozen=True)
class StageConfig:
    name: str
    removal_policy: str
    deletion_protection: bool
    point_in_time_recovery: bool
    log_retention_days: int
    alarm_email: str
    alarm_https_endpoint: str
    queue_age_alarm_seconds: int
    webhook_reserved_concurrency: int
    ingest_max_concurrency: int
    outbound_max_concurrency: int
    api_throttle_rate: int
    api_throttle_burst: int
    user_pool_mfa: str
    user_pool_threat_protection: bool
    api_gateway_cloudwatch_role: bool
    default_team: str
    reopen_window_hours: int
    # Optional: who hears of the case clock's escalations and of sensitive cases (the notifications
    # topic's subscriptions; a chat webhook behind an EventBridge API destination). "" = nobody.
    notification_email: str = ""
    notification_sms: str = ""  # E.164, e.g. +447700900123
    chat_webhook_url: str = ""  # https://; its API key header's value lives in a secret the operator fills
    account_teams: Mapping[str, str] = field(default_factory=dict)
    # The brand's own accounts, per platform (BRAND_ACCOUNTS of the ingest function): only their
    # events become cases. meta: Page, Instagram account and WhatsApp phone_number ids; x: user ids;
    # telegram: bot ids.
    brand_accounts: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # Optional: the brand's routing rules (ROUTING_RULES of the ingest function; shape in
    # socialcare/rules/routing_rules.py), checked here so a bad rule fails the synth, naming the field.
    routing_rules: Mapping[str, Any] = field(default_factory=dict)
    # Optional: the surge settings (SURGE_SETTINGS of the ingest and surge functions; shape in
    # socialcare/rules/surges.py), checked here too. Absent: the defaults, no keyword topics.
    surges: Mapping[str, Any] = field(default_factory=dict)
    # The care floor's alarms: a customer waiting longer than this for an answer (the publisher's oldest
    # unanswered age), and more webhook requests refused with 4xx than this in five minutes.
    oldest_unanswered_alarm_minutes: int = 60
    webhook_4xx_alarm_count: int = 50
    # The IANA zone whose midnights bound the accountability report's days; its daily schedule runs
    # at 00:15 there (REPORT_TIME_ZONE of the report function and the agent API).
    report_time_zone: str = c.DEFAULT_REPORT_TIME_ZONE

    def __post_init__(self) -> None:
        problems = []
        if not _STAGE_NAME.match(self.name):
            problems.append(f"stage name {self.name!r} must be 1-16 lowercase letters/digits, starting with a letter")
        if self.removal_policy not in {"destroy", "retain"}:
            problems.append(f"removal_policy must be 'destroy' or 'retain', not {self.removal_policy!r}")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            problems.append(f"log_retention_days must be one of {LOG_RETENTION_DAYS}, not {self.log_retention_days}")
        if self.user_pool_mfa not in {"required", "optional"}:
            problems.append(f"user_pool_mfa must be 'required' or 'optional', not {self.user_pool_mfa!r}")
        for name in ("ingest_max_concurrency", "outbound_max_concurrency"):
            if not 2 <= getattr(self, name) <= 1000:
                problems.append(f"{name} must be between 2 and 1000 (the SQS event source's range)")
        for name in (
            "api_throttle_rate",
            "api_throttle_burst",
            "queue_age_alarm_seconds",
            "reopen_window_hours",
            "oldest_unanswered_alarm_minutes",
            "webhook_4xx_alarm_count",
        ):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be positive")
        if self.webhook_reserved_concurrency < 0:
            problems.append("webhook_reserved_concurrency must be 0 (unreserved) or more")
        if self.alarm_email and "@" not in self.alarm_email:
            problems.append(f"alarm_email {self.alarm_email!r} is not an e-mail address")
        if self.alarm_https_endpoint and not self.alarm_https_endpoint.startswith("https://"):
            problems.append(f"alarm_https_endpoint {self.alarm_https_endpoint!r} must be an https:// URL")
        problems += self._notification_problems()
        if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in self.account_teams.items()):
            problems.append("account_teams must map brand account ids to team names")
        try:
            BrandAccounts.from_document(self.brand_accounts)
        except InvalidBrandAccounts as exc:
            problems.append(f"brand_accounts: {exc}")
        if self.routing_rules:
            try:
                RoutingRules.from_config(self.routing_rules)
            except InvalidRoutingRules as exc:
                problems.append(f"routing_rules.{exc.field}: {exc.reason}")
        if self.surges:
            try:
                SurgeSettings.from_config(self.surges)
            except InvalidSurgeSettings as exc:
                problems.append(f"surges.{exc.field}: {exc.reason}")
        if not _is_time_zone(self.report_time_zone):
            problems.append(f"report_time_zone {self.report_time_zone!r} is not an IANA time zone (e.g. Europe/Berlin)")
        if problems:
            raise StageConfigError(f"stage {self.name!r}: " + "; ".join(problems))

    def _notification_problems(self) -> list[str]:
        problems = []
        if self.notification_email and "@" not in self.notification_email:
            problems.append(f"notification_email {self.notification_email!r} is not an e-mail address")
        if self.notification_sms and not _E164.match(self.notification_sms):
            problems.append(
                f"notification_sms {self.notification_sms!r} must be an E.164 phone number (+ and up to 15 digits)"
            )
        url = self.chat_webhook_url
        if url and (not url.startswith("https://") or len(url) <= len("https://") or any(ch.isspace() for ch in url)):
            problems.append(f"chat_webhook_url {url!r} must be an https:// URL")
        return problems

    @property
    def retain_data(self) -> bool:
        return self.removal_policy == "retain"


def _is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_FIELDS = {f.name: f for f in dataclasses.fields(StageConfig) if f.name != "name"}


def load_stage(
    stage: str, *, overrides: Mapping[str, Any] | None = None, stages_file: Path = paths.STAGES_FILE
) -> StageConfig:
    """The configuration of ``stage`` from ``stages_file``, with ``overrides`` (context values) applied."""
    with stages_file.open("rb") as f:
        stages = tomllib.load(f)
    if stage not in stages:
        raise StageConfigError(f"unknown stage {stage!r}; {stages_file} defines {', '.join(sorted(stages))}")
    values = dict(stages[stage])
    unknown = sorted(set(values) - set(_FIELDS))
    if unknown:
        raise StageConfigError(f"stage {stage!r} in {stages_file}: unknown keys {', '.join(unknown)}")
    missing = sorted(k for k, f in _FIELDS.items() if k not in values and _no_default(f))
    if missing:
        raise StageConfigError(f"stage {stage!r} in {stages_file}: missing keys {', '.join(missing)}")
    for key, raw in (overrides or {}).items():
        if key in _FIELDS:
            values[key] = _coerce(key, raw)
    for key, value in values.items():
        _check_type(stage, key, value)
    return StageConfig(name=stage, **values)


def context_overrides(lookup: Callable[[str], Any]) -> dict[str, Any]:
    """The stage keys set as context values (``-c key=value``); ``lookup`` is ``node.try_get_context``."""
    return {key: value for key in _FIELDS if (value := lookup(key)) is not None}


def _no_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _coerce(key: str, raw: Any) -> Any:
    """Context values from the command line arrive as strings; turn them into the key's type."""
    if not isinstance(raw, str):
        return raw
    kind = str(_FIELDS[key].type)
    try:
        if kind == "bool":
            if raw.lower() not in {"true", "false"}:
                raise ValueError("expected true or false")
            return raw.lower() == "true"
        if kind == "int":
            return int(raw)
        if kind.startswith("Mapping"):
            return json.loads(raw)
    except ValueError as exc:
        raise StageConfigError(f"context value {key}={raw!r} is invalid: {exc}") from exc
    return raw


def _check_type(stage: str, key: str, value: Any) -> None:
    kind = str(_FIELDS[key].type)  # a string: this module uses postponed annotations
    expected: type = {"bool": bool, "int": int, "str": str}.get(kind, dict)
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if not ok:
        raise StageConfigError(f"stage {stage!r}: {key} must be {kind}, not {type(value).__name__} {value!r}")
