"""Crisis mode: a declared crisis, its scope and time window, and the automated messages it holds.

While a crisis is active, every automated message (acknowledgement, nudge) that would go to a case
in its scope is stored HELD instead of sent, and listed under the crisis for a person to release or
discard. A crisis is stored as a versioned configuration document (``ConfigKind.CRISIS``, checked by
``rules.crisis``); each held message is an item of its own under the crisis (``HeldMessage``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from socialcare.model.events import Channel


@dataclass(frozen=True, slots=True)
class CrisisScope:
    """Which cases a crisis holds messages of: each dimension named must hold (an empty one holds
    for every case); within one, any value does. See ``rules.crisis.in_scope``."""

    accounts: frozenset[str] = frozenset()  # brand account ids
    languages: frozenset[str] = frozenset()  # ISO 639-1, the case's language (its first message's)
    keywords: tuple[str, ...] = ()  # phrase patterns, matched against the case's routing tags and reasons


@dataclass(frozen=True, slots=True)
class Crisis:
    crisis_id: str
    name: str
    scope: CrisisScope
    starts_at_ms: int
    ends_at_ms: int | None  # None: until a person ends it
    declared_by: str
    declared_at_ms: int
    ended_at_ms: int | None = None  # ended by hand
    ended_by: str | None = None
    version: int = 1

    def active_at(self, now_ms: int) -> bool:
        if now_ms < self.starts_at_ms or (self.ended_at_ms is not None and now_ms >= self.ended_at_ms):
            return False
        return self.ends_at_ms is None or now_ms < self.ends_at_ms


class HeldState(StrEnum):
    HELD = "held"  # waits for a person's decision
    RELEASED = "released"  # a person let it go: sent if the gate still allows it
    DISCARDED = "discarded"  # a person stopped it for good


@dataclass(frozen=True, slots=True)
class HeldMessage:
    """An automated message a crisis holds: where it is stored, what it says, and what became of it."""

    crisis_id: str
    case_id: str
    entry_id: str
    purpose: str
    channel: Channel
    account_id: str
    text: str
    held_at_ms: int
    state: HeldState = HeldState.HELD
    decided_by: str | None = None
    decided_at_ms: int | None = None
