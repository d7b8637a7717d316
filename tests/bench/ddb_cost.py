"""DynamoDB request and write-unit accounting for the benchmarks.

Write units follow DynamoDB's published rules: an item's size is the sum of its attribute
names and values (strings by UTF-8 length, numbers ~1 byte per two digits + 1, lists and
maps 3 bytes + 1 per element); a standard write costs 1 WCU per KB, a transactional write
2 WCU per KB, per item.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any


def value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        digits = len(inner.lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(v) + 1 for k, v in inner.items())
    if kind in ("SS", "NS", "BS"):
        return sum(len(str(v)) for v in inner)
    raise ValueError(kind)


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + value_size(v) for name, v in item.items())


def write_units(operation: str, kwargs: dict[str, Any]) -> int:
    if operation == "transact_write_items":
        total = 0
        for entry in kwargs["TransactItems"]:
            ((kind, body),) = entry.items()
            size = item_size(body["Item"]) if kind == "Put" else 1024  # updates: assume ≤ 1 KB
            total += 2 * max(1, math.ceil(size / 1024))
        return total
    if operation == "put_item":
        return max(1, math.ceil(item_size(kwargs["Item"]) / 1024))
    if operation == "update_item":
        return 1
    return 0


@dataclass
class RecordingClient:
    """Passes every call to the real client, recording operation, arguments and time spent."""

    client: Any
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    seconds: float = 0.0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        def call(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            started = time.perf_counter()
            try:
                return method(**kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return call
