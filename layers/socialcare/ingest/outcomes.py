"""What ingesting an event did, and what a delivery's events did together."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


class Outcome:
    """What ingesting one event did (counted per delivery, and as metrics)."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    STALE = "stale"  # an older event that must not overwrite newer state
    APPLIED = "applied"
    UNMATCHED = "unmatched"
    WAITING = "waiting"  # concerns a message not stored yet: the delivery is retried later
    FOREIGN = "foreign_account"  # not an account of the brand's: kept raw, never a case


@dataclass(slots=True)
class DeliveryReport:
    outcomes: Counter[str] = field(default_factory=Counter)

    def count(self, outcome: str) -> int:
        return self.outcomes[outcome]

    @property
    def waiting(self) -> bool:
        """Some event waits for its message: the delivery is to be retried."""
        return self.outcomes[Outcome.WAITING] > 0
