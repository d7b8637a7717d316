"""Injected time: the core never calls time.time() itself, so tests and the local stack own the clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

Clock = Callable[[], int]
"""A function returning the current time in epoch milliseconds."""


def system_clock() -> int:
    return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that moves only when told to (tests, benchmarks, demos)."""

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:  # 2026-01-01T00:00:00Z
        self.now_ms = start_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, *, ms: int = 0, seconds: float = 0, minutes: float = 0, hours: float = 0) -> None:
        self.now_ms += ms + int(seconds * 1000 + minutes * 60_000 + hours * 3_600_000)


def parse_instant(text: object) -> int | None:
    """Epoch milliseconds of an ISO 8601 date and time that names its zone (``2026-03-01T06:00:00Z``,
    ``…+01:00``) or of a string of digits (milliseconds already); None for anything else."""
    if not isinstance(text, str):
        return None
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return round(moment.timestamp() * 1000) if moment.tzinfo is not None else None
