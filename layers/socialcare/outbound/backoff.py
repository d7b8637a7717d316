"""How long a reply waits before it is tried again."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from socialcare import constants as c


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with equal jitter, in whole seconds (what SQS visibility takes).

    Attempt n waits between half and all of ``base_s * 2**(n-1)`` (capped at ``max_s``); when the
    platform says how long to wait (``Retry-After``, X's rate-limit reset, Telegram's
    ``retry_after``, Meta's usage header), that wait is honoured instead, plus one second so the
    retry does not land exactly at the reset, up to ``max_retry_after_s`` (an hour: SQS keeps a
    message invisible for at most 12 hours from its receipt).
    """

    base_s: float = c.OUTBOUND_RETRY_BASE_S
    max_s: float = c.OUTBOUND_RETRY_MAX_S
    max_retry_after_s: float = 3600
    jitter: Callable[[], float] = field(default=random.random)

    def delay_s(self, attempt: int, retry_after_s: float | None = None) -> int:
        if retry_after_s is not None:
            return int(min(self.max_retry_after_s, max(1, math.ceil(retry_after_s) + 1)))
        ceiling = min(self.max_s, self.base_s * 2 ** max(0, attempt - 1))
        return int(max(1, math.ceil(ceiling / 2 + self.jitter() * ceiling / 2)))
