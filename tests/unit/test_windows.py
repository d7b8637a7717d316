"""Messaging-window rules: what an agent may send, where, and when."""

from __future__ import annotations

import pytest
from socialcare.errors import OutsideMessagingWindow, TemplateRequired
from socialcare.model.events import Channel
from socialcare.model.outbound import ReplyMode
from socialcare.rules.windows import HUMAN_AGENT_TAG, check_reply_window

pytestmark = pytest.mark.unit

HOUR = 3_600_000
T0 = 1_767_225_600_000


@pytest.mark.parametrize("channel", [Channel.MESSENGER, Channel.INSTAGRAM_DM])
def test_meta_dm_is_free_within_24_hours_then_tagged_until_7_days(channel: Channel) -> None:
    free = check_reply_window(channel=channel, mode=ReplyMode.PRIVATE, now_ms=T0 + 23 * HOUR, last_inbound_ms=T0)
    assert free.tag is None
    assert free.closes_at_ms == T0 + 24 * HOUR
    tagged = check_reply_window(
        channel=channel, mode=ReplyMode.PRIVATE, now_ms=T0 + 30 * HOUR, last_inbound_ms=T0, human_agent_allowed=True
    )
    assert tagged.tag == HUMAN_AGENT_TAG
    with pytest.raises(OutsideMessagingWindow, match="HUMAN_AGENT"):
        check_reply_window(channel=channel, mode=ReplyMode.PRIVATE, now_ms=T0 + 30 * HOUR, last_inbound_ms=T0)
    with pytest.raises(OutsideMessagingWindow, match="7 days"):
        check_reply_window(
            channel=channel,
            mode=ReplyMode.PRIVATE,
            now_ms=T0 + 8 * 24 * HOUR,
            last_inbound_ms=T0,
            human_agent_allowed=True,
        )


def test_no_private_message_where_the_customer_never_wrote() -> None:
    with pytest.raises(OutsideMessagingWindow, match="has not written"):
        check_reply_window(channel=Channel.MESSENGER, mode=ReplyMode.PRIVATE, now_ms=T0, last_inbound_ms=None)


def test_whatsapp_needs_a_template_after_24_hours() -> None:
    assert (
        check_reply_window(channel=Channel.WHATSAPP, mode=ReplyMode.PRIVATE, now_ms=T0 + HOUR, last_inbound_ms=T0).tag
        is None
    )
    with pytest.raises(TemplateRequired):
        check_reply_window(channel=Channel.WHATSAPP, mode=ReplyMode.PRIVATE, now_ms=T0 + 25 * HOUR, last_inbound_ms=T0)
    assert (
        check_reply_window(
            channel=Channel.WHATSAPP,
            mode=ReplyMode.PRIVATE,
            now_ms=T0 + 25 * HOUR,
            last_inbound_ms=T0,
            has_template=True,
        )
        is not None
    )


def test_private_reply_to_a_comment_within_7_days_only() -> None:
    ok = check_reply_window(
        channel=Channel.FACEBOOK_COMMENT,
        mode=ReplyMode.PRIVATE_REPLY_TO_COMMENT,
        now_ms=T0 + 6 * 24 * HOUR,
        last_inbound_ms=None,
        comment_at_ms=T0,
    )
    assert ok.closes_at_ms == T0 + 7 * 24 * HOUR
    with pytest.raises(OutsideMessagingWindow, match="7 days"):
        check_reply_window(
            channel=Channel.INSTAGRAM_COMMENT,
            mode=ReplyMode.PRIVATE_REPLY_TO_COMMENT,
            now_ms=T0 + 8 * 24 * HOUR,
            last_inbound_ms=None,
            comment_at_ms=T0,
        )
    with pytest.raises(OutsideMessagingWindow):
        check_reply_window(
            channel=Channel.X_POST,
            mode=ReplyMode.PRIVATE_REPLY_TO_COMMENT,
            now_ms=T0,
            last_inbound_ms=T0,
            comment_at_ms=T0,
        )


@pytest.mark.parametrize(
    ("channel", "mode"),
    [
        (Channel.X_DM, ReplyMode.PRIVATE),
        (Channel.TELEGRAM, ReplyMode.PRIVATE),
        (Channel.X_POST, ReplyMode.PUBLIC),
        (Channel.FACEBOOK_COMMENT, ReplyMode.PUBLIC),
    ],
)
def test_channels_without_a_window_always_allow_a_reply(channel: Channel, mode: ReplyMode) -> None:
    decision = check_reply_window(channel=channel, mode=mode, now_ms=T0 + 400 * 24 * HOUR, last_inbound_ms=T0)
    assert decision.tag is None
    assert decision.closes_at_ms is None
