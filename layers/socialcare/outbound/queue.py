"""The SQS queue of replies between the agent API and the outbound sender."""

from __future__ import annotations

from typing import Any

from socialcare.model.outbound import OutboundRequest

MAX_VISIBILITY_S = 12 * 3600


class OutboundQueue:
    def __init__(self, queue_url: str, *, client: Any) -> None:
        self._url = queue_url
        self._client = client

    def send(self, request: OutboundRequest) -> str:
        """Queue one reply (the agent API does this right after storing it PENDING); the message id."""
        response = self._client.send_message(
            QueueUrl=self._url,
            MessageBody=request.to_json(),
            MessageAttributes={
                "case_id": {"DataType": "String", "StringValue": request.case_id},
                "channel": {"DataType": "String", "StringValue": request.channel.value},
            },
        )
        return str(response["MessageId"])

    def retry_later(self, receipt_handle: str, delay_s: int) -> None:
        """Keep a received message hidden for ``delay_s``: SQS delivers it again then (its
        receive count grows, so after maxReceiveCount it moves to the dead-letter queue)."""
        self._client.change_message_visibility(
            QueueUrl=self._url, ReceiptHandle=receipt_handle, VisibilityTimeout=max(0, min(delay_s, MAX_VISIBILITY_S))
        )
