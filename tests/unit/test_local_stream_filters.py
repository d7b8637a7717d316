"""The clock function's event source mapping filters, as the local stack's stream poller applies them:
case items inserted or modified, and customers' messages inserted (Lambda ORs a mapping's filters)."""

from __future__ import annotations

from typing import Any

import pytest
from socialcare import constants as c
from socialcare_local.emulator.streams import matches_any

pytestmark = pytest.mark.unit


def record(event: str, sk: str, kind: str | None = None) -> dict[str, Any]:
    image = {"kind": {"S": kind}} if kind else {"status": {"S": "open"}}
    return {"eventName": event, "dynamodb": {"Keys": {"PK": {"S": "CASE#1"}, "SK": {"S": sk}}, "NewImage": image}}


@pytest.mark.parametrize(
    ("event", "sk", "kind", "delivered"),
    [
        ("INSERT", "CASE", None, True),
        ("MODIFY", "CASE", None, True),
        ("REMOVE", "CASE", None, False),
        ("INSERT", "MSG#1774857600000#m1", "inbound", True),
        ("MODIFY", "MSG#1774857600000#m1", "inbound", False),  # an edit, a reaction: not a new message
        ("INSERT", "MSG#1774857600000#out-1", "outbound", False),
        ("INSERT", "MSG#1774857600000#note-1", "note", False),
        ("INSERT", "CURRENT", None, False),
        ("INSERT", "AUDIT#0000000000002#x", "inbound", False),
    ],
)
def test_only_case_writes_and_new_customer_messages_reach_the_clock_function(
    event: str, sk: str, kind: str | None, delivered: bool
) -> None:
    assert matches_any(record(event, sk, kind), c.CLOCK_STREAM_FILTERS) is delivered
