"""The customer's current-case copy: ``CUST#<account>#<user id>`` / ``CURRENT``, one per customer id.

What ingest reads to thread a message in one request, rewritten with every write of the case (all of
a case's copies together, each conditioned on the case id and version it held). Only the case stores
read it, so it holds the case compactly: ``case_id`` and ``version`` (what writes are conditioned
on) as attributes; the rest as one JSON document (``doc``: short names, and none
of what the case item holds for the state machines alone); and the customer's recent posts
(``posts``: the spam rules' fingerprints, ``rules/spam.py``), which only ingest reads and writes. The
case item does not carry the posts, and other writers update the copy around them (``copy_update``).
After 12 messages a copy is about 720 bytes, against 1,060 as a second case item.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from socialcare.aws import keys
from socialcare.aws.items import (
    ESCALATION_INSTANTS,
    FOLLOW_UP_INSTANTS,
    Item,
    case_attributes,
    item_key,
    item_to_case,
    n,
    s,
)
from socialcare.model.case import Case, PostTrace

DOC = "doc"
POSTS = "posts"
_COPY_ATTRIBUTES = ("case_id", "version")
# What the case item holds for the state machines alone (the clock's instants as text, its tier's rank,
# whom it notifies; the follow-up's pending-since text): the code reads their ``*_ms`` twins and the owner.
_DERIVED = frozenset(
    (*ESCALATION_INSTANTS, "sla_tier_rank", "sla_owner", *FOLLOW_UP_INSTANTS, "follow_up_pending_since")
)
_SHORT = {
    "platform": "p",
    "account_id": "a",
    "customer_id": "u",
    "customer_alt_ids": "ua",
    "customer_name": "un",
    "customer_handle": "uh",
    "status": "s",
    "priority": "pr",
    "team": "t",
    "created_at_ms": "c",
    "updated_at_ms": "m",
    "channels": "ch",
    "message_count": "n",
    "reopen_count": "ro",
    "last_inbound_by_channel": "ic",
    "last_inbound_at_ms": "i",
    "last_outbound_at_ms": "o",
    "owner": "ow",
    "awaiting_reply_since_ms": "aw",
    "response_due_at_ms": "d",
    "first_response_at_ms": "fr",
    "resolved_at_ms": "rs",
    "closed_at_ms": "cl",
    "customer_read_up_to_ms": "cr",
    "follow_up_of": "fo",
    "response_started_at_ms": "rt",
    "response_channel": "rc",
    "status_since_ms": "ss",
    "waiting_on": "w",
    "paused_ms": "pa",
    "superseded_by": "sb",
    "sla_generation": "g",
    "sla_clock": "k",
    "sla_started_at_ms": "ks",
    "sla_warn_at_ms": "kw",
    "sla_breach_at_ms": "kb",
    "sla_second_tier_at_ms": "k2",
    "sla_tier": "kt",
    "sla_tier_owner": "ko",
    "follow_up_cycle": "fc",
    "follow_up_pending_since_ms": "fp",
    "follow_up_nudge_at_ms": "fn",
    "follow_up_resolve_at_ms": "fz",
    "routing": "r",
    "sensitive": "se",
    "automated_messages_allowed": "am",
    "language": "l",
    "mark": "mk",
    "restored_at_ms": "ra",
    "restored_by": "rb",
}
_LONG = {short: name for name, short in _SHORT.items()}


def current_case_item(case: Case, user_id: str) -> Item:
    """The copy as ingest writes it: the case and the customer's recent posts."""
    item = {**current_case_key(case.account_id, user_id), **copy_attributes(case)}
    if case.recent_posts:
        item[POSTS] = s(posts_text(case.recent_posts))
    return item


def current_case_key(account_id: str, user_id: str) -> Item:
    return item_key(keys.customer_pk(account_id, user_id), keys.CURRENT_SK)


def copy_attributes(case: Case) -> Item:
    """Everything of the copy but the recent posts."""
    attributes = case_attributes(case)
    doc = {
        _SHORT.get(name, name): _plain(value)
        for name, value in attributes.items()
        if name not in _DERIVED and name not in _COPY_ATTRIBUTES
    }
    return {
        **{name: attributes[name] for name in _COPY_ATTRIBUTES},
        DOC: s(json.dumps(doc, ensure_ascii=False, separators=(",", ":"))),
    }


def copy_update(case: Case) -> tuple[str, dict[str, str], Item]:
    """The copy written by anyone but ingest: (update expression, names, values) that set the case and
    leave the customer's recent posts as they are (a new copy starts without)."""
    attributes = copy_attributes(case)
    names = {f"#c{i}": name for i, name in enumerate(attributes)}
    values = {f":c{i}": value for i, value in enumerate(attributes.values())}
    return "SET " + ", ".join(f"#c{i} = :c{i}" for i in range(len(attributes))), names, values


def copy_to_case(item: Mapping[str, Any]) -> Case:
    """The case a copy holds, with the customer's recent posts (copies written before ``doc`` hold the
    case item's attributes, and may hold the posts as its ``recent_posts``)."""
    if DOC not in item:
        return item_to_case(item)
    doc = json.loads(item[DOC]["S"])
    attributes: Item = {_LONG.get(name, name): _typed(value) for name, value in doc.items()}
    attributes.update({name: item[name] for name in _COPY_ATTRIBUTES})
    return replace(item_to_case(attributes), recent_posts=_posts(item[POSTS]["S"]) if POSTS in item else ())


def posts_text(posts: tuple[PostTrace, ...]) -> str:
    """``<fingerprint>:<posted at ms, base 36>[:<links>]`` each, space-separated: ~22 bytes a post."""
    return " ".join(f"{p.fingerprint}:{_base36(p.at_ms)}" + (f":{p.links}" if p.links else "") for p in posts)


def _posts(text: str) -> tuple[PostTrace, ...]:
    traces = []
    for post in text.split():
        fingerprint, at36, *links = post.split(":")
        traces.append(PostTrace(fingerprint, int(at36, 36), int(links[0]) if links else 0))
    return tuple(traces)


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        value, digit = divmod(value, 36)
        text = digits[digit] + text
        if not value:
            return text


def _plain(value: Mapping[str, Any]) -> Any:
    ((kind, inner),) = value.items()
    if kind == "N":
        return int(inner)
    if kind == "L":
        return [_plain(v) for v in inner]
    if kind == "M":
        return {k: _plain(v) for k, v in inner.items()}
    if kind in ("S", "BOOL"):
        return inner
    if kind == "NULL":
        return None
    raise TypeError(f"no plain form for a {kind} attribute")


def _typed(value: Any) -> Any:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return n(value)
    if isinstance(value, str):
        return s(value)
    if isinstance(value, list):
        return {"L": [_typed(v) for v in value]}
    return {"M": {k: _typed(v) for k, v in value.items()}}
