"""Property-based: no payload crashes a parser, and a refused delivery stores nothing.

For any bytes — random, random JSON, or a real fixture with its structure damaged — each adapter's
``parse`` returns events or raises ``MalformedPayload``, nothing else; every event it returns can be
stored (all its strings encode as UTF-8, its raw element serialises to JSON). ``WebhookService``
given a correctly signed body either accepts it (one raw object, one queue message, both the exact
bytes) or refuses it with a domain error and leaves both sinks empty.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from socialcare.clock import ManualClock
from socialcare.errors import MalformedPayload, SocialCareError
from socialcare.model.envelope import DeliveryEnvelope
from socialcare.model.events import ParsedDelivery, PlatformEvent
from socialcare.platforms.base import PlatformAdapter, Verification
from socialcare.platforms.credentials import PlatformCredentials
from socialcare.platforms.registry import get_adapter
from socialcare.webhook.service import WebhookService

from tests.platform_fixtures import (
    META_APP_SECRET,
    PLATFORMS,
    TELEGRAM_BOT_ID,
    TELEGRAM_SECRET_TOKEN,
    X_CONSUMER_SECRET,
    all_fixtures,
    load,
    signed_headers,
)

pytestmark = pytest.mark.unit

VERIFICATION = {"meta": Verification(), "x": Verification(), "telegram": Verification(account_id=TELEGRAM_BOT_ID)}
FIXTURES = all_fixtures()
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANY = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Keys the parsers look for, so random documents reach deep into them.
KEYS = sorted(
    {
        "object", "entry", "id", "time", "messaging", "changes", "standby", "field", "value", "sender",
        "recipient", "timestamp", "message", "mid", "text", "is_echo", "is_deleted", "is_unsupported",
        "attachments", "type", "payload", "url", "reply_to", "story", "message_edit", "num_edit", "read",
        "watermark", "delivery", "mids", "postback", "title", "item", "verb", "comment_id", "post_id",
        "parent_id", "from", "name", "created_time", "media", "media_id", "metadata", "phone_number_id",
        "contacts", "messages", "statuses", "errors", "wa_id", "user_id", "from_user_id", "profile", "status",
        "recipient_id", "code", "context", "for_user_id", "users", "tweet_create_events", "tweet_delete_events",
        "direct_message_events", "direct_message_mark_read_events", "favorite_events", "user_event", "id_str",
        "user", "screen_name", "timestamp_ms", "created_at", "extended_tweet", "full_text", "entities",
        "user_mentions", "retweeted_status", "in_reply_to_status_id_str", "created_timestamp",
        "message_create", "sender_id", "target", "message_data", "attachment", "last_read_event_id",
        "update_id", "edited_message", "chat", "message_id", "date", "edit_date", "photo", "file_id",
        "caption", "location", "latitude", "longitude", "reply_to_message", "sender_chat", "first_name",
        # issue 12 kinds
        "reaction", "emoji", "action", "edit", "original_message_id", "revoke", "system", "new_wa_id",
        "previous_user_id", "previous_parent_user_id", "interactive", "button_reply", "list_reply", "nfm_reply",
        "response_json", "button", "order", "product_items", "product_retailer_id", "quantity", "item_price",
        "currency", "referral", "source_url", "headline", "ctwa_clid", "unsupported", "message_echoes", "to",
        "to_user_id", "display_phone_number", "referred_product", "message_reaction", "new_reaction",
        "old_reaction", "actor_chat", "pinned_message", "new_chat_members", "successful_payment",
        "dice", "game", "poll", "question", "options", "contact", "phone_number", "venue",
        "forum_topic_created", "date_time", "source", "in_reply_to_status_id",
    }
)  # fmt: skip
ODD_STRINGS = [
    "",
    " ",
    "page",
    "instagram",
    "whatsapp_business_account",
    "message_create",
    "private",
    "add",
    "edited",
    "remove",
    "comment",
    "status",
    "text",
    "0",
    "-1",
    "1749416383",
    "99999999999999999999",
    "Wed Oct 10 20:19:24 +0000 2018",
    "Sun Jan 01 00:00:00 +9999 0001",
    "2025-06-08T22:25:00+00:00",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31 23:59:59",
    "reaction",
    "unreact",
    "edit",
    "revoke",
    "system",
    "user_changed_number",
    "user_changed_user_id",
    "interactive",
    "nfm_reply",
    "button_reply",
    "order",
    "unsupported",
    "emoji",
    "true",
    "TRUE",
    "12334",
    "23245",
    "123456123",
    '{"flow_token": "t", "a": [1, {"b": "\\ud83d"}]}',
    "\ud83d",  # a lone surrogate: half an emoji, as a platform truncating UTF-16 text could send
    "\udfff\ud800",
    "Grüße 😟 🇩🇪 👩\u200d👩\u200d👧",
    "\x00",
    "a" * 3000,
]
ODD_NUMBERS = [0, -1, 1, 2**31, 2**53 + 1, 2**63, -(2**63), 10**30, -(10**30), 1.5, -0.0, 1e308, -1e308, 10**11, 10**14]


def text() -> st.SearchStrategy[str]:
    # Surrogates included on purpose: JSON can escape them, and Python decodes them alone.
    return st.one_of(st.sampled_from(ODD_STRINGS), st.text(st.characters(exclude_categories=()), max_size=20))


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from(ODD_NUMBERS),
        st.floats(allow_nan=False, allow_infinity=False),
        text(),
    )


def json_values(max_leaves: int = 40) -> st.SearchStrategy[Any]:
    keys = st.one_of(st.sampled_from(KEYS), text())
    return st.recursive(
        scalars(),
        lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=6)),
        max_leaves=max_leaves,
    )


def encode(doc: Any, *, escaped: bool) -> bytes:
    if escaped:
        return json.dumps(doc, ensure_ascii=True).encode("ascii")
    try:
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates only travel escaped
        return json.dumps(doc, ensure_ascii=True).encode("ascii")


# --- mutations of real payloads -----------------------------------------------------------------
Path = tuple[Any, ...]


def paths(doc: Any, prefix: Path = ()) -> list[Path]:
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += paths(value, (*prefix, index))
    return found


def get(doc: Any, path: Path) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def put(doc: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    get(doc, path[:-1])[path[-1]] = value
    return doc


def drop(doc: Any, path: Path) -> Any:
    parent = get(doc, path[:-1])
    del parent[path[-1]]
    return doc


def swapped(value: Any) -> Any:
    """A list becomes an object and an object a list (of its values, or of its items)."""
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def nested(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def mutated_fixture(draw: st.DrawFn) -> tuple[str, bytes]:
    platform, name = draw(st.sampled_from(FIXTURES))
    doc: Any = load(platform, name)
    for _ in range(draw(st.integers(1, 4))):
        targets = paths(doc)
        path = draw(st.sampled_from(targets))
        action = draw(st.sampled_from(["drop", "replace", "swap", "huge", "nest", "duplicate", "text"]))
        if action == "drop" and path:
            doc = drop(doc, path)
        elif action == "replace":
            doc = put(doc, path, draw(json_values(max_leaves=6)))
        elif action == "swap":
            doc = put(doc, path, swapped(get(doc, path)))
        elif action == "huge":
            doc = put(doc, path, draw(st.sampled_from([10**30, -(10**30), 2**64, 1e308, -1e308, 10**4000])))
        elif action == "nest":
            doc = put(doc, path, nested(get(doc, path), draw(st.sampled_from([1, 5, 40, 80]))))
        elif action == "duplicate" and path and isinstance(get(doc, path[:-1]), list):
            get(doc, path[:-1]).append(json.loads(json.dumps(get(doc, path))))
        elif action == "text":
            doc = put(doc, path, draw(text()))
    try:
        body = encode(doc, escaped=draw(st.booleans()))
    except ValueError:  # 10**4000 cannot even be written as JSON by Python: keep the fixture as is
        body = encode(load(platform, name), escaped=True)
    return platform, body


# --- the properties -----------------------------------------------------------------------------
def check_storable(event: PlatformEvent) -> None:
    """Everything a parser returns must be writable by ingest without an exception."""
    assert isinstance(event, PlatformEvent)
    for f in fields(event):
        value = getattr(event, f.name)
        if isinstance(value, str):
            value.encode("utf-8")
    for attachment in event.attachments:
        for part in (attachment.kind, attachment.url, attachment.caption):
            if part is not None:
                part.encode("utf-8")
    if event.customer is not None:
        for part in (*event.customer.all_ids, event.customer.name, event.customer.handle):
            if part is not None:
                part.encode("utf-8")
    if event.raw is not None:
        json.dumps(event.raw, ensure_ascii=False).encode("utf-8")


def parse_or_refuse(platform: str, body: bytes) -> ParsedDelivery | None:
    adapter: PlatformAdapter = get_adapter(platform)
    try:
        delivery = adapter.parse(body, VERIFICATION[platform])
    except MalformedPayload as exc:
        reason = exc.message  # the reason given in the 400 body
    else:
        reason = None
    if reason is not None:
        assert reason.strip()
        return None
    assert isinstance(delivery, ParsedDelivery)
    for event in delivery.events:
        check_storable(event)
    delivery.sorted_events()
    return delivery


@pytest.mark.parametrize("platform", PLATFORMS)
@FEW
@given(body=st.binary(max_size=512))
def test_arbitrary_bytes_never_crash_a_parser(platform: str, body: bytes) -> None:
    parse_or_refuse(platform, body)


@pytest.mark.parametrize("platform", PLATFORMS)
@FEW
@given(doc=json_values(), escaped=st.booleans())
def test_arbitrary_json_never_crashes_a_parser(platform: str, doc: Any, escaped: bool) -> None:
    parse_or_refuse(platform, encode(doc, escaped=escaped))


@FEW
@given(doc=json_values(), escaped=st.booleans(), platform=st.sampled_from(PLATFORMS))
def test_arbitrary_json_in_a_valid_envelope_never_crashes_a_parser(platform: str, doc: Any, escaped: bool) -> None:
    """Random content where the envelope is right, so the parsers' inner levels are exercised."""
    envelope: dict[str, Any]
    if platform == "meta":
        kind = "changes" if isinstance(doc, dict) and "field" in doc else "messaging"
        envelope = {"object": "page", "entry": [{"id": "1", "time": 1749416383, kind: [doc]}]}
    elif platform == "x":
        envelope = {"for_user_id": "2244994945", "direct_message_events": [doc], "tweet_create_events": [doc]}
    else:
        envelope = {"update_id": 1, "message": doc}
    parse_or_refuse(platform, encode(envelope, escaped=escaped))


@FEW
@given(doc=json_values(), escaped=st.booleans(), where=st.sampled_from(["wa", "wa_echo", "standby", "tg", "x"]))
def test_arbitrary_json_inside_the_issue_12_kinds_never_crashes_a_parser(doc: Any, escaped: bool, where: str) -> None:
    """Random content inside WhatsApp messages and echoes, standby events, Telegram reactions and user_event."""
    platform = {"tg": "telegram", "x": "x"}.get(where, "meta")
    envelope: dict[str, Any]
    if where in ("wa", "wa_echo"):
        key, field = ("messages", "messages") if where == "wa" else ("message_echoes", "smb_message_echoes")
        value = {"metadata": {"phone_number_id": "106540352242922", "display_phone_number": "15550783881"}, key: [doc]}
        envelope = {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": field, "value": value}]}],
        }
    elif where == "standby":
        envelope = {"object": "instagram", "entry": [{"id": "1", "time": 1749416383, "standby": [doc]}]}
    elif where == "tg":
        envelope = {"update_id": 1, "message_reaction": doc}
    else:
        envelope = {"user_event": doc}
    parse_or_refuse(platform, encode(envelope, escaped=escaped))


@MANY
@given(case=mutated_fixture())
def test_damaged_real_payloads_never_crash_a_parser(case: tuple[str, bytes]) -> None:
    parse_or_refuse(*case)


@pytest.mark.parametrize(("platform", "name"), FIXTURES)
def test_every_fixture_parses_into_storable_events(platform: str, name: str) -> None:
    delivery = parse_or_refuse(platform, encode(load(platform, name), escaped=platform == "meta"))
    assert delivery is not None
    assert delivery.events


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_lone_surrogate_in_a_real_payload_is_storable(platform: str) -> None:
    """Half an emoji (a platform cutting UTF-16 text mid-pair) must not make an unstorable event."""
    name = {"meta": "batch_mixed", "x": "tweet_mention", "telegram": "message"}[platform]
    body = encode(load(platform, name), escaped=True)
    body = body.replace(b"\\ud83d\\", b"\\ud83d\\u0020\\")  # split every surrogate pair
    assert b"\\ud83d\\u0020" in body
    delivery = parse_or_refuse(platform, body)
    assert delivery is not None
    assert "\ufffd" in "".join(e.text or "" for e in delivery.events)


# --- the webhook service stores nothing for a refused delivery ------------------------------------
class RawSink:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, *, metadata: dict[str, str]) -> None:
        self.objects[key] = body


class QueueSink:
    def __init__(self) -> None:
        self.sent: list[DeliveryEnvelope] = []

    def send(self, envelope: DeliveryEnvelope) -> None:
        self.sent.append(envelope)


CREDENTIALS = PlatformCredentials.from_dict(
    {
        "meta": {"app_secrets": [META_APP_SECRET], "verify_token": "t"},
        "x": {"consumer_secrets": [X_CONSUMER_SECRET]},
        "telegram": {"bots": [{"bot_id": TELEGRAM_BOT_ID, "secret_token": TELEGRAM_SECRET_TOKEN, "bot_token": "x"}]},
    }
)


def service(raw: RawSink, queue: QueueSink, *, max_body_bytes: int = 64 * 1024) -> WebhookService:
    return WebhookService(
        credentials=lambda: CREDENTIALS,
        raw_store=raw,
        queue=queue,
        clock=ManualClock(),
        max_body_bytes=max_body_bytes,
        max_inline_bytes=2048,
    )


def receive_signed(platform: str, body: bytes, **kw: Any) -> None:
    raw, queue = RawSink(), QueueSink()
    try:
        receipt = service(raw, queue, **kw).receive(platform, signed_headers(platform, body), body)
    except SocialCareError:
        assert raw.objects == {}
        assert queue.sent == []
        return
    # Accepted: one envelope that carries the exact bytes (ingest archives them), or points at them in
    # S3 when they do not fit; with the events parsed, unless those alone do not fit either.
    [envelope] = queue.sent
    assert envelope.raw_key == receipt.raw_key
    assert envelope.body == (body.decode("utf-8") if receipt.inline else None)
    assert raw.objects == ({} if receipt.inline else {receipt.raw_key: body})
    assert envelope.events is not None or not receipt.inline
    assert len(envelope.events or ()) in (receipt.event_count, 0)
    assert DeliveryEnvelope.from_json(envelope.to_json()) == envelope


def signed_case(
    strategy: st.SearchStrategy[bytes],
) -> Callable[[Callable[[str, bytes], None]], Callable[..., None]]:
    return given(platform=st.sampled_from(PLATFORMS), body=strategy)


@FEW
@signed_case(st.binary(max_size=256))
def test_signed_random_bytes_are_stored_only_when_accepted(platform: str, body: bytes) -> None:
    receive_signed(platform, body)


@FEW
@given(platform=st.sampled_from(PLATFORMS), doc=json_values(), escaped=st.booleans())
def test_signed_random_json_is_stored_only_when_accepted(platform: str, doc: Any, escaped: bool) -> None:
    receive_signed(platform, encode(doc, escaped=escaped))


@MANY
@given(case=mutated_fixture(), limit=st.sampled_from([64 * 1024, 512]))
def test_signed_damaged_payloads_are_stored_only_when_accepted(case: tuple[str, bytes], limit: int) -> None:
    platform, body = case
    assume(len(body) < 64 * 1024)
    receive_signed(platform, body, max_body_bytes=limit)


@given(platform=st.sampled_from(PLATFORMS), body=st.binary(max_size=64))
@FEW
def test_unsigned_or_missigned_bodies_are_never_stored(platform: str, body: bytes) -> None:
    for headers in ({}, {k: v + "0" for k, v in signed_headers(platform, body).items()}):
        raw, queue = RawSink(), QueueSink()
        with pytest.raises(SocialCareError):
            service(raw, queue).receive(platform, headers, body)
        assert (raw.objects, queue.sent) == ({}, [])
