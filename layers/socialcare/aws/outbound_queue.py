"""The SQS queue of replies between the agent API and the outbound sender: one message per stored reply."""

from __future__ import annotations

from typing import Any

from socialcare.aws.wiring import lazy_client

MAX_VISIBILITY_S = 12 * 3600


class OutboundQueue:
    def __init__(self, queue_url: str, *, client: Any | None = None) -> None:
        self._url = queue_url
        self._client = lazy_client("sqs", client)

    def send_json(self, body: str, *, case_id: str, channel: str) -> None:
        """Queue a request already serialised (a retried reply sends exactly what was stored)."""
        self._client().send_message(
            QueueUrl=self._url,
            MessageBody=body,
            MessageAttributes={
                "case_id": {"DataType": "String", "StringValue": case_id},
                "channel": {"DataType": "String", "StringValue": channel},
            },
        )

    def retry_later(self, receipt_handle: str, delay_s: int) -> None:
        """Keep a received message hidden for ``delay_s``: SQS delivers it again then (its
        receive count grows, so after maxReceiveCount it moves to the dead-letter queue)."""
        self._client().change_message_visibility(
            QueueUrl=self._url, ReceiptHandle=receipt_handle, VisibilityTimeout=max(0, min(delay_s, MAX_VISIBILITY_S))
        )
