"""The AWS services, in process: moto's server on 127.0.0.1 and the resources the system uses.

The resources are built from the same definitions as the infrastructure (``socialcare.aws.schema``
and ``socialcare.constants``), so the local stack cannot drift from the deployed one. Everything is
reachable at ``endpoint_url`` while the stack runs, for the AWS CLI and boto3 alike.
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from socialcare import constants as c
from socialcare.aws import schema

from socialcare_local.emulator.logs import get_logger

log = get_logger("aws")

# moto accepts any credentials; these are the conventional fake ones (also what the CLI user passes).
FAKE_ACCESS_KEY_ID = "testing"
FAKE_SECRET_ACCESS_KEY = "testing"  # noqa: S105 - not a secret: moto accepts any key
MOTO_ACCOUNT_ID = "123456789012"


def substituted(path: Path, substitutions: Mapping[str, str]) -> str:
    """An ASL file with its ``${Name}`` placeholders replaced, as CloudFormation's DefinitionSubstitutions do."""
    text = path.read_text(encoding="utf-8")
    for name, value in substitutions.items():
        text = text.replace("${" + name + "}", value)
    return text


_CLIENT_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30)


@dataclass(frozen=True, slots=True)
class LocalResources:
    """Names and addresses of what the local stack created."""

    stage: str
    region: str
    endpoint_url: str
    table_name: str
    inbound_queue_url: str
    inbound_queue_arn: str
    inbound_dlq_url: str
    inbound_dlq_arn: str
    outbound_queue_url: str
    outbound_queue_arn: str
    outbound_dlq_url: str
    outbound_dlq_arn: str
    raw_bucket: str
    platform_secret_arn: str
    api_secret_arn: str = ""  # the agent API's secret (cursor key); empty when not provisioned
    clock_failures_url: str = ""  # the clock function's on-failure queue (stream records given up)
    reports_bucket: str = ""  # the stored reports (socialcare report)
    # The raw archive: platform -> its Firehose stream into the raw bucket (moto writes each
    # PutRecordBatch at once as one object under the same raw/<platform>/<YYYY/MM/dd/HH>/ path, uncompressed).
    raw_streams: Mapping[str, str] = field(default_factory=dict)


def resource_names(stage: str) -> dict[str, str]:
    """The deployed names, suffixed with the stage (``socialcare-local``, ``socialcare-inbound-local``...)."""
    return {
        "table": f"{c.TABLE_LOGICAL_NAME}-{stage}",
        "queue": f"{c.INBOUND_QUEUE_LOGICAL_NAME}-{stage}",
        "dlq": f"{c.INBOUND_DLQ_LOGICAL_NAME}-{stage}",
        "outbound_queue": f"{c.OUTBOUND_QUEUE_LOGICAL_NAME}-{stage}",
        "outbound_dlq": f"{c.OUTBOUND_DLQ_LOGICAL_NAME}-{stage}",
        "bucket": f"{c.RAW_BUCKET_LOGICAL_NAME}-{stage}",
        "secret": f"{c.PLATFORM_SECRET_NAME}/{stage}",
        "api_secret": f"{c.API_SECRET_NAME}/{stage}",
        "clock_failures": f"socialcare-clock-failures-{stage}",
        "reports_bucket": f"{c.REPORTS_BUCKET_LOGICAL_NAME}-{stage}",
    }


class AwsServices:
    """moto's server, run in a thread of this process, bound to ``host``:``port`` (0 = any free port)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, region: str = "us-east-1") -> None:
        self.host = host
        self.requested_port = port
        self.region = region
        self._server: Any = None
        self.port: int | None = None

    @property
    def endpoint_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the AWS services are not running")
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        from socialcare_local.emulator import moto_dynamodb

        moto_dynamodb.install()  # transactions that cost O(items touched) and never lose a concurrent write
        _ensure_port_free(self.host, self.requested_port, "the AWS services (--aws-port)")
        # moto's server logs every request through werkzeug at INFO: noise for the stack's own logs.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.requested_port, verbose=False)
        self._server.start()
        self.port = int(self._server.get_host_and_port()[1])
        # moto's Step Functions engine calls back into the server on localhost:$MOTO_PORT.
        os.environ["MOTO_PORT"] = str(self.port)
        self.reset()
        log.info("aws services started", extra={"endpoint_url": self.endpoint_url})

    def reset(self) -> None:
        """Forget every resource (moto keeps its state in module globals shared by the whole process)."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stop(self) -> None:
        if self._server is None:
            return
        try:
            self.reset()
        except OSError:  # pragma: no cover - the server is going away anyway
            log.warning("could not reset the aws services before stopping", exc_info=True)
        self._server.stop()
        self._server = None
        log.info("aws services stopped", extra={"endpoint_url": f"http://{self.host}:{self.port}"})
        self.port = None

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` bound to the in-process endpoint, with fake credentials."""
        return local_client(service, self.endpoint_url, self.region)

    def provision(
        self, *, stage: str, platform_secret: Mapping[str, Any], api_secret: Mapping[str, Any] | None = None
    ) -> LocalResources:
        """Create the table, queues, bucket, platform secret (and the agent API's); return their names."""
        names = resource_names(stage)
        started = time.monotonic()
        self._create_table(names["table"])
        sqs = self.client("sqs")
        inbound = _create_queue_with_dlq(sqs, names["queue"], names["dlq"], schema.inbound_queue_attributes)
        outbound = _create_queue_with_dlq(
            sqs, names["outbound_queue"], names["outbound_dlq"], schema.outbound_queue_attributes
        )
        failures_url = sqs.create_queue(QueueName=names["clock_failures"], Attributes=schema.DLQ_ATTRIBUTES)["QueueUrl"]
        self._create_raw_bucket(names["bucket"])
        raw_streams = schema.create_raw_streams(
            self.client("firehose"),
            stage,
            bucket=names["bucket"],
            role_arn=f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/{c.RAW_STREAM_LOGICAL_NAME}-{stage}",
        )
        self._create_bucket(names["reports_bucket"])
        secrets = self.client("secretsmanager")
        secret_arn = secrets.create_secret(Name=names["secret"], SecretString=json.dumps(dict(platform_secret)))["ARN"]
        api_secret_arn = ""
        if api_secret is not None:
            api_secret_arn = secrets.create_secret(Name=names["api_secret"], SecretString=json.dumps(dict(api_secret)))[
                "ARN"
            ]

        resources = LocalResources(
            stage=stage,
            region=self.region,
            endpoint_url=self.endpoint_url,
            table_name=names["table"],
            inbound_queue_url=inbound.url,
            inbound_queue_arn=inbound.arn,
            inbound_dlq_url=inbound.dlq_url,
            inbound_dlq_arn=inbound.dlq_arn,
            outbound_queue_url=outbound.url,
            outbound_queue_arn=outbound.arn,
            outbound_dlq_url=outbound.dlq_url,
            outbound_dlq_arn=outbound.dlq_arn,
            raw_bucket=names["bucket"],
            platform_secret_arn=secret_arn,
            api_secret_arn=api_secret_arn,
            clock_failures_url=failures_url,
            reports_bucket=names["reports_bucket"],
            raw_streams=raw_streams,
        )
        log.info(
            "resources created",
            extra={
                "table": resources.table_name,
                "queue": names["queue"],
                "dlq": names["dlq"],
                "outbound_queue": names["outbound_queue"],
                "bucket": resources.raw_bucket,
                "secret": names["secret"],
                "elapsed_ms": int((time.monotonic() - started) * 1000),
            },
        )
        return resources

    def _create_table(self, name: str) -> None:
        dynamodb = self.client("dynamodb")
        dynamodb.create_table(**schema.create_table_kwargs(name))
        dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1})
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": c.TTL_ATTRIBUTE},
        )

    def _create_bucket(self, name: str) -> None:
        s3 = self.client("s3")
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})

    def _create_raw_bucket(self, name: str) -> None:
        self._create_bucket(name)
        self.client("s3").put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "raw-retention",
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "Expiration": {"Days": c.RAW_RETENTION_DAYS},
                    }
                ]
            },
        )


def local_client(service: str, endpoint_url: str, region: str, *, config: Config | None = _CLIENT_CONFIG) -> Any:
    """A boto3 client for ``service`` of a local stack's AWS services at ``endpoint_url``, with fake credentials."""
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=FAKE_ACCESS_KEY_ID,
        aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
        config=config,
    )


@dataclass(frozen=True, slots=True)
class _QueueWithDlq:
    url: str
    arn: str
    dlq_url: str
    dlq_arn: str


def _create_queue_with_dlq(
    sqs: Any, name: str, dlq_name: str, attributes: Callable[[str], Mapping[str, str]]
) -> _QueueWithDlq:
    """The dead-letter queue first, then the queue whose redrive policy (``attributes(dlq_arn)``) names it."""
    dlq_url = sqs.create_queue(QueueName=dlq_name, Attributes=schema.DLQ_ATTRIBUTES)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=name, Attributes=attributes(dlq_arn))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return _QueueWithDlq(url, arn, dlq_url, dlq_arn)


def stack_client(service: str, endpoint_url: str, region: str) -> Any:
    """A boto3 client of a running stack's AWS services (as an operator's: botocore's default settings)."""
    return local_client(service, endpoint_url, region, config=None)


def aws_client_environment(endpoint_url: str, region: str) -> dict[str, str]:
    """What a function's boto3 needs to reach the in-process services with its default config."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }


@contextmanager
def patched_environ(values: Mapping[str, str], remove: tuple[str, ...] = ()) -> Iterator[None]:
    """Set ``values`` (and remove ``remove``) in ``os.environ``; restore everything afterwards."""
    saved = {key: os.environ.get(key) for key in (*values, *remove)}
    try:
        for key in remove:
            os.environ.pop(key, None)
        os.environ.update(values)
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _ensure_port_free(host: str, port: int, what: str) -> None:
    if port == 0:
        return
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortInUse(f"{host}:{port} is already in use; choose another port for {what}") from exc


class PortInUse(RuntimeError):
    pass
