"""Clock function: the table's stream, case items only, to the case clocks they need started and the
report's day facts.

Every committed case write (ingest, the agent API, the outbound sender) reaches this function as a
stream record with the item before and after (``NEW_AND_OLD_IMAGES``); the event source mapping
passes case items (``SK = "CASE"``) that were inserted or modified, and customers' messages inserted in
a thread (``SK`` beginning ``MSG#``, ``kind`` inbound). For each case item, the core decides
whether the write needs a new clock (``CaseClockTimers.case_changed``) and starts it
(``StartExecution`` of the case-clock state machine, ``CASE_CLOCK_ARN``). Starting is idempotent —
the execution's name is ``case-<case id>-<generation>`` — so a record delivered twice, or retried
after a partial failure, never makes a second clock. The same record's facts for the accountability
report (``DayFactRecorder``: an answer, a resolution, a tier reached...), and each customer message's
(its channel, language and sentiment), are recorded on the table (``TABLE_NAME``), idempotently too. A record that fails is reported as a batch item failure; Lambda
retries from it and, after its retries, sends it to the on-failure queue.
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
    from socialcare.reports.recorder import DayFactRecorder
    from socialcare.timers.service import CaseClockTimers

logger = Logger(service="clock")
tracer = Tracer(service="clock")

CASE_SORT_KEY = "CASE"  # aws/keys.CASE_SK: the case item (the event source mapping filters on it too)
MESSAGE_SORT_PREFIX = "MSG#"  # aws/keys.ENTRY_PREFIX: a thread entry (the mapping passes customers' messages)


@dataclass(frozen=True)
class ClockConfig:
    state_machine_arn: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ClockConfig:
        env = os.environ if env is None else env
        return cls(state_machine_arn=required(env, c.ENV_CASE_CLOCK_ARN))


def _build(clients: AwsClients, clock: Clock) -> CaseClockTimers:
    from socialcare.aws.case_clocks import StepFunctionsCaseClocks
    from socialcare.timers.service import CaseClockTimers

    config = ClockConfig.from_env()
    return CaseClockTimers(StepFunctionsCaseClocks(config.state_machine_arn, client=clients("stepfunctions")))


def _build_recorder(clients: AwsClients, clock: Clock) -> DayFactRecorder:
    from socialcare.aws.report_store import ReportStore
    from socialcare.reports.recorder import DayFactRecorder

    return DayFactRecorder(ReportStore(required(os.environ, c.ENV_TABLE_NAME), client=clients("dynamodb")))


_wiring: Wiring[CaseClockTimers] = Wiring(_build)
_recorder: Wiring[DayFactRecorder] = Wiring(_build_recorder)


def wire(*, clients: Mapping[str, Any] | None = None, clock: Clock | None = None) -> None:
    """Run on these boto3 clients (by service name: "stepfunctions", "dynamodb") and this clock;
    ``wire()`` restores the defaults."""
    _wiring.wire(clients=clients, clock=clock)
    _recorder.wire(clients=clients, clock=clock)


def _case(image: Mapping[str, Any] | None) -> Case | None:
    from socialcare.aws.items import item_to_case

    return None if not image else item_to_case(image)


def case_record(record: DynamoDBRecord) -> None:
    # The images in DynamoDB's attribute-value form, what aws/items.py reads (Powertools' properties
    # would deserialise them to plain values).
    change = record.raw_event.get("dynamodb") or {}
    sort_key = str(change.get("Keys", {}).get(c.SORT_KEY, {}).get("S", ""))
    if sort_key.startswith(MESSAGE_SORT_PREFIX) and change.get("NewImage"):
        from socialcare.aws.items import item_to_entry

        _recorder.get().message_written(item_to_entry(change["NewImage"]))
        return
    if sort_key != CASE_SORT_KEY:
        return
    after = _case(change.get("NewImage"))
    if after is None:  # removed: nothing to watch
        return
    before = _case(change.get("OldImage"))
    started = _wiring.get().case_changed(before, after)
    _recorder.get().case_changed(before, after)
    if started is not None:
        logger.info(
            "case clock started",
            extra={"case_id": started.case_id, "generation": started.generation, "tier": started.input["tier"]},
        )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    return process_partial_response(event=event, record_handler=case_record, processor=processor, context=context)
