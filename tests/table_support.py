"""Test-only reads of the table that request paths never make."""

from __future__ import annotations

from typing import Any

from socialcare import constants as c
from socialcare.aws import keys


def unmatched(dynamodb: Any, table: str, platform: str, day: str) -> list[dict[str, Any]]:
    """The day's events that matched nothing (unknown kinds, edits of unknown messages), as plain values."""
    params: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": c.PARTITION_KEY},
        "ExpressionAttributeValues": {":pk": {"S": keys.unmatched_pk(platform, day)}},
    }
    rows: list[dict[str, Any]] = []
    while True:
        resp = dynamodb.query(**params)
        rows += [{k: next(iter(v.values())) for k, v in item.items()} for item in resp.get("Items", [])]
        if "LastEvaluatedKey" not in resp:
            return rows
        params["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
