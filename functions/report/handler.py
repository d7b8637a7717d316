"""Report function: the day's accountability report and marketing summary, made and stored in S3.

A daily EventBridge Scheduler schedule invokes it shortly after midnight in the report's time zone
(``REPORT_TIME_ZONE``) with no date: it makes yesterday's reports. Invoked by hand (``aws lambda
invoke``, the local ``socialcare report``) with ``{"date": "2026-03-30"}`` or ``{"from": "2026-03-01",
"to": "2026-03-31"}`` (at most 31 days) it makes those days again, replacing what was stored. Each day
is read from its day facts, the teams' queues and the SLA in force (``socialcare.reports``) and stored
as JSON and CSV under ``reports/.../dt=YYYY-MM-DD/`` in ``REPORTS_BUCKET``. Logs carry dates, keys
and counts, never a name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from socialcare.aws.wiring import AwsClients, Wiring
from socialcare.clock import Clock

if TYPE_CHECKING:
    from socialcare.reports.config import ReportConfig
    from socialcare.reports.service import ReportService

logger = Logger(service="report")


@dataclass(frozen=True)
class ReportFunctionConfig:
    report: ReportConfig

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReportFunctionConfig:
        from socialcare.reports.config import ReportConfig

        return cls(ReportConfig.from_mapping(os.environ if env is None else env))


def _build(clients: AwsClients, clock: Clock) -> ReportService:
    from socialcare.aws.report_store import report_adapters
    from socialcare.reports.service import ReportService

    config = ReportFunctionConfig.from_env().report
    aws = report_adapters(config.table_name, config.bucket, config.targets, clients=clients, clock=clock)
    return ReportService(aws.reads, aws.archive, sla=aws.sla, settings=config.settings, clock=clock)


_wiring: Wiring[ReportService] = Wiring(_build)


def wire(*, clients: Mapping[str, Any] | None = None, clock: Clock | None = None) -> None:
    """Run on these boto3 clients (by service name: "dynamodb", "s3") and this clock; ``wire()``
    restores the defaults."""
    _wiring.wire(clients=clients, clock=clock)


def days_asked(event: Mapping[str, Any], service: ReportService) -> list[date]:
    """The dates the event names, or yesterday (the schedule's event names none)."""
    from socialcare.reports.window import report_dates

    asked = {name: event.get(name) for name in ("date", "from", "to")}
    if not any(asked.values()):
        return [service.yesterday()]
    first, last = report_dates(day=asked["date"], first=asked["from"], last=asked["to"], today=service.today())
    return service.window(first, last).days


@logger.inject_lambda_context
def handler(event: Mapping[str, Any] | None, context: Any) -> dict[str, Any]:
    service = _wiring.get()
    stored = []
    for day in days_asked(event or {}, service):
        made = service.store_day(day)
        logger.info("reports stored", extra={"date": day.isoformat(), "keys": list(made.keys), "facts": made.facts})
        stored.append({"date": day.isoformat(), "keys": list(made.keys), "facts": made.facts})
    return {"stored": stored}
