"""Thread entries to DynamoDB items and back (``CASE#<case_id>`` / ``MSG#<ts>#<entry id>``): customer
messages with their edits, reactions and sentiment, replies with their delivery state, notes and
status changes. Absent values are left out, as in ``aws/items.py``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from socialcare import constants as c
from socialcare.aws import keys
from socialcare.aws.items import Item, _int, _put, _str, n, s
from socialcare.model.case import EntryKind, EntrySentiment, ThreadEntry
from socialcare.model.events import Channel, DeliveryState

# A thread entry holds one attribute per reactor: ``reaction#<customer id>`` = {emoji?, at_ms}.
REACTION_PREFIX = "reaction#"


def entry_item(entry: ThreadEntry) -> Item:
    item: Item = {
        c.PARTITION_KEY: s(keys.case_pk(entry.case_id)),
        c.SORT_KEY: s(keys.ENTRY_PREFIX + entry.entry_id),
        "entity": s("entry"),
        "kind": s(entry.kind.value),
        "timestamp_ms": n(entry.timestamp_ms),
        "public": {"BOOL": entry.public},
    }
    _put(item, "channel", entry.channel.value if entry.channel else None)
    _put(item, "platform_message_id", entry.platform_message_id)
    _put(item, "author", entry.author)
    _put(item, "text", entry.text)
    _put(item, "reply_to_id", entry.reply_to_id)
    _put(item, "conversation_ref", entry.conversation_ref)
    _put(item, "deleted_at_ms", entry.deleted_at_ms)
    _put(item, "received_at_ms", entry.received_at_ms)
    if entry.attachments:
        item["attachments"] = {
            "L": [{"M": {"kind": s(k), **({"url": s(u)} if u else {})}} for k, u in entry.attachments]
        }
    if entry.delivery_state is not None:
        item["delivery_state"] = s(entry.delivery_state.value)
        item["delivery_rank"] = n(entry.delivery_state.rank)
    _put(item, "delivery_state_at_ms", entry.delivery_state_at_ms)
    _put(item, "delivery_error", entry.delivery_error)
    if entry.extra:
        item["extra"] = {"M": {k: s(v) for k, v in entry.extra.items()}}
    if entry.edits or entry.kind is EntryKind.INBOUND:
        # A customer's message may be edited: the map each edit files the text it replaces in, by the
        # edit's time, is there already, so an edit is one write (``CaseStore.update_entry_text``).
        item["edits"] = {"M": {f"{at:013d}": s(previous) for at, previous in entry.edits}}
    for who, emoji in entry.reactions.items():
        item[REACTION_PREFIX + who] = {"M": {"emoji": s(emoji), "at_ms": n(entry.timestamp_ms)}}
    _put(item, "language", entry.language)
    _put(item, "hidden_at_ms", entry.hidden_at_ms)
    _put(item, "hide_error", entry.hide_error)
    if entry.sentiment is not None:
        item["sentiment"] = {
            "M": {
                "label": s(entry.sentiment.label),
                "score": {"N": repr(entry.sentiment.score)},
                "confidence": {"N": repr(entry.sentiment.confidence)},
                "method": s(entry.sentiment.method),
            }
        }
    return item


def item_to_sentiment(item: Mapping[str, Any]) -> EntrySentiment | None:
    if "sentiment" not in item:
        return None
    m = item["sentiment"]["M"]
    return EntrySentiment(
        label=str(m["label"]["S"]),
        score=float(m["score"]["N"]),
        confidence=float(m["confidence"]["N"]),
        method=str(m["method"]["S"]),
    )


def _reactions(item: Mapping[str, Any]) -> dict[str, str]:
    found = {}
    for name, value in item.items():
        if name.startswith(REACTION_PREFIX) and "emoji" in value.get("M", {}):
            found[name.removeprefix(REACTION_PREFIX)] = str(value["M"]["emoji"]["S"])
    return found


def _edits(value: Mapping[str, Any] | None) -> tuple[tuple[int, str], ...]:
    """(time, text replaced) of each edit, oldest first: a map by the edit's time, or (entries edited
    before there was one) a list of {timestamp_ms, text}."""
    if value is None:
        return ()
    if "M" in value:
        return tuple((int(at), str(v["S"])) for at, v in sorted(value["M"].items()))
    return tuple((int(e["M"]["timestamp_ms"]["N"]), str(e["M"]["text"]["S"])) for e in value["L"])


def item_to_entry(item: Mapping[str, Any]) -> ThreadEntry:
    pk = str(item[c.PARTITION_KEY]["S"])
    sk = str(item[c.SORT_KEY]["S"])
    state = _str(item, "delivery_state")
    channel = _str(item, "channel")
    edits = _edits(item.get("edits"))
    return ThreadEntry(
        case_id=pk.removeprefix("CASE#"),
        entry_id=sk.removeprefix(keys.ENTRY_PREFIX),
        kind=EntryKind(item["kind"]["S"]),
        timestamp_ms=int(item["timestamp_ms"]["N"]),
        channel=Channel(channel) if channel else None,
        platform_message_id=_str(item, "platform_message_id"),
        author=_str(item, "author"),
        text=_str(item, "text"),
        attachments=tuple(
            (str(a["M"]["kind"]["S"]), _str(a["M"], "url")) for a in item.get("attachments", {"L": []})["L"]
        ),
        public=bool(item.get("public", {"BOOL": False})["BOOL"]),
        reply_to_id=_str(item, "reply_to_id"),
        conversation_ref=_str(item, "conversation_ref"),
        edits=edits,
        deleted_at_ms=_int(item, "deleted_at_ms"),
        delivery_state=DeliveryState(state) if state else None,
        delivery_state_at_ms=_int(item, "delivery_state_at_ms"),
        delivery_error=_str(item, "delivery_error"),
        received_at_ms=_int(item, "received_at_ms"),
        extra={k: str(v["S"]) for k, v in item.get("extra", {"M": {}})["M"].items()},
        reactions=_reactions(item),
        language=_str(item, "language"),
        sentiment=item_to_sentiment(item),
        hidden_at_ms=_int(item, "hidden_at_ms"),
        hide_error=_str(item, "hide_error"),
    )
