"""The sandbox's X API v2: direct messages and replies to posts, with X's errors and rate-limit headers."""

from __future__ import annotations

import re
from typing import Any

from socialcare_local.sandbox import payloads
from socialcare_local.sandbox.platform_api import PlatformApi
from socialcare_local.sandbox.platform_state import Tweet
from socialcare_local.sandbox.reply_platforms import (
    Answer,
    Echo,
    Fault,
    Incoming,
    TakeFault,
    bearer,
    get_path,
)


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


class XApi(PlatformApi):
    """``/x/2/dm_conversations/with/{participant_id}/messages`` and ``/x/2/tweets``."""

    def _endpoint(self, incoming: Incoming, path: list[str]) -> str:
        route = "/".join(path)
        return "x_reply" if route == "2/tweets" else "x_dm" if route.startswith("2/dm_conversations/") else ""

    def _handle(self, incoming: Incoming, path: list[str], take_fault: TakeFault) -> Answer:
        route = "/".join(path)
        dm = re.fullmatch(r"2/dm_conversations/with/([^/]+)/messages", route)
        if incoming.method != "POST" or not (dm or route == "2/tweets"):
            return x_problem(404, "Not Found Error", f"The requested resource /{route} was not found")
        token = bearer(incoming.headers)
        tokens = self._config.credentials.x.user_tokens if self._config.credentials.x else {}
        brand = next((user for user, value in tokens.items() if token and value == token), None)
        if brand is None:
            return x_problem(401, "Unauthorized", "Unauthorized")
        fault = take_fault("x")
        if fault is not None:
            return _fault_answer(fault, brand, now_s=self._state.clock() // 1000)
        doc = incoming.json_object()
        if doc is None:
            return x_invalid("The request body is not valid JSON", account_id=brand)
        text = doc.get("text")
        if not isinstance(text, str) or not text.strip():
            return x_invalid("text is required", account_id=brand)
        if dm:
            return self._direct_message(brand, dm.group(1), text)
        return self._post(brand, text, reply_to=get_path(doc, "reply", "in_reply_to_tweet_id"))

    def _direct_message(self, brand: str, participant: str, text: str) -> Answer:
        """``POST /2/dm_conversations/with/{participant}/messages``, echoed back as X sends it."""
        now = self._state.clock()
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

    def _post(self, brand: str, text: str, *, reply_to: Any) -> Answer:
        """``POST /2/tweets`` (a reply when ``reply_to`` names a post), echoed back as X sends it."""
        now = self._state.clock()
        if x_post_length(text) > 280:
            return x_problem(400, "Invalid Request", "Your Tweet text is too long.", account_id=brand)
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


def _fault_answer(fault: Fault, brand: str, *, now_s: int) -> Answer:
    if fault.kind == "throttle":
        reset = now_s + max(1, round(fault.retry_after_s))
        headers = {"x-rate-limit-limit": "200", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
        return x_problem(
            429, "Too Many Requests", "Too Many Requests", headers=headers, account_id=brand, fault="throttle"
        )
    title = "Service Unavailable" if fault.status >= 500 else "Invalid Request"
    return x_problem(fault.status, title, title, account_id=brand, fault="fail")
