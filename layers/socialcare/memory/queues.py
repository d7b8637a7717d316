"""In-memory twins of the two queues (the ``DeliveryQueue`` and ``OutboundQueue`` ports).

A message is visible until received; a received message is in flight until deleted or put back
with ``retry_later`` (a delay of 0 makes it visible at once, any other keeps it hidden: time in
the twin does not pass by itself).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field

from socialcare.model.envelope import DeliveryEnvelope


@dataclass
class QueuedMessage:
    body: str
    attributes: dict[str, str]
    receipt_handle: str | None = None
    receive_count: int = 0
    hidden: bool = False


@dataclass
class MemoryQueue:
    messages: list[QueuedMessage] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _receipts: itertools.count[int] = field(default_factory=itertools.count)

    def put(self, body: str, attributes: dict[str, str]) -> None:
        with self._lock:
            self.messages.append(QueuedMessage(body, attributes))

    def receive(self, max_messages: int = 10) -> list[QueuedMessage]:
        """Visible messages, oldest first, now in flight with a new receipt handle each."""
        with self._lock:
            taken = [m for m in self.messages if not m.hidden][:max_messages]
            for message in taken:
                message.hidden = True
                message.receive_count += 1
                message.receipt_handle = f"receipt-{next(self._receipts)}"
            return taken

    def delete(self, receipt_handle: str) -> None:
        with self._lock:
            self.messages = [m for m in self.messages if m.receipt_handle != receipt_handle]

    def retry_later(self, receipt_handle: str, delay_s: int) -> None:
        with self._lock:
            for message in self.messages:
                if message.receipt_handle == receipt_handle:
                    message.hidden = delay_s > 0


class MemoryDeliveryQueue(MemoryQueue):
    """The queue between the webhook and ingest."""

    def send(self, envelope: DeliveryEnvelope) -> None:
        self.put(envelope.to_json(), {"platform": envelope.platform, "delivery_id": envelope.delivery_id})


class MemoryOutboundQueue(MemoryQueue):
    """The queue of replies between the agent API and the outbound sender."""

    def send_json(self, body: str, *, case_id: str, channel: str) -> None:
        self.put(body, {"case_id": case_id, "channel": channel})
