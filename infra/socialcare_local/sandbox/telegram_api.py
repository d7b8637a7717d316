"""The sandbox's Telegram Bot API: sendMessage and the media methods, by URL."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from typing import Any

from socialcare_local.sandbox.platform_api import PlatformApi
from socialcare_local.sandbox.reply_platforms import HTTP_URL, Answer, Fault, Incoming, TakeFault


def telegram_error(status: int, description: str, **extra: Any) -> Answer:
    doc: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if "retry_after" in extra:
        doc["parameters"] = {"retry_after": extra.pop("retry_after")}
    return Answer(status, doc, **extra)


_TELEGRAM_MEDIA = {"sendPhoto": "photo", "sendDocument": "document", "sendVideo": "video", "sendAudio": "audio"}


class TelegramBotApi(PlatformApi):
    """``/telegram/bot<token>/<method>``: sendMessage and the media methods, by URL."""

    def _endpoint(self, incoming: Incoming, path: list[str]) -> str:
        return "telegram" if len(path) == 2 and path[0].startswith("bot") else ""

    def _handle(self, incoming: Incoming, path: list[str], take_fault: TakeFault) -> Answer:
        if len(path) != 2 or not path[0].startswith("bot"):
            return telegram_error(404, "Not Found")
        token, method = path[0][3:], path[1]
        bot = next((b for b in self._config.credentials.telegram_bots if b.bot_token == token), None)
        if bot is None:
            return telegram_error(401, "Unauthorized")
        if method != "sendMessage" and method not in _TELEGRAM_MEDIA:
            return telegram_error(404, "Not Found", account_id=bot.bot_id)
        fault = take_fault("telegram")
        if fault is not None:
            return _fault_answer(fault, bot.bot_id)
        doc = incoming.json_object()
        if doc is None:
            return telegram_error(400, "Bad Request: invalid request body", account_id=bot.bot_id)
        chat_id = doc.get("chat_id")
        if chat_id is None or isinstance(chat_id, bool):
            return telegram_error(400, "Bad Request: chat_id is empty", account_id=bot.bot_id)
        seen = self._state.telegram_chat(bot.bot_id, str(chat_id))
        if seen is None:
            return telegram_error(400, "Bad Request: chat not found", account_id=bot.bot_id)
        content = _message_content(method, doc, seen, bot.bot_id)
        if isinstance(content, Answer):
            return content
        return self._sent(bot.bot_id, chat_id, content)

    def _sent(self, bot_id: str, chat_id: Any, content: dict[str, Any]) -> Answer:
        """The message the bot sent into the chat, as the Bot API returns it."""
        number = self._state.next_telegram_message_id(bot_id, str(chat_id))
        bot_user = {
            "id": int(bot_id),
            "is_bot": True,
            "first_name": self._config.accounts.brand_name,
            "username": self._config.accounts.telegram_bot_username or "bot",
        }
        message = {
            "message_id": number,
            "from": bot_user,
            "chat": {"id": chat_id, "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "group"},
            "date": self._state.clock() // 1000,
            **content,
        }
        return Answer(
            200,
            {"ok": True, "result": message},
            endpoint="telegram",
            account_id=bot_id,
            message_id=f"{chat_id}:{number}",
        )


def _fault_answer(fault: Fault, bot_id: str) -> Answer:
    if fault.kind == "throttle":
        wait = max(1, round(fault.retry_after_s))
        return telegram_error(
            429,
            f"Too Many Requests: retry after {wait}",
            retry_after=wait,
            account_id=bot_id,
            fault="throttle",
        )
    return telegram_error(
        fault.status,
        "Internal Server Error" if fault.status >= 500 else "Bad Request",
        account_id=bot_id,
        fault="fail",
    )


def _message_content(method: str, doc: dict[str, Any], seen: Collection[Any], bot_id: str) -> dict[str, Any] | Answer:
    """The sent message's text or media (from the request), or the Bot API's refusal."""
    if method == "sendMessage":
        text = doc.get("text")
        if not isinstance(text, str) or not text.strip():
            return telegram_error(400, "Bad Request: message text is empty", account_id=bot_id)
        if len(text) > 4096:
            return telegram_error(400, "Bad Request: message is too long", account_id=bot_id)
        reply = doc.get("reply_parameters")
        if (
            isinstance(reply, dict)
            and reply.get("message_id") not in seen
            and not reply.get("allow_sending_without_reply")
        ):
            return telegram_error(400, "Bad Request: message to be replied not found", account_id=bot_id)
        return {"text": text}
    field_name = _TELEGRAM_MEDIA[method]
    url = doc.get(field_name)
    if not isinstance(url, str) or not HTTP_URL.match(url):
        return telegram_error(
            400, f"Bad Request: wrong remote file identifier specified: {field_name}", account_id=bot_id
        )
    return {field_name: {"file_id": f"AgAC{secrets.token_urlsafe(12)}", "file_unique_id": secrets.token_hex(4)}}
