"""Spam and troll marking: pure rules that set a case aside for review, never drop it.

Each rule gives a reason; the mark is the gravest kind any reason calls for:

- ``blocked``: the customer is on the brand's blocked list → troll.
- ``repeated_post``: the same text (read as the rules read text: case, accents, emoji and spacing
  aside) posted ``REPEAT_LIMIT`` times or more by the customer within ``REPEAT_WINDOW_MS`` (this
  post included) → spam. Only texts of ``REPEAT_MIN_WORDS`` words or more, or with a link, count:
  "hello?" or "any news??" sent again and again is a customer waiting for an answer, not spam.
- ``link_flood``: ``LINK_LIMIT`` links or more in one message, or links making up half its words;
  or ``LINK_MESSAGES_LIMIT`` messages with links within ``LINK_WINDOW_MS`` → spam.
- ``profanity`` (English, via ``better-profanity``) and ``new_account`` (younger than
  ``NEW_ACCOUNT_DAYS`` days, where the platform tells) **only add weight**: an angry customer who
  swears, or one who just signed up to complain, is a customer. Profanity marks a troll when the
  insults are most of the message (``PROFANE_SHARE``), or together with a brand-new account.
  A new account marks spam together with links.

The customer's recent posts are remembered as ``PostTrace`` values (a fingerprint of the text,
never the text, its time and its link count; ``remembered``), at most ``MAX_TRACES`` of the last
``REPEAT_WINDOW_MS``: ingest keeps them on the case it reads and writes anyway, so counting them
costs no request of its own.

A message found sensitive is never marked (the caller checks ``sensitive`` first: a blocked
customer writing about self-harm still goes to the trained team).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources

from socialcare.model.case import PostTrace
from socialcare.rules.text import plain_words, words

REPEAT_LIMIT = 3
REPEAT_WINDOW_MS = 24 * 60 * 60 * 1000
REPEAT_MIN_WORDS = 5
LINK_LIMIT = 3
LINK_MESSAGES_LIMIT = 4
LINK_WINDOW_MS = 60 * 60 * 1000
MAX_TRACES = 8
NEW_ACCOUNT_DAYS = 7
PROFANE_SHARE = 0.5
PROFANITY_PACKAGE = "better_profanity"
PROFANITY_LIST = "profanity_wordlist.txt"
_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|io|ly|xyz|top|info|biz|ru|cn|me)(?:/\S*)?\b", re.I)


class MarkKind(StrEnum):
    SPAM = "spam"
    TROLL = "troll"


@dataclass(frozen=True, slots=True)
class PostFacts:
    text: str
    timestamp_ms: int
    recent_posts: Sequence[PostTrace] = ()  # the same customer's earlier posts to the brand account
    blocked: bool = False
    account_age_days: int | None = None  # None: the platform did not say


@dataclass(frozen=True, slots=True)
class SpamMark:
    kind: MarkKind
    reasons: tuple[str, ...]


def contains_profanity(text: str) -> bool:
    """English profanity, leetspeak included, from ``better-profanity``'s maintained word list."""
    return profane_share(text) > 0


def profane_share(text: str) -> float:
    """The share of the message's words that are profanity (0 when it has none)."""
    text_words = plain_words(text)
    if not text_words:
        return 0.0
    single, phrases = _profanity_list()
    profane = sum(1 for word in text_words if word in single)
    joined = f" {' '.join(text_words)} "
    profane += sum(len(phrase.split()) for phrase in phrases if f" {phrase} " in joined)
    return min(1.0, profane / len(text_words))


@functools.cache
def _profanity_list() -> tuple[frozenset[str], tuple[str, ...]]:
    """The library's list, read with our own word matching: its matcher costs ~17 ms a message, this ~0.05."""
    listed = resources.files(PROFANITY_PACKAGE).joinpath(PROFANITY_LIST).read_text(encoding="utf-8")
    entries = [" ".join(plain_words(line)) for line in listed.splitlines() if line.strip()]
    return frozenset(e for e in entries if " " not in e), tuple(e for e in entries if " " in e)


def mark(facts: PostFacts) -> SpamMark | None:
    """The mark the rules give this post, with every reason that applied; None: a legitimate post."""
    reasons: list[tuple[str, MarkKind | None]] = []
    if facts.blocked:
        reasons.append(("blocked", MarkKind.TROLL))
    this = trace(facts.text, facts.timestamp_ms)
    fingerprint = this.fingerprint if this is not None else None
    repeats = _counted(facts, this, REPEAT_WINDOW_MS, lambda post: post.fingerprint == fingerprint)
    if repeats >= REPEAT_LIMIT:
        reasons.append((f"repeated_post x{repeats}", MarkKind.SPAM))
    links = this.links if this is not None else 0
    new = facts.account_age_days is not None and facts.account_age_days < NEW_ACCOUNT_DAYS
    word_count = max(1, len(facts.text.split()))
    link_messages = _counted(facts, this, LINK_WINDOW_MS, lambda post: post.links > 0) if links else 0
    if links >= LINK_LIMIT or (links and links * 2 >= word_count):
        reasons.append((f"link_flood x{links}", MarkKind.SPAM))
    elif link_messages >= LINK_MESSAGES_LIMIT:
        reasons.append((f"link_flood {link_messages} messages in an hour", MarkKind.SPAM))
    elif links and new:
        reasons.append((f"links from a new account x{links}", MarkKind.SPAM))
    if contains_profanity(facts.text):
        share = profane_share(facts.text)
        reasons.append(("profanity", MarkKind.TROLL if share >= PROFANE_SHARE or new else None))
    if new:
        reasons.append((f"new_account {facts.account_age_days}d", None))
    kinds = {kind for _, kind in reasons if kind is not None}
    if not kinds:
        return None
    kind = MarkKind.TROLL if MarkKind.TROLL in kinds else MarkKind.SPAM
    return SpamMark(kind, tuple(reason for reason, _ in reasons))


@functools.lru_cache(maxsize=64)  # ingest asks twice per message: to mark it, then to remember it
def trace(text: str, at_ms: int) -> PostTrace | None:
    """How a post is remembered; None for one the repeat and link-flood rules never count (short, no link)."""
    text_words = words(text)
    links = len(_LINK.findall(text))
    if len(text_words) < REPEAT_MIN_WORDS and not links:
        return None
    digest = hashlib.sha256(" ".join(text_words).encode("utf-8")).hexdigest()
    return PostTrace(digest[:12], at_ms, links)


def remembered(recent: Sequence[PostTrace], text: str, at_ms: int) -> tuple[PostTrace, ...]:
    """The customer's recent posts after this one: the last ``MAX_TRACES`` of the repeat window."""
    this = trace(text, at_ms)
    kept = [post for post in recent if post.at_ms > at_ms - REPEAT_WINDOW_MS]
    if this is not None:
        kept.append(this)
    return tuple(sorted(kept, key=lambda post: post.at_ms)[-MAX_TRACES:])


def _counted(facts: PostFacts, this: PostTrace | None, window_ms: int, same: Callable[[PostTrace], bool]) -> int:
    """Posts like this one within the window before it, this one included (0: it is never counted)."""
    if this is None:
        return 0
    since = facts.timestamp_ms - window_ms
    return 1 + sum(1 for post in facts.recent_posts if since < post.at_ms <= facts.timestamp_ms and same(post))
