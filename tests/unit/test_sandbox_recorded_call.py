"""What a call the platform sandbox recorded says about itself: who it answers and what the customer
reads (the demo's summary shows both; tokens are never part of either)."""

from __future__ import annotations

from typing import Any

import pytest
from socialcare_local.sandbox.reply_api import RecordedCall


def call(endpoint: str, path: str, body: Any) -> RecordedCall:
    return RecordedCall("meta", endpoint, "POST", path, body, 200, {})


@pytest.mark.parametrize(
    ("recorded", "recipient", "text"),
    [
        (
            call("messenger", "/graph/v21.0/104/messages", {"recipient": {"id": "psid-1"}, "message": {"text": "Hi"}}),
            "psid-1",
            "Hi",
        ),
        (
            call(
                "instagram_dm",
                "/graph/v21.0/178/messages",
                {"recipient": {"id": "igsid"}, "message": {"attachment": {"type": "image", "payload": {"url": "u"}}}},
            ),
            "igsid",
            "[image] u",
        ),
        (
            call(
                "private_reply",
                "/graph/v21.0/104/messages",
                {"recipient": {"comment_id": "1_2"}, "message": {"text": "DM"}},
            ),
            "comment 1_2",
            "DM",
        ),
        (call("facebook_comment_reply", "/graph/v21.0/1_2/comments", {"message": "Sorry"}), "comment 1_2", "Sorry"),
        (call("instagram_comment_reply", "/graph/v21.0/1785/replies", {"message": "Thanks"}), "comment 1785", "Thanks"),
        (
            call("whatsapp", "/graph/v21.0/106/messages", {"to": "3461", "type": "text", "text": {"body": "Hola"}}),
            "3461",
            "Hola",
        ),
        (
            call(
                "whatsapp",
                "/graph/v21.0/106/messages",
                {"to": "233", "type": "template", "template": {"name": "order", "language": {"code": "en_US"}}},
            ),
            "233",
            "[template order (en_US)]",
        ),
        (call("x_dm", "/x/2/dm_conversations/with/2244/messages", {"text": "Yes"}), "2244", "Yes"),
        (
            call("x_reply", "/x/2/tweets", {"text": "On it", "reply": {"in_reply_to_tweet_id": "189"}}),
            "post 189",
            "On it",
        ),
        (call("telegram", "/telegram/bot<token>/sendMessage", {"chat_id": 5511, "text": "Hallo"}), "5511", "Hallo"),
        (call("", "/graph/v21.0/nowhere", "not json"), None, None),
    ],
)
def test_a_recorded_call_names_its_recipient_and_text(
    recorded: RecordedCall, recipient: str | None, text: str | None
) -> None:
    assert recorded.recipient == recipient
    assert recorded.text == text
