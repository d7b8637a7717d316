"""The shape of the table, the queues and the raw archive's streams, in one place.

The CDK app, the local stack and the tests all build their resources from these
definitions, so the three places the system runs cannot drift apart.

Item layout of the single table (PK / SK):

=================================  ==========================  ==========================================
item                               PK                          SK
=================================  ==========================  ==========================================
case                               CASE#<case_id>              CASE
thread entry (in, out, note, ...)  CASE#<case_id>              MSG#<ts ms, 13 digits>#<id>
customer's current case pointer    CUST#<account>#<user id>    CURRENT
platform message index + dedup     PMSG#<platform>#<account>#<message id>   PMSG
dedup marker (edits, statuses)     EVT#<platform>#<event id>   EVT           (expires after DEDUP_TTL_DAYS)
brand account profile              ACCOUNT#<account id>        PROFILE
brand account profile audit        ACCOUNT#<account id>        AUDIT#<ts ms, 13 digits>#<ulid>
case audit record (who did what)   CASE#<case_id>              AUDIT#<case version, 13 digits>#<ulid>
agent request idempotency marker   CASE#<case_id>              IDEMP#<agent id>#<idempotency key>  (expires)
department escalation              CASE#<case_id>              ESC#<escalation id>   (<case id>-<ULID>)
unmatched / unknown event log      UNMATCHED#<platform>#<yyyy-mm-dd>   <ts ms>#<event id>
SLA policy set                     CONFIG#sla                  POLICIES
business calendar                  CONFIG#sla                  CALENDAR#<name>
department (contacts, manager)     CONFIG#departments          DEPARTMENT#<id>
routing rules                      CONFIG#routing              RULES
configuration audit record         CONFIG#audit                AUDIT#<ts ms, 13 digits>#<ulid>
surge counter (one shard)          SURGE#<shard, 00-15>        <bucket start ms, 13 digits>  (expires)
surge raised (once per key)        SURGED#<bucket start ms>    <account|topic>:<name>        (expires)
declared crisis                    CONFIG#crises               CRISIS#<crisis id>
message a crisis holds             CRISIS#<crisis id>          HELD#<case_id>#<entry id>
clock sweep's watermarks           SWEEP#clocks                WATERMARKS
=================================  ==========================  ==========================================

The brand account profile holds what the agent API needs to answer for the brand: its name, how
replies are signed (``signature_style``), whether Meta granted the HUMAN_AGENT tag
(``human_agent_tag``), the "move to private" invitation and the canned responses
(``socialcare.model.profile``). Outbound replies are thread entries like any other
(``MSG#<ts>#out-<ulid>``), notes ``MSG#<ts>#note-<ulid>``, status changes ``MSG#<ts>#status-<ulid>``.

Automated messages (acknowledgements, nudges) are outbound entries with a deterministic id
(``MSG#<ts>#auto-<purpose>``, ``model/automation.py``), written only if absent; one a crisis holds
has ``delivery_state`` ``held`` and an item of its own under the crisis
(``socialcare.aws.automated_store``) that says whether a person released or discarded it.

The configuration items (``socialcare.aws.config_store``, written by the admin routes and the local
stack's seeding) hold their document as JSON text (``document``, validated before it is stored) with
``version`` (1, 2, ...: each write is conditioned on the version it replaces), ``updated_at_ms`` and
``updated_by``; each write puts its audit record (``subject`` sla/policies, calendar/<name> or
department/<id>, routing/rules, ``details.version``) in the same transaction. The policy set and the calendars share
a partition so that one Query reads what a case's due times are computed from.

A surge counter holds ``messages`` and, per key it counted, ``c:<key>`` (a count, only ever ADDed)
and ``x:<key>`` (the first case id written to it, an example); ``socialcare.rules.surges`` says why
16 shards and five-minute buckets.

Indexes. The list views (``socialcare.rules.views``) are sparse: a case item carries a view's keys only
while it is on that view. Team-level partition keys end in the case's shard, ``#<00-15>``
(``rules.views.view_shard``: a stable hash of the case id), so a surge of one team's new cases spreads
over 16 keys; a list merges its shards in sort-key order (``socialcare.aws.paging.merged_page``).
``<due>`` is the due sort key ``<response due ms, 13 digits>#<case_id>`` (``DUESK``; no answer due:
``9999999999999``), shared by every index a list reads soonest due first.

=======  =========================================  ==================================  =====================
index    partition key                              sort key                            holds
=======  =========================================  ==================================  =====================
GSI1     QUEUE#<team>#<shard>                       DUESK                               active, not set aside
GSI1     REVIEW#<team>#<shard>                      DUESK (not due: by case id)         set aside (spam/troll)
GSI2     CUST#<account>#<user id>                   GSI2SK = <created ms>               every case
GSI3     OWNER#<agent id>                           DUESK                               active, owned
GSI4     DONE#<team>#<resolved|closed>#<shard>      GSI4SK = <countdown ms>#<case_id>   resolved, closed
GSI5     STATUS#<team>#<status>#<shard>             DUESK                               as GSI1 QUEUE
GSI6     CHANNEL#<team>#<channel>#<shard>           DUESK                               as GSI1 QUEUE
GSI7     PRIORITY#<team>#<priority>#<shard>         DUESK                               as GSI1 QUEUE
GSI8     ASSIGNEE#<team>#<agent id|none>#<shard>    DUESK                               as GSI1 QUEUE
GSI9     CLOCKS#<shard 00-15>                       GSI9SK = <start ms>#<case>#<gen>#<tier>  clocks to start
=======  =========================================  ==================================  =====================

History's ``<countdown ms>`` is ``9999999999999 - <resolved (closed) ms>``: the latest first in key
order. The channel is the one the case is filed under (``rules.views.filed_channel``), which the case
item keeps as ``channel``.

Projections. The lists read a case *summary* (``model.summary``) from the index items, which carry
only ``SUMMARY_ATTRIBUTES`` (GSI1 also the mark and what the open-work gauges count, GSI3 the mark and
the team, GSI4 the mark; GSI5-8 leave out the attribute their partition key names): never an
attribute that changes with every message (version, ``updated_at_ms``, counters, recent posts, last
message), so a customer's second message in the same waiting cycle writes no index item. The due time
is read from ``<due>``, the finish time from the countdown, the team from the view. GSI2 is KEYS_ONLY:
its keys never change after the case is created, so no case write after the first writes it.
DynamoDB allows 100 projected non-key attributes summed over a table's indexes; these use all 100, so
an index added later is KEYS_ONLY (or takes some from these).

GSI9 (clocks, KEYS_ONLY) holds only cases awaiting an answer with a tier to come (start at: the tier's
time less CLOCK_START_LEAD_MS); the clock sweep reads each shard's range since its watermark (item
SWEEP#clocks / WATERMARKS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from socialcare import constants as c
from socialcare.model.archived import archive_prefix
from socialcare.model.views import Dimension

DEDUP_TTL_DAYS = 8  # Meta and WhatsApp retry for up to 7 days

# What a list shows of a case (``model.summary.CaseSummary``); a team view's team is the view's own.
SUMMARY_ATTRIBUTES: tuple[str, ...] = (
    "status",
    "priority",
    "channel",
    "owner",
    "customer_id",
    "customer_name",
    "customer_handle",
    "awaiting_reply_since_ms",
    "created_at_ms",
    "routing",
    "sensitive",
    "sla_tier",
    "account_id",
    "language",
)
KEYS_ONLY: tuple[str, ...] | None = None


def _summary_but(attribute: str) -> tuple[str, ...]:
    """The summary's attributes but the one an index's partition key already names (its value)."""
    return tuple(name for name in SUMMARY_ATTRIBUTES if name != attribute)


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    partition_key: str
    sort_key: str
    projected: tuple[str, ...] | None  # non-key attributes (INCLUDE); None: KEYS_ONLY


INDEXES: tuple[Index, ...] = (
    Index(
        c.QUEUE_INDEX, c.QUEUE_INDEX_PK, c.QUEUE_INDEX_SK, (*SUMMARY_ATTRIBUTES, "mark", "sla_warn_at_ms", "waiting_on")
    ),
    Index(c.CUSTOMER_INDEX, c.CUSTOMER_INDEX_PK, c.CUSTOMER_INDEX_SK, KEYS_ONLY),
    Index(c.ASSIGNEE_INDEX, c.ASSIGNEE_INDEX_PK, c.DUE_SORT_KEY, (*SUMMARY_ATTRIBUTES, "mark", "team")),
    Index(c.DONE_INDEX, c.DONE_INDEX_PK, c.DONE_INDEX_SK, (*SUMMARY_ATTRIBUTES, "mark")),
    Index(c.STATUS_INDEX, c.STATUS_INDEX_PK, c.DUE_SORT_KEY, _summary_but("status")),
    Index(c.CHANNEL_INDEX, c.CHANNEL_INDEX_PK, c.DUE_SORT_KEY, _summary_but("channel")),
    Index(c.PRIORITY_INDEX, c.PRIORITY_INDEX_PK, c.DUE_SORT_KEY, _summary_but("priority")),
    Index(c.TEAM_ASSIGNEE_INDEX, c.TEAM_ASSIGNEE_INDEX_PK, c.DUE_SORT_KEY, _summary_but("owner")),
    # The sweep reads only the clock index's keys (they hold its input).
    Index(c.CLOCK_INDEX, c.CLOCK_INDEX_PK, c.CLOCK_INDEX_SK, KEYS_ONLY),
)
_BY_NAME = {index.name: index for index in INDEXES}


@dataclass(frozen=True, slots=True)
class ViewIndex:
    """Where one dimension of the views lives: its index, its partition keys' prefix, what its sort key
    holds besides the case id (``due``, ``created`` or ``finished``: the countdown), and the attribute
    its partition key's value stands for (not projected: read from the key)."""

    index: Index
    prefix: str
    order: str = "due"
    value_of: str | None = None


VIEW_INDEXES: dict[Dimension, ViewIndex] = {
    Dimension.QUEUE: ViewIndex(_BY_NAME[c.QUEUE_INDEX], "QUEUE"),
    Dimension.REVIEW: ViewIndex(_BY_NAME[c.QUEUE_INDEX], "REVIEW", "created"),
    Dimension.MINE: ViewIndex(_BY_NAME[c.ASSIGNEE_INDEX], "OWNER"),
    Dimension.HISTORY: ViewIndex(_BY_NAME[c.DONE_INDEX], "DONE", "finished"),
    Dimension.STATUS: ViewIndex(_BY_NAME[c.STATUS_INDEX], "STATUS", value_of="status"),
    Dimension.CHANNEL: ViewIndex(_BY_NAME[c.CHANNEL_INDEX], "CHANNEL", value_of="channel"),
    Dimension.PRIORITY: ViewIndex(_BY_NAME[c.PRIORITY_INDEX], "PRIORITY", value_of="priority"),
    Dimension.ASSIGNEE: ViewIndex(_BY_NAME[c.TEAM_ASSIGNEE_INDEX], "ASSIGNEE", value_of="owner"),
}


def create_table_kwargs(table_name: str) -> dict[str, Any]:
    """boto3 ``create_table`` arguments for the table (on-demand, string keys, sparse GSIs)."""
    key_names = [c.PARTITION_KEY, c.SORT_KEY, *(name for i in INDEXES for name in (i.partition_key, i.sort_key))]
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in dict.fromkeys(key_names)],
        "KeySchema": [
            {"AttributeName": c.PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": c.SORT_KEY, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": _projection(index),
            }
            for index in INDEXES
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }


def _projection(index: Index) -> dict[str, Any]:
    if index.projected is None:
        return {"ProjectionType": "KEYS_ONLY"}
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index.projected)}


def inbound_queue_attributes(dlq_arn: str) -> dict[str, str]:
    """SQS attributes of the inbound queue, with redrive to its DLQ."""
    import json

    return {
        "VisibilityTimeout": str(c.INBOUND_VISIBILITY_TIMEOUT_S),
        "MessageRetentionPeriod": str(4 * 24 * 3600),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": c.INBOUND_MAX_RECEIVE_COUNT}),
    }


def outbound_queue_attributes(dlq_arn: str) -> dict[str, str]:
    """SQS attributes of the outbound (replies) queue, with redrive to its DLQ."""
    import json

    return {
        "VisibilityTimeout": str(c.OUTBOUND_VISIBILITY_TIMEOUT_S),
        "MessageRetentionPeriod": str(4 * 24 * 3600),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": c.OUTBOUND_MAX_RECEIVE_COUNT}),
    }


DLQ_ATTRIBUTES: dict[str, str] = {"MessageRetentionPeriod": str(14 * 24 * 3600)}


def raw_stream_name(platform: str, stage: str) -> str:
    """The Firehose delivery stream of one platform's raw archive."""
    return f"{c.RAW_STREAM_LOGICAL_NAME}-{platform}-{stage}"


def raw_stream_kwargs(name: str, platform: str, *, bucket_arn: str, role_arn: str) -> dict[str, Any]:
    """boto3 ``create_delivery_stream`` arguments of one platform's raw archive: Direct PUT, encrypted at
    rest, into the raw bucket under ``raw/<platform>/`` (Firehose adds its ``YYYY/MM/dd/HH/`` time path:
    no dynamic partitioning, which is billed), GZIP, buffered up to RAW_STREAM_BUFFER_MB or _S."""
    return {
        "DeliveryStreamName": name,
        "DeliveryStreamType": "DirectPut",
        "DeliveryStreamEncryptionConfigurationInput": {"KeyType": "AWS_OWNED_CMK"},
        "ExtendedS3DestinationConfiguration": {
            "RoleARN": role_arn,
            "BucketARN": bucket_arn,
            "Prefix": archive_prefix(platform),
            "CompressionFormat": "GZIP",
            "BufferingHints": {"SizeInMBs": c.RAW_STREAM_BUFFER_MB, "IntervalInSeconds": c.RAW_STREAM_BUFFER_S},
        },
    }


def create_raw_streams(firehose: Any, stage: str, *, bucket: str, role_arn: str) -> dict[str, str]:
    """Create every platform's raw archive stream (the local stack, the tests, the bench); the
    ``RAW_STREAMS`` setting (platform -> stream name) ingest reads."""
    streams = {p: raw_stream_name(p, stage) for p in c.WEBHOOK_PLATFORMS}
    for platform, name in streams.items():
        firehose.create_delivery_stream(
            **raw_stream_kwargs(name, platform, bucket_arn=f"arn:aws:s3:::{bucket}", role_arn=role_arn)
        )
    return streams
