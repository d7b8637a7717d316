"""Replies through Meta's Graph API: Messenger, Instagram DMs, comments and WhatsApp.

=====================================  ==================================================================
reply                                  call
=====================================  ==================================================================
Messenger / Instagram DM               ``POST {graph}/{page or IG id}/messages``
                                       ``{"recipient":{"id"},"messaging_type":"RESPONSE","message":{...}}``
                                       (``"MESSAGE_TAG"`` + ``"tag":"HUMAN_AGENT"`` after 24 h;
                                       Messenger: ``message.metadata`` = this system's echo tag)
private reply to a comment             ``POST {graph}/{page or IG id}/messages`` ``{"recipient":{"comment_id"},...}``
public reply, Facebook comment         ``POST {graph}/{comment id}/comments`` ``{"message"}``
public reply, Instagram comment        ``POST {graph}/{comment id}/replies`` ``{"message"}``
WhatsApp                               ``POST {graph}/{phone number id}/messages`` text with
                                       ``context.message_id``, media by ``link``, or a template
hide a Facebook / Instagram comment    ``POST {graph}/{comment id}`` ``{"is_hidden": true}`` / ``{"hide": true}``
                                       (an agent's explicit action: the ``hide_comment`` task)
=====================================  ==================================================================

The token is the account's page token (``meta.page_tokens[account id]``), sent as a Bearer
header so it never appears in a URL. Attachments: separate messages with ``payload.url``
(Messenger, Instagram) or ``link`` (WhatsApp); comment replies and private replies take one text
only, so attachment URLs are appended to the text as links.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from socialcare.errors import ReplyRefused
from socialcare.model.events import Channel
from socialcare.model.outbound import OutboundRequest, ReplyMode, own_echo_tag
from socialcare.outbound.http import HttpRequest, HttpResponse, json_request
from socialcare.outbound.replies import (
    Accepted,
    CallOutcome,
    PlannedCall,
    Rejected,
    Retryable,
    as_object,
    attachment_parts,
    bearer,
    check_attachments,
    check_text,
    http_failure,
    id_text,
    path_segment,
    require_content,
    require_mode,
    require_text,
    retry_after_header,
    short,
    with_links,
)
from socialcare.platforms.credentials import PlatformCredentials

TEXT_LIMITS = {
    Channel.MESSENGER: 2000,
    Channel.INSTAGRAM_DM: 1000,
    Channel.FACEBOOK_COMMENT: 8000,
    Channel.INSTAGRAM_COMMENT: 2200,
    Channel.WHATSAPP: 4096,
}
_PRIVATE_REPLY_LIMITS = {Channel.FACEBOOK_COMMENT: 2000, Channel.INSTAGRAM_COMMENT: 1000}
_SEND_API_KINDS = {"image": "image", "video": "video", "audio": "audio"}  # anything else goes as "file"
_WHATSAPP_KINDS = {"image": "image", "video": "video", "audio": "audio"}  # anything else as "document"

# Graph error codes that mean "too many calls, later": application/user/page/custom rate limits,
# Instagram's and WhatsApp's throughput limits and WhatsApp's per-user pair limit.
THROTTLE_CODES = frozenset({4, 17, 32, 613, 80007, 130429, 131056})
# Transient failures on Meta's side (unknown error, service unavailable).
TRANSIENT_CODES = frozenset({1, 2, 131016})
WINDOW_CLOSED = (10, 2018278)
WHATSAPP_REENGAGEMENT = 131047


class MetaReplyClient:
    def __init__(self, graph_url: str) -> None:
        self._graph = graph_url.rstrip("/")

    # --- planning ------------------------------------------------------------------------
    def plan(self, request: OutboundRequest, *, tag: str | None, credentials: PlatformCredentials) -> list[PlannedCall]:
        token = self._token(request, credentials)
        check_attachments(request)
        channel, mode = request.channel, request.mode
        if channel is Channel.WHATSAPP:
            require_mode(request, ReplyMode.PRIVATE)
            return self._whatsapp(request, token)
        if channel in (Channel.MESSENGER, Channel.INSTAGRAM_DM):
            require_mode(request, ReplyMode.PRIVATE)
            return self._direct(request, token, tag)
        if channel in (Channel.FACEBOOK_COMMENT, Channel.INSTAGRAM_COMMENT):
            if mode is ReplyMode.PUBLIC:
                return [self._comment_reply(request, token)]
            if mode is ReplyMode.PRIVATE_REPLY_TO_COMMENT:
                return [self._private_reply(request, token)]
            raise ReplyRefused(
                f"a private message about a {channel} goes as a private reply to the comment "
                "(mode private_reply_to_comment) or on the customer's own DM channel"
            )
        raise ReplyRefused(f"{channel} is not a Meta channel")

    def _direct(self, request: OutboundRequest, token: str, tag: str | None) -> list[PlannedCall]:
        check_text(request.text, TEXT_LIMITS[request.channel], str(request.channel))
        require_content(request)
        envelope: dict[str, Any] = {"recipient": {"id": request.recipient_id}}
        if tag:
            envelope |= {"messaging_type": "MESSAGE_TAG", "tag": tag}
        else:
            envelope["messaging_type"] = "RESPONSE"
        messages: list[tuple[str, dict[str, Any]]] = []
        if request.text.strip():
            messages.append(("text", {"text": request.text}))
        for part, kind, url in attachment_parts(request):
            attachment = {"type": _SEND_API_KINDS.get(kind, "file"), "payload": {"url": url, "is_reusable": False}}
            messages.append((part, {"attachment": attachment}))
        if request.channel is Channel.MESSENGER:
            # Meta hands it back in the echo, which tells the echo apart from a message typed on the Page.
            # (Instagram's messaging API documents no such field.)
            messages = [(part, {**message, "metadata": own_echo_tag(request.entry_id)}) for part, message in messages]
        url = f"{self._graph}/{path_segment(request.account_id)}/messages"
        return [
            PlannedCall(json_request("POST", url, {**envelope, "message": message}, headers=bearer(token)), part)
            for part, message in messages
        ]

    def _private_reply(self, request: OutboundRequest, token: str) -> PlannedCall:
        if not request.reply_to_id:
            raise ReplyRefused("a private reply needs the id of the comment it answers")
        text = with_links(request)
        require_text(text, "a private reply")
        check_text(text, _PRIVATE_REPLY_LIMITS[request.channel], "a private reply")
        doc = {"recipient": {"comment_id": request.reply_to_id}, "message": {"text": text}}
        url = f"{self._graph}/{path_segment(request.account_id)}/messages"
        return PlannedCall(json_request("POST", url, doc, headers=bearer(token)), "text")

    def _comment_reply(self, request: OutboundRequest, token: str) -> PlannedCall:
        if not request.reply_to_id:
            raise ReplyRefused("a public reply needs the id of the comment it answers")
        text = with_links(request)
        require_text(text, "a comment reply")
        check_text(text, TEXT_LIMITS[request.channel], f"a {request.channel} reply")
        edge = "comments" if request.channel is Channel.FACEBOOK_COMMENT else "replies"
        url = f"{self._graph}/{path_segment(request.reply_to_id)}/{edge}"
        return PlannedCall(json_request("POST", url, {"message": text}, headers=bearer(token)), "text")

    def _whatsapp(self, request: OutboundRequest, token: str) -> list[PlannedCall]:
        base = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": request.recipient_id}
        url = f"{self._graph}/{path_segment(request.account_id)}/messages"
        bodies: list[tuple[str, dict[str, Any]]] = []
        if request.template is not None:
            bodies.append(("template", {"type": "template", "template": _whatsapp_template(request.template)}))
        elif request.text.strip():
            check_text(request.text, TEXT_LIMITS[Channel.WHATSAPP], "WhatsApp")
            bodies.append(("text", {"type": "text", "text": {"body": request.text, "preview_url": False}}))
        else:
            require_content(request)  # no text: attachments alone
        for part, kind, link in attachment_parts(request):
            media_type = _WHATSAPP_KINDS.get(kind, "document")
            bodies.append((part, {"type": media_type, media_type: {"link": link}}))
        calls = []
        for index, (part, body) in enumerate(bodies):
            doc: dict[str, Any] = {**base, **body}
            if index == 0 and request.reply_to_id:
                doc["context"] = {"message_id": request.reply_to_id}
            calls.append(PlannedCall(json_request("POST", url, doc, headers=bearer(token)), part))
        return calls

    @staticmethod
    def _token(request: OutboundRequest, credentials: PlatformCredentials) -> str:
        tokens = credentials.meta.page_tokens if credentials.meta is not None else {}
        token = tokens.get(request.account_id)
        if not token:
            raise ReplyRefused(f"no Meta access token is configured for account {request.account_id}")
        return token

    # --- answers -------------------------------------------------------------------------
    def interpret(self, call: PlannedCall, response: HttpResponse, *, now_ms: int) -> CallOutcome:
        doc = as_object(response.json())
        if 200 <= response.status < 300:
            messages = doc.get("messages")
            if isinstance(messages, list) and messages:  # WhatsApp
                return Accepted(id_text(as_object(messages[0]).get("id")))
            if "message_id" in doc:  # Send API
                return Accepted(id_text(doc.get("message_id")), id_text(doc.get("recipient_id")))
            return Accepted(id_text(doc.get("id")))  # a comment
        return self.failure(response)

    # --- moderation: Meta's hide comment API ------------------------------------------------
    def hide_comment(self, channel: Channel, comment_id: str, token: str) -> HttpRequest:
        """``POST {graph}/{comment id}``: ``{"is_hidden": true}`` for a Facebook comment, ``{"hide": true}``
        for an Instagram one (each API's own name); answered ``{"success": true}``. Hiding is idempotent."""
        if channel not in (Channel.FACEBOOK_COMMENT, Channel.INSTAGRAM_COMMENT):
            raise ReplyRefused(f"only Facebook and Instagram comments can be hidden, not {channel}")
        field = "is_hidden" if channel is Channel.FACEBOOK_COMMENT else "hide"
        return json_request("POST", f"{self._graph}/{path_segment(comment_id)}", {field: True}, headers=bearer(token))

    def interpret_hide(self, response: HttpResponse) -> CallOutcome:
        if 200 <= response.status < 300:
            if as_object(response.json()).get("success") is False:
                return Rejected("Meta did not hide the comment (it answered success: false)")
            return Accepted(None)
        return self.failure(response)

    @staticmethod
    def failure(response: HttpResponse) -> Retryable | Rejected:
        """A Graph API error answer: throttled or temporary (worth another try), else refused for good."""
        doc = as_object(response.json())
        error = as_object(doc.get("error"))
        code = _int(error.get("code"))
        subcode = _int(error.get("error_subcode"))
        message = short(error.get("error_user_msg") or error.get("message") or f"HTTP {response.status}")
        if response.status == 429 or code in THROTTLE_CODES:
            return Retryable(
                f"rate limited by Meta (code {code}): {message}", _meta_retry_after(response), throttled=True
            )
        failed = http_failure("Meta", response)
        if failed is not None or code in TRANSIENT_CODES or error.get("is_transient") is True:
            return failed or Retryable(f"Meta reported a temporary error (code {code}): {message}")
        return Rejected(_rejection(code, subcode, message))


def _rejection(code: int | None, subcode: int | None, message: str) -> str:
    if (code, subcode) == WINDOW_CLOSED:
        return (
            "Meta refused it: outside the messaging window (the customer last wrote more than 24 hours ago, "
            "or 7 days with the HUMAN_AGENT tag)"
        )
    if code == WHATSAPP_REENGAGEMENT:
        return "WhatsApp refused it: more than 24 hours since the customer last wrote; only an approved template can be sent"
    if code == 190:
        return "Meta refused the account's access token (expired or revoked); an administrator must renew it"
    if code == 10900:
        return "Meta allows one private reply per comment, and this comment already has one"
    if code in (10, 200) or (code is not None and 200 <= code < 300):
        return f"Meta refused it: the app lacks the permission to send this ({message})"
    if code == 551:
        return "Meta refused it: this person is not available to receive messages"
    label = f"{code}/{subcode}" if subcode else f"{code}"
    return f"Meta refused it (error {label}): {message}"


def _meta_retry_after(response: HttpResponse) -> float | None:
    """``Retry-After``, or Meta's Business Use Case usage header (minutes until access is regained)."""
    seconds = retry_after_header(response)
    if seconds is not None:
        return seconds
    raw = response.headers.get("x-business-use-case-usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except ValueError:
        return None
    minutes = [
        item.get("estimated_time_to_regain_access")
        for entries in as_object(usage).values()
        if isinstance(entries, list)
        for item in entries
        if isinstance(item, dict)
    ]
    waits = [m for m in minutes if isinstance(m, int | float) and m > 0]
    return max(waits) * 60 if waits else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _whatsapp_template(template: Mapping[str, Any]) -> dict[str, Any]:
    """The template as WhatsApp takes it. The agent API names the language by its code
    (``"language": "en_US"``); WhatsApp wants ``"language": {"code": "en_US"}`` (also accepted as is)."""
    language = template.get("language")
    code = language.get("code") if isinstance(language, Mapping) else language
    if not template.get("name") or not isinstance(code, str) or not code:
        raise ReplyRefused("a WhatsApp template needs a name and a language code")
    return {**template, "language": dict(language) if isinstance(language, Mapping) else {"code": code}}
