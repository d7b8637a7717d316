"""Surge function: the scheduled check of the surge counters (EventBridge Scheduler, every 5 minutes).

It reads the counters ingest wrote (``TABLE_NAME``; keyed Queries, one per shard), judges the bucket
that just ended and the one still filling against the recent baseline (``SURGE_SETTINGS``;
``socialcare/rules/surges.py``), and puts a ``Surge detected`` event on the project's bus
(``EVENT_BUS_NAME``) for each surge not raised before. Each run publishes ``SurgesDetected`` (the
alarm's metric) and ``SurgeCounterItemsRead``; its event is ignored (a schedule's payload says nothing).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from socialcare import constants as c
from socialcare.aws.wiring import AwsClients, Wiring
from socialcare.clock import Clock
from socialcare.environment import json_object, required_settings

if TYPE_CHECKING:
    from socialcare.surges.check import CheckReport, SurgeCheck

logger = Logger(service="surge")
tracer = Tracer(service="surge")


@dataclass(frozen=True)
class SurgeConfig:
    table_name: str
    event_bus_name: str
    surge_settings: dict[str, object] = field(default_factory=dict)  # SURGE_SETTINGS as read

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SurgeConfig:
        env = os.environ if env is None else env
        return cls(
            **required_settings(env, table_name=c.ENV_TABLE_NAME, event_bus_name=c.ENV_EVENT_BUS_NAME),
            surge_settings=json_object(env, c.ENV_SURGE_SETTINGS),
        )


def _build(clients: AwsClients, clock: Clock) -> SurgeCheck:
    from socialcare.aws.lead_events import EventBusNotifier
    from socialcare.aws.surge_store import SurgeStore
    from socialcare.errors import InvalidSurgeSettings
    from socialcare.rules.surges import SurgeSettings
    from socialcare.surges.check import SurgeCheck

    config = SurgeConfig.from_env()
    try:
        settings = SurgeSettings.from_config(config.surge_settings)
    except InvalidSurgeSettings as exc:
        raise RuntimeError(f"{c.ENV_SURGE_SETTINGS} is invalid at {exc.field}: {exc.reason}") from exc
    return SurgeCheck(
        SurgeStore(config.table_name, client=clients("dynamodb")),
        EventBusNotifier(config.event_bus_name, client=clients("events")),
        settings=settings,
        clock=clock,
    )


_wiring: Wiring[SurgeCheck] = Wiring(_build)


def wire(*, clients: Mapping[str, Any] | None = None, clock: Clock | None = None) -> None:
    """Run on these boto3 clients (by service name: "dynamodb", "events") and this clock; ``wire()``
    restores the defaults."""
    _wiring.wire(clients=clients, clock=clock)


def _publish(report: CheckReport) -> None:
    """The run's metrics as one EMF line (a metric set of its own: runs never mix theirs)."""
    metrics = EphemeralMetrics(namespace=c.METRICS_NAMESPACE, service="surge")
    metrics.add_metric(name=c.SURGE_METRIC, unit=MetricUnit.Count, value=len(report.raised))
    metrics.add_metric(name=c.SURGE_ITEMS_READ_METRIC, unit=MetricUnit.Count, value=report.items_read)
    if not is_metrics_disabled():
        sys.stdout.write(json.dumps(metrics.serialize_metric_set(), separators=(",", ":")) + "\n")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = _wiring.get().run()
    for notice in report.raised:
        logger.info(
            "surge raised",
            extra={"surge": f"{notice.scope}:{notice.name}", "count": notice.count, "baseline": notice.baseline},
        )
    logger.info(
        "surges checked",
        extra={"raised": len(report.raised), "already_raised": report.already_raised, "items_read": report.items_read},
    )
    _publish(report)
    return {
        "raised": [notice.detail() for notice in report.raised],
        "already_raised": report.already_raised,
        "items_read": report.items_read,
    }
