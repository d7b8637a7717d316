"""Messaging-window rules: may the brand send this reply, on this channel, now?

Checked when an agent replies (so the agent gets a clear error at once) and again by the outbound
sender just before the platform call (time has passed while the reply was queued).

- Messenger and Instagram DMs: a free-form message within 24 hours of the customer's last message
  on that channel; from 24 hours to 7 days only with the ``HUMAN_AGENT`` tag, which the brand's app
  must have been granted; never when the customer has not written on that channel at all.
- A private reply to a Facebook or Instagram comment: within 7 days of the comment.
- WhatsApp: free-form within 24 hours of the customer's last message; otherwise an approved
  template only.
- Public replies, X and Telegram: no window.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialcare.errors import OutsideMessagingWindow, TemplateRequired
from socialcare.model.events import Channel
from socialcare.model.outbound import ReplyMode

HOUR_MS = 3_600_000
STANDARD_WINDOW_MS = 24 * HOUR_MS
HUMAN_AGENT_WINDOW_MS = 7 * 24 * HOUR_MS
PRIVATE_REPLY_WINDOW_MS = 7 * 24 * HOUR_MS
HUMAN_AGENT_TAG = "HUMAN_AGENT"

_META_DM_CHANNELS = frozenset({Channel.MESSENGER, Channel.INSTAGRAM_DM})
_COMMENT_CHANNELS = frozenset({Channel.FACEBOOK_COMMENT, Channel.INSTAGRAM_COMMENT})


@dataclass(frozen=True, slots=True)
class WindowDecision:
    """The reply may be sent; ``tag`` is the message tag it must carry (``HUMAN_AGENT``) or None."""

    tag: str | None = None
    closes_at_ms: int | None = None  # when sending stops being possible this way (None: never)


def check_reply_window(
    *,
    channel: Channel,
    mode: ReplyMode,
    now_ms: int,
    last_inbound_ms: int | None,
    comment_at_ms: int | None = None,
    human_agent_allowed: bool = False,
    has_template: bool = False,
) -> WindowDecision:
    """Decide whether a reply may go out now, or raise with a message an agent can act on.

    ``last_inbound_ms`` is the customer's last message on ``channel`` (the case's
    ``last_inbound_by_channel``); ``comment_at_ms`` the time of the comment a private reply answers.
    """
    if mode is ReplyMode.PRIVATE_REPLY_TO_COMMENT:
        if channel not in _COMMENT_CHANNELS:
            raise OutsideMessagingWindow(f"a private reply answers a Facebook or Instagram comment, not {channel}")
        if comment_at_ms is None:
            raise OutsideMessagingWindow("the comment to answer privately is not known")
        closes = comment_at_ms + PRIVATE_REPLY_WINDOW_MS
        if now_ms > closes:
            raise OutsideMessagingWindow(
                f"the comment is {_age(now_ms - comment_at_ms)} old; a private reply is possible for 7 days only"
            )
        return WindowDecision(closes_at_ms=closes)

    if mode is ReplyMode.PUBLIC or channel not in (*_META_DM_CHANNELS, Channel.WHATSAPP):
        return WindowDecision()

    if last_inbound_ms is None:
        raise OutsideMessagingWindow(
            f"the customer has not written on {channel}; the platform lets the brand answer there only"
        )
    age = now_ms - last_inbound_ms
    standard_closes = last_inbound_ms + STANDARD_WINDOW_MS
    if channel is Channel.WHATSAPP:
        if age <= STANDARD_WINDOW_MS:
            return WindowDecision(closes_at_ms=standard_closes)
        if has_template:
            return WindowDecision()
        raise TemplateRequired(
            f"the customer last wrote {_age(age)} ago; outside WhatsApp's 24-hour window only an approved template may be sent"
        )
    if age <= STANDARD_WINDOW_MS:
        return WindowDecision(closes_at_ms=standard_closes)
    if age <= HUMAN_AGENT_WINDOW_MS and human_agent_allowed:
        return WindowDecision(tag=HUMAN_AGENT_TAG, closes_at_ms=last_inbound_ms + HUMAN_AGENT_WINDOW_MS)
    if age <= HUMAN_AGENT_WINDOW_MS:
        raise OutsideMessagingWindow(
            f"the customer last wrote {_age(age)} ago; after 24 hours a reply needs the HUMAN_AGENT tag, "
            "which this brand account is not permitted to use"
        )
    raise OutsideMessagingWindow(
        f"the customer last wrote {_age(age)} ago; {channel} allows no reply after 7 days until they write again"
    )


def _age(ms: int) -> str:
    hours = ms // HOUR_MS
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"
