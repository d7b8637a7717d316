"""Identifiers: time-sortable case ids (ULID form) that agents can read out loud."""

from __future__ import annotations

import secrets

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid(timestamp_ms: int) -> str:
    """A 26-character ULID: 48-bit time then 80 random bits, Crockford base32, sorting by time."""
    value = (timestamp_ms & ((1 << 48) - 1)) << 80 | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))
