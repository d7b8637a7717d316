"""The SQS queue between the webhook and ingest."""

from __future__ import annotations

from typing import Any

from socialcare.aws.wiring import lazy_client
from socialcare.model.envelope import DeliveryEnvelope


class DeliveryQueue:
    def __init__(self, queue_url: str, *, client: Any | None = None) -> None:
        self._url = queue_url
        self._client = lazy_client("sqs", client)

    def send(self, envelope: DeliveryEnvelope) -> None:
        self._client().send_message(
            QueueUrl=self._url,
            MessageBody=envelope.to_json(),
            MessageAttributes={
                "platform": {"DataType": "String", "StringValue": envelope.platform},
                "delivery_id": {"DataType": "String", "StringValue": envelope.delivery_id},
            },
        )
