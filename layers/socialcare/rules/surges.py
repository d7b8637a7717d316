"""Surge detection: what ingest counts per message, and when a bucket's count is a surge.

**Counting.** Every customer message ingest stores counts once for its brand account
(``account:<id>``) and once for each of its topics (``topic:<name>``): the case's routing tags
(``press``, ``refund``, ``sensitive:bereavement``...) and the brand's keyword topics (``keywords``:
a topic name and the phrase patterns that count a message for it, ``socialcare.rules.phrases``), in
``BUCKET_MS`` buckets of ingest's clock. The counters are spread over ``SHARDS`` partition keys
(``shard_of`` the first message's event id of each write), so a burst to one brand never writes one
key: at 5,000 messages a second, one message per write, a shard takes ~5,000 / 16 ≈ 313 writes a
second, under DynamoDB's ~1,000 write units per key.

**The rule** (``surges``): a key surges in a bucket when its count ≥ max(``min_count``, ``factor`` ×
the mean of its counts in the ``baseline_buckets`` buckets before it). ``min_count`` keeps a quiet
topic's few messages from ever counting as a surge (3 after a baseline of 0.5 is not an incident).
The settings (``SurgeSettings.from_config``)::

    {"keywords": {"outage": ["outage", "down", "not working", "caido"], "refund": ["refund*"]},
     "min_count": 20, "factor": 3, "baseline_buckets": 12}
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from socialcare.errors import InvalidRoutingRules, InvalidSurgeSettings
from socialcare.model.notices import SurgeNotice
from socialcare.model.surges import BucketCounts, SurgeKey, SurgeScope
from socialcare.rules import routing_values as values
from socialcare.rules.phrases import Pattern
from socialcare.rules.text import words

BUCKET_MS = 5 * 60_000
SHARDS = 16
MAX_KEYWORD_TOPICS = 50
MAX_BASELINE_BUCKETS = 288  # a day of five-minute buckets
_KEYS = frozenset({"keywords", "min_count", "factor", "baseline_buckets"})


@dataclass(frozen=True, slots=True)
class SurgeSettings:
    keywords: Mapping[str, tuple[Pattern, ...]] = field(default_factory=dict)
    min_count: int = 20
    factor: float = 3.0
    baseline_buckets: int = 12

    @classmethod
    def from_config(cls, config: object) -> SurgeSettings:
        """The settings ``config`` gives, validated; ``InvalidSurgeSettings`` names the field at fault."""
        if not isinstance(config, Mapping):
            raise InvalidSurgeSettings("surges", "must be an object")
        for key in config:
            if key not in _KEYS:
                raise InvalidSurgeSettings(str(key), f"unknown field; allowed: {', '.join(sorted(_KEYS))}")
        raw: Mapping[str, object] = config
        try:
            return cls(
                keywords=_keywords(raw.get("keywords", {})),
                min_count=_whole(raw.get("min_count", 20), "min_count", 1, 1_000_000),
                factor=_factor(raw.get("factor", 3.0)),
                baseline_buckets=_whole(raw.get("baseline_buckets", 12), "baseline_buckets", 1, MAX_BASELINE_BUCKETS),
            )
        except InvalidRoutingRules as exc:  # the shared readers of routing_values name the field
            raise InvalidSurgeSettings(exc.field, exc.reason) from None

    def to_config(self) -> dict[str, object]:
        return {
            "keywords": {topic: [p.source for p in patterns] for topic, patterns in self.keywords.items()},
            "min_count": self.min_count,
            "factor": self.factor,
            "baseline_buckets": self.baseline_buckets,
        }

    def topics(self, tags: Iterable[str], text: str) -> frozenset[str]:
        """A message's topics: its case's routing tags and the keyword topics its text matches."""
        found = set(tags)
        if self.keywords and text:
            text_words = words(text)
            for topic, patterns in self.keywords.items():
                if topic not in found and any(next(p.find(text_words), None) is not None for p in patterns):
                    found.add(topic)
        return frozenset(found)

    def keys(self, account_id: str, tags: Iterable[str], text: str) -> tuple[SurgeKey, ...]:
        """What one stored message counts for."""
        topics = sorted(self.topics(tags, text))
        return (SurgeKey(SurgeScope.ACCOUNT, account_id), *(SurgeKey(SurgeScope.TOPIC, t) for t in topics))


def bucket_of(at_ms: int) -> int:
    """The start of the bucket ``at_ms`` falls in."""
    return at_ms - at_ms % BUCKET_MS


def shard_of(hint: str | None) -> int:
    """Which of the ``SHARDS`` counter keys a write goes to: spread evenly by a hash of ``hint``."""
    digest = hashlib.blake2b((hint or "").encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big") % SHARDS


def surges(
    window: BucketCounts, baseline: Sequence[BucketCounts], settings: SurgeSettings, *, window_open: bool = False
) -> list[SurgeNotice]:
    """Every key of ``window`` whose count is a surge over ``baseline`` (the buckets before it), largest first."""
    found = []
    for key, count in window.counts.items():
        mean = sum(b.count(key) for b in baseline) / max(1, len(baseline))
        threshold = max(float(settings.min_count), settings.factor * mean)
        if count >= threshold:
            found.append(
                SurgeNotice(
                    scope=str(key.scope),
                    name=key.name,
                    window_start_ms=window.bucket_ms,
                    window_minutes=BUCKET_MS // 60_000,
                    window_open=window_open,
                    count=count,
                    baseline=mean,
                    threshold=threshold,
                    case_ids=window.examples.get(key, ()),
                )
            )
    return sorted(found, key=lambda notice: (-notice.count, notice.scope, notice.name))


def _keywords(raw: object) -> dict[str, tuple[Pattern, ...]]:
    if not isinstance(raw, Mapping) or len(raw) > MAX_KEYWORD_TOPICS:
        raise InvalidSurgeSettings("keywords", f"must be an object of at most {MAX_KEYWORD_TOPICS} topics")
    topics: dict[str, tuple[Pattern, ...]] = {}
    for topic, patterns in raw.items():
        where = f"keywords.{topic}"
        values.tag(topic, where)
        found = values.opt_list({topic: patterns}, topic, "keywords", values.keyword)
        if found is None:
            raise InvalidSurgeSettings(where, "must be a list of 1 to 100 phrase patterns")
        topics[topic] = found
    return topics


def _whole(raw: object, name: str, least: int, most: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not least <= raw <= most:
        raise InvalidSurgeSettings(name, f"must be a whole number from {least} to {most}")
    return raw


def _factor(raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 1 <= raw <= 1000:
        raise InvalidSurgeSettings("factor", "must be a number from 1 to 1000")
    return float(raw)
