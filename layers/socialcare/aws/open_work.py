"""A team's active cases from the queue index (GSI1), the ``OpenWork`` port.

The index is sparse: a case item carries ``GSI1PK = QUEUE#<team>#<shard>`` only while it is active,
so keyed Queries of the team's 16 shards read exactly its open work, however many resolved and closed
cases the table holds. Pages are followed to the end; the items read are counted (``ScannedCount``:
what DynamoDB bills), for the publisher's log and the benchmark.
"""

from __future__ import annotations

from typing import Any

from socialcare.aws.view_reads import whole_queue
from socialcare.aws.wiring import lazy_client
from socialcare.ports import OpenCases


class OpenWorkQueries:
    def __init__(self, table_name: str, *, client: Any = None) -> None:
        self._table = table_name
        self._client = lazy_client("dynamodb", client)

    def open_cases(self, team: str) -> OpenCases:
        cases, read = whole_queue(self._client(), self._table, team)
        return OpenCases(tuple(cases), read)
