"""Replies through the X API v2: a direct message, or a public reply to a post.

- DM: ``POST {x}/2/dm_conversations/with/{participant_id}/messages`` ``{"text"}`` →
  ``{"data":{"dm_conversation_id","dm_event_id"}}``; the event id is what the Account Activity
  webhook names the DM (and its echo).
- Public reply: ``POST {x}/2/tweets`` ``{"text","reply":{"in_reply_to_tweet_id"}}`` →
  ``{"data":{"id","text"}}``.

The brand's OAuth 2.0 user token (``x.user_tokens[brand user id]``) goes in a Bearer header.
X takes media only as ids of uploaded media, not URLs: attachment URLs are appended to the text
as links (X shows them as cards). A post is limited to 280 weighted characters (links count 23).
"""

from __future__ import annotations

import re

from socialcare.errors import ReplyRefused
from socialcare.model.events import Channel
from socialcare.model.outbound import OutboundRequest, ReplyMode
from socialcare.outbound.http import HttpResponse, json_request
from socialcare.outbound.replies import (
    Accepted,
    CallOutcome,
    PlannedCall,
    Rejected,
    Retryable,
    as_object,
    bearer,
    check_attachments,
    check_text,
    http_failure,
    id_text,
    path_segment,
    require_mode,
    require_text,
    short,
    with_links,
)
from socialcare.platforms.credentials import PlatformCredentials

DM_TEXT_LIMIT = 10_000
POST_WEIGHTED_LIMIT = 280
_URL = re.compile(r"https?://\S+")
_URL_WEIGHT = 23
# twitter-text v3: these code point ranges weigh 1, everything else (CJK, emoji...) weighs 2.
_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))


def weighted_length(text: str) -> int:
    """A post's length as X counts it (links 23, CJK and emoji 2, the rest 1)."""
    total = 0
    for piece in _URL.split(text):
        total += sum(1 if any(lo <= ord(ch) <= hi for lo, hi in _LIGHT_RANGES) else 2 for ch in piece)
    return total + _URL_WEIGHT * len(_URL.findall(text))


class XReplyClient:
    def __init__(self, api_url: str) -> None:
        self._api = api_url.rstrip("/")

    def plan(self, request: OutboundRequest, *, tag: str | None, credentials: PlatformCredentials) -> list[PlannedCall]:
        tokens = credentials.x.user_tokens if credentials.x is not None else {}
        token = tokens.get(request.account_id)
        if not token:
            raise ReplyRefused(f"no X user token is configured for account {request.account_id}")
        check_attachments(request)
        text = with_links(request)
        if request.channel is Channel.X_DM:
            require_mode(request, ReplyMode.PRIVATE)
            require_text(text, "an X direct message")
            check_text(text, DM_TEXT_LIMIT, "an X direct message")
            url = f"{self._api}/2/dm_conversations/with/{path_segment(request.recipient_id)}/messages"
            return [PlannedCall(json_request("POST", url, {"text": text}, headers=bearer(token)), "text")]
        if request.channel is Channel.X_POST:
            if request.mode is not ReplyMode.PUBLIC:
                raise ReplyRefused("a private answer to an X post goes as a direct message (channel x_dm)")
            if not request.reply_to_id:
                raise ReplyRefused("a public reply on X needs the id of the post it answers")
            require_text(text, "an X reply")
            length = weighted_length(text)
            if length > POST_WEIGHTED_LIMIT:
                raise ReplyRefused(
                    f"the reply counts {length} characters as X counts them; a post allows {POST_WEIGHTED_LIMIT}"
                )
            doc = {"text": text, "reply": {"in_reply_to_tweet_id": request.reply_to_id}}
            return [PlannedCall(json_request("POST", f"{self._api}/2/tweets", doc, headers=bearer(token)), "text")]
        raise ReplyRefused(f"{request.channel} is not an X channel")

    def interpret(self, call: PlannedCall, response: HttpResponse, *, now_ms: int) -> CallOutcome:
        doc = as_object(response.json())
        if 200 <= response.status < 300:
            data = as_object(doc.get("data"))
            return Accepted(id_text(data.get("dm_event_id")) or id_text(data.get("id")))
        if response.status == 429:
            return Retryable("rate limited by X (HTTP 429)", _reset_in(response, now_ms), throttled=True)
        failed = http_failure("X", response)
        if failed is not None:
            return failed
        detail = _detail(doc) or f"HTTP {response.status}"
        if response.status == 401:
            return Rejected("X refused the account's user token (expired or revoked); an administrator must renew it")
        return Rejected(f"X refused it (HTTP {response.status}): {detail}")


def _reset_in(response: HttpResponse, now_ms: int) -> float | None:
    """``x-rate-limit-reset`` is the epoch second at which the window resets."""
    raw = response.headers.get("x-rate-limit-reset")
    try:
        reset_s = float(raw) if raw is not None else None
    except ValueError:
        reset_s = None
    if reset_s is None:
        return None
    return max(0.0, reset_s - now_ms / 1000)


def _detail(doc: object) -> str:
    body = as_object(doc)
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        first = as_object(errors[0])
        text = first.get("message") or first.get("detail")
        if text:
            return short(text)
    return short(body.get("detail") or body.get("title") or "")
