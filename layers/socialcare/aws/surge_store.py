"""Surge counters on DynamoDB: ``SURGE#<shard>`` / ``<bucket ms>`` (layout in ``schema.py``).

Ingest writes with one ``UpdateItem`` per bucket a tally touches: ``ADD`` of every count and
``if_not_exists`` of every example, so concurrent writers never lose a count and the first example
written stays. The check reads one Query per shard (a sort-key range of buckets) and merges the
shards; the keys it raised are claimed with a conditional Put (``SURGED#<bucket>`` / ``<key>``), and a
claim whose event the bus refused is marked released (an UpdateItem) so the next check takes it again.
Every item expires (TTL) ``KEEP_S`` after its bucket.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from botocore.exceptions import ClientError

from socialcare import constants as c
from socialcare.aws import keys
from socialcare.aws.items import item_key, n, s
from socialcare.aws.paging import every_item
from socialcare.aws.wiring import lazy_client
from socialcare.model.surges import BucketCounts, BucketTally, SurgeKey, SurgeReading

KEEP_S = 2 * 24 * 3600  # long enough for a day's baseline; the counters are not history
MESSAGES = "messages"
COUNT_PREFIX = "c:"
EXAMPLE_PREFIX = "x:"
RELEASED = "released"
# Keys per UpdateItem: a tally with more (many topics at once) takes more writes, each expression small.
MAX_KEYS_PER_WRITE = 40


class SurgeStore:
    def __init__(self, table_name: str, *, client: Any | None = None) -> None:
        self._table = table_name
        self._client = lazy_client("dynamodb", client)

    # ---- ingest's side ----------------------------------------------------------------------
    def add(self, tally: BucketTally, *, shard: int) -> None:
        counted = sorted(tally.counts)
        chunks = [counted[i : i + MAX_KEYS_PER_WRITE] for i in range(0, len(counted), MAX_KEYS_PER_WRITE)] or [[]]
        for number, chunk in enumerate(chunks):
            self._client().update_item(
                TableName=self._table,
                Key=item_key(keys.surge_pk(shard), keys.bucket_sk(tally.bucket_ms)),
                **_add_expression(tally, chunk, messages=tally.messages if number == 0 else 0),
            )

    # ---- the check's side -------------------------------------------------------------------
    def read(self, first_bucket_ms: int, last_bucket_ms: int, *, shards: int) -> SurgeReading:
        by_bucket: dict[int, list[BucketTally]] = {}
        items_read = 0
        for shard in range(shards):
            for item in self._query(shard, first_bucket_ms, last_bucket_ms):
                items_read += 1
                tally = _item_to_tally(item)
                by_bucket.setdefault(tally.bucket_ms, []).append(tally)
        buckets = {bucket: BucketCounts.merged(bucket, parts) for bucket, parts in by_bucket.items()}
        return SurgeReading(buckets, items_read)

    def claim(self, bucket_ms: int, key: SurgeKey) -> bool:
        """A conditional Put: taken unless an earlier claim stands (one released counts as none)."""
        try:
            self._client().put_item(
                TableName=self._table,
                Item={
                    **item_key(keys.surge_raised_pk(bucket_ms), str(key)),
                    "entity": s("surge_raised"),
                    c.TTL_ATTRIBUTE: n(bucket_ms // 1000 + KEEP_S),
                },
                ConditionExpression="attribute_not_exists(#pk) OR #released = :yes",
                ExpressionAttributeNames={"#pk": c.PARTITION_KEY, "#released": RELEASED},
                ExpressionAttributeValues={":yes": {"BOOL": True}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, bucket_ms: int, key: SurgeKey) -> None:
        """Marked released rather than deleted: no role but the outbound sender's deletes items."""
        self._client().update_item(
            TableName=self._table,
            Key=item_key(keys.surge_raised_pk(bucket_ms), str(key)),
            UpdateExpression="SET #released = :yes",
            ExpressionAttributeNames={"#released": RELEASED},
            ExpressionAttributeValues={":yes": {"BOOL": True}},
        )

    def _query(self, shard: int, first_bucket_ms: int, last_bucket_ms: int) -> Iterator[dict[str, Any]]:
        return every_item(
            self._client(),
            {
                "TableName": self._table,
                "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :first AND :last",
                "ExpressionAttributeNames": {"#pk": c.PARTITION_KEY, "#sk": c.SORT_KEY},
                "ExpressionAttributeValues": {
                    ":pk": s(keys.surge_pk(shard)),
                    ":first": s(keys.bucket_sk(first_bucket_ms)),
                    ":last": s(keys.bucket_sk(last_bucket_ms)),
                },
            },
        )


def _add_expression(tally: BucketTally, chunk: Sequence[SurgeKey], *, messages: int) -> dict[str, Any]:
    """``ADD`` the counts, ``SET`` each example only where none is stored, and the expiry once."""
    names = {"#m": MESSAGES, "#ttl": c.TTL_ATTRIBUTE}
    values = {":m": n(messages), ":ttl": n(tally.bucket_ms // 1000 + KEEP_S)}
    adds, sets = ["#m :m"], ["#ttl = if_not_exists(#ttl, :ttl)"]
    for i, key in enumerate(chunk):
        names |= {f"#c{i}": COUNT_PREFIX + str(key), f"#x{i}": EXAMPLE_PREFIX + str(key)}
        values |= {f":c{i}": n(tally.counts[key]), f":x{i}": s(tally.examples[key])}
        adds.append(f"#c{i} :c{i}")
        sets.append(f"#x{i} = if_not_exists(#x{i}, :x{i})")
    return {
        "UpdateExpression": f"ADD {', '.join(adds)} SET {', '.join(sets)}",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def _item_to_tally(item: dict[str, Any]) -> BucketTally:
    tally = BucketTally(int(item[c.SORT_KEY]["S"]), messages=int(item.get(MESSAGES, {"N": "0"})["N"]))
    for name, value in item.items():
        if name.startswith(COUNT_PREFIX):
            tally.counts[SurgeKey.parse(name.removeprefix(COUNT_PREFIX))] = int(value["N"])
        elif name.startswith(EXAMPLE_PREFIX):
            tally.examples[SurgeKey.parse(name.removeprefix(EXAMPLE_PREFIX))] = str(value["S"])
    return tally
