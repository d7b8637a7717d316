"""Pagination cursors: opaque, tamper-evident, bound to their query."""

from __future__ import annotations

import pytest
from socialcare.agents.cursor import CursorCodec
from socialcare.errors import InvalidCursor

pytestmark = pytest.mark.unit

KEY = b"cursor-key-for-tests-0123456789"
POSITION = {"PK": "CASE#01A", "SK": "CASE", "GSI1PK": "QUEUE#care", "GSI1SK": "1767225600000#01A"}


def test_a_cursor_round_trips_within_its_query() -> None:
    codec = CursorCodec(KEY)
    cursor = codec.encode("queue|care|open", POSITION)
    assert codec.decode("queue|care|open", cursor) == POSITION
    assert "QUEUE" not in cursor  # opaque: nothing a client could edit by eye


@pytest.mark.parametrize("change", ["body", "mac", "scope", "key", "garbage", "non-ascii", "huge"])
def test_altered_foreign_or_garbage_cursors_are_refused(change: str) -> None:
    codec = CursorCodec(KEY)
    cursor = codec.encode("queue|care|open", POSITION)
    body, mac = cursor.split(".")
    scope = "queue|care|open"
    if change == "body":
        cursor = ("B" if body[0] != "B" else "C") + body[1:] + "." + mac
    elif change == "mac":
        cursor = body + "." + ("A" if mac[0] != "A" else "B") + mac[1:]
    elif change == "scope":
        scope = "queue|billing|open"
    elif change == "key":
        codec = CursorCodec(b"another-key-entirely-0123456789")
    elif change == "garbage":
        cursor = "%%%.###"
    elif change == "non-ascii":
        cursor = "é." + mac
    else:
        cursor = "A" * 5000 + "." + mac
    with pytest.raises(InvalidCursor):
        codec.decode(scope, cursor)


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        CursorCodec(b"short")
