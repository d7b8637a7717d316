"""What each channel accepts from the brand: text length, attachments by URL, reply modes.

Limits are the platforms' own: X posts 280 weighted characters (most CJK characters and emoji
count twice, every link 23), X DMs 10,000, Messenger 2,000, Instagram DMs 1,000, WhatsApp and
Telegram 4,096, Facebook comments 8,000, Instagram comments 2,200. They apply to the text as sent,
signature included.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from socialcare.model.events import Channel

TEXT_LIMITS: Mapping[Channel, int] = {
    Channel.X_POST: 280,
    Channel.X_DM: 10_000,
    Channel.MESSENGER: 2_000,
    Channel.INSTAGRAM_DM: 1_000,
    Channel.WHATSAPP: 4_096,
    Channel.TELEGRAM: 4_096,
    Channel.FACEBOOK_COMMENT: 8_000,
    Channel.INSTAGRAM_COMMENT: 2_200,
}
MAX_TEXT = max(TEXT_LIMITS.values())

# Whose comments the brand may hide on the platform (Meta's hide comment API): its Page's and its
# Instagram account's. X and the private channels have nothing like it.
HIDEABLE_COMMENT_CHANNELS = frozenset({Channel.FACEBOOK_COMMENT, Channel.INSTAGRAM_COMMENT})

# Media a reply may carry by URL; X needs media uploaded first and Instagram comments take none.
ATTACHMENT_KINDS: Mapping[Channel, frozenset[str]] = {
    Channel.MESSENGER: frozenset({"image", "video", "audio", "file"}),
    Channel.INSTAGRAM_DM: frozenset({"image", "video", "audio"}),
    Channel.WHATSAPP: frozenset({"image", "video", "audio", "document"}),
    Channel.TELEGRAM: frozenset({"image", "video", "audio", "document"}),
    Channel.FACEBOOK_COMMENT: frozenset({"image"}),
}
ALL_ATTACHMENT_KINDS = frozenset(k for kinds in ATTACHMENT_KINDS.values() for k in kinds)
MAX_ATTACHMENTS = 1  # every platform here sends one media item per message

PRIVATE_CHANNELS = frozenset(ch for ch in Channel if not ch.is_public)
COMMENT_CHANNELS = frozenset({Channel.FACEBOOK_COMMENT, Channel.INSTAGRAM_COMMENT})
# Where a customer is invited to continue privately, per public channel.
PRIVATE_CHANNEL_OF: Mapping[Channel, Channel] = {
    Channel.FACEBOOK_COMMENT: Channel.MESSENGER,
    Channel.INSTAGRAM_COMMENT: Channel.INSTAGRAM_DM,
    Channel.X_POST: Channel.X_DM,
}

_URL = re.compile(r"https?://\S+")
_X_URL_WEIGHT = 23
# twitter-text v3: these code point ranges weigh 1, everything else 2.
_X_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))


def text_length(channel: Channel, text: str) -> int:
    """The length the platform counts for ``text`` on ``channel``."""
    if channel is not Channel.X_POST:
        return len(text)
    urls = _URL.findall(text)
    rest = _URL.sub("", text)
    weight = 0
    for char in rest:
        point = ord(char)
        weight += 1 if any(lo <= point <= hi for lo, hi in _X_LIGHT_RANGES) else 2
    return weight + _X_URL_WEIGHT * len(urls)
