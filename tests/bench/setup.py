"""What every benchmark shares: the environment, moto, the functions as deployed, test payloads."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PAGE = "104729318529001"
APP_SECRET = "bench-app-secret"
CREDENTIALS = {"meta": {"app_secrets": [APP_SECRET], "verify_token": "bench"}}
FIRST_TS_MS = 1_767_225_600_000
REGION = "us-east-1"
FIREHOSE_ROLE_ARN = "arn:aws:iam::123456789012:role/bench-raw-archive"


def environment() -> None:
    """Fake credentials, a region, UTC; the functions' own settings as the CDK app gives them."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        TZ="UTC",
        POWERTOOLS_TRACE_DISABLED="1",
        POWERTOOLS_LOG_LEVEL="WARNING",
        POWERTOOLS_METRICS_NAMESPACE="socialcare",
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    if hasattr(time, "tzset"):
        time.tzset()


def load_function(function: str) -> Any:
    """``functions/<function>/handler.py``, the file that is deployed, under a module name of its own."""
    spec = importlib.util.spec_from_file_location(f"bench_fn_{function}", ROOT / "functions" / function / "handler.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


class LambdaContext:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:bench"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class MetricLines:
    """What the functions printed on stdout while captured: Powertools' EMF metric lines, mostly."""

    emf: int = 0
    other: list[str] = field(default_factory=list)


@contextlib.contextmanager
def captured_stdout(into: MetricLines) -> Iterator[None]:
    """Keep the functions' EMF lines (one JSON object per invocation) off the terminal, counting them.

    In Lambda they go to CloudWatch Logs, which turns them into metrics; here they would drown the figures.
    """
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        yield
    for line in sink.getvalue().splitlines():
        if line.startswith('{"_aws"'):
            into.emf += 1
        elif line.strip():
            into.other.append(line)


def create_resources(stage: str) -> dict[str, str]:
    """Table, bucket, raw archive streams, queues and platform secret, from the same definitions as the
    infrastructure."""
    import boto3
    from socialcare import constants as c
    from socialcare.aws import schema

    ddb, s3, sqs, sm = (boto3.client(n) for n in ("dynamodb", "s3", "sqs", "secretsmanager"))
    ddb.create_table(**schema.create_table_kwargs(f"bench-{stage}"))
    s3.create_bucket(Bucket=f"bench-raw-{stage}")
    dlq = sqs.create_queue(QueueName=f"bench-dlq-{stage}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(QueueName=f"bench-{stage}", Attributes=schema.inbound_queue_attributes(arn))["QueueUrl"]
    secret = sm.create_secret(Name=f"bench-{stage}", SecretString=json.dumps(CREDENTIALS))["ARN"]
    streams = schema.create_raw_streams(
        boto3.client("firehose"), f"bench-{stage}", bucket=f"bench-raw-{stage}", role_arn=FIREHOSE_ROLE_ARN
    )
    return {
        c.ENV_TABLE_NAME: f"bench-{stage}",
        c.ENV_RAW_BUCKET: f"bench-raw-{stage}",
        c.ENV_RAW_STREAMS: json.dumps(streams),
        c.ENV_INBOUND_QUEUE_URL: queue,
        c.ENV_PLATFORM_SECRET_ARN: secret,
        c.ENV_BRAND_ACCOUNTS: json.dumps({"meta": [PAGE]}),  # the Page the bench deliveries are for
    }


def messenger_delivery(first: int, count: int, *, customers: int, ts: int = FIRST_TS_MS) -> dict[str, Any]:
    """``count`` Messenger messages as Meta batches them: one entry per message."""
    return {
        "object": "page",
        "entry": [
            {
                "id": PAGE,
                "time": ts + i,
                "messaging": [
                    {
                        "sender": {"id": f"psid-{(first + i) % customers}"},
                        "recipient": {"id": PAGE},
                        "timestamp": ts + first + i,
                        "message": {"mid": f"m_bench_{first + i}", "text": f"Mi pedido nº{first + i} no llega 😟"},
                    }
                ],
            }
            for i in range(count)
        ],
    }


def sqs_record(body: str, queue_arn: str, *, receive_count: int = 1) -> dict[str, Any]:
    """One record of a Lambda SQS event, as the event source mapping builds it."""
    now = str(int(time.time() * 1000))
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": f"bench-{uuid.uuid4()}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": now,
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": now,
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }
