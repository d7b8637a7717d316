"""Routing rules as the tests write them: a brand's full configuration, and single random changes of
it (hypothesis) with how to tell that a refusal names the field that changed."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

CONFIG: dict[str, Any] = {
    "version": 3,
    "lists": {"journalists": ["x:@JDoe", "x:1234567"], "vip": ["meta:99887766"], "blocked": ["x:666"]},
    "sensitive_team": "trained-care",
    "default": {"tags": ["triaged"]},
    "rules": [
        {
            "name": "press-account",
            "when": {"accounts": ["bs-press"]},
            "then": {"team": "pr", "priority": "high", "tags": ["press"], "automated_messages_allowed": False},
        },
        {"name": "journalists", "when": {"customer_in": ["journalists"]}, "then": {"team": "pr", "tags": ["press"]}},
        {"name": "vip", "when": {"customer_in": ["vip"]}, "then": {"priority": "high", "tags": ["vip"]}},
        {
            "name": "big-voices",
            "when": {"verified": True, "followers_at_least": 10000},
            "then": {"priority": "high", "tags": ["influencer"]},
        },
        {
            "name": "angry-spanish",
            "when": {"languages": ["es"], "sentiment_at_most": -0.5},
            "then": {"team": "care-es", "priority": "high"},
        },
        {
            "name": "refunds",
            "when": {"keywords": ["refund*", "money back", "reembolso*"], "channels": ["whatsapp", "x_dm"]},
            "then": {"tags": ["refund"]},
        },
    ],
}


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [path] + [leaf for key, value in node.items() for leaf in _leaves(value, (*path, key))]
    if isinstance(node, list):
        return [path] + [leaf for index, value in enumerate(node) for leaf in _leaves(value, (*path, index))]
    return [path]


def field_name(path: tuple[Any, ...]) -> str:
    name = ""
    for step in path:
        name += f"[{step}]" if isinstance(step, int) else (f".{step}" if name else str(step))
    return name


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 20_000),
    st.floats(-3, 3, allow_nan=False),
    st.text(max_size=12),
    st.lists(st.text(max_size=5), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def mutated(data: st.DataObject, base: dict[str, Any] | None = None) -> tuple[dict[str, Any], str]:
    """``base`` (``CONFIG``) with one value anywhere replaced by junk, and the field it changed."""
    config = copy.deepcopy(CONFIG if base is None else base)
    path = data.draw(st.sampled_from([p for p in _leaves(config) if p]))
    target: Any = config
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = data.draw(JUNK)
    return config, field_name(path)


def names_the_change(field: str, changed: str) -> bool:
    """The field a refusal names is the one changed or what holds it; or, when a customer list went,
    the condition that names it."""
    dangling = changed.startswith("lists") and ".customer_in[" in field
    return field.startswith(changed) or changed.startswith(field) or dangling
