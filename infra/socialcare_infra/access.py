"""What each component may do, as data: every role's permissions, readable in one place.

Derived from the calls each component's code makes, and checked against them: the infra tests run
every function and every agent API route on moto, record each AWS call (with the actions inside
transactions and the index of each query) and require these grants to be exactly those calls.
Never a convenience grant: ``Table.grant_read_write_data`` would hand out Scan and BatchWriteItem,
which no path uses. DynamoDB checks TransactWriteItems per contained action (a transaction of Puts
needs PutItem, a Delete inside one needs DeleteItem), so there is no separate transaction action.
The SQS consumer actions are what Lambda's event source mapping itself calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialcare import constants as c

INBOUND = "inbound"
OUTBOUND = "outbound"
PLATFORM_SECRET = "platform"  # noqa: S105 - names the platform credentials' secret
API_SECRET = "api"  # noqa: S105 - names the agent API's secret (its cursor key)

GET_ITEM = "dynamodb:GetItem"
BATCH_GET_ITEM = "dynamodb:BatchGetItem"
QUERY = "dynamodb:Query"
PUT_ITEM = "dynamodb:PutItem"
UPDATE_ITEM = "dynamodb:UpdateItem"
DELETE_ITEM = "dynamodb:DeleteItem"

SQS_CONSUME = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
SQS_CHANGE_VISIBILITY = ("sqs:ChangeMessageVisibility",)
SQS_SEND = ("sqs:SendMessage",)
SECRET_READ = ("secretsmanager:GetSecretValue",)
LIST_BUCKET = ("s3:ListBucket",)
ARCHIVE_PUT = ("firehose:PutRecordBatch",)
XRAY_WRITE = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
LOG_WRITE = ("logs:CreateLogStream", "logs:PutLogEvents")
# What Lambda's DynamoDB stream event source mapping calls with the function's role (CDK grants them
# when it binds the mapping: these on the stream, ListStreams on '*', which has no resource type).
STREAM_READ = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
STREAM_LIST = ("dynamodb:ListStreams",)
START_EXECUTION = ("states:StartExecution",)
PUT_EVENTS = ("events:PutEvents",)
# Completing (or ending) a department escalation's wait: task tokens of that machine's executions.
TASK_RESPONSE = ("states:SendTaskSuccess", "states:SendTaskFailure")
PUT_METRIC_DATA = ("cloudwatch:PutMetricData",)


@dataclass(frozen=True)
class Access:
    table: tuple[str, ...] = ()  # DynamoDB actions on the table's items
    indexes: tuple[str, ...] = ()  # GSIs it queries (dynamodb:Query on each index)
    raw_objects: tuple[str, ...] = ()  # S3 actions on objects under RAW_KEY_PREFIX
    archives_raw: bool = False  # PutRecordBatch on the raw archive's Firehose streams (and no other)
    report_objects: tuple[str, ...] = ()  # S3 actions on objects under REPORTS_KEY_PREFIX of the reports bucket
    # ListBucket on the reports bucket, for keys under REPORTS_KEY_PREFIX only: without it, GetObject of a
    # report not stored (yet) answers 403 AccessDenied instead of 404 NoSuchKey.
    lists_reports: bool = False
    consumes: str | None = None  # the queue its event source mapping reads
    changes_visibility: bool = False  # re-queues the messages it consumes with a delay (ChangeMessageVisibility)
    sends_to: tuple[str, ...] = ()  # queues it sends messages to
    secrets: tuple[str, ...] = ()  # secrets it reads (GetSecretValue)
    reads_stream: bool = False  # its event source mapping reads the table's stream (granted by CDK's binding)
    starts_case_clocks: bool = False  # StartExecution of the case-clock state machine (and no other)
    starts_follow_ups: bool = False  # StartExecution of the follow-up state machine, when deployed (and no other)
    puts_events: bool = False  # PutEvents on the project's event bus (and no other)
    # Step Functions actions on the department escalation machine (and no other): StartExecution,
    # SendTaskSuccess / SendTaskFailure of its waiting rounds.
    department_escalation: tuple[str, ...] = ()
    puts_metrics: bool = False  # PutMetricData in the project's metrics namespace (and no other)
    # DynamoDB actions on the clock sweep's watermark item only (a dynamodb:LeadingKeys condition).
    sweep_watermarks: tuple[str, ...] = ()


ACCESS: dict[str, Access] = {
    # Verify, parse, enqueue with the raw bytes: nothing else, and never the table. PutObject only for a
    # delivery too big for one SQS message (IAM cannot tell sizes apart: the grant stays, the calls are rare).
    c.WEBHOOK_FUNCTION: Access(raw_objects=("s3:PutObject",), sends_to=(INBOUND,), secrets=(PLATFORM_SECRET,)),
    # CaseStore as the ingest path uses it: keyed reads (GetItem; BatchGetItem for several user ids),
    # transactions of conditional Puts, conditional UpdateItem for edits/deletes/statuses; the raw
    # delivery from S3 when it was too big to travel with its events (or came in a version 1
    # envelope); the raw bodies its batch carries archived through Firehose. A delivery that waits for a message (an
    # edit that overtook it) is hidden for its delay with ChangeMessageVisibility. A sensitive case
    # is put on the project's bus for the leads ("Sensitive case"). Surge counters: UpdateItem (ADD).
    # The SLA in force: one Query of the configuration's partition a minute (``CachedSla``). A message
    # that opens a case puts its acknowledge task on the outbound queue.
    c.INGEST_FUNCTION: Access(
        table=(GET_ITEM, BATCH_GET_ITEM, QUERY, PUT_ITEM, UPDATE_ITEM),
        raw_objects=("s3:GetObject",),
        archives_raw=True,
        consumes=INBOUND,
        changes_visibility=True,
        sends_to=(OUTBOUND,),
        puts_events=True,
    ),
    # The outbound sender: reads the reply, its case and (for a private reply or an early echo) the
    # message index and current-case copies by key; claims and records with conditional UpdateItem
    # and transactions of Puts, one of which deletes the echo entry it adopts. A reply to retry is
    # hidden for its delay with ChangeMessageVisibility on the message it received (never re-sent).
    # The department escalation machine's requests (tasks on the same queue): the escalation and its
    # department by key, the round's token stored with a conditional UpdateItem; the answer link signed
    # with the API's key; the department notified on the bus; a wait that needs no asking ended.
    # Its tasks (acknowledge, nudge) also read the brand profile by key and Query the case's thread,
    # the SLA configuration's and the crises' partitions, and count the case's place in its team's
    # queue (a bounded COUNT Query on the queue index); an automated message is a conditional Put (with
    # its held item, in a crisis, in one transaction).
    c.OUTBOUND_FUNCTION: Access(
        table=(GET_ITEM, QUERY, PUT_ITEM, UPDATE_ITEM, DELETE_ITEM),
        indexes=(c.QUEUE_INDEX,),
        consumes=OUTBOUND,
        changes_visibility=True,
        secrets=(PLATFORM_SECRET, API_SECRET),
        puts_events=True,
        department_escalation=TASK_RESPONSE,
    ),
    # The surge check: the counters by key (one Query per shard), a conditional Put of each surge it
    # raises (and an UpdateItem marking one the bus refused released, so the next run raises it), and
    # "Surge detected" on the project's bus. Its metrics are EMF log lines: no cloudwatch:PutMetricData.
    c.SURGE_FUNCTION: Access(table=(QUERY, PUT_ITEM, UPDATE_ITEM), puts_events=True),
    # The clock function: StartExecution of the case clock and the follow-up, and the SLA configuration
    # (one Query of its partition a minute) for the event metrics' business time; the stream it is fed
    # from is read by its event source mapping (and a record given up goes to its on-failure queue).
    # Its metrics leave as log lines (EMF), which need no grant.
    # It also records the report's day facts (UpdateItem of a REPORTDAY#<date> item).
    c.CLOCK_FUNCTION: Access(
        table=(QUERY, UPDATE_ITEM), reads_stream=True, starts_case_clocks=True, starts_follow_ups=True
    ),
    # The clock sweep: the clock index read by key (one Query per shard), its watermarks (GetItem and
    # PutItem of the one item, nothing else of the table) and StartExecution of the case clock.
    c.CLOCK_SWEEP_FUNCTION: Access(
        indexes=(c.CLOCK_INDEX,), sweep_watermarks=(GET_ITEM, PUT_ITEM), starts_case_clocks=True
    ),
    # The metrics publisher: each team's open work through the queue index, never the table itself;
    # the gauges with PutMetricData.
    c.METRICS_FUNCTION: Access(indexes=(c.QUEUE_INDEX,), puts_metrics=True),
    # The report function: the day's facts, the SLA configuration and the customers' messages of the
    # day (Query on keys), the teams' queues (the queue index); the reports it stores.
    c.REPORT_FUNCTION: Access(table=(QUERY,), indexes=(c.QUEUE_INDEX,), report_objects=("s3:PutObject",)),
    # The agent API: cases, threads and audit trails by key; the lists of cases through their views'
    # GSIs (team queue and review, status, channel, priority, assignee, an agent's own cases, the
    # resolved/closed history; never the customer index);
    # optimistic transactions of Puts, profile updates and idempotency markers; replies handed to
    # the outbound queue; its own cursor key. A department escalation's machine started, and its
    # wait completed by the answer (or ended when the case is resolved first).
    # optimistic transactions of Puts, profile updates and idempotency markers; replies (and held
    # automated messages a person released) handed to the outbound queue; the crises and their held
    # messages by key; its own cursor key.
    c.AGENT_API_APP_NAME: Access(
        table=(GET_ITEM, QUERY, PUT_ITEM, UPDATE_ITEM),
        indexes=c.LIST_INDEXES,
        sends_to=(OUTBOUND,),
        secrets=(API_SECRET,),
        department_escalation=(*START_EXECUTION, *TASK_RESPONSE),
        # The stored reports it serves to leads and admins (a day not stored is computed from the table).
        report_objects=("s3:GetObject",),
        lists_reports=True,
    ),
}
