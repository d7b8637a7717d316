"""Stored reports in S3 (``ports.ReportArchive``): the reports bucket, keys under ``reports/``."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from socialcare.aws.wiring import lazy_client


class ReportArchive:
    def __init__(self, bucket: str, *, client: Any | None = None) -> None:
        self._bucket = bucket
        self._client = lazy_client("s3", client)

    def put(self, key: str, body: bytes, *, content_type: str) -> None:
        self._client().put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)

    def get(self, key: str) -> bytes | None:
        try:
            resp = self._client().get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        data: bytes = resp["Body"].read()
        return data
