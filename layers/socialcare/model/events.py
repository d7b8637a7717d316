"""One internal event model for every platform.

Adapters turn each platform's payload into ``PlatformEvent`` values; everything after the
adapter (dedup, threading, storage) sees only these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Platform(StrEnum):
    META = "meta"
    X = "x"
    TELEGRAM = "telegram"


class Channel(StrEnum):
    MESSENGER = "messenger"
    FACEBOOK_COMMENT = "facebook_comment"
    INSTAGRAM_DM = "instagram_dm"
    INSTAGRAM_COMMENT = "instagram_comment"
    WHATSAPP = "whatsapp"
    X_POST = "x_post"
    X_DM = "x_dm"
    TELEGRAM = "telegram"

    @property
    def is_public(self) -> bool:
        return self in _PUBLIC_CHANNELS

    @property
    def platform(self) -> Platform:
        if self in (Channel.X_POST, Channel.X_DM):
            return Platform.X
        if self is Channel.TELEGRAM:
            return Platform.TELEGRAM
        return Platform.META


_PUBLIC_CHANNELS = frozenset({Channel.FACEBOOK_COMMENT, Channel.INSTAGRAM_COMMENT, Channel.X_POST})


class EventKind(StrEnum):
    MESSAGE = "message"  # a customer's private message
    PUBLIC_POST = "public_post"  # a customer's public comment, mention, reply or post
    ECHO = "echo"  # the brand's own message, sent from this system or elsewhere
    EDIT = "edit"  # the customer edited an earlier message
    DELETE = "delete"  # the customer deleted/unsent an earlier message
    STATUS = "status"  # delivery/read/failure status of a brand message
    UNKNOWN = "unknown"  # anything the adapter does not understand or sets aside (``reason``); kept raw
    # The customer reacted to a message (``message_id``) with ``emoji``, or removed their reaction
    # (``emoji`` None). One rule for every platform; a reaction never opens or reopens a case.
    REACTION = "reaction"
    # The platform says a customer's ids changed (WhatsApp number or business-scoped id change):
    # ``customer`` holds the current ids, ``previous_ids`` the former ones. Never a case of its own.
    IDENTITY_CHANGE = "identity_change"


class PublicKind(StrEnum):
    COMMENT = "comment"
    REPLY = "reply"
    MENTION = "mention"
    POST = "post"


class DeliveryState(StrEnum):
    PENDING = "pending"  # accepted from an agent, not yet handed to the platform
    SENDING = "sending"  # the outbound sender has claimed it and is calling the platform
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    PLAYED = "played"
    FAILED = "failed"
    # An automated message a crisis holds for a person's review (never sent while held), and one a
    # person discarded (never sent at all). A released message goes back to PENDING.
    HELD = "held"
    DISCARDED = "discarded"

    @property
    def rank(self) -> int:
        """Later states outrank earlier ones; a status never moves back down."""
        return _STATE_RANK[self]


_STATE_RANK = {
    DeliveryState.PENDING: 0,
    DeliveryState.SENDING: 0,  # still not with the platform; only the sender moves it, never a status
    DeliveryState.SENT: 1,
    DeliveryState.DELIVERED: 2,
    DeliveryState.READ: 3,
    DeliveryState.PLAYED: 4,
    DeliveryState.FAILED: 5,
    DeliveryState.HELD: 0,
    DeliveryState.DISCARDED: 5,
}


@dataclass(frozen=True, slots=True)
class Customer:
    """The customer party of an event, identified as the platform identifies them to this account."""

    user_id: str
    name: str | None = None
    handle: str | None = None
    # Other ids the platform gives the same person (WhatsApp: wa_id and business-scoped user_id).
    alt_ids: tuple[str, ...] = ()

    @property
    def all_ids(self) -> tuple[str, ...]:
        return (self.user_id, *(i for i in self.alt_ids if i != self.user_id))


@dataclass(frozen=True, slots=True)
class AuthorProfile:
    """What the platform says of the customer's account, where it says anything (X does; Meta's and
    Telegram's webhooks do not). None: not given."""

    created_at_ms: int | None = None
    followers: int | None = None
    verified: bool | None = None

    def age_days(self, at_ms: int) -> int | None:
        """Whole days the account had existed at ``at_ms``."""
        if self.created_at_ms is None:
            return None
        return max(0, (at_ms - self.created_at_ms) // 86_400_000)


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: str  # image, audio, video, file, sticker, location, ...
    url: str | None = None
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class Referral:
    """Where a conversation came from: a click-to-message ad, a post, a short link (``ref``)."""

    source: str | None = None  # ad, post, ADS, SHORTLINK...
    source_id: str | None = None  # the ad or post id
    url: str | None = None
    headline: str | None = None
    body: str | None = None
    ref: str | None = None  # the ref parameter of an m.me / ig.me link
    click_id: str | None = None  # WhatsApp ctwa_clid, for ad attribution


@dataclass(frozen=True, slots=True)
class PlatformEvent:
    """One normalised event.

    ``event_id`` is the platform's own identity for this event, unique within the platform,
    and is what deduplication keys on. ``message_id`` is the platform id of the message the
    event is (MESSAGE, PUBLIC_POST, ECHO) or concerns (EDIT, DELETE, STATUS, REACTION).
    """

    kind: EventKind
    platform: Platform
    channel: Channel
    account_id: str  # the brand account: page id, IG account id, phone_number_id, X user id, bot id
    event_id: str
    timestamp_ms: int
    customer: Customer | None = None
    message_id: str | None = None
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()
    reply_to_id: str | None = None  # platform id of the message/comment this one answers
    conversation_ref: str | None = None  # post id, tweet conversation, chat id
    public_kind: PublicKind | None = None
    status: DeliveryState | None = None
    status_error: str | None = None
    watermark_ms: int | None = None  # read/delivery receipts that cover everything up to a time
    raw_kind: str | None = None  # the platform's own name for the event kind
    # The platform's element, kept for UNKNOWN events and for the state changes recorded as they
    # came (REACTION, IDENTITY_CHANGE).
    raw: Mapping[str, Any] | None = field(default=None, compare=False)
    emoji: str | None = None  # REACTION: the reaction given; None when the customer removed theirs
    previous_ids: tuple[str, ...] = ()  # IDENTITY_CHANGE: the customer's former ids
    # Delivered while another app owns the thread (Meta handover ``standby[]``): shown on the
    # case, but this system is not the thread's owner.
    standby: bool = False
    referral: Referral | None = None  # the ad / post / link the customer came from, when given
    # The platform gave no usable time: ``timestamp_ms`` is the delivery's received time when the
    # adapter was told it (``Verification.received_at_ms``), else 0 for ingest to fill.
    timestamp_estimated: bool = False
    # UNKNOWN: why it was set aside: a short code (test_ping, service_message, not_modelled...)
    # or the shape problem found.
    reason: str | None = None
    # The customer's account as the platform describes it in the payload (account age, followers,
    # verified); a signal for triage, not part of the event's identity.
    author: AuthorProfile | None = field(default=None, compare=False)
    # ECHO: what the sending app attached to the message (Messenger's ``metadata``): this system's
    # own tag (``model.outbound.own_echo_tag``) on the messages it sent.
    echo_tag: str | None = None

    def __post_init__(self) -> None:
        if not self.account_id:
            raise ValueError("account_id is required")
        if not self.event_id:
            raise ValueError("event_id is required")
        if self.timestamp_ms < 0:
            raise ValueError("timestamp_ms must not be negative")
        if self.kind in _TARGETED_KINDS:
            if self.customer is None:
                raise ValueError(f"{self.kind} events need a customer")
            if not self.message_id:
                raise ValueError(f"{self.kind} events need a message_id")
        if self.kind is EventKind.IDENTITY_CHANGE and (self.customer is None or not self.previous_ids):
            raise ValueError("identity changes need the customer's current and previous ids")
        if self.kind is EventKind.STATUS and self.status is None:
            raise ValueError("status events need a status")
        if self.kind is EventKind.PUBLIC_POST and not self.channel.is_public:
            raise ValueError(f"public posts cannot be on the private channel {self.channel}")

    @property
    def is_customer_message(self) -> bool:
        return self.kind in (EventKind.MESSAGE, EventKind.PUBLIC_POST)


# Kinds that are or concern one message of one customer.
_TARGETED_KINDS = frozenset(
    {EventKind.MESSAGE, EventKind.PUBLIC_POST, EventKind.ECHO, EventKind.EDIT, EventKind.DELETE, EventKind.REACTION}
)


@dataclass(frozen=True, slots=True)
class ParsedDelivery:
    """What an adapter makes of one verified webhook delivery."""

    platform: Platform
    events: tuple[PlatformEvent, ...]

    def sorted_events(self) -> list[PlatformEvent]:
        """Events in platform-timestamp order; platforms do not guarantee delivery order."""
        return sorted(self.events, key=lambda e: (e.timestamp_ms, e.event_id))
