"""Normalised events as compact JSON documents: how the webhook's parse travels to ingest.

A field left at its default (None, empty, False) is left out, and so is the platform when it is the
delivery's own; everything else keeps its name, so a message in the dead-letter queue stays readable.
``decode`` gives back an event equal to the one encoded (``raw`` and ``author`` included).
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Mapping
from typing import Any

from socialcare.model.events import (
    Attachment,
    AuthorProfile,
    Channel,
    Customer,
    DeliveryState,
    EventKind,
    Platform,
    PlatformEvent,
    PublicKind,
    Referral,
)

# Every field's name, one getter of all their values, the nested values' field names: read once, not
# per event. Every default is None, False or () (the booleans' is False), so a value is left out by
# identity or emptiness, which keeps a 1,000-entry batch's encoding to a few milliseconds.
_NAMES = tuple(f.name for f in dataclasses.fields(PlatformEvent))
_VALUES = operator.attrgetter(*_NAMES)
_NESTED = ("customer", "referral", "author")
_PARTS = {
    kind: tuple(f.name for f in dataclasses.fields(kind)) for kind in (Customer, Referral, AuthorProfile, Attachment)
}


def encode(event: PlatformEvent, platform: str) -> dict[str, Any]:
    """``event`` as a JSON-able document; ``platform`` is the delivery's (left out when it is the event's)."""
    doc = {
        name: value
        for name, value in zip(_NAMES, _VALUES(event), strict=True)
        if value is not None and value is not False and value != ()
    }
    for name in _NESTED:
        if name in doc:
            doc[name] = _compact(doc[name])
    if "attachments" in doc:
        doc["attachments"] = [_compact(a) for a in doc["attachments"]]
    if doc["platform"] == platform:
        del doc["platform"]
    return doc


def decode(doc: Mapping[str, Any], platform: str) -> PlatformEvent:
    """The event ``encode`` made ``doc`` from; TypeError, ValueError or KeyError when it is not one."""
    values = {name: _DECODERS[name](value) if name in _DECODERS else value for name, value in doc.items()}
    values.setdefault("platform", Platform(platform))
    return PlatformEvent(**values)


def _compact(value: Any) -> dict[str, Any]:
    return {name: v for name in _PARTS[type(value)] if (v := getattr(value, name)) is not None and v != ()}


def _customer(doc: Mapping[str, Any]) -> Customer:
    return Customer(**{**doc, "alt_ids": tuple(doc.get("alt_ids", ()))})


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "kind": EventKind,
    "platform": Platform,
    "channel": Channel,
    "public_kind": PublicKind,
    "status": DeliveryState,
    "customer": _customer,
    "attachments": lambda docs: tuple(Attachment(**d) for d in docs),
    "previous_ids": tuple,
    "referral": lambda doc: Referral(**doc),
    "author": lambda doc: AuthorProfile(**doc),
}
