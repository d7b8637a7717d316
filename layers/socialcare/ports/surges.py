"""The surge ports: ingest's counters, and what the scheduled surge check reads, claims and raises."""

from __future__ import annotations

from typing import Protocol

from socialcare.model.notices import SurgeNotice
from socialcare.model.surges import BucketTally, SurgeKey, SurgeReading


class SurgeCounter(Protocol):
    """Where ingest counts messages per bucket, brand account and topic (``model/surges.py``)."""

    def add(self, tally: BucketTally, *, shard: int) -> None:
        """Add the tally's counts to its bucket's counter on ``shard`` with one keyed ADD (keeping
        the first example case id per key); concurrent writers' counts all add up."""
        ...


class SurgeWindows(Protocol):
    """What the scheduled surge check reads and records (``socialcare.surges``)."""

    def read(self, first_bucket_ms: int, last_bucket_ms: int, *, shards: int) -> SurgeReading:
        """The buckets from ``first`` to ``last`` (inclusive), every shard's counter merged."""
        ...

    def claim(self, bucket_ms: int, key: SurgeKey) -> bool:
        """Record that the surge of ``key`` in this bucket is being raised; False when it was already."""
        ...

    def release(self, bucket_ms: int, key: SurgeKey) -> None:
        """Forget a claim whose notice could not be sent, so the next check raises it again."""
        ...


class SurgeAlerts(Protocol):
    """Tells the leads of a surge (the project's event bus; a list in tests)."""

    def surge_detected(self, notice: SurgeNotice) -> None: ...
