"""Platform events as the adapters make them, for the tests that feed them to ingest or expect them
from an adapter: of the channel's platform, for one brand account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from socialcare.model.events import Channel, EventKind, PlatformEvent


def platform_event(
    channel: Channel, account_id: str, kind: EventKind, event_id: str, timestamp_ms: int, **fields: Any
) -> PlatformEvent:
    return PlatformEvent(
        kind=kind,
        platform=channel.platform,
        channel=channel,
        account_id=account_id,
        event_id=event_id,
        timestamp_ms=timestamp_ms,
        **fields,
    )


def message_event(
    channel: Channel, account_id: str, message_id: str, timestamp_ms: int, **fields: Any
) -> PlatformEvent:
    """A message (a MESSAGE unless ``kind`` says otherwise) whose event id is its message id."""
    kind = fields.pop("kind", EventKind.MESSAGE)
    return platform_event(channel, account_id, kind, message_id, timestamp_ms, message_id=message_id, **fields)


def event_factory(channel: Channel, account_id: str) -> Callable[..., PlatformEvent]:
    """The events of one channel of one account: kind, id and time, and any other fields."""

    def make(kind: EventKind, event_id: str, timestamp_ms: int, **fields: Any) -> PlatformEvent:
        return platform_event(channel, account_id, kind, event_id, timestamp_ms, **fields)

    return make
