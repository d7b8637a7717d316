"""DynamoDB requests and item sizes for the benchmarks.

Requests are recorded through botocore's global history recorder (the hook the AWS CLI's
``history`` feature uses), so every DynamoDB call a function makes is seen, whichever client made it.

An item's size follows DynamoDB's published rules: the sum of its attribute names and values
(strings and binaries by length, numbers ~1 byte per two digits + 1, lists and maps 3 bytes + 1 per
element). What a write or read costs in units is ``index_writes``'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from botocore.history import BaseHistoryHandler, get_global_history_recorder

WRITE_OPERATIONS = ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")


def value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        digits = len(inner.lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "B":
        return len(inner)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(v) + 1 for k, v in inner.items())
    if kind in ("SS", "NS", "BS"):
        return sum(len(str(v)) for v in inner)
    raise ValueError(kind)


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + value_size(v) for name, v in item.items())


@dataclass
class DynamoDBCalls(BaseHistoryHandler):  # type: ignore[misc]
    """Every DynamoDB API call made while ``recording`` is set: (operation, parameters as passed)."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    recording: bool = False

    def emit(self, event_type: str, payload: Any, source: str) -> None:
        if self.recording and event_type == "API_CALL" and payload.get("service") == "dynamodb":
            self.calls.append((payload["operation"], payload["params"]))

    @classmethod
    def installed(cls) -> DynamoDBCalls:
        recorder = get_global_history_recorder()
        handler = cls()
        recorder.add_handler(handler)
        recorder.enable()
        return handler

    def take(self) -> list[tuple[str, dict[str, Any]]]:
        calls, self.calls = self.calls, []
        return calls


def write_units(operation: str, params: dict[str, Any]) -> int:
    """Write capacity units one call consumes, estimated from its parameters alone (``operation`` as the API
    names it: ``PutItem``...; an update counted as ≤ 1 KB). ``index_writes`` charges the items themselves."""
    if operation == "TransactWriteItems":
        total = 0
        for entry in params["TransactItems"]:
            ((kind, body),) = entry.items()
            size = item_size(body["Item"]) if kind == "Put" else 1024  # updates: assume ≤ 1 KB
            total += 2 * max(1, math.ceil(size / 1024))
        return total
    if operation == "PutItem":
        return max(1, math.ceil(item_size(params["Item"]) / 1024))
    if operation in ("UpdateItem", "DeleteItem"):
        return 1
    return 0
