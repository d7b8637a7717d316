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

Indexes (all sparse, projected ALL but the clocks'):
- GSI1 (queue): GSI1PK = QUEUE#<team>, GSI1SK = <response due ms>#<case_id>; only active cases. An active
  case marked spam or troll is in its team's review queue instead: GSI1PK = REVIEW#<team>,
  GSI1SK = <created ms>#<case_id> (oldest first; a marked case has no due time).
- GSI2 (customer): GSI2PK = CUST#<account>#<user id>, GSI2SK = <created ms>#<case_id>; every case.
- GSI3 (assignee): GSI3PK = OWNER#<agent id>, GSI3SK = <response due ms>#<case_id>; active owned cases.
- GSI4 (done): GSI4PK = DONE#<team>#<resolved|closed>, GSI4SK = <resolved/closed ms>#<case_id>; only
  resolved and closed cases, read latest first (the agent API's resolved and closed lists).
- GSI9 (clocks, KEYS_ONLY): GSI9PK = CLOCKS#<shard 00-15>, GSI9SK = <start at ms>#<case_id>#<generation>#<tier>;
  only cases awaiting an answer with a tier to come (start at: the tier's time less CLOCK_START_LEAD_MS).
  The clock sweep reads each shard's range since its watermark (item SWEEP#clocks / WATERMARKS).
"""

from __future__ import annotations

from typing import Any

from socialcare import constants as c
from socialcare.model.archived import archive_prefix

DEDUP_TTL_DAYS = 8  # Meta and WhatsApp retry for up to 7 days

INDEXES: tuple[tuple[str, str, str], ...] = (
    (c.QUEUE_INDEX, c.QUEUE_INDEX_PK, c.QUEUE_INDEX_SK),
    (c.CUSTOMER_INDEX, c.CUSTOMER_INDEX_PK, c.CUSTOMER_INDEX_SK),
    (c.ASSIGNEE_INDEX, c.ASSIGNEE_INDEX_PK, c.ASSIGNEE_INDEX_SK),
    (c.DONE_INDEX, c.DONE_INDEX_PK, c.DONE_INDEX_SK),
    (c.CLOCK_INDEX, c.CLOCK_INDEX_PK, c.CLOCK_INDEX_SK),
)
# Indexes that project less than ALL: the sweep reads only the clock index's keys (they hold its input).
PROJECTIONS: dict[str, str] = {c.CLOCK_INDEX: "KEYS_ONLY"}


def create_table_kwargs(table_name: str) -> dict[str, Any]:
    """boto3 ``create_table`` arguments for the table (on-demand, string keys, sparse GSIs)."""
    attribute_names = [c.PARTITION_KEY, c.SORT_KEY] + [name for _, pk, sk in INDEXES for name in (pk, sk)]
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in attribute_names],
        "KeySchema": [
            {"AttributeName": c.PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": c.SORT_KEY, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": pk, "KeyType": "HASH"}, {"AttributeName": sk, "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": PROJECTIONS.get(index, "ALL")},
            }
            for index, pk, sk in INDEXES
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }


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
