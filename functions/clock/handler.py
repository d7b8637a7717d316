"""Clock function: the table's stream, case items only, to the case clocks and follow-ups they need started.

Every committed case write (ingest, the agent API, the outbound sender) reaches this function as a
stream record with the item before and after (``NEW_AND_OLD_IMAGES``); the event source mapping
passes only case items (``SK = "CASE"``) that were inserted or modified. For each, the core decides
whether the write needs a new clock (``CaseClockTimers.case_changed``) or, having set the case to
wait for the customer, a follow-up (``timers.follow_up.start_follow_up``), and starts it (``StartExecution``
of the case-clock state machine, ``CASE_CLOCK_ARN``, or of the follow-up's, ``FOLLOW_UP_ARN``; a stage
without the follow-up machine leaves that unset and starts none). Starting is idempotent — the
executions are named ``case-<case id>-<generation>`` and ``follow-up-<case id>-<cycle>`` — so a record
delivered twice, or retried after a partial failure, never makes a second one. A record that fails is
reported as a batch item failure; Lambda retries from it and, after its retries, sends it to the
on-failure queue.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from socialcare import constants as c
from socialcare.aws.wiring import AwsClients, Wiring
from socialcare.clock import Clock
from socialcare.environment import required

if TYPE_CHECKING:
    from socialcare.model.case import Case
    from socialcare.ports import FollowUps
    from socialcare.timers.service import CaseClockTimers

logger = Logger(service="clock")
tracer = Tracer(service="clock")

CASE_SORT_KEY = "CASE"  # aws/keys.CASE_SK: the case item (the event source mapping filters on it too)


@dataclass(frozen=True)
class ClockConfig:
    state_machine_arn: str
    follow_up_arn: str | None = None  # None: no follow-up machine on this stage

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ClockConfig:
        env = os.environ if env is None else env
        return cls(
            state_machine_arn=required(env, c.ENV_CASE_CLOCK_ARN), follow_up_arn=env.get(c.ENV_FOLLOW_UP_ARN) or None
        )


@dataclass(frozen=True)
class Timers:
    clocks: CaseClockTimers
    follow_ups: FollowUps | None


def _build(clients: AwsClients, clock: Clock) -> Timers:
    from socialcare.aws.case_clocks import StepFunctionsCaseClocks, StepFunctionsFollowUps
    from socialcare.timers.service import CaseClockTimers

    config = ClockConfig.from_env()
    sfn = clients("stepfunctions")
    follow_ups = None
    if config.follow_up_arn is not None:
        follow_ups = StepFunctionsFollowUps(config.follow_up_arn, client=sfn)
    return Timers(CaseClockTimers(StepFunctionsCaseClocks(config.state_machine_arn, client=sfn)), follow_ups)


_wiring: Wiring[Timers] = Wiring(_build)


def wire(*, clients: Mapping[str, Any] | None = None, clock: Clock | None = None) -> None:
    """Run on these boto3 clients (by service name: "stepfunctions") and this clock; ``wire()``
    restores the defaults."""
    _wiring.wire(clients=clients, clock=clock)


def _case(image: Mapping[str, Any] | None) -> Case | None:
    from socialcare.aws.items import item_to_case

    return None if not image else item_to_case(image)


def case_record(record: DynamoDBRecord) -> None:
    from socialcare.timers.follow_up import start_follow_up

    # The images in DynamoDB's attribute-value form, what aws/items.py reads (Powertools' properties
    # would deserialise them to plain values).
    change = record.raw_event.get("dynamodb") or {}
    if change.get("Keys", {}).get(c.SORT_KEY, {}).get("S") != CASE_SORT_KEY:
        return
    after = _case(change.get("NewImage"))
    if after is None:  # removed: nothing to watch
        return
    before = _case(change.get("OldImage"))
    timers = _wiring.get()
    started = timers.clocks.case_changed(before, after)
    if started is not None:
        logger.info(
            "case clock started",
            extra={"case_id": started.case_id, "generation": started.generation, "tier": started.input["tier"]},
        )
    follow_up = start_follow_up(timers.follow_ups, before, after) if timers.follow_ups is not None else None
    if follow_up is not None:
        logger.info(
            "follow-up started",
            extra={"case_id": follow_up.case_id, "cycle": follow_up.cycle, "plan": follow_up.input["plan"]},
        )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    return process_partial_response(event=event, record_handler=case_record, processor=processor, context=context)
