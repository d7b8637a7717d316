"""A team's active cases from the queue index (GSI1), the ``OpenWork`` port.

The index is sparse: a case item carries ``GSI1PK = QUEUE#<team>`` only while it is active, so a
keyed Query on the team's partition reads exactly its open work, however many resolved and closed
cases the table holds. Pages are followed to the end; the items read are counted (``ScannedCount``:
what DynamoDB bills), for the publisher's log and the benchmark.
"""

from __future__ import annotations

from typing import Any

from socialcare import constants as c
from socialcare.aws import keys
from socialcare.aws.items import item_to_case, s
from socialcare.aws.wiring import lazy_client
from socialcare.model.case import Case
from socialcare.ports import OpenCases


class OpenWorkQueries:
    def __init__(self, table_name: str, *, client: Any = None) -> None:
        self._table = table_name
        self._client = lazy_client("dynamodb", client)

    def open_cases(self, team: str) -> OpenCases:
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": c.QUEUE_INDEX,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": c.QUEUE_INDEX_PK},
            "ExpressionAttributeValues": {":pk": s(keys.queue_pk(team))},
        }
        cases: list[Case] = []
        read = 0
        while True:
            resp = self._client().query(**params)
            cases.extend(item_to_case(item) for item in resp.get("Items", []))
            read += int(resp.get("ScannedCount", len(resp.get("Items", []))))
            if "LastEvaluatedKey" not in resp:
                return OpenCases(tuple(cases), read)
            params["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
