"""The raw archive: Amazon Data Firehose, one delivery stream per platform, into the raw bucket.

One ``PutRecordBatch`` per platform present in an ingest batch (Firehose bills per GB ingested,
each record rounded up to 5 KB, not per call). Firehose answers a batch with per-record results:
the records it refused (``FailedPutCount``, throttling or an internal error) are sent again, and so
is a call that failed whole, up to ``attempts`` tries in all; what is still refused then is reported,
so ingest leaves those messages on the queue (nothing acknowledged is lost).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from socialcare.aws.wiring import lazy_client
from socialcare.model.archived import ArchivedDelivery

# PutRecordBatch's limits: records per call and bytes per call.
MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 4 * 1024 * 1024


class FirehoseArchive:
    def __init__(
        self,
        streams: Mapping[str, str],
        *,
        client: Any | None = None,
        attempts: int = 3,
        backoff_s: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._streams = dict(streams)
        self._client = lazy_client("firehose", client)
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._sleep = sleep

    def archive(self, deliveries: Sequence[ArchivedDelivery]) -> set[int]:
        by_platform: dict[str, list[int]] = {}
        for position, delivery in enumerate(deliveries):
            by_platform.setdefault(delivery.platform, []).append(position)
        failed: set[int] = set()
        for platform, positions in by_platform.items():
            stream = self._streams.get(platform)
            if stream is None:  # refused at cold start (ingest's RAW_STREAMS names every platform)
                failed.update(positions)
                continue
            records = [deliveries[p].to_line() for p in positions]
            for chunk in _chunks(records):
                failed.update(positions[i] for i in self._put(stream, {i: records[i] for i in chunk}))
        return failed

    def _put(self, stream: str, records: dict[int, bytes]) -> list[int]:
        """Send ``records`` (position -> data); the positions still refused after every attempt."""
        pending = list(records)
        for attempt in range(self._attempts):
            if attempt:
                self._sleep(self._backoff_s * 2 ** (attempt - 1))
            try:
                answer = self._client().put_record_batch(
                    DeliveryStreamName=stream, Records=[{"Data": records[p]} for p in pending]
                )
            except (ClientError, BotoCoreError):
                continue  # the whole call failed: every pending record again
            if answer.get("FailedPutCount", 0):
                results = answer["RequestResponses"]
                pending = [p for p, result in zip(pending, results, strict=True) if result.get("ErrorCode")]
            else:
                pending = []
            if not pending:
                break
        return pending


def _chunks(records: list[bytes]) -> Iterator[list[int]]:
    """The records' positions, in runs that fit one PutRecordBatch call."""
    chunk: list[int] = []
    size = 0
    for position, record in enumerate(records):
        length = len(record)
        if chunk and (len(chunk) == MAX_RECORDS_PER_CALL or size + length > MAX_BYTES_PER_CALL):
            yield chunk
            chunk, size = [], 0
        chunk.append(position)
        size += length
    if chunk:
        yield chunk
