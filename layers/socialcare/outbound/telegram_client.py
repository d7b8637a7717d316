"""Replies through the Telegram Bot API.

- Text: ``POST {telegram}/bot<token>/sendMessage``
  ``{"chat_id","text","reply_parameters":{"message_id","allow_sending_without_reply":true}}``.
- Attachments by URL, each its own message: ``sendPhoto`` (``photo``), ``sendVideo``,
  ``sendAudio``, ``sendDocument`` (anything else).

Answers are ``{"ok":true,"result":<Message>}``; the message is identified as
``"<chat id>:<message id>"``, as the webhook adapter names messages (ids are per chat).
The bot token is part of the URL path, so only ``safe_url`` (token hidden) is ever shown.
Telegram has no messaging window; a public reply (in a group) and a private one are both a
message in the chat the customer wrote in.
"""

from __future__ import annotations

from typing import Any

from socialcare.errors import ReplyRefused
from socialcare.model.outbound import OutboundRequest, ReplyMode
from socialcare.outbound.http import HttpResponse, json_request
from socialcare.outbound.replies import (
    Accepted,
    CallOutcome,
    PlannedCall,
    Rejected,
    Retryable,
    as_object,
    attachment_parts,
    check_attachments,
    check_text,
    http_failure,
    id_text,
    require_content,
    short,
)
from socialcare.platforms.credentials import PlatformCredentials

TEXT_LIMIT = 4096
_MEDIA_METHODS = {"image": ("sendPhoto", "photo"), "video": ("sendVideo", "video"), "audio": ("sendAudio", "audio")}


class TelegramReplyClient:
    def __init__(self, api_url: str) -> None:
        self._api = api_url.rstrip("/")

    def plan(self, request: OutboundRequest, *, tag: str | None, credentials: PlatformCredentials) -> list[PlannedCall]:
        bot = next((b for b in credentials.telegram_bots if b.bot_id == request.account_id), None)
        if bot is None:
            raise ReplyRefused(f"no Telegram bot token is configured for bot {request.account_id}")
        if request.mode is ReplyMode.PRIVATE_REPLY_TO_COMMENT:
            raise ReplyRefused("Telegram has no private replies to comments; reply in the chat")
        check_attachments(request)
        check_text(request.text, TEXT_LIMIT, "Telegram")
        require_content(request)
        chat_id = _chat_id(request.conversation_ref or request.recipient_id)
        reply_to = _message_number(request.reply_to_id)

        def call(method: str, doc: dict[str, Any], part: str) -> PlannedCall:
            url = f"{self._api}/bot{bot.bot_token}/{method}"
            return PlannedCall(json_request("POST", url, doc, safe_url=f"{self._api}/bot<token>/{method}"), part)

        calls = []
        if request.text.strip():
            doc: dict[str, Any] = {"chat_id": chat_id, "text": request.text}
            if reply_to is not None:
                doc["reply_parameters"] = {"message_id": reply_to, "allow_sending_without_reply": True}
            calls.append(call("sendMessage", doc, "text"))
        for part, kind, url in attachment_parts(request):
            method, field = _MEDIA_METHODS.get(kind, ("sendDocument", "document"))
            calls.append(call(method, {"chat_id": chat_id, field: url}, part))
        return calls

    def interpret(self, call: PlannedCall, response: HttpResponse, *, now_ms: int) -> CallOutcome:
        doc = as_object(response.json())
        if 200 <= response.status < 300 and doc.get("ok") is True:
            result = as_object(doc.get("result"))
            chat = id_text(as_object(result.get("chat")).get("id"))
            number = id_text(result.get("message_id"))
            return Accepted(f"{chat}:{number}" if chat and number else None)
        parameters = as_object(doc.get("parameters"))
        description = short(doc.get("description") or f"HTTP {response.status}")
        if response.status == 429 or doc.get("error_code") == 429:
            retry_after = parameters.get("retry_after")
            wait = (
                float(retry_after)
                if isinstance(retry_after, int | float) and not isinstance(retry_after, bool)
                else None
            )
            return Retryable(f"rate limited by Telegram: {description}", wait, throttled=True)
        failed = http_failure("Telegram", response)
        if failed is not None:
            return failed
        if response.status == 401:
            return Rejected("Telegram refused the bot token; an administrator must check it")
        return Rejected(f"Telegram refused it: {description}")


def _chat_id(value: str) -> int | str:
    """Numeric chat ids go as numbers; ``@channelusername`` stays a string."""
    try:
        return int(value)
    except ValueError:
        return value


def _message_number(reply_to_id: str | None) -> int | None:
    """``"<chat id>:<message id>"`` (how the adapter names messages) to the message id."""
    if not reply_to_id:
        return None
    number = reply_to_id.rsplit(":", 1)[-1]
    return int(number) if number.lstrip("-").isdigit() else None
