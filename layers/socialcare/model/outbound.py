"""The message that carries one agent reply from the API to the outbound sender.

The reply is already stored in the case's thread as a PENDING outbound entry when this is
queued; the sender finds it by (case_id, entry_id) and records the outcome there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from socialcare.errors import MalformedOutboundRequest
from socialcare.model.events import Channel

REQUEST_VERSION = 1
# A WhatsApp template as an agent sends it, or a brand configures it for its nudges.
MAX_TEMPLATE_COMPONENTS = 10
TEMPLATE_NAME_PATTERN = re.compile(r"^[a-z0-9_]{1,512}$")
TEMPLATE_LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
# What this system attaches to a Messenger message (the Send API's ``message.metadata``, up to 1,000
# characters), which Meta hands back in the message's echo: the echo of a message sent from here is
# then known as such on arrival, even when it arrives before the sender has recorded the send.
OWN_ECHO_PREFIX = "socialcare:"


def own_echo_tag(entry_id: str) -> str:
    return f"{OWN_ECHO_PREFIX}{entry_id}"


def is_own_echo(tag: str | None) -> bool:
    return tag is not None and tag.startswith(OWN_ECHO_PREFIX)


class ReplyMode(StrEnum):
    PRIVATE = "private"  # a direct message in the customer's private channel
    PUBLIC = "public"  # a public reply under the customer's comment/post
    PRIVATE_REPLY_TO_COMMENT = "private_reply_to_comment"  # Meta: DM answering a comment (7 days)


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    case_id: str
    entry_id: str
    channel: Channel
    account_id: str
    recipient_id: str  # PSID, IGSID, wa_id, X user id, Telegram chat id
    mode: ReplyMode
    text: str
    attachments: tuple[tuple[str, str], ...] = ()  # (kind, url)
    reply_to_id: str | None = None  # the platform message/comment being answered
    conversation_ref: str | None = None
    tag: str | None = None  # "HUMAN_AGENT" when sent inside Meta's 7-day extension
    template: dict[str, Any] | None = field(default=None)  # WhatsApp template outside 24 h

    def to_json(self) -> str:
        doc: dict[str, Any] = {
            "v": REQUEST_VERSION,
            "case_id": self.case_id,
            "entry_id": self.entry_id,
            "channel": self.channel.value,
            "account_id": self.account_id,
            "recipient_id": self.recipient_id,
            "mode": self.mode.value,
            "text": self.text,
            "attachments": [list(a) for a in self.attachments],
        }
        for name in ("reply_to_id", "conversation_ref", "tag", "template"):
            value = getattr(self, name)
            if value is not None:
                doc[name] = value
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> OutboundRequest:
        try:
            doc = json.loads(text)
            if not isinstance(doc, dict) or doc.get("v") != REQUEST_VERSION:
                raise ValueError("not an outbound request of version 1")
            return cls(
                case_id=str(doc["case_id"]),
                entry_id=str(doc["entry_id"]),
                channel=Channel(doc["channel"]),
                account_id=str(doc["account_id"]),
                recipient_id=str(doc["recipient_id"]),
                mode=ReplyMode(doc["mode"]),
                text=str(doc["text"]),
                attachments=tuple((str(k), str(u)) for k, u in doc.get("attachments", [])),
                reply_to_id=doc.get("reply_to_id"),
                conversation_ref=doc.get("conversation_ref"),
                tag=doc.get("tag"),
                template=doc.get("template"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedOutboundRequest(f"outbound request is invalid: {exc}") from exc
