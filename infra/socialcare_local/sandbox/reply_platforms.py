"""The platforms' reply endpoints as the sandbox plays them: checks, answers and errors in each
platform's real shape, and the webhooks each platform sends back about what it accepted.

Written from the platforms' documentation (PLATFORMS.md), independently of the reply clients in
``socialcare.outbound``, so a mistake in one shows up as a refused call instead of being mirrored.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from socialcare_local.config import LocalConfig
from socialcare_local.sandbox import payloads
from socialcare_local.sandbox.platform_state import Comment, PlatformState, Tweet, messenger_id_for

DAY_MS = 24 * 3_600_000
HUMAN_AGENT_MS = 7 * DAY_MS
_HTTP = re.compile(r"^https?://[^\s/]+")


@dataclass(frozen=True, slots=True)
class Incoming:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True, slots=True)
class Echo:
    """A webhook the platform sends back about an accepted message (or its status)."""

    platform: str
    payload: dict[str, Any]
    label: str


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str  # "throttle" | "fail"
    retry_after_s: float = 1.0
    status: int = 500


@dataclass
class Answer:
    status: int
    doc: Any
    headers: dict[str, str] = field(default_factory=dict)
    endpoint: str = ""  # what the call was: messenger, private_reply, whatsapp, x_dm, x_reply, telegram...
    account_id: str | None = None
    message_id: str | None = None
    echoes: list[Echo] = field(default_factory=list)
    fault: str | None = None


TakeFault = Callable[[str], Fault | None]


class PlatformIds:
    """Ids in each platform's form, unique within the sandbox."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def number(self) -> int:
        with self._lock:
            return next(self._counter)

    def mid(self) -> str:
        return f"m_{secrets.token_urlsafe(24)}"

    def wamid(self) -> str:
        return f"wamid.HBgL{secrets.token_hex(16).upper()}"

    def snowflake(self, now_ms: int) -> str:
        return str(((now_ms - 1_288_834_974_657) << 22) | (self.number() & 0x3FFFFF))


# --- Meta ---------------------------------------------------------------------------------------
def meta_error(
    status: int, code: int, message: str, *, subcode: int | None = None, transient: bool = False, **extra: Any
) -> Answer:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": secrets.token_urlsafe(8),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient:
        error["is_transient"] = True
    return Answer(status, {"error": error}, **extra)


class MetaGraph:
    """``/graph/<version>/{node}/{edge}``: Send API (Messenger, Instagram, private replies),
    WhatsApp messages, Facebook ``comments`` and Instagram ``replies``."""

    def __init__(self, config: LocalConfig, state: PlatformState, ids: PlatformIds) -> None:
        self._config = config
        self._state = state
        self._ids = ids
        accounts = config.accounts
        self._kind = {
            a: kind
            for a, kind in (
                (accounts.facebook_page_id, "facebook"),
                (accounts.instagram_account_id, "instagram"),
                (accounts.whatsapp_phone_number_id, "whatsapp"),
            )
            if a
        }

    def handle(self, incoming: Incoming, path: list[str], take_fault: TakeFault) -> Answer:
        answer = self._handle(incoming, path, take_fault)
        answer.endpoint = answer.endpoint or self._endpoint(incoming, path)
        return answer

    def _endpoint(self, incoming: Incoming, path: list[str]) -> str:
        """What the call is, as far as its URL and body tell (refused and throttled calls too)."""
        if len(path) != 3:
            return ""
        node, edge = path[1], path[2]
        if edge in ("comments", "replies"):
            return "facebook_comment_reply" if edge == "comments" else "instagram_comment_reply"
        kind = self._kind.get(node)
        if edge != "messages" or kind is None:
            return ""
        if kind == "whatsapp":
            return "whatsapp"
        try:
            doc = incoming.json()
        except ValueError:
            doc = None
        if _get(doc, "recipient", "comment_id"):
            return "private_reply"
        return "messenger" if kind == "facebook" else "instagram_dm"

    def _handle(self, incoming: Incoming, path: list[str], take_fault: TakeFault) -> Answer:
        if incoming.method != "POST" or len(path) != 3:
            return meta_error(400, 2500, f"Unknown path components: /{'/'.join(path[1:])}")
        _version, node, edge = path
        token = _bearer(incoming.headers) or incoming.query.get("access_token")
        if not token:
            return meta_error(400, 104, "An access token is required to request this resource.")
        comment: Comment | None = None
        if edge == "messages":
            account = node
            if account not in self._kind:
                return meta_error(
                    400, 100, f"Unsupported post request. Object with ID '{node}' does not exist", subcode=33
                )
        elif edge in ("comments", "replies"):
            comment = self._state.comment(node)
            if comment is None:
                return meta_error(
                    400,
                    100,
                    f"Unsupported post request. Object with ID '{node}' does not exist, cannot be loaded due to "
                    "missing permissions, or does not support this operation",
                    subcode=33,
                )
            account = comment.account_id
            wanted = "comments" if self._kind.get(account) == "facebook" else "replies"
            if edge != wanted:
                return meta_error(400, 100, f"(#100) Tried accessing nonexisting field ({edge}) on node type (Comment)")
        else:
            return meta_error(400, 2500, f"Unknown path components: /{edge}")
        expected = self._config.credentials.meta.page_tokens.get(account) if self._config.credentials.meta else None
        if expected is None or token != expected:
            return meta_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        kind = self._kind[account]
        fault = take_fault("meta")
        if fault is not None:
            return self._fault(fault, kind, account)
        try:
            doc = incoming.json()
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            return meta_error(400, 100, "(#100) The request body must be a JSON object")
        if comment is not None:
            return self._comment_reply(doc, comment, kind)
        if kind == "whatsapp":
            return self._whatsapp(doc, account)
        return self._send_api(doc, account, kind)

    def _fault(self, fault: Fault, kind: str, account: str) -> Answer:
        if fault.kind == "throttle":
            code, message = (
                (130429, "Rate limit hit")
                if kind == "whatsapp"
                else (613, "Calls to this api have exceeded the rate limit.")
            )
            headers = {}
            if fault.retry_after_s >= 60:  # Meta states the wait in whole minutes
                usage = {
                    account: [
                        {
                            "type": "messenger",
                            "call_count": 100,
                            "estimated_time_to_regain_access": int(fault.retry_after_s // 60),
                        }
                    ]
                }
                headers["x-business-use-case-usage"] = json.dumps(usage)
            return meta_error(400, code, f"(#{code}) {message}", headers=headers, account_id=account, fault="throttle")
        if fault.status >= 500:
            return meta_error(
                fault.status,
                2,
                "An unexpected error has occurred. Please retry your request later.",
                transient=True,
                account_id=account,
                fault="fail",
            )
        return meta_error(fault.status, 100, "(#100) Invalid parameter", account_id=account, fault="fail")

    # Messenger and Instagram Send API, private replies included.
    def _send_api(self, doc: dict[str, Any], account: str, kind: str) -> Answer:
        endpoint = "messenger" if kind == "facebook" else "instagram_dm"
        recipient = doc.get("recipient")
        message = doc.get("message")
        if not isinstance(recipient, dict) or not (recipient.get("id") or recipient.get("comment_id")):
            return meta_error(400, 100, "(#100) The parameter recipient is required", account_id=account)
        if not isinstance(message, dict):
            return meta_error(400, 100, "(#100) The parameter message is required", account_id=account)
        text, attachment = message.get("text"), message.get("attachment")
        if (text is None) == (attachment is None):
            return meta_error(
                400, 100, "(#100) Exactly one of message[text] or message[attachment] must be set", account_id=account
            )
        limit = 2000 if kind == "facebook" else 1000
        if text is not None and (not isinstance(text, str) or not text or len(text) > limit):
            return meta_error(
                400,
                100,
                f"(#100) Length of param message[text] must be less than or equal to {limit}",
                account_id=account,
            )
        if attachment is not None:
            problem = _attachment_problem(attachment)
            if problem:
                return meta_error(400, 100, f"(#100) {problem}", account_id=account)
        now = self._state.clock()
        if recipient.get("comment_id"):
            return self._private_reply(doc, str(recipient["comment_id"]), account, kind, now)
        psid = str(recipient["id"])
        last = self._state.last_message_ms(account, psid)
        if last is None:
            return meta_error(400, 100, "(#100) No matching user found", subcode=2018001, account_id=account)
        messaging_type = doc.get("messaging_type")
        if messaging_type not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return meta_error(
                400, 100, "(#100) param messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG", account_id=account
            )
        tag = doc.get("tag")
        if messaging_type == "MESSAGE_TAG" and tag != "HUMAN_AGENT":
            return meta_error(400, 100, "(#100) Param tag must be one of {HUMAN_AGENT, ...}", account_id=account)
        window = HUMAN_AGENT_MS if messaging_type == "MESSAGE_TAG" else DAY_MS
        if now - last > window:
            return meta_error(
                400, 10, "(#10) This message is sent outside of allowed window.", subcode=2018278, account_id=account
            )
        mid = self._ids.mid()
        echo = self._messaging_echo(kind, account, psid, mid, message, now)
        return Answer(
            200,
            {"recipient_id": psid, "message_id": mid},
            endpoint=endpoint,
            account_id=account,
            message_id=mid,
            echoes=[echo],
        )

    def _private_reply(self, doc: dict[str, Any], comment_id: str, account: str, kind: str, now: int) -> Answer:
        comment = self._state.comment(comment_id)
        if comment is None or comment.account_id != account:
            return meta_error(400, 100, f"(#100) Invalid comment_id {comment_id}", subcode=33, account_id=account)
        if now - comment.created_ms > 7 * DAY_MS:
            return meta_error(
                400, 10, "(#10) This message is sent outside of allowed window.", subcode=2018278, account_id=account
            )
        if "attachment" in doc["message"]:
            return meta_error(400, 100, "(#100) A private reply can only contain text", account_id=account)
        if not self._state.mark_private_reply(comment):
            return meta_error(400, 10900, "Activity already replied to", account_id=account)
        # The customer's Messenger id differs from their commenter id on Facebook; on Instagram
        # the commenter id already is their messaging id.
        psid = messenger_id_for(account, comment.author_id) if kind == "facebook" else comment.author_id
        # Having been messaged, the customer can be answered in Messenger once they write back.
        mid = self._ids.mid()
        echo = self._messaging_echo(kind, account, psid, mid, doc["message"], now)
        return Answer(
            200,
            {"recipient_id": psid, "message_id": mid},
            endpoint="private_reply",
            account_id=account,
            message_id=mid,
            echoes=[echo],
        )

    def _messaging_echo(self, kind: str, account: str, psid: str, mid: str, message: dict[str, Any], now: int) -> Echo:
        body: dict[str, Any] = {"is_echo": True, "app_id": 1517776481860111, "mid": mid}
        if "text" in message:
            body["text"] = message["text"]
        else:
            attachment = message["attachment"]
            body["attachments"] = [
                {"type": attachment.get("type"), "payload": {"url": _get(attachment, "payload", "url")}}
            ]
        event = {"sender": {"id": account}, "recipient": {"id": psid}, "timestamp": now, "message": body}
        object_type = "page" if kind == "facebook" else "instagram"
        payload = payloads.meta_delivery(object_type, [payloads.meta_entry(account, [event], time=now)])
        return Echo("meta", payload, f"{object_type} message echo {mid}")

    def _comment_reply(self, doc: dict[str, Any], comment: Comment, kind: str) -> Answer:
        text = doc.get("message")
        limit = 8000 if kind == "facebook" else 2200
        account = comment.account_id
        if not isinstance(text, str) or not text.strip():
            return meta_error(400, 100, "(#100) The parameter message is required", account_id=account)
        if len(text) > limit:
            return meta_error(400, 100, f"(#100) The comment is longer than {limit} characters", account_id=account)
        now = self._state.clock()
        accounts = self._config.accounts
        if kind == "facebook":
            post_id = comment.post_id or f"{account}_1"
            new_id = f"{post_id.split('_')[-1]}_{9_000_000 + self._ids.number()}"
            change = payloads.facebook_comment(
                account,
                post_id,
                new_id,
                account,
                accounts.facebook_page_name or accounts.brand_name,
                text,
                now // 1000,
                parent_id=comment.comment_id,
            )
            payload = payloads.meta_delivery("page", [payloads.meta_entry(account, [change], time=now // 1000)])
            endpoint = "facebook_comment_reply"
        else:
            new_id = str(17_900_000_000_000_000 + self._ids.number())
            change = payloads.instagram_comment(
                new_id,
                account,
                accounts.instagram_username or "brand",
                text,
                comment.post_id or "0",
                parent_id=comment.comment_id,
            )
            payload = payloads.meta_delivery("instagram", [payloads.meta_entry(account, [change], time=now // 1000)])
            endpoint = "instagram_comment_reply"
        # The brand's comment exists now too (replies to it would name it).
        self._state.add_comment(Comment(account, new_id, account, now, comment.post_id, private_replied=True))
        return Answer(
            200,
            {"id": new_id},
            endpoint=endpoint,
            account_id=account,
            message_id=new_id,
            echoes=[Echo("meta", payload, f"{endpoint} echo {new_id}")],
        )

    def _whatsapp(self, doc: dict[str, Any], phone: str) -> Answer:
        if doc.get("messaging_product") != "whatsapp":
            return meta_error(400, 100, "(#100) The parameter messaging_product is required.", account_id=phone)
        to = doc.get("to")
        if not isinstance(to, str) or not to:
            return meta_error(400, 100, "(#100) The parameter to is required.", account_id=phone)
        kind = doc.get("type", "text")
        if kind == "text":
            body = _get(doc, "text", "body")
            if not isinstance(body, str) or not body or len(body) > 4096:
                return meta_error(400, 100, "(#100) Param text['body'] must be 1 to 4096 characters", account_id=phone)
        elif kind in ("image", "video", "audio", "document"):
            link = _get(doc, kind, "link")
            if not isinstance(link, str) or not _HTTP.match(link):
                return meta_error(400, 100, f"(#100) Param {kind}['link'] must be a valid URL", account_id=phone)
        elif kind == "template":
            if not _get(doc, "template", "name") or not _get(doc, "template", "language", "code"):
                return meta_error(
                    400,
                    100,
                    "(#100) Param template['name'] and template['language']['code'] are required",
                    account_id=phone,
                )
        else:
            return meta_error(
                400,
                100,
                f"(#100) Param type must be one of text, image, video, audio, document, template; not {kind}",
                account_id=phone,
            )
        now = self._state.clock()
        last = self._state.last_message_ms(phone, to)
        if kind != "template" and (last is None or now - last > DAY_MS):
            return Answer(
                400,
                {
                    "error": {
                        "message": "(#131047) Re-engagement message",
                        "type": "OAuthException",
                        "code": 131047,
                        "error_data": {
                            "messaging_product": "whatsapp",
                            "details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
                        },
                        "fbtrace_id": secrets.token_urlsafe(8),
                    }
                },
                account_id=phone,
            )
        wamid = self._ids.wamid()
        answer: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }
        if kind == "template":
            answer["messages"][0]["message_status"] = "accepted"
        waba = self._config.accounts.whatsapp_business_account_id or phone
        echoes = [
            Echo(
                "meta",
                payloads.meta_delivery(
                    "whatsapp_business_account",
                    [
                        payloads.meta_entry(
                            waba, [payloads.whatsapp_status(phone, wamid, status, to, now // 1000 + offset)]
                        )
                    ],
                ),
                f"whatsapp status {status} {wamid}",
            )
            for offset, status in ((0, "sent"), (1, "delivered"))
        ]
        return Answer(200, answer, endpoint="whatsapp", account_id=phone, message_id=wamid, echoes=echoes)


# --- X --------------------------------------------------------------------------------------------
def x_problem(status: int, title: str, detail: str, **extra: Any) -> Answer:
    doc = {"title": title, "detail": detail, "type": "about:blank", "status": status}
    return Answer(status, doc, **extra)


def x_invalid(message: str, **extra: Any) -> Answer:
    doc = {
        "errors": [{"message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    return Answer(400, doc, **extra)


_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_URLS = re.compile(r"https?://\S+")


def x_post_length(text: str) -> int:
    plain = _URLS.sub("", text)
    return sum(1 if any(lo <= ord(ch) <= hi for lo, hi in _LIGHT) else 2 for ch in plain) + 23 * len(
        _URLS.findall(text)
    )


class XApi:
    """``/x/2/dm_conversations/with/{participant_id}/messages`` and ``/x/2/tweets``."""

    def __init__(self, config: LocalConfig, state: PlatformState, ids: PlatformIds) -> None:
        self._config = config
        self._state = state
        self._ids = ids

    def handle(self, incoming: Incoming, path: list[str], take_fault: TakeFault) -> Answer:
        answer = self._handle(incoming, path, take_fault)
        route = "/".join(path)
        if not answer.endpoint:
            answer.endpoint = (
                "x_reply" if route == "2/tweets" else "x_dm" if route.startswith("2/dm_conversations/") else ""
            )
        return answer

    def _handle(self, incoming: Incoming, path: list[str], take_fault: TakeFault) -> Answer:
        route = "/".join(path)
        dm = re.fullmatch(r"2/dm_conversations/with/([^/]+)/messages", route)
        if incoming.method != "POST" or not (dm or route == "2/tweets"):
            return x_problem(404, "Not Found Error", f"The requested resource /{route} was not found")
        token = _bearer(incoming.headers)
        tokens = self._config.credentials.x.user_tokens if self._config.credentials.x else {}
        brand = next((user for user, value in tokens.items() if token and value == token), None)
        if brand is None:
            return x_problem(401, "Unauthorized", "Unauthorized")
        fault = take_fault("x")
        if fault is not None:
            now_s = self._state.clock() // 1000
            if fault.kind == "throttle":
                reset = now_s + max(1, round(fault.retry_after_s))
                headers = {"x-rate-limit-limit": "200", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
                return x_problem(
                    429, "Too Many Requests", "Too Many Requests", headers=headers, account_id=brand, fault="throttle"
                )
            title = "Service Unavailable" if fault.status >= 500 else "Invalid Request"
            return x_problem(fault.status, title, title, account_id=brand, fault="fail")
        try:
            doc = incoming.json()
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            return x_invalid("The request body is not valid JSON", account_id=brand)
        text = doc.get("text")
        if not isinstance(text, str) or not text.strip():
            return x_invalid("text is required", account_id=brand)
        now = self._state.clock()
        if dm:
            participant = dm.group(1)
            if len(text) > 10_000:
                return x_invalid("text must be at most 10000 characters", account_id=brand)
            if not self._state.knows_x_user(brand, participant):
                return x_problem(403, "Forbidden", "You cannot send messages to this user.", account_id=brand)
            event_id = self._ids.snowflake(now)
            conversation = "-".join(sorted((brand, participant)))
            users = [payloads.x_user(brand, self._config.accounts.x_screen_name or "brand")]
            profile = self._state.x_user(brand, participant)
            if profile and profile.get("screen_name"):
                users.append(payloads.x_user(participant, str(profile["screen_name"]), profile.get("name")))
            echo = payloads.x_delivery(
                brand, users=users, direct_message_events=[payloads.x_dm_echo(event_id, brand, participant, text, now)]
            )
            return Answer(
                201,
                {"data": {"dm_conversation_id": conversation, "dm_event_id": event_id}},
                endpoint="x_dm",
                account_id=brand,
                message_id=event_id,
                echoes=[Echo("x", echo, f"x dm echo {event_id}")],
            )
        if x_post_length(text) > 280:
            return x_problem(400, "Invalid Request", "Your Tweet text is too long.", account_id=brand)
        reply_to = _get(doc, "reply", "in_reply_to_tweet_id")
        original = self._state.tweet(brand, str(reply_to)) if reply_to else None
        if reply_to and original is None:
            return x_problem(
                403,
                "Forbidden",
                "You attempted to reply to a Tweet that is deleted or not visible to you.",
                account_id=brand,
            )
        tweet_id = self._ids.snowflake(now)
        brand_user = payloads.x_user(
            brand, self._config.accounts.x_screen_name or "brand", self._config.accounts.brand_name
        )
        tweet = payloads.x_tweet(
            tweet_id, brand_user, text, now, in_reply_to=(original.tweet_id, original.author) if original else None
        )
        self._state.add_tweet(brand, Tweet(tweet_id, brand_user))
        return Answer(
            201,
            {"data": {"id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id]}},
            endpoint="x_reply",
            account_id=brand,
            message_id=tweet_id,
            echoes=[Echo("x", payloads.x_delivery(brand, tweet_create_events=[tweet]), f"x post echo {tweet_id}")],
        )


# --- Telegram -------------------------------------------------------------------------------------
def telegram_error(status: int, description: str, **extra: Any) -> Answer:
    doc: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if "retry_after" in extra:
        doc["parameters"] = {"retry_after": extra.pop("retry_after")}
    return Answer(status, doc, **extra)


_TELEGRAM_MEDIA = {"sendPhoto": "photo", "sendDocument": "document", "sendVideo": "video", "sendAudio": "audio"}


class TelegramBotApi:
    """``/telegram/bot<token>/<method>``: sendMessage and the media methods, by URL."""

    def __init__(self, config: LocalConfig, state: PlatformState, ids: PlatformIds) -> None:
        self._config = config
        self._state = state
        self._ids = ids

    def handle(self, incoming: Incoming, path: list[str], take_fault: TakeFault) -> Answer:
        answer = self._handle(incoming, path, take_fault)
        if not answer.endpoint and len(path) == 2 and path[0].startswith("bot"):
            answer.endpoint = "telegram"
        return answer

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
            if fault.kind == "throttle":
                wait = max(1, round(fault.retry_after_s))
                return telegram_error(
                    429,
                    f"Too Many Requests: retry after {wait}",
                    retry_after=wait,
                    account_id=bot.bot_id,
                    fault="throttle",
                )
            return telegram_error(
                fault.status,
                "Internal Server Error" if fault.status >= 500 else "Bad Request",
                account_id=bot.bot_id,
                fault="fail",
            )
        try:
            doc = incoming.json()
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            return telegram_error(400, "Bad Request: invalid request body", account_id=bot.bot_id)
        chat_id = doc.get("chat_id")
        if chat_id is None or isinstance(chat_id, bool):
            return telegram_error(400, "Bad Request: chat_id is empty", account_id=bot.bot_id)
        seen = self._state.telegram_chat(bot.bot_id, str(chat_id))
        if seen is None:
            return telegram_error(400, "Bad Request: chat not found", account_id=bot.bot_id)
        result: dict[str, Any] = {}
        if method == "sendMessage":
            text = doc.get("text")
            if not isinstance(text, str) or not text.strip():
                return telegram_error(400, "Bad Request: message text is empty", account_id=bot.bot_id)
            if len(text) > 4096:
                return telegram_error(400, "Bad Request: message is too long", account_id=bot.bot_id)
            reply = doc.get("reply_parameters")
            if (
                isinstance(reply, dict)
                and reply.get("message_id") not in seen
                and not reply.get("allow_sending_without_reply")
            ):
                return telegram_error(400, "Bad Request: message to be replied not found", account_id=bot.bot_id)
            result["text"] = text
        else:
            field_name = _TELEGRAM_MEDIA[method]
            url = doc.get(field_name)
            if not isinstance(url, str) or not _HTTP.match(url):
                return telegram_error(
                    400, f"Bad Request: wrong remote file identifier specified: {field_name}", account_id=bot.bot_id
                )
            result[field_name] = {"file_id": f"AgAC{secrets.token_urlsafe(12)}", "file_unique_id": secrets.token_hex(4)}
        number = self._state.next_telegram_message_id(bot.bot_id, str(chat_id))
        bot_user = {
            "id": int(bot.bot_id),
            "is_bot": True,
            "first_name": self._config.accounts.brand_name,
            "username": self._config.accounts.telegram_bot_username or "bot",
        }
        message = {
            "message_id": number,
            "from": bot_user,
            "chat": {"id": chat_id, "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "group"},
            "date": self._state.clock() // 1000,
            **result,
        }
        return Answer(
            200,
            {"ok": True, "result": message},
            endpoint="telegram",
            account_id=bot.bot_id,
            message_id=f"{chat_id}:{number}",
        )


# --- shared -----------------------------------------------------------------------------------------
def _bearer(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _attachment_problem(attachment: Any) -> str | None:
    if not isinstance(attachment, dict):
        return "message[attachment] must be an object"
    if attachment.get("type") not in ("image", "video", "audio", "file"):
        return "message[attachment][type] must be one of image, video, audio, file"
    url = _get(attachment, "payload", "url")
    if not isinstance(url, str) or not _HTTP.match(url):
        return "message[attachment][payload][url] must be a valid URL"
    return None


def _get(doc: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc
