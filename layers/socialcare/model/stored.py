"""What the case repository hands back besides cases and entries: read results that writes are conditioned on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from socialcare.model.case import Case


@dataclass(frozen=True, slots=True)
class CurrentCase:
    """The customer's current case on a brand account, and the copy each of their ids holds.

    ``seen`` maps each customer id to the (case id, version) its copy held when read, or None
    when that id had no copy yet; writes are conditioned on exactly that, so a concurrent
    change makes the writer re-read instead of overwriting.
    """

    case: Case | None
    seen: Mapping[str, tuple[str, int] | None]

    @classmethod
    def from_copies(cls, user_ids: Sequence[str], copies: Mapping[str, Case]) -> CurrentCase:
        """Read from the copies found for some of ``user_ids``: the newest copy is the current case."""
        seen: dict[str, tuple[str, int] | None] = dict.fromkeys(user_ids)
        for uid, case in copies.items():
            seen[uid] = (case.case_id, case.version)
        latest = max(copies.values(), key=lambda k: (k.created_at_ms, k.updated_at_ms), default=None)
        return cls(latest, seen)


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Where a platform message is stored: its case and its thread entry."""

    case_id: str
    entry_id: str
