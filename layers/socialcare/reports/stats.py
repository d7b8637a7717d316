"""The figures a report prints, computed one way everywhere.

Percentiles are *nearest rank* (the value at rank ceil(q × n) of the sorted values): always a value
that was measured, and easy to check by hand — the p90 of ten answers is the ninth fastest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime


def percentile(values: Sequence[int], q: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def seconds(ms: int | None) -> float | None:
    return None if ms is None else round(ms / 1000, 1)


def percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 1)


def laplace(good: int, total: int) -> float:
    """``good`` of ``total`` with one success and one failure assumed beforehand (Laplace's rule of
    succession): 0.5 with nothing to go on, and a single case never makes a perfect rate."""
    return (max(0, min(good, total)) + 1) / (total + 2)


def iso(ms: int) -> str:
    """``2026-03-29T07:15:00.000Z``: an instant in UTC with milliseconds (the agent API's form)."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"
