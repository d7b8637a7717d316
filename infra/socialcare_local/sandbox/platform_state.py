"""What the platforms know, as far as the sandbox can: the customer messages and comments it delivered.

The reply API checks calls against this the way the platforms check them against their own
records: a Messenger reply to someone who never wrote is "No matching user found", a reply after
the 24-hour window is refused, a comment id the platform never produced does not exist, a comment
takes one private reply. It is fed by every webhook delivery the sandbox makes (``observe``) and
by the replies it accepts itself.

Time is the wall clock (deliveries carry real timestamps), injectable for tests.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from socialcare_local.config import LocalConfig
from socialcare_local.sandbox.reply_platforms import get_path


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def to_ms(value: Any, default: int) -> int:
    """Platform times are seconds or milliseconds (or strings of either)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return int(number if number > 100_000_000_000 else number * 1000)


def messenger_id_for(page_id: str, commenter_id: str) -> str:
    """The page-scoped Messenger id (PSID) Meta gives a Facebook commenter: deterministic here,
    and different from their commenter id, as on the real platform."""
    digest = hashlib.sha256(f"psid:{page_id}:{commenter_id}".encode()).hexdigest()
    return str(int(digest[:13], 16) + 2_000_000_000_000_000)[:16]


@dataclass
class Comment:
    account_id: str
    comment_id: str
    author_id: str
    created_ms: int
    post_id: str | None = None  # Facebook: the post; Instagram: the media
    author_name: str | None = None
    private_replied: bool = False
    hidden: bool = False  # the brand hid it (Meta's hide comment API): only its author still sees it


@dataclass
class Tweet:
    tweet_id: str
    author: dict[str, Any]  # the v1.1 user object, for the brand's reply to name


@dataclass
class PlatformState:
    config: LocalConfig
    clock: Callable[[], int] = wall_clock_ms
    # (account, customer id) -> last time the customer wrote privately (Messenger, IG, WhatsApp, X DM)
    last_private_message: dict[tuple[str, str], int] = field(default_factory=dict)
    comments: dict[tuple[str, str], Comment] = field(default_factory=dict)
    tweets: dict[tuple[str, str], Tweet] = field(default_factory=dict)
    x_users: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (brand, user id) -> profile
    # (bot id, chat id) -> message ids seen in the chat
    telegram_chats: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # --- feeding it ------------------------------------------------------------------------
    def observe(self, platform: str, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        """Learn from one webhook delivery the sandbox made (anything unexpected is ignored)."""
        try:
            doc = json.loads(body)
        except ValueError:
            return
        if not isinstance(doc, dict):
            return
        with self._lock:
            if platform == "meta":
                self._observe_meta(doc)
            elif platform == "x":
                self._observe_x(doc)
            elif platform == "telegram":
                self._observe_telegram(doc, headers or {})

    def _observe_meta(self, doc: dict[str, Any]) -> None:
        now = self.clock()
        for entry in _dicts(doc.get("entry")):
            account = str(entry.get("id", ""))
            entry_time = to_ms(entry.get("time"), now)
            for event in _dicts(entry.get("messaging")):
                message = event.get("message")
                sender = str(get_path(event, "sender", "id") or "")
                if isinstance(message, dict) and not message.get("is_echo") and sender and sender != account:
                    self._saw_private(account, sender, to_ms(event.get("timestamp"), entry_time))
            for change in _dicts(entry.get("changes")):
                value = change.get("value")
                if not isinstance(value, dict):
                    continue
                field_name = change.get("field")
                comment = _customer_comment(account, field_name, value, entry_time)
                if comment is not None:
                    self.comments[(account, comment.comment_id)] = comment
                elif field_name == "messages":
                    phone = str(get_path(value, "metadata", "phone_number_id") or "")
                    for message in _dicts(value.get("messages")):
                        if message.get("from"):
                            self._saw_private(phone, str(message["from"]), to_ms(message.get("timestamp"), now))

    def _observe_x(self, doc: dict[str, Any]) -> None:
        brand = str(doc.get("for_user_id", ""))
        for tweet in _dicts(doc.get("tweet_create_events")):
            user = tweet.get("user")
            if isinstance(user, dict) and tweet.get("id_str"):
                self.tweets[(brand, str(tweet["id_str"]))] = Tweet(str(tweet["id_str"]), user)
                self.x_users[(brand, str(user.get("id_str")))] = user
        for dm in _dicts(doc.get("direct_message_events")):
            create = dm.get("message_create")
            sender = str(get_path(create, "sender_id") or "") if isinstance(create, dict) else ""
            if sender and sender != brand:
                self._saw_private(brand, sender, to_ms(dm.get("created_timestamp"), self.clock()))
        for user_id, profile in (doc.get("users") or {}).items():
            if isinstance(profile, dict):
                self.x_users.setdefault((brand, str(user_id)), {"id_str": str(user_id), **profile})

    def _observe_telegram(self, doc: dict[str, Any], headers: Mapping[str, str]) -> None:
        secret = next((v for k, v in headers.items() if k.lower() == "x-telegram-bot-api-secret-token"), None)
        bot = next((b.bot_id for b in self.config.credentials.telegram_bots if b.secret_token == secret), None)
        message = doc.get("message") or doc.get("edited_message")
        chat_id = get_path(message, "chat", "id") if isinstance(message, dict) else None
        if bot is None or chat_id is None:
            return
        seen = self.telegram_chats.setdefault((bot, str(chat_id)), set())
        if isinstance(message, dict) and isinstance(message.get("message_id"), int):
            seen.add(message["message_id"])

    def _saw_private(self, account: str, customer: str, at_ms: int) -> None:
        key = (account, customer)
        self.last_private_message[key] = max(at_ms, self.last_private_message.get(key, 0))

    # --- asking it -------------------------------------------------------------------------
    def last_message_ms(self, account: str, customer: str) -> int | None:
        with self._lock:
            return self.last_private_message.get((account, customer))

    def comment(self, comment_id: str) -> Comment | None:
        with self._lock:
            return next((c for (_, cid), c in self.comments.items() if cid == comment_id), None)

    def mark_private_reply(self, comment: Comment) -> bool:
        """False when the comment already had its one private reply."""
        with self._lock:
            if comment.private_replied:
                return False
            comment.private_replied = True
            return True

    def set_hidden(self, comment: Comment, hidden: bool) -> None:
        with self._lock:
            comment.hidden = hidden

    def add_comment(self, comment: Comment) -> None:
        with self._lock:
            self.comments[(comment.account_id, comment.comment_id)] = comment

    def tweet(self, brand: str, tweet_id: str) -> Tweet | None:
        with self._lock:
            return self.tweets.get((brand, tweet_id))

    def add_tweet(self, brand: str, tweet: Tweet) -> None:
        with self._lock:
            self.tweets[(brand, tweet.tweet_id)] = tweet

    def x_user(self, brand: str, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self.x_users.get((brand, user_id))

    def knows_x_user(self, brand: str, user_id: str) -> bool:
        with self._lock:
            return (brand, user_id) in self.x_users or (brand, user_id) in self.last_private_message

    def telegram_chat(self, bot_id: str, chat_id: str) -> set[int] | None:
        with self._lock:
            seen = self.telegram_chats.get((bot_id, chat_id))
            return None if seen is None else set(seen)

    def next_telegram_message_id(self, bot_id: str, chat_id: str) -> int:
        with self._lock:
            seen = self.telegram_chats.setdefault((bot_id, chat_id), set())
            number = max(seen, default=0) + 1
            seen.add(number)
            return number


def _customer_comment(account: str, field_name: Any, value: dict[str, Any], entry_time: int) -> Comment | None:
    """The comment a Facebook feed or Instagram comments change announces, when a customer (not the
    account itself) wrote it; None for any other change."""
    if field_name == "feed" and value.get("item") == "comment" and value.get("verb") == "add":
        comment_id, created = value.get("comment_id"), value.get("created_time")
        post_id = str(value["post_id"]) if value.get("post_id") else None
        author_name = get_path(value, "from", "name")
    elif field_name in ("comments", "live_comments"):
        comment_id, created = value.get("id"), value.get("timestamp")
        post_id, author_name = get_path(value, "media", "id"), get_path(value, "from", "username")
    else:
        return None
    author = str(get_path(value, "from", "id") or "")
    if not author or author == account:
        return None
    return Comment(
        account, str(comment_id), author, to_ms(created, entry_time), post_id=post_id, author_name=author_name
    )


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
