"""Surges: the busiest partition key under a simulated surge of 5,000 messages a second to one team
and topic, and what the scheduled check reads.

The surge is played through the deployed ingest handler: ``MESSAGES`` messages, one per delivery
(the worst case: nothing batched by the platform), about one outage, to the care team of one Page,
from ``CUSTOMERS`` customers — at ``RATE`` messages a second, the first ``MESSAGES / RATE`` seconds of
the surge (a whole second would take minutes on moto and show the same shares) — all in one bucket of
ingest's clock; the event source mapping hands the function ``PER_BATCH`` deliveries an invocation.
Every DynamoDB write is recorded and charged to the partition keys it writes — the table's and each
index's, from the items before and after (``index_writes``: an index is written only when the item
enters, leaves or changes in it) — at DynamoDB's rates; a key's units over the window, divided by its
length, are its write units per second. Then the deployed surge function runs as its schedule would,
and what it read is counted (read units from the items it read).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tests.bench.aws_calls import recording
from tests.bench.index_writes import CallUnits, TableShape, account
from tests.bench.setup import LambdaContext, load_function, sqs_record

RATE = 5000  # messages a second
MESSAGES = 1000  # the first 0.2 s of the surge
CUSTOMERS = 500
PER_BATCH = 10
SURGE_AT_MS = 1_767_225_630_000  # 30 s into a bucket: the whole second falls in it
BUS = "bench-events"


@dataclass(frozen=True)
class SurgeFigures:
    invocations: int
    counter_writes: int
    counter_keys: int
    busiest_counter: tuple[str, float]  # key, write units per second
    busiest_counter_unbatched: float  # the same, had every message been an invocation of its own
    busiest_key: tuple[str, float]  # of every key the surge wrote, table and indexes, per second
    check_queries: int
    check_items_read: int
    check_read_units: float
    check_bound_items: int
    raised: list[str]


def _deliveries(queue_arn: str) -> list[dict[str, Any]]:
    from socialcare.model.envelope import DeliveryEnvelope
    from socialcare.webhook.service import raw_key_for
    from socialcare_local.sandbox.payloads import encode_meta

    from tests.bench.setup import messenger_delivery

    records = []
    for n in range(MESSAGES):
        delivery = messenger_delivery(n, 1, customers=CUSTOMERS, ts=SURGE_AT_MS - 1000)
        delivery["entry"][0]["messaging"][0]["message"]["text"] = f"Is the app down? Order {n} will not load"
        delivery["entry"][0]["messaging"][0]["message"]["mid"] = f"m_surge_{n}"
        envelope = DeliveryEnvelope(
            delivery_id=f"surge{n:06d}",
            platform="meta",
            received_at_ms=SURGE_AT_MS,
            raw_key=raw_key_for("meta", SURGE_AT_MS, f"surge{n:06d}"),
            body=encode_meta(delivery).decode("ascii"),
        )
        records.append(sqs_record(envelope.to_json(), queue_arn))
    return [{"Records": records[i : i + PER_BATCH]} for i in range(0, len(records), PER_BATCH)]


def _charged(ledger: list[CallUnits]) -> Counter[str]:
    """Write units per partition key written: the table's (``PK`` value) and each index's
    (``<index> <its partition key value>``)."""
    charged: Counter[str] = Counter()
    for units in ledger:
        for charge in units.writes:
            charged[charge.key if charge.index is None else f"{charge.index} {charge.key}"] += charge.units
    return charged


def run(resources: dict[str, str], queue_arn: str) -> SurgeFigures:
    import boto3
    from socialcare import constants as c
    from socialcare.aws.schema import create_table_kwargs
    from socialcare.rules.surges import SHARDS, shard_of

    settings = {"keywords": {"outage": ["down", "outage", "will not load"]}}
    os.environ.update(resources, **{c.ENV_SURGE_SETTINGS: json.dumps(settings), c.ENV_EVENT_BUS_NAME: BUS})
    boto3.client("events").create_event_bus(Name=BUS)
    table = resources[c.ENV_TABLE_NAME]
    with recording() as calls:  # the table is new: every write it will have is recorded
        ingest = load_function("ingest")
        ingest.wire(clock=lambda: SURGE_AT_MS)
        events = _deliveries(queue_arn)
        with calls.during("surge"):
            for event in events:
                result = ingest.handler(event, LambdaContext())
                if result.get("batchItemFailures"):
                    raise RuntimeError(f"ingest failed surge records: {result['batchItemFailures']}")
        surge = load_function(c.SURGE_FUNCTION)
        surge.wire(clock=lambda: SURGE_AT_MS + 60_000)
        with calls.during("check"):
            report = surge.handler({}, LambdaContext())
        ledger = account(calls.calls, {table: TableShape.of(create_table_kwargs(table))})
    written = [units for units in ledger if units.call.phase == "surge"]
    charged = _charged(written)
    counters = {key: units for key, units in charged.items() if key.startswith("SURGE#")}
    counter_updates = [
        charge.units for units in written for charge in units.writes if charge.index is None and charge.key in counters
    ]
    window_s = MESSAGES / RATE
    counter, counter_units = max(counters.items(), key=lambda kv: kv[1])
    # A second of the surge, one message an invocation: the messages' ids spread over the shards.
    unbatched = Counter(shard_of(f"m_surge_{n}") for n in range(RATE))
    reads = [units for units in ledger if units.call.phase == "check" and units.call.operation == "Query"]
    key, units = charged.most_common(1)[0]
    return SurgeFigures(
        invocations=len(events),
        counter_writes=len(counter_updates),
        counter_keys=len(counters),
        busiest_counter=(counter, counter_units / window_s),
        busiest_counter_unbatched=float(max(unbatched.values()) * max(counter_updates)),
        busiest_key=(key, units / window_s),
        check_queries=len(reads),
        check_items_read=int(report["items_read"]),
        check_read_units=sum(read.read_units for read in reads),
        check_bound_items=SHARDS * (12 + 2),
        raised=[f"{r['scope']} {r.get('topic') or r.get('account_id')} ({r['count']})" for r in report["raised"]],
    )


if __name__ == "__main__":  # a quick run of this part alone: python -m tests.bench.surge
    from moto import mock_aws
    from socialcare_local.emulator import moto_dynamodb

    from tests.bench.setup import create_resources, environment

    environment()
    moto_dynamodb.install()
    with mock_aws():
        started = time.perf_counter()
        figures = run(create_resources("surge"), "arn:aws:sqs:us-east-1:123456789012:bench-surge")
        print(figures, f"{time.perf_counter() - started:.0f} s")
