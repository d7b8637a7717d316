"""Placeholder outbound sender (replaced by the outbound function of issue 3).

It sends nothing: every record of a batch fails, so SQS keeps each reply (and after the queue's
maxReceiveCount moves it to the DLQ, where it is kept) until the real sender is deployed. It lets
the infrastructure deploy and check the outbound wiring (queue trigger, grants, environment).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

logger = Logger(service="outbound")
tracer = Tracer(service="outbound")
processor = BatchProcessor(event_type=EventType.SQS)


class SenderNotDeployed(RuntimeError):
    pass


def refuse(record: SQSRecord) -> None:
    raise SenderNotDeployed(f"reply {record.message_id} kept: the outbound sender is not deployed yet")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=refuse, processor=processor, context=context)
