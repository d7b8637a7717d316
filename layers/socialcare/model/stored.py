"""What the case repository hands back besides cases and entries: read results that writes are conditioned on."""

from __future__ import annotations

from collections.abc import Mapping
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


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Where a platform message is stored: its case and its thread entry."""

    case_id: str
    entry_id: str
