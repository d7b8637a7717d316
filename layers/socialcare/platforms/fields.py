"""Defensive readers for webhook JSON, shared by the platform parsers.

Signatures prove a delivery came from the platform, not that every field has the documented type:
platforms change shapes and test tools send odd ones. Two failure levels keep parsers total:
- the delivery as a whole is not the platform's shape -> ``MalformedPayload`` (HTTP 400);
- one event inside it is not what we expect -> ``EventShapeError``, which the parser catches and
  turns into an UNKNOWN event for that element, so the rest of the batch still goes through.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, NoReturn

from socialcare.errors import EventShapeError, MalformedPayload
from socialcare.model.events import Channel, Customer, EventKind, PlatformEvent

JsonObject = dict[str, Any]

# Real payloads nest fewer than 15 levels; a bound keeps later recursion (hashing, logging) safe.
MAX_JSON_DEPTH = 64
# Epoch values: below this a timestamp is in seconds (10**11 s is the year 5138; 10**11 ms is 1973).
SECONDS_CUTOFF = 10**11
# Year ~5138 in ms: anything larger is not a timestamp.
MAX_TIMESTAMP_MS = 10**14
# Platform ids are short (Instagram message ids, the longest, are ~200 characters). Ids end up in
# DynamoDB keys (at most 1,024 bytes for a sort key, composed ids hold two), so a longer "id" is
# not one: its event becomes UNKNOWN instead of an item DynamoDB would refuse on every retry.
MAX_ID_BYTES = 384

# Customer ids the payload does not carry are written with this prefix, one per item (never
# shared), so two unknown people are never threaded into the same case. Ingest threads the
# brand's echoes that carry one through the message they answer (``reply_to_id``) instead.
UNKNOWN_CUSTOMER_PREFIX = "unknown:"

# The account of an event whose delivery names none (an X ``user_event`` without ``for_user_id``):
# never a configured account, so ingest keeps such events raw.
UNADDRESSED_ACCOUNT = "unaddressed"

_DIGITS = re.compile(r"[0-9]{1,17}")  # ASCII only: int() would also accept other scripts' digits


def shape_error(message: str) -> NoReturn:
    raise EventShapeError(message)


def not_modelled(raw_kind: str, reason: str = "not_modelled") -> NoReturn:
    """A well-formed event that is kept raw: a kind with no normalised form (follows, opt-ins...),
    or one set aside for ``reason`` (a short code such as ``test_ping`` or ``service_message``)."""
    raise EventShapeError(reason, raw_kind)


# --- whole body -----------------------------------------------------------------------------
def load_json_object(body: bytes) -> JsonObject:
    """Decode a UTF-8 JSON object strictly, or raise MalformedPayload saying why.

    JSON may escape half of a surrogate pair on its own (``"\\ud83d"``: a platform cutting UTF-16
    text between the two halves of an emoji). Python decodes that to a lone surrogate, which no
    UTF-8 encoder accepts, so one would make the event unstorable (and the delivery a poison
    message): each is replaced by U+FFFD, the replacement character, as UTF-8 decoders do.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedPayload("body is not valid UTF-8") from None
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # JSONDecodeError, over-long integers, NaN, deep nesting
        raise MalformedPayload("body is not valid JSON") from None
    if not isinstance(doc, dict):
        raise MalformedPayload("body must be a JSON object")
    too_deep, lone_surrogates = _inspect(doc, MAX_JSON_DEPTH)
    if too_deep:
        raise MalformedPayload(f"body nests deeper than {MAX_JSON_DEPTH} levels")
    if lone_surrogates:
        cleaned: JsonObject = _replace_lone_surrogates(doc)
        return cleaned
    return doc


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


# json.loads joins escaped pairs into one character, so any surrogate left in a string is alone.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(text: str) -> bool:
    return not text.isascii() and _LONE_SURROGATE.search(text) is not None


def _inspect(doc: Any, limit: int) -> tuple[bool, bool]:
    """(nests deeper than ``limit``, holds a lone surrogate in a key or string)."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    lone = False
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True, lone
        if isinstance(value, str):
            lone = lone or _has_lone_surrogate(value)
        elif isinstance(value, dict):
            lone = lone or any(_has_lone_surrogate(k) for k in value)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return False, lone


def clean_text(text: str, limit: int | None = None) -> str:
    """Text the adapter composed from decoded values (a Flow's ``response_json``): lone surrogates
    replaced as ``load_json_object`` does, and cut to ``limit`` characters."""
    if _has_lone_surrogate(text):
        text = _LONE_SURROGATE.sub("\ufffd", text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _replace_lone_surrogates(value: Any) -> Any:
    # Recursion is safe: the depth was checked first.
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_replace_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_LONE_SURROGATE.sub("\ufffd", k): _replace_lone_surrogates(v) for k, v in value.items()}
    return value


# --- single fields --------------------------------------------------------------------------
def obj(container: Mapping[str, Any], key: str) -> JsonObject:
    value = container.get(key)
    if not isinstance(value, dict):
        shape_error(f"{key} must be an object")
    return value


def opt_obj(container: Mapping[str, Any], key: str) -> JsonObject | None:
    return None if container.get(key) is None else obj(container, key)


def opt_list(container: Mapping[str, Any], key: str) -> list[Any]:
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        shape_error(f"{key} must be a list")
    return value


def as_id(value: Any) -> str | None:
    """Platform ids are strings, sometimes numbers (Telegram, some Meta ids); never bools or floats,
    never empty, never longer than ``MAX_ID_BYTES``."""
    if isinstance(value, str):
        ident = value
    elif isinstance(value, int) and not isinstance(value, bool):
        ident = str(value) if -(10**100) < value < 10**100 else ""
    else:
        return None
    if not ident or len(ident.encode("utf-8")) > MAX_ID_BYTES:
        return None
    return ident


def req_id(container: Mapping[str, Any], key: str) -> str:
    value = as_id(container.get(key))
    if value is None:
        shape_error(f"{key} must be a string or integer id of 1 to {MAX_ID_BYTES} bytes")
    return value


def opt_id(container: Mapping[str, Any], key: str) -> str | None:
    return None if container.get(key) is None else req_id(container, key)


def opt_str(container: Mapping[str, Any], key: str) -> str | None:
    """Customer text: a wrong type means we misread the event, so it becomes UNKNOWN."""
    value = container.get(key)
    if value is None or isinstance(value, str):
        return value
    shape_error(f"{key} must be a string")


def loose_str(container: Mapping[str, Any] | None, key: str) -> str | None:
    """Display-only fields (names, captions of media): a wrong type is just left out."""
    if container is None:
        return None
    value = container.get(key)
    return value if isinstance(value, str) and value else None


def first_obj(container: Mapping[str, Any], key: str) -> JsonObject | None:
    """An object, or the first object of a list of them (platforms send ``media`` either way)."""
    value = container.get(key)
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, dict)), None)
    return value if isinstance(value, dict) else None


def is_true(value: Any) -> bool:
    """A flag as platforms write it: ``true``, ``"true"`` in any casing, ``1`` or ``"1"``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in ("true", "1")


# --- timestamps -----------------------------------------------------------------------------
def to_ms(value: Any) -> int | None:
    """Epoch seconds or milliseconds, as a number or a digit string, to milliseconds.

    Meta mixes seconds and milliseconds (even within one object type), so values below
    ``SECONDS_CUTOFF`` are read as seconds. ISO 8601 strings (Graph API ``created_time``,
    X ``date_time``) are read too, a time without an offset as UTC. ``None`` means absent;
    wrong types are shape errors.
    """
    if value is None:
        return None
    number: int
    if isinstance(value, bool):
        shape_error("timestamp must be a number")
    if isinstance(value, int):
        number = value
    elif (isinstance(value, float) and not math.isnan(value) and abs(value) < MAX_TIMESTAMP_MS) or (
        isinstance(value, str) and _DIGITS.fullmatch(value)
    ):  # finite
        number = int(value)
    elif isinstance(value, str) and _ISO_START.match(value):
        return _iso_ms(value)
    else:
        shape_error("timestamp must be a number of seconds or milliseconds, or an ISO 8601 time")
    if number < 0:
        shape_error("timestamp must not be negative")
    ms = number * 1000 if number < SECONDS_CUTOFF else number
    if ms > MAX_TIMESTAMP_MS:
        shape_error("timestamp is out of range")
    return ms


_ISO_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]")


def _iso_ms(value: str) -> int:
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        ms = int(moment.timestamp() * 1000)
    except (ValueError, OverflowError):
        shape_error("timestamp is not a valid ISO 8601 time")
    if not 0 <= ms <= MAX_TIMESTAMP_MS:
        shape_error("timestamp is out of range")
    return ms


def first_ms(*values: Any) -> int:
    """The first present timestamp of several candidates (event time, then envelope time)."""
    for value in values:
        ms = to_ms(value)
        if ms is not None:
            return ms
    shape_error("event has no timestamp")


def lenient_ms(*values: Any) -> int:
    """Best-effort time for UNKNOWN events: never fails, 0 when nothing usable is present."""
    return event_time(*values)[0]


def event_time(*values: Any) -> tuple[int, bool]:
    """(time, estimated): the first usable timestamp of several candidates, unreadable ones skipped.

    Platforms omit times (X DMs without ``created_timestamp``) or write them oddly; the
    customer's words matter more than the time, so a missing time never loses the event:
    it is (0, True), and the adapter gives it the delivery's received time when it knows it
    (``with_received_time``), or ingest does.
    """
    for value in values:
        try:
            ms = to_ms(value)
        except EventShapeError:
            continue
        if ms is not None:
            return ms, False
    return 0, True


def with_received_time(events: Iterable[PlatformEvent], received_at_ms: int | None) -> tuple[PlatformEvent, ...]:
    """Events whose time was estimated get the delivery's received time, when it is known."""
    if received_at_ms is None or received_at_ms < 0:
        return tuple(events)
    return tuple(
        replace(event, timestamp_ms=received_at_ms) if event.timestamp_estimated else event for event in events
    )


# --- ids and events -------------------------------------------------------------------------
def content_digest(*parts: Any) -> str:
    """A stable digest of JSON values: same payload, same id (for events without platform ids)."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def unknown_customer(ref: str) -> Customer:
    """A stand-in for a customer the payload does not name (see ``UNKNOWN_CUSTOMER_PREFIX``)."""
    return Customer(user_id=f"{UNKNOWN_CUSTOMER_PREFIX}{ref}")


def unknown_event(
    *,
    channel: Channel,
    account_id: str,
    raw_kind: str,
    raw: Any,
    timestamp_ms: int = 0,
    reason: str = "not_modelled",
) -> PlatformEvent:
    """An event the adapter does not understand or sets aside (``reason``), kept raw so nothing is lost.

    The id is a digest of the raw element, so a redelivery (even batched differently) dedupes.
    A time of 0 means the element carries none (``timestamp_estimated``).
    """
    kept: Mapping[str, Any] = raw if isinstance(raw, dict) else {"value": raw}
    return PlatformEvent(
        kind=EventKind.UNKNOWN,
        platform=channel.platform,
        channel=channel,
        account_id=account_id,
        event_id=f"unknown:{raw_kind}:{content_digest(account_id, raw_kind, kept)}",
        timestamp_ms=timestamp_ms,
        raw_kind=raw_kind,
        raw=kept,
        timestamp_estimated=timestamp_ms == 0,
        reason=reason,
    )


def guarded(
    build: Callable[[], list[PlatformEvent]],
    *,
    channel: Channel,
    account_id: str,
    raw_kind: str,
    raw: Any,
    times: tuple[Any, ...] = (),
) -> list[PlatformEvent]:
    """Run one element's parser; if the element is not understood, keep it as one UNKNOWN event.

    ``ValueError`` is caught too: it is what ``PlatformEvent`` raises for values that do not make
    an event (an empty id), which for a hostile element is a shape problem, not a crash.
    """
    try:
        return build()
    except EventShapeError as exc:
        kind, reason = exc.raw_kind or raw_kind, str(exc)
    except ValueError as exc:
        kind, reason = raw_kind, str(exc)
    return [
        unknown_event(
            channel=channel,
            account_id=account_id,
            raw_kind=kind,
            raw=raw,
            timestamp_ms=lenient_ms(*times),
            reason=reason,
        )
    ]
