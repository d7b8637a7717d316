"""The lists' vocabulary: a view of cases (a dimension, its scope and values) and a case's place on one.

What a case is placed on, and in which order, is ``socialcare.rules.views``; the DynamoDB layout of
each dimension is ``socialcare.aws.schema``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Dimension(StrEnum):
    QUEUE = "queue"
    REVIEW = "review"
    STATUS = "status"
    CHANNEL = "channel"
    PRIORITY = "priority"
    ASSIGNEE = "assignee"
    MINE = "mine"
    HISTORY = "history"

    @property
    def sharded(self) -> bool:
        return self is not Dimension.MINE


@dataclass(frozen=True, slots=True)
class Placement:
    """A case on one view: ``value`` is the status, channel, priority or assignee ("" for the queue,
    the review queue and an agent's own cases)."""

    dimension: Dimension
    scope: str
    value: str
    sort_key: str


@dataclass(frozen=True, slots=True)
class CaseView:
    """One list: the cases placed on ``dimension``/``scope`` with one of ``values`` (several merge in
    sort-key order), optionally within a sort-key range (``lower``/``upper``, both inclusive)."""

    dimension: Dimension
    scope: str
    values: tuple[str, ...] = ("",)
    lower: str | None = None
    upper: str | None = None

    @property
    def name(self) -> str:
        """Names the list (what a position of it is checked against)."""
        return "|".join((self.dimension.value, self.scope, ",".join(self.values), self.lower or "", self.upper or ""))

    def holds(self, placement: Placement) -> bool:
        return (
            placement.dimension is self.dimension
            and placement.scope == self.scope
            and placement.value in self.values
            and (self.lower is None or placement.sort_key >= self.lower)
            and (self.upper is None or placement.sort_key <= self.upper)
        )
