"""A reply on its way out: the sender's bookkeeping on a reply's thread entry, and one accepted part.

The attributes behind these are described in ``socialcare.aws.outbound_store``; the in-memory twin
keeps the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from socialcare.model.case import Case, ThreadEntry
from socialcare.model.stored import MessageRef


class SendState(StrEnum):
    WAITING = "waiting"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    GAVE_UP = "gave_up"


CLAIMABLE = (None, SendState.WAITING, SendState.GAVE_UP)


@dataclass(frozen=True, slots=True)
class OutboundEntry:
    """A reply's thread entry with the sender's bookkeeping."""

    entry: ThreadEntry
    send_state: SendState | None = None
    attempt_id: str | None = None
    claimed_at_ms: int | None = None
    attempts: int = 0
    parts_sent: int = 0
    platform_message_ids: tuple[str, ...] = ()
    uncertain: bool = False

    @property
    def ref(self) -> MessageRef:
        return MessageRef(self.entry.case_id, self.entry.entry_id)

    @property
    def delivery_rank(self) -> int:
        return self.entry.delivery_state.rank if self.entry.delivery_state is not None else 0


@dataclass(frozen=True, slots=True)
class SendFailure:
    """Why and how a reply is marked failed. ``attempt_id``: the claim the failing attempt holds (None:
    the entry must still be exactly as seen); ``uncertain``: the platform may have taken it after all;
    ``gave_up``: the queue gave up on it (failed, yet claimable by a redrive)."""

    reason: str
    attempt_id: str | None = None
    uncertain: bool = False
    gave_up: bool = False


@dataclass(frozen=True, slots=True)
class CustomerLink:
    """A customer id to add to a case (the PSID a Meta private reply revealed).

    ``seen`` is what that id's current-case copy held when read (None: no copy); ``displaced``
    is (before, after) of the inactive case that copy pointed to, now superseded by this one.
    """

    user_id: str
    seen: tuple[str, int] | None
    displaced: tuple[Case, Case] | None = None


@dataclass(frozen=True, slots=True)
class PartRecord:
    """One accepted platform call, and what it changes."""

    attempt_id: str
    seen: OutboundEntry  # the entry as read when the claim was made / last recorded
    at_ms: int
    platform: str
    account_id: str
    message_id: str | None
    done: bool  # the last part: the reply is now SENT
    case_change: tuple[Case, Case] | None = None  # (before, after), optimistic on before.version
    link: CustomerLink | None = None
    adopt: MessageRef | None = None  # an echo entry stored for this message id, to be replaced
