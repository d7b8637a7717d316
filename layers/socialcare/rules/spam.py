"""Spam and troll marking: pure rules that set a case aside for review, never drop it.

Each rule gives a reason; the mark is the gravest kind any reason calls for:

- ``blocked``: the customer is on the brand's blocked list → troll.
- ``repeated_post``: the same text (read as the rules read text: case, accents, emoji and spacing
  aside) posted ``REPEAT_LIMIT`` times or more by the customer within ``REPEAT_WINDOW_MS`` (this
  post included, from the recent history the caller gives) → spam.
- ``link_flood``: ``LINK_LIMIT`` links or more, or links making up half the words → spam.
- ``profanity`` (English, via ``better-profanity``) and ``new_account`` (younger than
  ``NEW_ACCOUNT_DAYS`` days, where the platform tells) **only add weight**: an angry customer who
  swears, or one who just signed up to complain, is a customer. Profanity marks a troll when the
  insults are most of the message (``PROFANE_SHARE``), or together with a brand-new account.
  A new account marks spam together with links.

A message found sensitive is never marked (the caller checks ``sensitive`` first: a blocked
customer writing about self-harm still goes to the trained team).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources

from socialcare.rules.text import plain_words, words

REPEAT_LIMIT = 3
REPEAT_WINDOW_MS = 24 * 60 * 60 * 1000
LINK_LIMIT = 3
NEW_ACCOUNT_DAYS = 7
PROFANE_SHARE = 0.5
PROFANITY_PACKAGE = "better_profanity"
PROFANITY_LIST = "profanity_wordlist.txt"
_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|io|ly|xyz|top|info|biz|ru|cn|me)(?:/\S*)?\b", re.I)


class MarkKind(StrEnum):
    SPAM = "spam"
    TROLL = "troll"


@dataclass(frozen=True, slots=True)
class RecentPost:
    text: str
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class PostFacts:
    text: str
    timestamp_ms: int
    recent_posts: Sequence[RecentPost] = ()  # the same customer's earlier posts to the brand
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
    repeats = _repeats(facts)
    if repeats >= REPEAT_LIMIT:
        reasons.append((f"repeated_post x{repeats}", MarkKind.SPAM))
    links = len(_LINK.findall(facts.text))
    new = facts.account_age_days is not None and facts.account_age_days < NEW_ACCOUNT_DAYS
    word_count = max(1, len(facts.text.split()))
    if links >= LINK_LIMIT or (links and links * 2 >= word_count):
        reasons.append((f"link_flood x{links}", MarkKind.SPAM))
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


def _repeats(facts: PostFacts) -> int:
    this = words(facts.text)
    if not this:
        return 1
    since = facts.timestamp_ms - REPEAT_WINDOW_MS
    return 1 + sum(1 for post in facts.recent_posts if post.timestamp_ms >= since and words(post.text) == this)
