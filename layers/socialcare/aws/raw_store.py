"""Raw deliveries in S3: no platform lets you fetch a missed event again, so every accepted
delivery is kept exactly as received, for the bucket's retention period."""

from __future__ import annotations

from typing import Any

from socialcare.aws.wiring import lazy_client


class RawDeliveryStore:
    def __init__(self, bucket: str, *, client: Any | None = None) -> None:
        self._bucket = bucket
        self._client = lazy_client("s3", client)

    def put(self, key: str, body: bytes, *, metadata: dict[str, str]) -> None:
        self._client().put_object(
            Bucket=self._bucket, Key=key, Body=body, ContentType="application/json", Metadata=metadata
        )

    def get(self, key: str) -> bytes:
        resp = self._client().get_object(Bucket=self._bucket, Key=key)
        data: bytes = resp["Body"].read()
        return data
