"""One message of the outbound queue: a reply to send now, later, or after a crash's back-off.

The queue message is put back (hidden for a delay) whenever it is not done with:

- the sender says ``RetryLater`` (throttled, platform error, claimed elsewhere): for its delay;
- too little of the invocation's time is left for one platform call: a send cut short by the
  function timeout would leave its outcome unknown, so it waits for the next invocation (unless
  this is its last receive: then it is tried rather than sent to the dead-letter queue untried);
- anything else went wrong (a malformed message, DynamoDB unavailable): for the exponential
  back-off of its receive count.

The caller reports a message that is not done as a batch item failure: SQS delivers it again
once its delay is over, and after maxReceiveCount moves it to the dead-letter queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialcare.errors import RetryLater
from socialcare.model.outbound import OutboundRequest
from socialcare.outbound.backoff import Backoff
from socialcare.outbound.sender import DeliveryReport, OutboundSender
from socialcare.ports import OutboundQueue

# What a platform call may take beyond its HTTP timeout (recording the outcome, logging).
CALL_MARGIN_MS = 5_000


@dataclass(frozen=True, slots=True)
class QueuedReply:
    """What became of one queue message: a report when it is done with, else the error and the
    delay after which the queue delivers it again."""

    request: OutboundRequest | None  # None when the message is not an outbound request
    report: DeliveryReport | None = None
    error: Exception | None = None
    delay_s: int = 0

    @property
    def retried(self) -> bool:
        """Put back for the sender's own reasons (``RetryLater``) rather than after an error."""
        return isinstance(self.error, RetryLater)


class QueuedReplies:
    def __init__(
        self,
        sender: OutboundSender,
        queue: OutboundQueue,
        *,
        backoff: Backoff,
        max_receives: int,
        http_timeout_s: float,
    ) -> None:
        self._sender = sender
        self._queue = queue
        self._backoff = backoff
        self._max_receives = max_receives
        self._http_timeout_s = http_timeout_s

    def process(
        self, body: str, *, receipt_handle: str, receive_count: int, remaining_ms: int | None = None
    ) -> QueuedReply:
        """Send the reply ``body`` carries; ``remaining_ms`` is what is left of the invocation
        (None: no limit). A message not done with is already put back when this returns."""
        request = None
        try:
            request = OutboundRequest.from_json(body)
            if self._short_of_time(remaining_ms) and receive_count < self._max_receives:
                raise RetryLater("too little time left in this invocation", delay_s=1)
            return QueuedReply(request, report=self._sender.deliver(request, receive_count=receive_count))
        except RetryLater as exc:
            self._queue.retry_later(receipt_handle, exc.delay_s)
            return QueuedReply(request, error=exc, delay_s=exc.delay_s)
        except Exception as exc:
            delay = self._backoff.delay_s(receive_count)
            self._queue.retry_later(receipt_handle, delay)
            return QueuedReply(request, error=exc, delay_s=delay)

    def _short_of_time(self, remaining_ms: int | None) -> bool:
        return remaining_ms is not None and remaining_ms < self._http_timeout_s * 1000 + CALL_MARGIN_MS
