"""A table's stream read straight from moto's in-process backend.

moto answers ``GetRecords`` through its generic response serializer, which takes ~15 ms per record
with the item images: a benchmark's few thousand writes would take minutes to read back. The
records themselves are kept by the backend exactly as ``GetRecords`` returns them, so they are read
there. This touches moto's private API (moto is pinned in ``constraints.txt``); it is kept here.

``records(table)`` gives every record since the table was created; ``MotoStreams`` stands in for a
``dynamodbstreams`` client where only ``DescribeStream``, ``GetShardIterator`` and ``GetRecords`` are
needed (``socialcare_local.emulator.streams.TableStream``, which shapes records as Lambda does).
"""

from __future__ import annotations

from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID


def _shard(table: str, region: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    shard = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(table).stream_shard
    if shard is None:
        raise ValueError(f"{table} has no stream")
    return shard


def records(table: str, *, region: str = "us-east-1", start: int = 0) -> list[dict[str, Any]]:
    """The table's stream records from the ``start``-th on, oldest first, in ``GetRecords``' shape."""
    return [dict(record.record) for record in _shard(table, region).items[start:]]


class MotoStreams:
    """The three ``dynamodbstreams`` calls a stream reader makes, answered from moto's backend.
    A stream ARN is ``arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>``."""

    def __init__(self, region: str = "us-east-1") -> None:
        self.region = region

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        shard = _shard(_table_of(StreamArn), self.region)
        return {"StreamDescription": {"StreamArn": StreamArn, "Shards": [{"ShardId": shard.id}]}}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str) -> dict[str, Any]:
        start = len(_shard(_table_of(StreamArn), self.region).items) if ShardIteratorType == "LATEST" else 0
        return {"ShardIterator": f"{start}|{StreamArn}"}

    def get_records(self, ShardIterator: str, Limit: int = 1000) -> dict[str, Any]:
        start, arn = ShardIterator.split("|", 1)
        found = records(_table_of(arn), region=self.region, start=int(start))[:Limit]
        return {"Records": found, "NextShardIterator": f"{int(start) + len(found)}|{arn}"}


def _table_of(stream_arn: str) -> str:
    return stream_arn.split(":table/", 1)[1].split("/stream/", 1)[0]
