"""Clock sweep function: starts the case clocks that came due (EventBridge Scheduler, every minute).

A case clock is started lazily, shortly before its first tier (``socialcare/timers/sweep.py``): the
clock function starts it from the case write when that is near, and this function starts the rest
when their time comes. Each run reads the clock index of the table (``TABLE_NAME``; one keyed Query
per shard, the watermarks with one GetItem, stored again with one PutItem) and starts each clock that
came due (``StartExecution`` of ``CASE_CLOCK_ARN``, named ``case-<case id>-<generation>``; one that
exists already is left as it is). It stops beginning work ``RESERVE_MS`` before its timeout; what is
left is read by the next run. A clock that cannot be started fails the run (after the watermarks
reached are stored), which the schedule retries and the function's error alarm reports.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Tracer
from socialcare import constants as c
from socialcare.aws.wiring import AwsClients, Wiring
from socialcare.clock import Clock
from socialcare.environment import required_settings

if TYPE_CHECKING:
    from socialcare.timers.sweep import ClockSweep

logger = Logger(service="clock_sweep")
tracer = Tracer(service="clock_sweep")

RESERVE_MS = 10_000  # stop beginning starts this long before the timeout: storing the watermarks remains


@dataclass(frozen=True)
class ClockSweepConfig:
    state_machine_arn: str
    table_name: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ClockSweepConfig:
        env = os.environ if env is None else env
        return cls(**required_settings(env, state_machine_arn=c.ENV_CASE_CLOCK_ARN, table_name=c.ENV_TABLE_NAME))


def _build(clients: AwsClients, clock: Clock) -> ClockSweep:
    from socialcare.aws.case_clocks import StepFunctionsCaseClocks
    from socialcare.aws.clock_index import ClockIndex
    from socialcare.timers.sweep import ClockSweep

    config = ClockSweepConfig.from_env()
    return ClockSweep(
        ClockIndex(config.table_name, client=clients("dynamodb")),
        StepFunctionsCaseClocks(config.state_machine_arn, client=clients("stepfunctions")),
        clock=clock,
    )


_wiring: Wiring[ClockSweep] = Wiring(_build)


def wire(*, clients: Mapping[str, Any] | None = None, clock: Clock | None = None) -> None:
    """Run on these boto3 clients (by service name: "dynamodb", "stepfunctions") and this clock;
    ``wire()`` restores the defaults."""
    _wiring.wire(clients=clients, clock=clock)


def _budget_ms(context: Any) -> int | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return max(0, int(remaining()) - RESERVE_MS) if callable(remaining) else None


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The schedule's event says nothing: every run sweeps up to now."""
    run = _wiring.get().run(budget_ms=_budget_ms(context))
    summary = {"started": run.started, "shards_read": run.shards_read, "behind": list(run.behind)}
    logger.info("clocks swept", extra=summary)
    return summary
