"""In-memory twin of the surge counters (``aws/surge_store.py``): per shard and bucket, ADDed under a lock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from socialcare.model.surges import BucketCounts, BucketTally, SurgeKey, SurgeReading


@dataclass
class MemorySurgeStore:
    counters: dict[tuple[int, int], BucketTally] = field(default_factory=dict)  # (shard, bucket ms)
    raised: set[tuple[int, SurgeKey]] = field(default_factory=set)
    writes: list[tuple[int, int]] = field(default_factory=list)  # (shard, bucket ms) of every write, in order
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, tally: BucketTally, *, shard: int) -> None:
        with self._lock:
            stored = self.counters.setdefault((shard, tally.bucket_ms), BucketTally(tally.bucket_ms))
            stored.messages += tally.messages
            stored.counts.update(tally.counts)
            for key, case_id in tally.examples.items():
                stored.examples.setdefault(key, case_id)
            self.writes.append((shard, tally.bucket_ms))

    def read(self, first_bucket_ms: int, last_bucket_ms: int, *, shards: int) -> SurgeReading:
        with self._lock:
            found = sorted(
                (shard, bucket, tally)
                for (shard, bucket), tally in self.counters.items()
                if shard < shards and first_bucket_ms <= bucket <= last_bucket_ms
            )
        by_bucket: dict[int, list[BucketTally]] = {}
        for _, bucket, tally in found:
            by_bucket.setdefault(bucket, []).append(tally)
        buckets = {bucket: BucketCounts.merged(bucket, parts) for bucket, parts in by_bucket.items()}
        return SurgeReading(buckets, len(found))

    def claim(self, bucket_ms: int, key: SurgeKey) -> bool:
        with self._lock:
            if (bucket_ms, key) in self.raised:
                return False
            self.raised.add((bucket_ms, key))
            return True

    def release(self, bucket_ms: int, key: SurgeKey) -> None:
        with self._lock:
            self.raised.discard((bucket_ms, key))
