"""Raw deliveries in S3: no platform lets you fetch a missed event again, so every accepted
delivery is kept exactly as received, for the bucket's retention period (``model/archived.py``:
its own object when too big for the queue, else a line of a Firehose archive object)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from socialcare.aws.wiring import lazy_client
from socialcare.model.archived import day_prefixes, find_archived, is_archive_object


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

    def find(self, raw_key: str) -> bytes | None:
        """Its own object, else the archive objects of its received day and the days after, in key order
        (an operator's read: it lists the bucket, which the functions' roles may not)."""
        client = self._client()
        try:
            return self.get(raw_key)
        except client.exceptions.NoSuchKey:
            return find_archived(self._archive_objects(raw_key), raw_key)

    def _archive_objects(self, raw_key: str) -> Iterator[bytes]:
        paginator = self._client().get_paginator("list_objects_v2")
        for prefix in day_prefixes(raw_key):
            for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
                for listed in page.get("Contents", []):
                    if is_archive_object(listed["Key"], prefix):
                        yield self.get(listed["Key"])
