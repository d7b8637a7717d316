"""The raw archive through the deployed handlers on moto: webhook -> SQS (the raw body in the message)
-> ingest, which archives a batch's bodies through Firehose before it ingests them. Firehose refusing
records (FailedPutCount) or failing whole: the records are sent again; those still refused stay on the
queue and are archived and stored later — nothing acknowledged is lost, nothing is stored twice."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from socialcare.aws.case_store import CaseStore
from socialcare.model.envelope import DeliveryEnvelope

from tests.conftest import AwsResources
from tests.integration.lambda_harness import Lambdas
from tests.platform_fixtures import load, wire_body
from tests.table_support import unmatched

pytestmark = pytest.mark.integration

STORED = ["1932200000000000001", "3527065:41", "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTNBRjUxNUI1QUVCNkY0RkE2MgA="]


class FlakyFirehose:
    """moto's Firehose, except that a record whose data holds ``refuse`` is refused (FailedPutCount,
    as Firehose answers under throttling) ``refusals`` times, and ``outages`` whole calls fail first."""

    def __init__(self, *, refuse: str = "", refusals: int = 0, outages: int = 0) -> None:
        self._client = boto3.client("firehose", region_name="us-east-1")
        self.refuse, self.refusals, self.outages = refuse.encode(), refusals, outages
        self.calls: list[int] = []  # records per PutRecordBatch call

    def put_record_batch(self, *, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:
        self.calls.append(len(Records))
        if self.outages:
            self.outages -= 1
            raise ClientError({"Error": {"Code": "ServiceUnavailableException", "Message": "down"}}, "PutRecordBatch")
        refused = [self.refusals > 0 and self.refuse in r["Data"] for r in Records]
        if any(refused):
            self.refusals -= 1
        kept = [r for r, no in zip(Records, refused, strict=True) if not no]
        if kept:
            self._client.put_record_batch(DeliveryStreamName=DeliveryStreamName, Records=kept)
        failure = {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."}
        return {
            "FailedPutCount": sum(refused),
            "RequestResponses": [failure if no else {"RecordId": "r"} for no in refused],
        }


def wire(lambdas: Lambdas, aws: AwsResources, firehose: FlakyFirehose) -> None:
    lambdas.ingest.wire(clients={"dynamodb": aws.dynamodb, "s3": aws.s3, "sqs": aws.sqs, "firehose": firehose})


def post_three(lambdas: Lambdas) -> dict[str, bytes]:
    """One delivery of each platform; their raw keys -> bodies."""
    sent = {}
    for platform, name in (("x", "dm"), ("telegram", "message"), ("meta", "whatsapp_text")):
        lambdas.accept(platform, load(platform, name))
        sent[platform] = wire_body(platform, name)
    keys = {}
    for message in lambdas.receive():
        envelope = DeliveryEnvelope.from_json(message["Body"])
        keys[envelope.raw_key] = sent[envelope.platform]
        lambdas.aws.sqs.change_message_visibility(
            QueueUrl=lambdas.aws.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return keys


def test_records_firehose_refuses_are_sent_again_at_once(lambdas: Lambdas, aws: AwsResources) -> None:
    firehose = FlakyFirehose(refuse='"platform":"telegram"', refusals=1)
    wire(lambdas, aws, firehose)
    kept = post_three(lambdas)
    assert lambdas.drain() == 1
    assert lambdas.poller.failed_records == 0
    assert firehose.calls == [1, 1, 1, 1]  # one call per platform's stream, and the refused record again
    assert lambdas.stored_message_ids() == STORED
    assert {key: lambdas.raw_object(key) for key in kept} == kept


def test_a_body_firehose_keeps_refusing_stays_on_the_queue_until_it_is_archived(
    lambdas: Lambdas, aws: AwsResources, store: CaseStore
) -> None:
    firehose = FlakyFirehose(refuse='"platform":"telegram"', refusals=3)  # every attempt of one invocation
    wire(lambdas, aws, firehose)
    kept = post_three(lambdas)
    lambdas.poller.process(lambdas.receive())
    assert lambdas.poller.failed_records == 1
    assert lambdas.stored_message_ids() == [STORED[0], STORED[2]]  # the others went on
    assert lambdas.queue_depth() == 1  # not acknowledged: the message still carries the body
    assert lambdas.drain() == 1  # Firehose takes it now: archived, then stored
    assert lambdas.stored_message_ids() == STORED
    assert {key: lambdas.raw_object(key) for key in kept} == kept
    assert lambdas.dlq_messages() == []


def test_firehose_down_fails_the_invocation_and_nothing_is_lost(lambdas: Lambdas, aws: AwsResources) -> None:
    firehose = FlakyFirehose(outages=9)  # three attempts on each of three streams
    wire(lambdas, aws, firehose)
    kept = post_three(lambdas)
    assert lambdas.drain() == 2
    assert lambdas.poller.function_errors == 1  # every record failed: Lambda retries the batch whole
    assert lambdas.stored_message_ids() == STORED
    assert {key: lambdas.raw_object(key) for key in kept} == kept


def test_an_unmatched_events_raw_key_leads_to_its_archived_delivery(lambdas: Lambdas) -> None:
    """Replay and audit: the unmatched log names the raw key; the archive holds the bytes."""
    lambdas.accept("meta", load("meta", "facebook_reaction"))
    lambdas.drain()
    [row] = unmatched(lambdas.aws.dynamodb, lambdas.aws.table_name, "meta", "2025-06-08")
    assert lambdas.raw_object(row["raw_key"]) == wire_body("meta", "facebook_reaction")
    [archived] = lambdas.raw_keys()  # Firehose's object, not one of its own
    assert archived != row["raw_key"]
    assert json.loads(lambdas.raw_object(row["raw_key"]))["object"] == "page"
