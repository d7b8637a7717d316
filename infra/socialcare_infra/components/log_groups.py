"""Log groups with the stage's retention (functions, APIs, state machines)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct

from socialcare_infra.config import LOG_RETENTION_DAYS, StageConfig

# RetentionDays members in the order of LOG_RETENTION_DAYS (the values CloudWatch Logs accepts).
_MEMBERS = (
    "ONE_DAY", "THREE_DAYS", "FIVE_DAYS", "ONE_WEEK", "TWO_WEEKS", "ONE_MONTH", "TWO_MONTHS", "THREE_MONTHS",
    "FOUR_MONTHS", "FIVE_MONTHS", "SIX_MONTHS", "ONE_YEAR", "THIRTEEN_MONTHS", "EIGHTEEN_MONTHS", "TWO_YEARS",
    "THREE_YEARS", "FIVE_YEARS", "SIX_YEARS", "SEVEN_YEARS", "EIGHT_YEARS", "NINE_YEARS", "TEN_YEARS",
)  # fmt: skip
RETENTION = dict(zip(LOG_RETENTION_DAYS, (logs.RetentionDays[m] for m in _MEMBERS), strict=True))


def stage_log_group(scope: Construct, id: str, *, config: StageConfig) -> logs.LogGroup:
    """Kept with the data in a retaining stage (prod), so logs outlive a torn-down stack."""
    return logs.LogGroup(
        scope,
        id,
        retention=RETENTION[config.log_retention_days],
        removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
    )
