"""X (Twitter) Account Activity API webhooks.

A delivery is ``{"for_user_id": <brand>, "<kind>_events": [...], "users": {...}}``. Posts (tweets)
arrive in ``tweet_create_events`` whether they mention, reply to or come from the brand; direct
messages in ``direct_message_events``. Tweets are v1.1 objects; DMs carry ms timestamps as strings.

What becomes what:

- ``tweet_create_events``: PUBLIC_POST (public kind REPLY, MENTION or POST; long posts' text from
  ``extended_tweet``; media as attachments); the brand's own post is an ECHO whose customer is the
  author it replies to; a plain retweet is kept raw;
- ``tweet_delete_events``: DELETE; ``direct_message_events``: MESSAGE, or ECHO when the brand
  sent it (``sender_id == for_user_id``); ``direct_message_mark_read_events``: STATUS read;
- favorites, follows, typing indicators, ``user_event`` and any other key: UNKNOWN, kept raw.

The brand is never its own customer: its posts and DMs (author or sender == ``for_user_id``)
are ECHO. Every key that is not delivery context is an event array, so a new kind is kept, never
dropped; a delivery with no event array at all is malformed, and so is one without
``for_user_id`` unless it is a ``user_event`` (authorisation revoked), which X sends without it:
that one is kept raw under the user it names (``UNADDRESSED_ACCOUNT`` if none). Lenient where
X is: ids as ``id_str`` or numeric ``id``, a DM without ``created_timestamp`` (the delivery's
received time is used), ``media`` as an object or a list. The signature is ``x-twitter-webhooks-signature``
(base64 HMAC-SHA256 of the exact bytes); the GET handshake is the CRC (``crc_token``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from socialcare.errors import EventShapeError, HandshakeRejected, MalformedPayload
from socialcare.model.events import (
    Attachment,
    AuthorProfile,
    Channel,
    Customer,
    DeliveryState,
    EventKind,
    ParsedDelivery,
    Platform,
    PlatformEvent,
    PublicKind,
)
from socialcare.platforms.base import HandshakeReply, Verification
from socialcare.platforms.credentials import PlatformCredentials
from socialcare.platforms.fields import (
    MAX_TIMESTAMP_MS,
    UNADDRESSED_ACCOUNT,
    JsonObject,
    as_id,
    event_time,
    guarded,
    load_json_object,
    loose_str,
    not_modelled,
    obj,
    opt_list,
    opt_obj,
    opt_str,
    req_id,
    shape_error,
    unknown_customer,
    with_received_time,
)
from socialcare.platforms.signatures import X_SIGNATURE_HEADER, verify_x_signature, x_crc_response_token

# Arrays with a normalised form, and the channel their elements belong to.
_MODELLED = {
    "tweet_create_events": Channel.X_POST,
    "tweet_delete_events": Channel.X_POST,
    "direct_message_events": Channel.X_DM,
    "direct_message_mark_read_events": Channel.X_DM,
}
# Keys that describe the delivery rather than carry events.
_CONTEXT_KEYS = frozenset({"for_user_id", "users", "apps", "source", "user_has_blocked"})
_MEDIA_KINDS = {"photo": "image", "video": "video", "animated_gif": "animated_gif"}
_MONTHS = {
    m: i
    for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)
}


class XAdapter:
    platform = Platform.X

    def handshake(self, query: Mapping[str, str], credentials: PlatformCredentials) -> HandshakeReply:
        crc_token = query.get("crc_token")
        if not crc_token:
            raise HandshakeRejected("crc_token is missing")
        if credentials.x is None:
            raise HandshakeRejected("X is not configured")
        # The webhook is registered under one app: its (first) consumer secret answers the CRC.
        token = x_crc_response_token(credentials.x.consumer_secrets[0], crc_token)
        body = json.dumps({"response_token": token}).encode("ascii")
        return HandshakeReply(status=200, body=body, content_type="application/json")

    def verify(self, headers: Mapping[str, str], body: bytes, credentials: PlatformCredentials) -> Verification:
        secrets = credentials.x.consumer_secrets if credentials.x is not None else ()
        verify_x_signature(secrets, headers.get(X_SIGNATURE_HEADER), body)
        return Verification()

    def parse(self, body: bytes, verification: Verification) -> ParsedDelivery:
        doc = load_json_object(body)
        account_id = as_id(doc.get("for_user_id"))
        if account_id is None:
            if "for_user_id" in doc or "user_event" not in doc:
                raise MalformedPayload("for_user_id must be a non-empty string")
            account_id = _revoking_user(doc["user_event"])
        users = doc.get("users")
        users = users if isinstance(users, dict) else {}
        events: list[PlatformEvent] = []
        found = False
        for key, items in doc.items():
            if key in _CONTEXT_KEYS:
                continue
            found = True
            channel = _MODELLED.get(key, Channel.X_DM if key.startswith("direct_message") else Channel.X_POST)
            if key in _MODELLED and not isinstance(items, list):
                raise MalformedPayload(f"{key} must be a list")
            # user_event is a single object (authorisation revoked); other unknown keys may be either.
            for item in items if isinstance(items, list) else [items]:
                events += guarded(
                    partial(_parse_element, key, item, account_id, users),
                    channel=channel,
                    account_id=account_id,
                    raw_kind=key,
                    raw=item,
                    times=_times(item),
                )
        if not found:
            raise MalformedPayload("the delivery carries no event arrays")
        return ParsedDelivery(platform=Platform.X, events=with_received_time(events, verification.received_at_ms))


def _revoking_user(user_event: Any) -> str:
    """The user who revoked the app's access: the account a ``user_event`` concerns."""
    revoke = user_event.get("revoke") if isinstance(user_event, dict) else None
    source = revoke.get("source") if isinstance(revoke, dict) else None
    user_id = as_id(source.get("user_id")) if isinstance(source, dict) else None
    return user_id or UNADDRESSED_ACCOUNT


def _times(item: Any) -> tuple[Any, ...]:
    if not isinstance(item, dict):
        return ()
    revoke = item.get("revoke")  # user_event: an ISO 8601 date_time
    revoked_at = revoke.get("date_time") if isinstance(revoke, dict) else None
    return item.get("timestamp_ms"), item.get("created_timestamp"), revoked_at


def _parse_element(key: str, item: Any, account_id: str, users: JsonObject) -> list[PlatformEvent]:
    if key == "user_event":
        not_modelled(key, "authorisation_revoked")  # no case; the revocation is kept raw
    if key not in _MODELLED:
        not_modelled(key)  # favorites, follows, blocks, typing indicators...
    if not isinstance(item, dict):
        shape_error(f"{key}[] must be objects")
    if key == "tweet_create_events":
        return [_tweet(item, account_id)]
    if key == "tweet_delete_events":
        return [_tweet_delete(item, account_id)]
    if key == "direct_message_events":
        return [_direct_message(item, account_id, users)]
    return [_mark_read(item, account_id)]


# --- posts ----------------------------------------------------------------------------------
def _tweet(tweet: JsonObject, account_id: str) -> PlatformEvent:
    if tweet.get("retweeted_status") is not None:
        # A plain retweet carries no words of its own: kept raw, not a customer post.
        not_modelled("retweet")
    tweet_id = _id(tweet, "id")
    user = obj(tweet, "user")
    author_id = _id(user, "id")
    reply_to_status = _opt_id(tweet, "in_reply_to_status_id")
    extended = opt_obj(tweet, "extended_tweet")  # long tweets: the full text and entities live here
    text = opt_str(extended, "full_text") if extended is not None else None
    if text is None:
        text = opt_str(tweet, "full_text") or opt_str(tweet, "text")
    entities = opt_obj(extended, "entities") if extended is not None else None
    entities = entities or opt_obj(tweet, "entities")
    if reply_to_status is not None:
        public_kind = PublicKind.REPLY
    elif entities is not None and account_id in _mentioned_ids(entities):
        public_kind = PublicKind.MENTION
    else:
        public_kind = PublicKind.POST

    if author_id == account_id:
        # The brand's own post: its customer is the author it replies to, if any.
        kind = EventKind.ECHO
        reply_to_user = _opt_id(tweet, "in_reply_to_user_id")
        if reply_to_user is not None and reply_to_user != account_id:
            customer = Customer(user_id=reply_to_user, handle=loose_str(tweet, "in_reply_to_screen_name"))
        else:
            customer = unknown_customer(tweet_id)
    else:
        kind = EventKind.PUBLIC_POST
        customer = Customer(user_id=author_id, name=loose_str(user, "name"), handle=loose_str(user, "screen_name"))
    timestamp, estimated = _tweet_time(tweet)
    author = _author(user, user.get("created_at")) if kind is EventKind.PUBLIC_POST else None
    return PlatformEvent(
        kind=kind,
        platform=Platform.X,
        channel=Channel.X_POST,
        account_id=account_id,
        event_id=tweet_id,
        timestamp_ms=timestamp,
        timestamp_estimated=estimated,
        customer=customer,
        message_id=tweet_id,
        text=text,
        attachments=_tweet_media(tweet, extended),
        reply_to_id=reply_to_status,
        conversation_ref=reply_to_status or tweet_id,
        public_kind=public_kind,
        raw_kind="tweet_create_events",
        author=author,
    )


def _id(item: JsonObject, key: str) -> str:
    """X ids as ``<key>_str`` (v1.1) or as the number itself (``<key>``, or v2's string ``id``)."""
    ident = _opt_id(item, key)
    if ident is None:
        shape_error(f"{key}_str or {key} must be an id")
    return ident


def _opt_id(item: JsonObject, key: str) -> str | None:
    return as_id(item.get(f"{key}_str")) or as_id(item.get(key))


def _mentioned_ids(entities: JsonObject) -> set[str]:
    ids = set()
    for mention in opt_list(entities, "user_mentions"):
        if isinstance(mention, dict):
            ident = as_id(mention.get("id_str")) or as_id(mention.get("id"))
            if ident is not None:
                ids.add(ident)
    return ids


def _tweet_media(tweet: JsonObject, extended: JsonObject | None) -> tuple[Attachment, ...]:
    holder = opt_obj(extended, "extended_entities") if extended is not None else None
    holder = holder or opt_obj(tweet, "extended_entities") or opt_obj(tweet, "entities")
    if holder is None:
        return ()
    found = []
    for media in opt_list(holder, "media"):
        if isinstance(media, dict):
            kind = loose_str(media, "type") or "unknown"
            url = loose_str(media, "media_url_https") or loose_str(media, "media_url")
            found.append(Attachment(kind=_MEDIA_KINDS.get(kind, kind), url=url))
    return tuple(found)


def _tweet_time(tweet: JsonObject) -> tuple[int, bool]:
    """(time, estimated): ``timestamp_ms``, else ``created_at`` (v1.1's format or ISO 8601), else none."""
    timestamp, estimated = event_time(tweet.get("timestamp_ms"))
    created_at = tweet.get("created_at")
    if estimated and isinstance(created_at, str):
        try:
            return parse_created_at(created_at), False
        except EventShapeError:
            return event_time(created_at)
    return timestamp, estimated


def parse_created_at(value: str) -> int:
    """``"Wed Oct 10 20:19:24 +0000 2018"`` to epoch ms, without locale-dependent strptime."""
    parts = value.split()
    if len(parts) != 6 or parts[1] not in _MONTHS or not parts[4][1:].isdigit() or len(parts[4]) != 5:
        shape_error("created_at is not in X's format")
    _weekday, month, day, clock, offset, year = parts
    try:
        hour, minute, second = (int(p) for p in clock.split(":"))
        sign = -1 if offset[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        moment = datetime(int(year), _MONTHS[month], int(day), hour, minute, second, tzinfo=tz)
    except ValueError:
        shape_error("created_at is not a valid time")
    ms = int(moment.timestamp()) * 1000
    if not 0 <= ms <= MAX_TIMESTAMP_MS:
        shape_error("created_at is out of range")
    return ms


def _tweet_delete(item: JsonObject, account_id: str) -> PlatformEvent:
    status = obj(item, "status")
    tweet_id = _id(status, "id")
    user_id = _id(status, "user_id")
    timestamp, estimated = event_time(item.get("timestamp_ms"))
    return PlatformEvent(
        kind=EventKind.DELETE,
        platform=Platform.X,
        channel=Channel.X_POST,
        account_id=account_id,
        event_id=f"{tweet_id}#delete",
        timestamp_ms=timestamp,
        timestamp_estimated=estimated,
        # The brand deleting its own post names no customer.
        customer=unknown_customer(tweet_id) if user_id == account_id else Customer(user_id=user_id),
        message_id=tweet_id,
        raw_kind="tweet_delete_events",
    )


# --- direct messages ------------------------------------------------------------------------
def _direct_message(item: JsonObject, account_id: str, users: JsonObject) -> PlatformEvent:
    if item.get("type") != "message_create":
        not_modelled(f"direct_message_events.{item.get('type')}")  # participants joining, etc.
    event_id = req_id(item, "id")
    create = obj(item, "message_create")
    sender_id = req_id(create, "sender_id")
    recipient_id = req_id(obj(create, "target"), "recipient_id")
    data = obj(create, "message_data")
    echo = sender_id == account_id  # sent by the brand from elsewhere (or by this system)
    customer_id = recipient_id if echo else sender_id
    profile = users.get(customer_id)
    profile = profile if isinstance(profile, dict) else None
    timestamp, estimated = event_time(item.get("created_timestamp"))
    return PlatformEvent(
        kind=EventKind.ECHO if echo else EventKind.MESSAGE,
        platform=Platform.X,
        channel=Channel.X_DM,
        account_id=account_id,
        event_id=event_id,
        timestamp_ms=timestamp,
        timestamp_estimated=estimated,
        customer=Customer(
            user_id=customer_id, name=loose_str(profile, "name"), handle=loose_str(profile, "screen_name")
        ),
        message_id=event_id,
        text=opt_str(data, "text"),
        attachments=_dm_media(data),
        raw_kind="direct_message_events",
        author=None if echo or profile is None else _author(profile, profile.get("created_timestamp")),
    )


def _author(user: JsonObject, created: Any) -> AuthorProfile | None:
    """The profile signals of a v1.1 user object (posts: ``created_at`` in X's format) or of a DM's
    ``users`` entry (``created_timestamp`` in ms). Signals only: a value of the wrong shape is left out."""
    created_ms: int | None = None
    if isinstance(created, str) and not created.isdigit():
        try:
            created_ms = parse_created_at(created)
        except EventShapeError:
            created_ms = None
    elif created is not None:
        ms, estimated = event_time(created)
        created_ms = None if estimated else ms
    followers = user.get("followers_count")
    verified = user.get("verified")
    profile = AuthorProfile(
        created_at_ms=created_ms,
        followers=followers
        if isinstance(followers, int) and not isinstance(followers, bool) and followers >= 0
        else None,
        verified=verified if isinstance(verified, bool) else None,
    )
    return None if profile == AuthorProfile() else profile


def _dm_media(data: JsonObject) -> tuple[Attachment, ...]:
    attachment = data.get("attachment")
    media = attachment.get("media") if isinstance(attachment, dict) else None
    found = []
    for item in media if isinstance(media, list) else [media]:  # one object; some senders write a list
        if isinstance(item, dict):
            kind = loose_str(item, "type") or "unknown"
            url = loose_str(item, "media_url_https") or loose_str(item, "media_url")
            found.append(Attachment(kind=_MEDIA_KINDS.get(kind, kind), url=url))
    return tuple(found)


def _mark_read(item: JsonObject, account_id: str) -> PlatformEvent:
    reader = req_id(item, "sender_id")
    if reader == account_id:
        # The brand read the customer's DMs in another app: not a status of a brand message.
        not_modelled("direct_message_mark_read_events")
    last_read = req_id(item, "last_read_event_id")
    timestamp, estimated = event_time(item.get("created_timestamp"))
    return PlatformEvent(
        kind=EventKind.STATUS,
        platform=Platform.X,
        channel=Channel.X_DM,
        account_id=account_id,
        event_id=f"{last_read}#read#{reader}",
        timestamp_ms=timestamp,
        customer=Customer(user_id=reader),
        message_id=last_read,
        status=DeliveryState.READ,
        watermark_ms=None if estimated else timestamp,  # everything up to last_read_event_id has been read
        timestamp_estimated=estimated,
        raw_kind="direct_message_mark_read_events",
    )
