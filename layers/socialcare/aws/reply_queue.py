"""The SQS queue between the agent API and the outbound sender: one message per stored reply."""

from __future__ import annotations

from typing import Any

from socialcare.model.outbound import OutboundRequest


class ReplyQueue:
    def __init__(self, queue_url: str, *, client: Any) -> None:
        self._url = queue_url
        self._client = client

    def send(self, request: OutboundRequest) -> None:
        self.send_json(request.to_json(), case_id=request.case_id, channel=request.channel.value)

    def send_json(self, body: str, *, case_id: str, channel: str) -> None:
        """Queue a request already serialised (a retried reply sends exactly what was stored)."""
        self._client.send_message(
            QueueUrl=self._url,
            MessageBody=body,
            MessageAttributes={
                "case_id": {"DataType": "String", "StringValue": case_id},
                "channel": {"DataType": "String", "StringValue": channel},
            },
        )
