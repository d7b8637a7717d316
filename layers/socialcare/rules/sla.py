"""Response targets: how long a customer may wait for a first human answer, per channel.

Public channels are answered faster: the whole world is watching them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from socialcare.model.events import Channel

_MINUTE_MS = 60_000

DEFAULT_RESPONSE_TARGET_MINUTES: Mapping[Channel, int] = {
    Channel.X_POST: 60,
    Channel.FACEBOOK_COMMENT: 60,
    Channel.INSTAGRAM_COMMENT: 60,
    Channel.MESSENGER: 240,
    Channel.INSTAGRAM_DM: 240,
    Channel.WHATSAPP: 240,
    Channel.X_DM: 240,
    Channel.TELEGRAM: 240,
}

NOT_DUE_MS = 9_999_999_999_999  # sorts after every real due time in the queue index


@dataclass(frozen=True, slots=True)
class ResponseTargets:
    minutes: Mapping[Channel, int] = field(default_factory=lambda: dict(DEFAULT_RESPONSE_TARGET_MINUTES))

    def due_at(self, channel: Channel, waiting_since_ms: int) -> int:
        return waiting_since_ms + self.minutes.get(channel, 240) * _MINUTE_MS
