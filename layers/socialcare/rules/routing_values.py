"""The values of a routing-rules document, each checked where it stands.

Every reader takes the raw value and where it sits in the document (``rules[2].when.languages[0]``)
and returns the value as the rules use it, or raises ``InvalidRoutingRules`` naming that place and
what is wrong. ``routing_rules`` builds the rules from these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol, TypeVar

from socialcare.errors import InvalidRoutingRules
from socialcare.model.events import Channel, Platform
from socialcare.rules.phrases import Pattern, compile_pattern

MAX_VALUES = 100
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TAG = re.compile(r"^[a-z0-9][a-z0-9_:.-]{0,63}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_CUSTOMER = re.compile(r"^(?P<platform>[a-z]+):(?P<id>@?[^\s:]{1,128})$")

_T_co = TypeVar("_T_co", covariant=True)
_V = TypeVar("_V")


class Item(Protocol[_T_co]):
    def __call__(self, value: object, where: str, /) -> _T_co: ...


def obj(raw: object, where: str, allowed: frozenset[str]) -> Mapping[str, object]:
    if not isinstance(raw, Mapping):
        raise InvalidRoutingRules(where, "must be an object")
    for key in raw:
        if key not in allowed:
            raise InvalidRoutingRules(f"{where}.{key}", f"unknown field; allowed: {', '.join(sorted(allowed))}")
    return raw


def opt_list(raw: Mapping[str, object], key: str, where: str, item: Item[_V]) -> tuple[_V, ...] | None:
    values = raw.get(key)
    if values is None:
        return None
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_VALUES:
        raise InvalidRoutingRules(f"{where}.{key}", f"must be a list of 1 to {MAX_VALUES} values")
    return tuple(item(value, f"{where}.{key}[{index}]") for index, value in enumerate(values))


def opt_bool(raw: Mapping[str, object], key: str, where: str) -> bool | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, bool):
        raise InvalidRoutingRules(f"{where}.{key}", "must be true or false")
    return value


def opt_score(raw: Mapping[str, object], key: str, where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not -1 <= value <= 1:
        raise InvalidRoutingRules(f"{where}.{key}", "must be a number from -1 (most negative) to 1")
    return float(value)


def text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 256:
        raise InvalidRoutingRules(where, "must be a non-empty string")
    return value


def name(value: object, where: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise InvalidRoutingRules(where, f"must match {_NAME.pattern}")
    return value


def tag(value: object, where: str) -> str:
    if not isinstance(value, str) or not _TAG.match(value):
        raise InvalidRoutingRules(where, f"must match {_TAG.pattern}")
    return value


def language(value: object, where: str) -> str:
    if not isinstance(value, str) or not _LANGUAGE.match(value):
        raise InvalidRoutingRules(where, "must be a two-letter ISO 639-1 code (en, es, de...)")
    return value


def channel(value: object, where: str) -> Channel:
    for channel in Channel:
        if channel.value == value:
            return channel
    raise InvalidRoutingRules(where, f"must be one of {', '.join(c.value for c in Channel)}")


def keyword(value: object, where: str) -> Pattern:
    if not isinstance(value, str):
        raise InvalidRoutingRules(where, "must be a phrase pattern (a string)")
    try:
        return compile_pattern(value)
    except ValueError as error:
        raise InvalidRoutingRules(where, str(error)) from None


def customer(entry: object, where: str) -> str:
    """A customer list entry, checked and made comparable (case-folded)."""
    platforms = {p.value for p in Platform}
    match = _CUSTOMER.match(entry.strip()) if isinstance(entry, str) else None
    if match is None or match.group("platform") not in platforms:
        raise InvalidRoutingRules(
            where, f"must be <platform>:<user id> or <platform>:@<handle>; platforms: {', '.join(sorted(platforms))}"
        )
    return match.group(0).casefold()
