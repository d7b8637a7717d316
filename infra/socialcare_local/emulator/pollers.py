"""Queue pollers: the local stand-in for Lambda's SQS event source mapping.

Each poller thread long-polls the queue for up to ``batch_size`` messages, hands them to the function
as a Lambda SQS event (in an execution environment of its own: one per poller), deletes the records the function did not list in ``batchItemFailures`` and
leaves the failed ones for redelivery (``ReportBatchItemFailures``). A function that raises, or
returns an answer Lambda would reject, fails the whole batch. After ``maxReceiveCount`` receives the
queue's redrive policy moves a message to the dead-letter queue (moto applies it on receive).

Differences from Lambda, on purpose: messages are received with a visibility timeout long enough for
the function to finish (``processing_visibility_s``), and failed records are made visible again after
``retry_delay_s`` instead of the queue's full visibility timeout, so local retries take seconds.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from socialcare import constants as c

from socialcare_local.emulator.functions import FunctionEnvironments, Handler, LambdaContext
from socialcare_local.emulator.logs import get_logger

log = get_logger("poller")


@dataclass(frozen=True, slots=True)
class PollerSettings:
    batch_size: int = c.INGEST_BATCH_SIZE
    concurrency: int = 2  # parallel pollers per queue (Lambda starts with five)
    wait_time_s: int = 1  # long-poll time of one ReceiveMessage (shorter = faster shutdown)
    processing_visibility_s: int = 60  # visibility while the function runs
    retry_delay_s: int = 1  # a failed record is visible again after this long
    error_backoff_s: float = 1.0  # pause after the queue itself could not be read
    function_timeout_s: float = 30.0
    # As Lambda does: a record the function reported failed stays hidden for as long as the function
    # itself set (its retry backoff), instead of ``retry_delay_s``. Crashed batches still use
    # ``retry_delay_s``.
    keep_failed_visibility: bool = False


class QueuePoller:
    """Pollers for one queue feeding one function."""

    def __init__(
        self,
        *,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        handler: Handler | FunctionEnvironments,
        function_name: str,
        region: str = "us-east-1",
        settings: PollerSettings | None = None,
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.function_name = function_name
        self.region = region
        self.settings = settings or PollerSettings()
        # As many environments as pollers: each batch runs in an environment of its own.
        self.environments = FunctionEnvironments.of(handler, size=self.settings.concurrency)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self.invocations = 0
        self.failed_records = 0
        self.function_errors = 0

    # --- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        # A restart waits for the previous pollers' long polls to end, so they cannot pick up
        # (and hand back) messages meant for the new ones.
        for thread in self._threads:
            thread.join(timeout=self.settings.wait_time_s + 5)
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        self._stop.clear()
        for number in range(self.settings.concurrency):
            thread = threading.Thread(target=self._run, name=f"poller-{self.function_name}-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info(
            "poller started",
            extra={
                "function": self.function_name,
                "queue_url": self.queue_url,
                "concurrency": self.settings.concurrency,
            },
        )

    def request_stop(self) -> None:
        """Ask the pollers to stop; a batch being processed is finished first."""
        self._stop.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop polling and wait for any batch in progress (not for a long poll, which just ends)."""
        self._stop.set()
        if not wait_until(lambda: not self.busy, timeout_s=timeout_s, interval_s=0.01):
            log.warning(
                "a batch was still being processed when the poller stopped", extra={"function": self.function_name}
            )
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        log.info("poller stopped", extra={"function": self.function_name})

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._in_flight > 0

    def queue_depth(self) -> int:
        """Messages in the queue: visible, in flight and delayed."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def is_idle(self) -> bool:
        return not self.busy and self.queue_depth() == 0

    # --- the loop ---------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                received = self._receive()
                if not received:
                    continue
                if self._stop.is_set():
                    # Stopped during the long poll: hand the messages straight back, as Lambda
                    # would on a disabled mapping, instead of hiding them for the processing timeout.
                    self._release(received)
                    continue
                with self._lock:
                    self._in_flight += 1
                try:
                    self.process(received)
                finally:
                    with self._lock:
                        self._in_flight -= 1
            except (BotoCoreError, ClientError) as exc:
                if self._stop.is_set():
                    return
                log.warning("queue unavailable", extra={"function": self.function_name, "error": type(exc).__name__})
                self._stop.wait(self.settings.error_backoff_s)

    def _receive(self) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.settings.batch_size,
            WaitTimeSeconds=self.settings.wait_time_s,
            VisibilityTimeout=self.settings.processing_visibility_s,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages") or [])

    def process(self, messages: list[dict[str, Any]]) -> None:
        """Invoke the function with one batch and settle each message as Lambda would."""
        batch_id = str(uuid.uuid4())
        event = {"Records": [self._record(message) for message in messages]}
        by_id = {message["MessageId"]: message for message in messages}
        context = LambdaContext(
            function_name=self.function_name, region=self.region, timeout_s=self.settings.function_timeout_s
        )
        started = time.monotonic()
        self.invocations += 1
        failed_ids: set[str]
        crashed = False
        try:
            result = self.environments.invoke(event, context)
            failed_ids = _failed_ids(result, set(by_id))
            outcome = "ok" if not failed_ids else "partial_failure"
        except Exception as exc:  # a crashed function: Lambda retries the whole batch
            self.function_errors += 1
            crashed = True
            failed_ids = set(by_id)
            outcome = "function_error"
            log.error(
                "function raised; whole batch will be retried",
                extra={
                    "correlation_id": batch_id,
                    "function": self.function_name,
                    "error": type(exc).__name__,
                    "message_ids": sorted(by_id),
                },
                exc_info=True,
            )
        except BaseException:
            failed_ids = set(by_id)
            self._settle(by_id, failed_ids, batch_id)
            raise
        self.failed_records += len(failed_ids)
        self._settle(by_id, failed_ids, batch_id, crashed=crashed)
        log.info(
            "batch processed",
            extra={
                "correlation_id": batch_id,
                "function": self.function_name,
                "request_id": context.aws_request_id,
                "records": len(messages),
                "failed": sorted(failed_ids),
                "outcome": outcome,
                "receive_counts": [int(m.get("Attributes", {}).get("ApproximateReceiveCount", 0)) for m in messages],
                "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )

    def _settle(
        self, by_id: dict[str, dict[str, Any]], failed_ids: set[str], batch_id: str, *, crashed: bool = True
    ) -> None:
        done = [m for mid, m in by_id.items() if mid not in failed_ids]
        retry = [m for mid, m in by_id.items() if mid in failed_ids]
        if done:
            response = self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
            if response.get("Failed"):
                log.warning(
                    "some processed messages could not be deleted and will be redelivered",
                    extra={"correlation_id": batch_id, "failed": response["Failed"]},
                )
        if retry and not (self.settings.keep_failed_visibility and not crashed):
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {
                        "Id": str(i),
                        "ReceiptHandle": m["ReceiptHandle"],
                        "VisibilityTimeout": self.settings.retry_delay_s,
                    }
                    for i, m in enumerate(retry)
                ],
            )

    def _release(self, messages: list[dict[str, Any]]) -> None:
        self.sqs.change_message_visibility_batch(
            QueueUrl=self.queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(messages)
            ],
        )

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = dict(message.get("Attributes") or {})
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": {
                "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
                "SentTimestamp": attributes.get("SentTimestamp", str(int(time.time() * 1000))),
                "SenderId": attributes.get("SenderId", "AIDAIENQZJOLO23YVJ4VO"),
                "ApproximateFirstReceiveTimestamp": attributes.get(
                    "ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))
                ),
                **{
                    k: v
                    for k, v in attributes.items()
                    if k in ("MessageGroupId", "MessageDeduplicationId", "AWSTraceHeader")
                },
            },
            "messageAttributes": {
                name: _lambda_message_attribute(value)
                for name, value in (message.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }


def _lambda_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value.get("DataType")}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        import base64

        shaped["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return shaped


def _failed_ids(result: Any, batch_ids: set[str]) -> set[str]:
    """The message ids a ReportBatchItemFailures answer lists; an invalid answer fails the whole batch."""
    if result is None:
        return set()
    if not isinstance(result, dict):
        return set()  # Lambda ignores answers that are not an object: success
    failures = result.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return set(batch_ids)
    failed: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in batch_ids:
            return set(batch_ids)  # Lambda treats an invalid identifier as a failure of the whole batch
        failed.add(identifier)
    return failed


def wait_until(predicate: Callable[[], bool], *, timeout_s: float, interval_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval_s)
