"""What each component may do, as data: every role's permissions, readable in one place.

Derived from the code each component runs (the calls its stores make), not from convenience
grants: ``Table.grant_read_write_data`` would hand out Scan and DeleteItem, which no request path
may use. DynamoDB checks TransactWriteItems per contained action (a transaction of Puts needs
PutItem), so there is no separate transaction action. The SQS consumer actions are what Lambda's
event source mapping itself calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialcare import constants as c
from socialcare.storage import schema

INBOUND = "inbound"
OUTBOUND = "outbound"

GET_ITEM = "dynamodb:GetItem"
BATCH_GET_ITEM = "dynamodb:BatchGetItem"
QUERY = "dynamodb:Query"
PUT_ITEM = "dynamodb:PutItem"
UPDATE_ITEM = "dynamodb:UpdateItem"
CONDITION_CHECK_ITEM = "dynamodb:ConditionCheckItem"

SQS_CONSUME = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
SQS_SEND = ("sqs:SendMessage",)
SECRET_READ = ("secretsmanager:GetSecretValue",)
XRAY_WRITE = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
LOG_WRITE = ("logs:CreateLogStream", "logs:PutLogEvents")

ALL_INDEXES = tuple(index for index, _, _ in schema.INDEXES)


@dataclass(frozen=True)
class Access:
    table: tuple[str, ...] = ()  # DynamoDB actions on the table's items
    indexes: tuple[str, ...] = ()  # GSIs it queries (dynamodb:Query on each index)
    raw_objects: tuple[str, ...] = ()  # S3 actions on objects under RAW_KEY_PREFIX
    consumes: str | None = None  # the queue its event source mapping reads
    sends_to: tuple[str, ...] = ()  # queues it sends messages to
    platform_secret: bool = False  # reads the platform credentials


ACCESS: dict[str, Access] = {
    # Verify, keep the raw bytes, enqueue: nothing else, and never the table.
    c.WEBHOOK_FUNCTION: Access(raw_objects=("s3:PutObject",), sends_to=(INBOUND,), platform_secret=True),
    # CaseStore as the ingest path uses it: keyed reads (GetItem; BatchGetItem for several user ids),
    # transactions of conditional Puts, conditional UpdateItem for edits/deletes/statuses; the raw
    # delivery from S3 when it was too big to travel inline.
    c.INGEST_FUNCTION: Access(
        table=(GET_ITEM, BATCH_GET_ITEM, PUT_ITEM, UPDATE_ITEM),
        raw_objects=("s3:GetObject",),
        consumes=INBOUND,
    ),
    # Reads the case and reply, records the send (conditional writes, transactions), re-queues a
    # throttled send with a delay, and reads the platform tokens.
    c.OUTBOUND_FUNCTION: Access(
        table=(GET_ITEM, QUERY, PUT_ITEM, UPDATE_ITEM, CONDITION_CHECK_ITEM),
        consumes=OUTBOUND,
        sends_to=(OUTBOUND,),
        platform_secret=True,
    ),
    # The agent API: cases, threads, queues and own work through the GSIs; optimistic updates and
    # transactions; replies handed to the outbound queue.
    c.AGENT_API_APP_NAME: Access(
        table=(GET_ITEM, BATCH_GET_ITEM, QUERY, PUT_ITEM, UPDATE_ITEM, CONDITION_CHECK_ITEM),
        indexes=ALL_INDEXES,
        sends_to=(OUTBOUND,),
    ),
}
