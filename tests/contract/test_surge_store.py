"""The surge counters' contract (``SurgeCounter`` and ``SurgeWindows``): the same tests against the
DynamoDB store (on moto) and its in-memory twin — counts add up across writers and shards, examples
stay bounded, a bucket range reads exactly its buckets, and a surge is claimed once."""

from __future__ import annotations

import threading
from typing import Any, Protocol

import pytest
from socialcare.model.surges import MAX_EXAMPLES, BucketTally, SurgeKey, SurgeScope
from socialcare.ports import SurgeCounter, SurgeWindows
from socialcare.rules.surges import BUCKET_MS, SHARDS

pytestmark = pytest.mark.integration

B0 = 1_767_225_600_000
OUTAGE = SurgeKey(SurgeScope.TOPIC, "outage")
PAGE = SurgeKey(SurgeScope.ACCOUNT, "104729835600142")
PRESS = SurgeKey(SurgeScope.TOPIC, "sensitive:bereavement")


class SurgeStore(SurgeCounter, SurgeWindows, Protocol):
    pass


@pytest.fixture(params=["dynamodb", "memory"])
def store(request: pytest.FixtureRequest) -> SurgeStore:
    if request.param == "dynamodb":
        from socialcare.aws.surge_store import SurgeStore as DynamoSurgeStore

        aws: Any = request.getfixturevalue("aws")
        return DynamoSurgeStore(aws.table_name, client=aws.dynamodb)
    from socialcare.memory.surge_store import MemorySurgeStore

    return MemorySurgeStore()


def tally(bucket_ms: int, case_id: str, *keys: SurgeKey, times: int = 1) -> BucketTally:
    counted = BucketTally(bucket_ms)
    for _ in range(times):
        counted.add(keys, case_id)
    return counted


def test_counts_add_up_across_writes_and_shards(store: SurgeStore) -> None:
    store.add(tally(B0, "case-a", PAGE, OUTAGE, times=3), shard=0)
    store.add(tally(B0, "case-b", PAGE, OUTAGE, PRESS), shard=0)
    store.add(tally(B0, "case-c", PAGE, times=2), shard=SHARDS - 1)
    store.add(tally(B0 + BUCKET_MS, "case-d", OUTAGE), shard=3)
    reading = store.read(B0, B0 + BUCKET_MS, shards=SHARDS)
    first = reading.bucket(B0)
    assert (first.messages, first.count(PAGE), first.count(OUTAGE), first.count(PRESS)) == (6, 6, 4, 1)
    assert first.examples[OUTAGE] == ("case-a",)  # the first example written to a shard stays
    assert first.examples[PAGE] == ("case-a", "case-c")  # one per shard, in shard order
    assert reading.bucket(B0 + BUCKET_MS).count(OUTAGE) == 1
    assert reading.items_read == 3  # shard 0 and 15 of the first bucket, shard 3 of the second


def test_a_range_reads_exactly_its_buckets(store: SurgeStore) -> None:
    for i in range(5):
        store.add(tally(B0 + i * BUCKET_MS, f"case-{i}", OUTAGE, times=i + 1), shard=i)
    reading = store.read(B0 + BUCKET_MS, B0 + 3 * BUCKET_MS, shards=SHARDS)
    assert sorted(reading.buckets) == [B0 + i * BUCKET_MS for i in (1, 2, 3)]
    assert [reading.bucket(B0 + i * BUCKET_MS).count(OUTAGE) for i in range(5)] == [0, 2, 3, 4, 0]
    assert reading.items_read == 3


def test_examples_are_bounded_whatever_the_shards(store: SurgeStore) -> None:
    for shard in range(SHARDS):
        store.add(tally(B0, f"case-{shard:02d}", OUTAGE), shard=shard)
    examples = store.read(B0, B0, shards=SHARDS).bucket(B0).examples[OUTAGE]
    assert examples == tuple(f"case-{shard:02d}" for shard in range(MAX_EXAMPLES))


def test_concurrent_writers_to_one_shard_lose_no_count(store: SurgeStore) -> None:
    """A surge: many ingest invocations add to the same counter item at once."""
    writers, each = 8, 25

    def write(number: int) -> None:
        for _ in range(each):
            store.add(tally(B0, f"case-{number}", PAGE, OUTAGE), shard=7)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bucket = store.read(B0, B0, shards=SHARDS).bucket(B0)
    assert (bucket.messages, bucket.count(PAGE), bucket.count(OUTAGE)) == (200, 200, 200)
    assert len(bucket.examples[OUTAGE]) == 1


def test_a_surge_is_claimed_once_and_a_released_claim_can_be_taken_again(store: SurgeStore) -> None:
    assert store.claim(B0, OUTAGE) is True
    assert store.claim(B0, OUTAGE) is False
    assert store.claim(B0 + BUCKET_MS, OUTAGE) is True  # another bucket
    assert store.claim(B0, PAGE) is True  # another key
    store.release(B0, OUTAGE)
    assert store.claim(B0, OUTAGE) is True


def test_many_keys_at_once_are_all_counted(store: SurgeStore) -> None:
    """A tally touching more keys than one write takes (many topics at once) is split, none lost."""
    keys = [SurgeKey(SurgeScope.TOPIC, f"topic-{i:02d}") for i in range(95)]
    store.add(tally(B0, "case-x", PAGE, *keys, times=2), shard=1)
    bucket = store.read(B0, B0, shards=SHARDS).bucket(B0)
    assert bucket.messages == 2
    assert {bucket.count(key) for key in keys} == {2}
    assert bucket.count(PAGE) == 2
