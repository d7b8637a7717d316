"""Helpers the platform adapter tests share: parse a fixture (or a document) as the platform sends
it, build the expected events, and check an UNKNOWN event (by its content, or by why it was kept raw)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from socialcare.model.events import Channel, EventKind, Platform, PlatformEvent
from socialcare.platforms.base import PlatformAdapter, Verification

from tests.platform_fixtures import encode, wire_body


@dataclass(frozen=True)
class AdapterUnderTest:
    """``adapter`` fed the bytes ``platform`` sends, verified as ``verification`` says."""

    adapter: PlatformAdapter
    platform: Platform
    verification: Verification = field(default_factory=Verification)

    def parse(self, name: str) -> list[PlatformEvent]:
        """Parse the fixture ``name`` exactly as the platform sends it."""
        delivery = self.adapter.parse(wire_body(self.platform, name), self.verification)
        assert delivery.platform is self.platform
        return list(delivery.events)

    def parse_doc(self, doc: Any) -> list[PlatformEvent]:
        return list(self.adapter.parse(encode(self.platform, doc), self.verification).events)


def assert_unknown(
    event: PlatformEvent, *, channel: Channel, account_id: str, raw_kind: str, raw: Any, ts: int
) -> None:
    """UNKNOWN events keep the raw element and name what it was; their id is a content digest."""
    assert (event.kind, event.channel, event.account_id, event.raw_kind, event.timestamp_ms) == (
        EventKind.UNKNOWN,
        channel,
        account_id,
        raw_kind,
        ts,
    )
    assert event.event_id.startswith(f"unknown:{raw_kind}:")
    assert event.raw == raw


def assert_kept_raw(event: PlatformEvent, reason: str, **fields: Any) -> None:
    """An UNKNOWN event kept raw for ``reason``, with ``fields`` as given (``raw``, ``raw_kind``,
    ``account_id``...)."""
    assert (event.kind, event.reason) == (EventKind.UNKNOWN, reason)
    assert {name: getattr(event, name) for name in fields} == fields
