"""Shared fixtures: moto-backed AWS with fake credentials, resources built from the same
definitions the CDK app and the local stack use."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

os.environ.setdefault("TZ", "UTC")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "socialcare")


def _moto_with_dynamodb_semantics() -> None:
    """Every test runs on the backend the local stack runs on: moto, with DynamoDB's transaction
    semantics and cost (see ``socialcare_local.emulator.moto_dynamodb``)."""
    from socialcare_local.emulator import moto_dynamodb

    moto_dynamodb.install()


_moto_with_dynamodb_semantics()


@dataclass
class AwsResources:
    dynamodb: Any
    s3: Any
    sqs: Any
    secrets: Any
    table_name: str
    bucket: str
    queue_url: str
    dlq_url: str
    secret_id: str
    raw_streams: dict[str, str]  # platform -> its raw archive's Firehose stream (into ``bucket``)

    @property
    def raw_streams_setting(self) -> str:
        """Ingest's ``RAW_STREAMS``."""
        return json.dumps(self.raw_streams)


# moto checks no role: the raw archive streams name one that would let Firehose write the bucket.
FIREHOSE_ROLE_ARN = "arn:aws:iam::123456789012:role/socialcare-raw-archive"

TEST_CREDENTIALS = {
    "meta": {"app_secrets": ["meta-app-secret"], "verify_token": "meta-verify-token"},
    "x": {"consumer_secrets": ["x-consumer-secret"]},
    "telegram": {"bots": [{"bot_id": "7001", "secret_token": "tg-secret-token", "bot_token": "7001:AAbbcc"}]},
}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def aws(aws_env: None) -> Iterator[AwsResources]:
    import boto3
    from moto import mock_aws
    from socialcare.aws import schema

    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        s3 = boto3.client("s3", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        table = "socialcare-test"
        dynamodb.create_table(**schema.create_table_kwargs(table))
        bucket = "socialcare-raw-test"
        s3.create_bucket(Bucket=bucket)
        dlq_url = sqs.create_queue(QueueName="inbound-dlq", Attributes=schema.DLQ_ATTRIBUTES)["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue_url = sqs.create_queue(QueueName="inbound", Attributes=schema.inbound_queue_attributes(dlq_arn))[
            "QueueUrl"
        ]
        secret_id = secrets.create_secret(Name="socialcare/platforms", SecretString=json.dumps(TEST_CREDENTIALS))["ARN"]
        firehose = boto3.client("firehose", region_name="us-east-1")
        streams = schema.create_raw_streams(firehose, "test", bucket=bucket, role_arn=FIREHOSE_ROLE_ARN)
        yield AwsResources(dynamodb, s3, sqs, secrets, table, bucket, queue_url, dlq_url, secret_id, streams)
