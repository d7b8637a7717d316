"""Surge counts: how many customer messages each brand account and each topic received per time bucket.

Ingest adds what it stored to a ``SurgeTally`` (one per delivery, or per invocation of the ingest
function) and writes each of its buckets with one keyed ``ADD``; the scheduled check reads buckets
back as ``BucketCounts``, the shards' counters merged (``merged``). A key names what is counted: a
brand account (``account:<id>``) or a topic (``topic:<routing tag or keyword topic>``). Only ids and
counts, never a message's text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

# Example case ids a bucket keeps per key (one per shard is stored; this many are shown).
MAX_EXAMPLES = 5


class SurgeScope(StrEnum):
    ACCOUNT = "account"
    TOPIC = "topic"


@dataclass(frozen=True, slots=True, order=True)
class SurgeKey:
    scope: SurgeScope
    name: str

    def __str__(self) -> str:
        return f"{self.scope}:{self.name}"

    @classmethod
    def parse(cls, text: str) -> SurgeKey:
        scope, _, name = text.partition(":")
        return cls(SurgeScope(scope), name)


@dataclass(slots=True)
class BucketTally:
    """What one writer counted in one bucket: messages, a count per key, the first case id per key."""

    bucket_ms: int
    messages: int = 0
    counts: Counter[SurgeKey] = field(default_factory=Counter)
    examples: dict[SurgeKey, str] = field(default_factory=dict)

    def add(self, keys: Iterable[SurgeKey], case_id: str) -> None:
        self.messages += 1
        for key in keys:
            self.counts[key] += 1
            self.examples.setdefault(key, case_id)


@dataclass(slots=True)
class SurgeTally:
    """Counts gathered before they are written: one write per bucket, not one per message."""

    buckets: dict[int, BucketTally] = field(default_factory=dict)
    shard_hint: str | None = None  # the first message's event id: which counter shard the writes go to

    def add(self, bucket_ms: int, keys: Iterable[SurgeKey], case_id: str, *, hint: str) -> None:
        self.buckets.setdefault(bucket_ms, BucketTally(bucket_ms)).add(keys, case_id)
        if self.shard_hint is None:
            self.shard_hint = hint

    def __bool__(self) -> bool:
        return bool(self.buckets)


@dataclass(frozen=True, slots=True)
class BucketCounts:
    """One bucket as read back, every shard's counter summed."""

    bucket_ms: int
    messages: int = 0
    counts: Mapping[SurgeKey, int] = field(default_factory=dict)
    examples: Mapping[SurgeKey, tuple[str, ...]] = field(default_factory=dict)

    def count(self, key: SurgeKey) -> int:
        return self.counts.get(key, 0)

    @classmethod
    def merged(cls, bucket_ms: int, shards: Iterable[BucketTally]) -> BucketCounts:
        """The shards' counters of one bucket as one (their examples in shard order, at most ``MAX_EXAMPLES``)."""
        messages = 0
        counts: Counter[SurgeKey] = Counter()
        examples: dict[SurgeKey, list[str]] = {}
        for shard in shards:
            messages += shard.messages
            counts.update(shard.counts)
            for key, case_id in shard.examples.items():
                kept = examples.setdefault(key, [])
                if case_id not in kept and len(kept) < MAX_EXAMPLES:
                    kept.append(case_id)
        return cls(bucket_ms, messages, dict(counts), {key: tuple(ids) for key, ids in examples.items()})


@dataclass(frozen=True, slots=True)
class SurgeReading:
    """The buckets a check read (absent ones held nothing) and how many stored items that took."""

    buckets: Mapping[int, BucketCounts]
    items_read: int

    def bucket(self, bucket_ms: int) -> BucketCounts:
        return self.buckets.get(bucket_ms) or BucketCounts(bucket_ms)
