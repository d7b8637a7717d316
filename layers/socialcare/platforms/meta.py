"""Meta webhooks: Facebook Page (Messenger, feed comments), Instagram and WhatsApp.

One envelope for all: ``{"object": ..., "entry": [{"id": <account>, "time": ..., "messaging": [...] |
"standby": [...] | "changes": [...]}]}``. A POST may batch up to 1000 updates across several
entries, so every entry and every element in it is parsed; the envelope being wrong rejects the
delivery (400), one element being wrong makes only that element UNKNOWN.

What becomes what (details in the modules named):

- ``page`` / ``instagram`` ``messaging[]`` (``meta_messaging``): messages, echoes, edits,
  reactions, Instagram unsends, read and delivery receipts, postbacks; the rest kept raw;
- ``standby[]`` (another app owns the thread): the same, each event marked ``standby``;
- ``page`` ``changes[field=feed]`` (``meta_comments``): comments, replies, visitor posts as
  PUBLIC_POST; the Page's own as ECHO; ``edited``/``remove`` as EDIT/DELETE; reactions kept raw;
- ``instagram`` ``changes[field=comments|live_comments|mentions]`` (``meta_comments``); an
  Instagram change whose value is a messaging event (``messages``, ``message_reactions``...)
  is parsed as one;
- ``whatsapp_business_account`` ``changes[field=messages|smb_message_echoes|standby]``
  (``meta_whatsapp``): messages, echoes of the Business app, statuses, identity changes;
  the account is the phone number id;
- other fields (ratings, template status...), entries without any known array: UNKNOWN, kept
  raw with ``raw_kind`` naming them.

Meta's dashboard test pings (``entry.id`` "0", and the fixed sample ids its "Test" button sends)
are kept raw as UNKNOWN with reason ``test_ping``, never parsed into customer events.

The brand account of an event is ``entry.id`` (WhatsApp: ``metadata.phone_number_id``); the
signature is ``X-Hub-Signature-256`` over the exact bytes; the GET handshake echoes
``hub.challenge`` when ``hub.verify_token`` matches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from socialcare.errors import HandshakeRejected, MalformedPayload
from socialcare.model.events import Channel, ParsedDelivery, Platform, PlatformEvent
from socialcare.platforms.base import HandshakeReply, Verification
from socialcare.platforms.credentials import PlatformCredentials
from socialcare.platforms.fields import (
    JsonObject,
    as_id,
    guarded,
    lenient_ms,
    load_json_object,
    not_modelled,
    shape_error,
    unknown_event,
    with_received_time,
)
from socialcare.platforms.meta_comments import parse_feed, parse_instagram_comment, parse_instagram_mention
from socialcare.platforms.meta_messaging import messaging_kind, parse_messaging_event
from socialcare.platforms.meta_whatsapp import parse_whatsapp_messages, whatsapp_account
from socialcare.platforms.signatures import META_SIGNATURE_HEADER, tokens_equal, verify_meta_signature


@dataclass(frozen=True, slots=True)
class _Entry:
    object_type: str
    account_id: str  # entry.id: the Page, the IG account, or the WABA
    time: Any  # entry.time, raw: seconds or ms depending on the product
    messaging_channel: Channel
    changes_channel: Channel
    test_ping: bool  # sent by the dashboard's "Test" button, not by a real account

    def messaging_event(self, item: Any, *, standby: bool) -> list[PlatformEvent]:
        """A messaging event of this entry, from messaging[] / standby[] or (Instagram) a change."""
        return parse_messaging_event(
            item, channel=self.messaging_channel, account_id=self.account_id, entry_time=self.time, standby=standby
        )


# object -> (channel of messaging[] events, channel of changes[] events)
_OBJECTS: Mapping[str, tuple[Channel, Channel]] = {
    "page": (Channel.MESSENGER, Channel.FACEBOOK_COMMENT),
    "instagram": (Channel.INSTAGRAM_DM, Channel.INSTAGRAM_COMMENT),
    "whatsapp_business_account": (Channel.WHATSAPP, Channel.WHATSAPP),
}
_ENTRY_ARRAYS = ("messaging", "standby", "changes")
# What Meta's dashboard "Test" button sends: entry id "0", and fixed sample ids.
_TEST_ENTRY_ID = "0"
_TEST_MESSAGING_PARTIES = ("12334", "23245")  # sender.id, recipient.id
_TEST_PHONE_NUMBER_ID = "123456123"


class MetaAdapter:
    platform = Platform.META

    def handshake(self, query: Mapping[str, str], credentials: PlatformCredentials) -> HandshakeReply:
        if query.get("hub.mode") != "subscribe":
            raise HandshakeRejected("hub.mode must be subscribe")
        challenge = query.get("hub.challenge")
        if not challenge:
            raise HandshakeRejected("hub.challenge is missing")
        token = query.get("hub.verify_token")
        if credentials.meta is None or token is None or not tokens_equal(token, credentials.meta.verify_token):
            raise HandshakeRejected("hub.verify_token does not match")
        return HandshakeReply(status=200, body=challenge.encode("utf-8", "replace"), content_type="text/plain")

    def verify(self, headers: Mapping[str, str], body: bytes, credentials: PlatformCredentials) -> Verification:
        secrets = credentials.meta.app_secrets if credentials.meta is not None else ()
        verify_meta_signature(secrets, headers.get(META_SIGNATURE_HEADER), body)
        return Verification()

    def parse(self, body: bytes, verification: Verification) -> ParsedDelivery:
        doc = load_json_object(body)
        object_type = doc.get("object")
        if not isinstance(object_type, str) or object_type not in _OBJECTS:
            raise MalformedPayload(f"object must be one of {', '.join(sorted(_OBJECTS))}")
        entries = doc.get("entry")
        if not isinstance(entries, list):
            raise MalformedPayload("entry must be a list")
        events: list[PlatformEvent] = []
        for index, raw_entry in enumerate(entries):
            events += _parse_entry(object_type, index, raw_entry)
        return ParsedDelivery(platform=Platform.META, events=with_received_time(events, verification.received_at_ms))


def _parse_entry(object_type: str, index: int, raw_entry: Any) -> list[PlatformEvent]:
    if not isinstance(raw_entry, dict):
        raise MalformedPayload(f"entry[{index}] must be an object")
    account_id = as_id(raw_entry.get("id"))
    if account_id is None:
        raise MalformedPayload(f"entry[{index}].id is missing or not an id")
    messaging_channel, changes_channel = _OBJECTS[object_type]
    entry = _Entry(
        object_type,
        account_id,
        raw_entry.get("time"),
        messaging_channel,
        changes_channel,
        test_ping=account_id == _TEST_ENTRY_ID,
    )

    events: list[PlatformEvent] = []
    found = False
    for key in _ENTRY_ARRAYS:
        items = raw_entry.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            raise MalformedPayload(f"entry[{index}].{key} must be a list")
        found = True
        for item in items:
            events += _parse_item(entry, key, item)
    if not found:  # an entry with none of the known arrays: keep it rather than drop it silently
        reason = "test_ping" if entry.test_ping else "not_modelled"
        events.append(
            unknown_event(
                channel=entry.changes_channel, account_id=account_id, raw_kind="entry", raw=raw_entry, reason=reason
            )
        )
    return events


def _parse_item(entry: _Entry, key: str, item: Any) -> list[PlatformEvent]:
    if entry.test_ping or _is_dashboard_sample(entry, key, item):
        return [_test_ping(entry, key, item)]
    if key in ("messaging", "standby") and entry.object_type != "whatsapp_business_account":
        return entry.messaging_event(item, standby=key == "standby")
    if key == "changes":
        return _parse_change(entry, item)
    # messaging[] / standby[] where none is expected (WhatsApp)
    return [unknown_event(channel=entry.messaging_channel, account_id=entry.account_id, raw_kind=key, raw=item)]


def _is_dashboard_sample(entry: _Entry, key: str, item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    if key != "changes":
        sender, recipient = item.get("sender"), item.get("recipient")
        parties = tuple(as_id(p.get("id")) if isinstance(p, dict) else None for p in (sender, recipient))
        return parties == _TEST_MESSAGING_PARTIES
    value = item.get("value")
    return entry.object_type == "whatsapp_business_account" and (
        isinstance(value, dict) and whatsapp_account(value) == _TEST_PHONE_NUMBER_ID
    )


def _test_ping(entry: _Entry, key: str, item: Any) -> PlatformEvent:
    """A dashboard test, kept raw under the account it names (WhatsApp: its sample phone number id)."""
    if key == "changes":
        field = item.get("field") if isinstance(item, dict) else None
        raw_kind = field if isinstance(field, str) and field else key
        value = item.get("value") if isinstance(item, dict) else None
        account_id = (whatsapp_account(value) if isinstance(value, dict) else None) or entry.account_id
        channel = entry.changes_channel
    else:
        raw_kind, account_id, channel = messaging_kind(item), entry.account_id, entry.messaging_channel
    timestamp = lenient_ms(item.get("timestamp") if isinstance(item, dict) else None, entry.time)
    return unknown_event(
        channel=channel, account_id=account_id, raw_kind=raw_kind, raw=item, timestamp_ms=timestamp, reason="test_ping"
    )


ChangeParser = Callable[[JsonObject, str, _Entry], list[PlatformEvent]]


def _parse_change(entry: _Entry, change: Any) -> list[PlatformEvent]:
    field = change.get("field") if isinstance(change, dict) else None
    raw_kind = field if isinstance(field, str) and field else "changes"
    value = change.get("value") if isinstance(change, dict) else None

    if isinstance(value, dict) and entry.object_type == "instagram" and "sender" in value:
        # Instagram can deliver DMs, reactions, postbacks... as a change whose value is a messaging event.
        return entry.messaging_event(value, standby=raw_kind == "standby")

    def build() -> list[PlatformEvent]:
        if not isinstance(value, dict):
            shape_error("changes[] must be objects with a field and an object value")
        parser = _CHANGE_PARSERS.get((entry.object_type, raw_kind))
        if parser is None:
            not_modelled(raw_kind)  # ratings, message_template_status_update, story_insights...
        return parser(value, raw_kind, entry)

    return guarded(
        build,
        channel=entry.changes_channel,
        account_id=entry.account_id,
        raw_kind=raw_kind,
        raw=change,
        times=(entry.time,),
    )


_CHANGE_PARSERS: Mapping[tuple[str, str], ChangeParser] = {
    ("page", "feed"): lambda value, _field, entry: parse_feed(value, entry.account_id, entry.time),
    ("instagram", "comments"): lambda value, field, entry: parse_instagram_comment(
        value, entry.account_id, entry.time, field
    ),
    ("instagram", "live_comments"): lambda value, field, entry: parse_instagram_comment(
        value, entry.account_id, entry.time, field
    ),
    ("instagram", "mentions"): lambda value, _field, entry: parse_instagram_mention(
        value, entry.account_id, entry.time
    ),
    ("whatsapp_business_account", "messages"): lambda value, _field, entry: parse_whatsapp_messages(
        value, entry.account_id
    ),
    # The brand answered from the WhatsApp Business app (coexistence): echoes.
    ("whatsapp_business_account", "smb_message_echoes"): lambda value, _field, entry: parse_whatsapp_messages(
        value, entry.account_id
    ),
    # Another sender (Meta Business Agent) handles the conversation: same shapes, marked standby.
    ("whatsapp_business_account", "standby"): lambda value, _field, entry: parse_whatsapp_messages(
        value, entry.account_id, standby=True
    ),
}
