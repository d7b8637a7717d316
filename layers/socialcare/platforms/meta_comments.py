"""Public comments: Facebook Page ``feed`` changes and Instagram ``comments``/``mentions`` changes.

Each parser takes one change's ``value`` and may raise ``EventShapeError``; the caller turns that
into an UNKNOWN event for the change.

The brand's own comments arrive too (``from.id`` is the Page or IG account): they become ECHO
events. Their customer is not in the payload (a reply names the parent comment, not its author),
so it is a per-comment stand-in from ``unknown_customer``; ingest threads such echoes into the
case of the comment they answer (``reply_to_id``); a top-level comment of the brand answers nobody.
"""

from __future__ import annotations

from typing import Any

from socialcare.model.events import Attachment, Channel, Customer, EventKind, PlatformEvent, PublicKind
from socialcare.platforms.fields import (
    JsonObject,
    as_id,
    content_digest,
    event_time,
    first_obj,
    loose_str,
    not_modelled,
    opt_id,
    opt_obj,
    opt_str,
    req_id,
    unknown_customer,
)

_ADD_VERBS = frozenset({"add"})
_EDIT_VERBS = frozenset({"edited", "edit"})
_DELETE_VERBS = frozenset({"remove", "delete"})
# Visitor posts on the Page; "photo"/"video" are posts with media. Other items (reaction, like,
# share, event...) carry no customer words and stay UNKNOWN.
_POST_ITEMS = frozenset({"post", "status", "photo", "video"})


# --- Facebook Page feed ---------------------------------------------------------------------
def parse_feed(value: JsonObject, account_id: str, entry_time: Any) -> list[PlatformEvent]:
    item = opt_str(value, "item") or "unknown"
    verb = opt_str(value, "verb") or "unknown"
    if item == "comment":
        message_id = req_id(value, "comment_id")
        post_id = opt_id(value, "post_id")
        parent_id = opt_id(value, "parent_id")
        # [C] a top-level comment's parent is the post itself.
        public_kind = PublicKind.REPLY if parent_id is not None and parent_id != post_id else PublicKind.COMMENT
    elif item in _POST_ITEMS:
        message_id = req_id(value, "post_id")
        post_id, parent_id, public_kind = message_id, None, PublicKind.POST
    else:
        not_modelled(f"feed.{item}")

    sender = opt_obj(value, "from")
    sender_id = opt_id(sender, "id") if sender is not None else None
    from_brand = sender_id == account_id
    if from_brand or sender_id is None:
        # Removals may omit "from"; the brand's own items name no customer.
        customer = unknown_customer(message_id)
    else:
        customer = Customer(user_id=sender_id, name=loose_str(sender, "name"))
    text = opt_str(value, "message")
    created_time = value.get("created_time")

    if verb in _ADD_VERBS:
        if sender_id is None:
            not_modelled(f"feed.{item}.{verb}")  # an addition by nobody is not a customer post
        timestamp, estimated = event_time(created_time, entry_time)
        return [
            PlatformEvent(
                kind=EventKind.ECHO if from_brand else EventKind.PUBLIC_POST,
                platform=Channel.FACEBOOK_COMMENT.platform,
                channel=Channel.FACEBOOK_COMMENT,
                account_id=account_id,
                event_id=message_id,
                timestamp_ms=timestamp,
                timestamp_estimated=estimated,
                customer=customer,
                message_id=message_id,
                text=text,
                attachments=_feed_media(value),
                reply_to_id=parent_id,
                conversation_ref=post_id,
                public_kind=public_kind,
                raw_kind=f"feed.{item}",
            )
        ]
    if verb in _EDIT_VERBS:
        # created_time may be the original creation time for every edit, so the new text's
        # digest tells distinct edits apart (the same text twice is the same edit).
        event_id = f"{message_id}#edit#{content_digest(text)[:16]}"
        kind = EventKind.EDIT
    elif verb in _DELETE_VERBS:
        event_id, kind = f"{message_id}#delete", EventKind.DELETE
    else:
        not_modelled(f"feed.{item}.{verb}")  # hide, unhide, block...
    # entry.time is when the change happened; created_time may be the item's creation.
    timestamp, estimated = event_time(entry_time, created_time)
    return [
        PlatformEvent(
            kind=kind,
            platform=Channel.FACEBOOK_COMMENT.platform,
            channel=Channel.FACEBOOK_COMMENT,
            account_id=account_id,
            event_id=event_id,
            timestamp_ms=timestamp,
            timestamp_estimated=estimated,
            customer=customer,
            message_id=message_id,
            text=text if kind is EventKind.EDIT else None,
            conversation_ref=post_id,
            raw_kind=f"feed.{item}.{verb}",
        )
    ]


def _feed_media(value: JsonObject) -> tuple[Attachment, ...]:
    found = []
    photo = loose_str(value, "photo")
    if photo is not None:
        found.append(Attachment(kind="image", url=photo))
    video = loose_str(value, "video")
    if video is not None:
        found.append(Attachment(kind="video", url=video))
    return tuple(found)


# --- Instagram ------------------------------------------------------------------------------
def parse_instagram_comment(value: JsonObject, account_id: str, entry_time: Any, field: str) -> list[PlatformEvent]:
    """A ``comments`` or ``live_comments`` change: comments on the account's own media."""
    comment_id = req_id(value, "id")
    sender = opt_obj(value, "from")
    sender_id = opt_id(sender, "id") if sender is not None else None
    if sender_id is None:
        not_modelled(field)  # a comment by nobody: keep it raw rather than invent an author
    from_brand = sender_id == account_id
    media = first_obj(value, "media")  # an object; some deliveries send a list of them
    parent_id = opt_id(value, "parent_id")
    timestamp, estimated = event_time(value.get("timestamp"), entry_time)
    return [
        PlatformEvent(
            kind=EventKind.ECHO if from_brand else EventKind.PUBLIC_POST,
            platform=Channel.INSTAGRAM_COMMENT.platform,
            channel=Channel.INSTAGRAM_COMMENT,
            account_id=account_id,
            event_id=comment_id,
            timestamp_ms=timestamp,
            timestamp_estimated=estimated,
            customer=unknown_customer(comment_id)
            if from_brand
            else Customer(user_id=sender_id, handle=loose_str(sender, "username")),
            message_id=comment_id,
            text=opt_str(value, "text"),
            reply_to_id=parent_id,
            conversation_ref=as_id(media.get("id")) if media is not None else None,
            public_kind=PublicKind.REPLY if parent_id is not None else PublicKind.COMMENT,
            raw_kind=field,
        )
    ]


def parse_instagram_mention(value: JsonObject, account_id: str, entry_time: Any) -> list[PlatformEvent]:
    """A ``mentions`` change: someone @mentioned the account in a comment or a media caption.

    The webhook carries only ids ({comment_id, media_id}, or {media_id} for a caption), so the
    text and the author must be fetched from the Graph API. Until then the customer is a
    stand-in unique to this comment (``unknown_customer``): a mention must still open a case
    (nothing may fall through the cracks), and a per-comment stand-in can never merge two
    different people's mentions into one case, which a shared placeholder would. The event id
    is suffixed ``#mention`` so that, if the same comment also arrives through ``comments``
    with its text, that event is not deduplicated away by this text-less one.
    """
    media_id = opt_id(value, "media_id")
    comment_id = opt_id(value, "comment_id")
    message_id = comment_id or media_id
    if message_id is None:
        not_modelled("mentions")
    timestamp, estimated = event_time(entry_time)
    return [
        PlatformEvent(
            kind=EventKind.PUBLIC_POST,
            platform=Channel.INSTAGRAM_COMMENT.platform,
            channel=Channel.INSTAGRAM_COMMENT,
            account_id=account_id,
            event_id=f"{message_id}#mention",
            timestamp_ms=timestamp,
            timestamp_estimated=estimated,
            customer=unknown_customer(message_id),
            message_id=message_id,
            text=None,
            conversation_ref=media_id,
            public_kind=PublicKind.MENTION,
            raw_kind="mentions" if comment_id else "mentions.caption",
        )
    ]
