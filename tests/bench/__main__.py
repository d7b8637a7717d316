"""`make bench`: figures for the webhook, ingest and cold-start targets. Prints, never asserts.

Targets: ≤ 2 DynamoDB requests per new message; ingest path ≤ 3× its bare writes;
webhook function import ≤ 300 ms. Backend: moto in-process, on this machine.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PAGE = "104729318529001"
APP_SECRET = "bench-app-secret"
CREDENTIALS = {"meta": {"app_secrets": [APP_SECRET], "verify_token": "bench"}}


def _env() -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        TZ="UTC",
        POWERTOOLS_TRACE_DISABLED="1",
        POWERTOOLS_LOG_LEVEL="WARNING",
        POWERTOOLS_METRICS_NAMESPACE="socialcare",
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)


def _load(function: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_fn_{function}", ROOT / "functions" / function / "handler.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def messenger_delivery(first: int, count: int, *, customers: int, ts: int) -> dict[str, Any]:
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
                        "timestamp": ts + i,
                        "message": {"mid": f"m_bench_{first + i}", "text": f"Mi pedido nº{first + i} no llega 😟"},
                    }
                ],
            }
            for i in range(count)
        ],
    }


def _resources() -> dict[str, str]:
    import boto3
    from socialcare.storage import schema

    ddb, s3, sqs, sm = (boto3.client(n) for n in ("dynamodb", "s3", "sqs", "secretsmanager"))
    ddb.create_table(**schema.create_table_kwargs("bench"))
    s3.create_bucket(Bucket="bench-raw")
    dlq = sqs.create_queue(QueueName="bench-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(QueueName="bench", Attributes=schema.inbound_queue_attributes(arn))["QueueUrl"]
    secret = sm.create_secret(Name="bench", SecretString=json.dumps(CREDENTIALS))["ARN"]
    return {"TABLE_NAME": "bench", "RAW_BUCKET": "bench-raw", "INBOUND_QUEUE_URL": queue, "PLATFORM_SECRET_ARN": secret}


def _http_event(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    from socialcare_local.http_gateway import build_http_api_event

    return build_http_api_event(
        method="POST",
        raw_path="/webhooks/meta",
        raw_query="",
        headers=[*headers.items(), ("content-type", "application/json")],
        body=body,
        platform="meta",
    )


class _Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"


def bench_webhook() -> dict[str, float]:
    from socialcare_local.sandbox.signing import meta_request

    webhook = _load("webhook")
    webhook.reset()
    figures = {}
    for label, count, repeats in (("1 message", 1, 200), ("1,000-entry batch", 1000, 15)):
        events = []
        for r in range(repeats):
            body, headers = meta_request(
                APP_SECRET, messenger_delivery(r * count, count, customers=50, ts=1_767_225_600_000)
            )
            events.append(_http_event(body, headers))
        webhook.handler(events[0], _Context())  # warm: secret fetched, clients built
        times = []
        for event in events:
            started = time.perf_counter()
            resp = webhook.handler(event, _Context())
            times.append(time.perf_counter() - started)
            assert resp["statusCode"] == 200, resp
        figures[label] = statistics.median(times) * 1000
        figures[f"{label} bytes"] = len(events[0]["body"])
    return figures


def bench_ingest(messages: int = 1000, per_delivery: int = 10) -> dict[str, float]:
    import boto3
    from socialcare.clock import system_clock
    from socialcare.ingest.service import Ingestor
    from socialcare.platforms.base import Verification
    from socialcare.platforms.registry import get_adapter
    from socialcare.storage.case_store import CaseStore
    from socialcare.storage.schema import create_table_kwargs

    from tests.bench.ddb_cost import RecordingClient, write_units

    raw_ddb = boto3.client("dynamodb")
    raw_ddb.create_table(**create_table_kwargs("bench-ingest"))
    recording = RecordingClient(raw_ddb)
    ingestor = Ingestor(CaseStore("bench-ingest", client=recording), clock=system_clock)
    adapter = get_adapter("meta")
    bodies = [
        json.dumps(messenger_delivery(i, per_delivery, customers=200, ts=1_767_225_600_000 + i)).encode()
        for i in range(0, messages, per_delivery)
    ]
    started = time.perf_counter()
    stored = 0
    for body in bodies:
        report = ingestor.ingest(adapter.parse(body, Verification()))
        stored += report.count("stored")
    elapsed = time.perf_counter() - started

    # Replay exactly the writes ingest made, bare, on a fresh table on the same backend.
    raw_ddb.create_table(**create_table_kwargs("bench-bare"))
    writes = [(op, kw) for op, kw in recording.calls if op in ("transact_write_items", "put_item", "update_item")]
    replay = []
    for op, kw in writes:
        text = json.dumps(kw).replace('"bench-ingest"', '"bench-bare"')
        replay.append((op, json.loads(text)))
    bare_started = time.perf_counter()
    for op, kw in replay:
        getattr(raw_ddb, op)(**kw)
    bare = time.perf_counter() - bare_started

    requests = len(recording.calls)
    wcu = sum(write_units(op, kw) for op, kw in recording.calls)
    return {
        "messages stored": stored,
        "messages/s": stored / elapsed,
        "DynamoDB requests per message": requests / stored,
        "write units per message": wcu / stored,
        "ingest path s": elapsed,
        "bare writes s": bare,
        "ingest / bare writes": elapsed / bare,
        "time inside DynamoDB calls s": recording.seconds,
    }


def main() -> int:
    _env()
    sys.path.insert(0, str(ROOT))
    from moto import mock_aws
    from rich.console import Console
    from rich.table import Table

    from tests.bench import importtime

    console = Console()
    with mock_aws():
        os.environ.update(_resources())
        with console.status("webhook: timing deliveries…"):
            webhook = bench_webhook()
        with console.status("ingest: threading 1,000 messages…"):
            ingest = bench_ingest()
    with console.status("cold imports…"):
        imports = importtime.run()

    table = Table(title="socialcare benchmarks (moto in-process backend)", show_lines=False)
    table.add_column("measure")
    table.add_column("figure", justify="right")
    table.add_column("target", justify="right")
    table.add_row("webhook: 1 message, median ms", f"{webhook['1 message']:.2f}", "ack < 3 s")
    table.add_row(
        f"webhook: 1,000-entry Meta batch ({webhook['1,000-entry batch bytes'] / 1024:.0f} KiB), median ms",
        f"{webhook['1,000-entry batch']:.1f}",
        "ack < 3 s",
    )
    table.add_row("ingest: messages per second", f"{ingest['messages/s']:.0f}", "")
    table.add_row("ingest: DynamoDB requests per new message", f"{ingest['DynamoDB requests per message']:.2f}", "≤ 2")
    table.add_row("ingest: write units per new message", f"{ingest['write units per message']:.1f}", "")
    table.add_row(
        "ingest path / its bare writes (same backend)",
        f"{ingest['ingest / bare writes']:.2f}× ({ingest['ingest path s']:.2f} s / {ingest['bare writes s']:.2f} s)",
        "≤ 3×",
    )
    for fn, ms in imports.items():
        table.add_row(f"cold import: functions/{fn}/handler.py, ms", f"{ms:.0f}", "≤ 300" if fn == "webhook" else "")
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
