"""Test helpers for the outbound path: a scripted fake transport, platform answers in each
platform's shape, and the agent API's side of the contract (a PENDING reply stored and queued)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from socialcare.aws.entry_items import entry_item
from socialcare.aws.outbound_queue import OutboundQueue
from socialcare.errors import AnswerLost, RequestNotSent
from socialcare.ids import new_ulid
from socialcare.model.case import Case, EntryKind, ThreadEntry
from socialcare.model.events import Channel, Customer, DeliveryState, EventKind, PlatformEvent, PublicKind
from socialcare.model.outbound import OutboundRequest, ReplyMode
from socialcare.outbound.http import HttpRequest, HttpResponse
from socialcare.platforms.credentials import PlatformCredentials

from tests.event_support import message_event

PAGE = "104560123456789"
IG = "17841400000000001"
WA_PHONE = "106540352242922"
X_BRAND = "1600000000000000001"
BOT = "7100000001"

CREDENTIALS = PlatformCredentials.from_dict(
    {
        "meta": {
            "app_secrets": ["app-secret"],
            "verify_token": "verify",
            "page_tokens": {PAGE: "page-token-fb", IG: "page-token-ig", WA_PHONE: "page-token-wa"},
        },
        "x": {"consumer_secrets": ["x-secret"], "user_tokens": {X_BRAND: "x-user-token"}},
        "telegram": {"bots": [{"bot_id": BOT, "secret_token": "tg-secret", "bot_token": f"{BOT}:AAE-bot-token"}]},
    }
)

Answer = HttpResponse | Exception | Callable[[HttpRequest], HttpResponse]


def response(status: int, doc: Any, **headers: str) -> HttpResponse:
    return HttpResponse(status, {k.replace("_", "-").lower(): v for k, v in headers.items()}, json.dumps(doc).encode())


def meta_sent(message_id: str = "m_sent1", recipient_id: str = "psid-1") -> HttpResponse:
    return response(200, {"recipient_id": recipient_id, "message_id": message_id})


def meta_error(
    code: int,
    message: str = "error",
    *,
    status: int = 400,
    subcode: int | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC", **extra}
    if subcode is not None:
        error["error_subcode"] = subcode
    return response(status, {"error": error}, **(headers or {}))


def whatsapp_sent(wamid: str = "wamid.out1") -> HttpResponse:
    return response(
        200,
        {"messaging_product": "whatsapp", "contacts": [{"input": "1", "wa_id": "1"}], "messages": [{"id": wamid}]},
    )


def x_dm_sent(event_id: str = "1582838213808947203") -> HttpResponse:
    return response(201, {"data": {"dm_conversation_id": "1-2", "dm_event_id": event_id}})


def x_tweet_sent(tweet_id: str = "1445880548472328192") -> HttpResponse:
    return response(201, {"data": {"id": tweet_id, "text": "ok", "edit_history_tweet_ids": [tweet_id]}})


def telegram_sent(chat_id: int, message_id: int) -> HttpResponse:
    return response(
        200,
        {"ok": True, "result": {"message_id": message_id, "chat": {"id": chat_id, "type": "private"}, "date": 1}},
    )


@dataclass
class FakeTransport:
    """Answers calls from a script, in order; records every request it was given."""

    answers: list[Answer] = field(default_factory=list)
    requests: list[HttpRequest] = field(default_factory=list)
    timeouts: list[float] = field(default_factory=list)
    default: Answer | None = None

    def script(self, *answers: Answer) -> FakeTransport:
        self.answers.extend(answers)
        return self

    def send(self, request: HttpRequest, *, timeout_s: float) -> HttpResponse:
        self.requests.append(request)
        self.timeouts.append(timeout_s)
        if self.answers:
            answer = self.answers.pop(0)
        elif self.default is not None:
            answer = self.default
        else:
            raise AssertionError(f"unexpected call {request!r}")
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    @property
    def bodies(self) -> list[Any]:
        return [r.json() for r in self.requests]


NOT_SENT = RequestNotSent("connection refused")
ANSWER_LOST = AnswerLost("read timed out")


def reply_request(
    channel: Channel,
    *,
    case_id: str = "CASE1",
    entry_id: str = "0000000000001#out-X",
    account_id: str | None = None,
    recipient_id: str = "psid-1",
    mode: ReplyMode | None = None,
    text: str = "Hi Ann, we are on it. — Alice",
    attachments: Iterable[tuple[str, str]] = (),
    reply_to_id: str | None = None,
    conversation_ref: str | None = None,
    tag: str | None = None,
    template: dict[str, Any] | None = None,
) -> OutboundRequest:
    default_accounts = {
        Channel.MESSENGER: PAGE,
        Channel.FACEBOOK_COMMENT: PAGE,
        Channel.INSTAGRAM_DM: IG,
        Channel.INSTAGRAM_COMMENT: IG,
        Channel.WHATSAPP: WA_PHONE,
        Channel.X_DM: X_BRAND,
        Channel.X_POST: X_BRAND,
        Channel.TELEGRAM: BOT,
    }
    default_mode = ReplyMode.PUBLIC if channel.is_public else ReplyMode.PRIVATE
    return OutboundRequest(
        case_id=case_id,
        entry_id=entry_id,
        channel=channel,
        account_id=account_id or default_accounts[channel],
        recipient_id=recipient_id,
        mode=mode or default_mode,
        text=text,
        attachments=tuple(attachments),
        reply_to_id=reply_to_id,
        conversation_ref=conversation_ref,
        tag=tag,
        template=template,
    )


# --- what the customer wrote, as ingested ------------------------------------------------------
def messenger_event(
    page: str, psid: str, mid: str, ts: int, *, kind: EventKind = EventKind.MESSAGE, text: str | None = "hi"
) -> PlatformEvent:
    return message_event(Channel.MESSENGER, page, mid, ts, kind=kind, customer=Customer(psid), text=text)


def fb_comment_event(page: str, user: str, comment_id: str, ts: int) -> PlatformEvent:
    """Ann's top-level comment on the Page's post ``<page>_1``."""
    return message_event(
        Channel.FACEBOOK_COMMENT,
        page,
        comment_id,
        ts,
        kind=EventKind.PUBLIC_POST,
        customer=Customer(user, name="Ann"),
        text="Where is my order?",
        reply_to_id=f"{page}_1",
        conversation_ref=f"{page}_1",
        public_kind=PublicKind.COMMENT,
    )


# --- the agent API's side of the contract ------------------------------------------------------
def store_pending_reply(
    dynamodb: Any,
    table: str,
    case: Case,
    *,
    now_ms: int,
    channel: Channel,
    recipient_id: str,
    text: str = "Thanks for waiting — it ships today. — Alice",
    agent: str = "alice",
    **request_fields: Any,
) -> OutboundRequest:
    """What the agent API does on a reply: a PENDING outbound entry in the case, and its request
    (``request_fields``: its mode, attachments, reply_to_id, conversation_ref, tag and template)."""
    request = reply_request(
        channel,
        case_id=case.case_id,
        entry_id=f"{now_ms:013d}#out-{new_ulid(now_ms)}",
        account_id=case.account_id,
        recipient_id=recipient_id,
        text=text,
        **request_fields,
    )
    entry = pending_entry(request, now_ms=now_ms, agent=agent)
    dynamodb.put_item(TableName=table, Item=entry_item(entry), ConditionExpression="attribute_not_exists(PK)")
    return request


def pending_entry(request: OutboundRequest, *, now_ms: int, agent: str) -> ThreadEntry:
    """The case's PENDING outbound entry for ``request``: what the agent wrote, not yet sent."""
    return ThreadEntry(
        case_id=request.case_id,
        entry_id=request.entry_id,
        kind=EntryKind.OUTBOUND,
        timestamp_ms=now_ms,
        channel=request.channel,
        author=agent,
        text=request.text,
        attachments=request.attachments,
        public=request.mode is ReplyMode.PUBLIC,
        reply_to_id=request.reply_to_id,
        conversation_ref=request.conversation_ref,
        delivery_state=DeliveryState.PENDING,
        delivery_state_at_ms=now_ms,
        received_at_ms=now_ms,
        extra={"mode": request.mode.value, "tag": request.tag or "", "agent_name": agent.title()},
    )


def queue_reply(sqs: Any, queue_url: str, request: OutboundRequest) -> None:
    OutboundQueue(queue_url, client=sqs).send_json(
        request.to_json(), case_id=request.case_id, channel=request.channel.value
    )
