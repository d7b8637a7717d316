"""The table's stream fed to a function: the local stand-in for Lambda's DynamoDB event source mapping.

``TableStream`` reads a table's stream (moto keeps one shard per table) from where it last stopped
and gives the records as Lambda hands them to a function (``eventSource`` ``aws:dynamodb``, the
images in attribute-value form). ``matches`` applies an event source mapping's filter pattern (the
subset the CDK app uses: nested objects whose leaves list the allowed values), so the function sees
only what it would in AWS. ``StreamPoller`` runs a thread that reads every ``interval_s``, invokes
the function with batches of matching records in their own execution environment, and honours
``ReportBatchItemFailures``: the batch is cut at the first failed record, which is tried again
(after ``retry_delay_s``) with the records after it, up to ``max_retries`` times; then it is logged
as sent to the on-failure destination and skipped, as Lambda does with ``MaximumRetryAttempts``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from socialcare_local.emulator.functions import FunctionEnvironments, Handler, LambdaContext
from socialcare_local.emulator.logs import get_logger

log = get_logger("stream")


class TableStream:
    """A table's stream read from its end (records written after this object was made)."""

    def __init__(self, streams: Any, stream_arn: str, *, region: str = "us-east-1") -> None:
        self.streams = streams
        self.stream_arn = stream_arn
        self.region = region
        self._iterators: dict[str, str | None] = {}
        for shard in self._shards():
            self._iterators[shard] = self._iterator(shard, "LATEST")

    @classmethod
    def of_table(cls, dynamodb: Any, streams: Any, table_name: str, *, region: str = "us-east-1") -> TableStream:
        arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        return cls(streams, arn, region=region)

    def read(self) -> list[dict[str, Any]]:
        """Every record written since the last read, oldest first, in Lambda's event shape."""
        for shard in self._shards():
            self._iterators.setdefault(shard, self._iterator(shard, "TRIM_HORIZON"))
        records: list[dict[str, Any]] = []
        for shard, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            response = self.streams.get_records(ShardIterator=iterator)
            self._iterators[shard] = response.get("NextShardIterator")
            records += [self._lambda_record(r) for r in response.get("Records", [])]
        return records

    def _shards(self) -> list[str]:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description.get("Shards", [])]

    def _iterator(self, shard: str, kind: str) -> str | None:
        response = self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType=kind)
        iterator = response.get("ShardIterator")
        return None if iterator is None else str(iterator)

    def _lambda_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        change = dict(record["dynamodb"])
        created = change.get("ApproximateCreationDateTime")
        if isinstance(created, dt.datetime):
            change["ApproximateCreationDateTime"] = int(created.timestamp())
        return {
            "eventID": record.get("eventID"),
            "eventName": record.get("eventName"),
            "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": self.region,
            "dynamodb": change,
            "eventSourceARN": self.stream_arn,
        }


def matches(record: Mapping[str, Any], pattern: Mapping[str, Any]) -> bool:
    """Whether an event source mapping's filter ``pattern`` lets ``record`` through (values listed
    exactly, or ``{"prefix": ...}``)."""
    for key, wanted in pattern.items():
        value = record.get(key)
        if isinstance(wanted, Mapping):
            if not isinstance(value, Mapping) or not matches(value, wanted):
                return False
        elif not any(_is(value, one) for one in wanted):
            return False
    return True


def _is(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, Mapping) and "prefix" in wanted:
        return isinstance(value, str) and value.startswith(str(wanted["prefix"]))
    return bool(value == wanted)


def matches_any(record: Mapping[str, Any], patterns: Sequence[Mapping[str, Any]]) -> bool:
    """Whether any of a mapping's filters lets ``record`` through (Lambda ORs them)."""
    return any(matches(record, pattern) for pattern in patterns)


@dataclass(frozen=True, slots=True)
class StreamSettings:
    batch_size: int = 25
    interval_s: float = 0.2
    retry_delay_s: float = 0.5
    max_retries: int = 3
    function_timeout_s: float = 30.0


class StreamPoller:
    """One thread feeding a table's stream to one function (Lambda reads a shard in order, one batch at a time)."""

    def __init__(
        self,
        *,
        stream: TableStream,
        handler: Handler | FunctionEnvironments,
        function_name: str,
        filter_patterns: Sequence[Mapping[str, Any]],
        settings: StreamSettings | None = None,
        on_failure: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """``on_failure`` receives what Lambda sends the on-failure destination for a record given up."""
        self.stream = stream
        self.on_failure = on_failure
        self.function_name = function_name
        self.filter_patterns = tuple(filter_patterns)
        self.settings = settings or StreamSettings()
        self.environments = FunctionEnvironments.of(handler, size=1)
        self._pending: list[dict[str, Any]] = []
        self._attempts = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy = threading.Lock()
        self.invocations = 0
        self.discarded = 0

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"stream-{self.function_name}", daemon=True)
        self._thread.start()
        log.info("stream poller started", extra={"function": self.function_name, "stream": self.stream.stream_arn})

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
        log.info("stream poller stopped", extra={"function": self.function_name})

    def is_idle(self) -> bool:
        """No batch running and no record written but not yet handled (what was written is read now)."""
        if not self._busy.acquire(blocking=False):
            return False
        try:
            self._pending += [r for r in self.stream.read() if matches_any(r, self.filter_patterns)]
            return not self._pending
        finally:
            self._busy.release()

    def poll_once(self) -> None:
        """Read what is new and hand it to the function (the thread's step; tests call it directly)."""
        with self._busy:
            self._pending += [r for r in self.stream.read() if matches_any(r, self.filter_patterns)]
            while self._pending and not self._stop.is_set():
                batch = self._pending[: self.settings.batch_size]
                failed_at = self._invoke(batch)
                if failed_at is None:
                    del self._pending[: len(batch)]
                    self._attempts = 0
                    continue
                del self._pending[:failed_at]
                if not self._retry_or_discard():
                    return

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except (BotoCoreError, ClientError) as exc:
                log.warning("stream unavailable", extra={"function": self.function_name, "error": type(exc).__name__})
            self._stop.wait(self.settings.interval_s)

    def _invoke(self, batch: list[dict[str, Any]]) -> int | None:
        """Index of the first record to retry, or ``None`` when the batch succeeded."""
        context = LambdaContext(function_name=self.function_name, timeout_s=self.settings.function_timeout_s)
        self.invocations += 1
        started = time.monotonic()
        try:
            result = self.environments.invoke({"Records": batch}, context)
        except Exception as exc:  # a crashed function: the whole batch again
            log.error(
                "function raised; the batch will be retried",
                extra={"function": self.function_name, "error": type(exc).__name__},
                exc_info=True,
            )
            return 0
        failed = _first_failed(result, batch)
        log.info(
            "stream batch processed",
            extra={
                "function": self.function_name,
                "records": len(batch),
                "outcome": "ok" if failed is None else "partial_failure",
                "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return failed

    def _retry_or_discard(self) -> bool:
        """After a failure: wait and go on (``True``), or give the head record up after its retries."""
        self._attempts += 1
        if self._attempts > self.settings.max_retries:
            record = self._pending.pop(0)
            self.discarded += 1
            self._attempts = 0
            sequence = record["dynamodb"].get("SequenceNumber")
            log.error(
                "stream record given up after its retries (on-failure destination)",
                extra={"function": self.function_name, "sequence_number": sequence},
            )
            if self.on_failure is not None:
                self.on_failure(
                    {
                        "requestContext": {"condition": "RetryAttemptsExhausted", "functionArn": self.function_name},
                        "DDBStreamBatchInfo": {
                            "streamArn": self.stream.stream_arn,
                            "startSequenceNumber": sequence,
                            "endSequenceNumber": sequence,
                            "batchSize": 1,
                        },
                    }
                )
            return True
        return not self._stop.wait(self.settings.retry_delay_s)


def _first_failed(result: Any, batch: list[dict[str, Any]]) -> int | None:
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return None
    sequence = [r["dynamodb"].get("SequenceNumber") for r in batch]
    positions = [
        sequence.index(f.get("itemIdentifier")) if f.get("itemIdentifier") in sequence else 0
        for f in result["batchItemFailures"]
    ]
    return min(positions)
