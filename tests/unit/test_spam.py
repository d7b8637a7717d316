"""Spam and troll marks: each rule, and what must never be marked."""

from __future__ import annotations

import pytest
from socialcare.rules.spam import (
    REPEAT_WINDOW_MS,
    MarkKind,
    PostFacts,
    RecentPost,
    contains_profanity,
    mark,
)

pytestmark = pytest.mark.unit

NOW = 1_750_000_000_000


@pytest.mark.parametrize(
    "text",
    [
        "my fucking parcel is lost AGAIN, where is it??",  # an angry customer who swears is a customer
        "where is my refund? order 4471",
        "see the photo: https://imgur.com/abc",
        "",
    ],
)
def test_legitimate_posts_are_not_marked(text: str) -> None:
    assert mark(PostFacts(text, NOW)) is None


def test_profanity_is_found_in_leetspeak_too() -> None:
    assert contains_profanity("you sh1t company")
    assert not contains_profanity("Scunthorpe office hours?")


def test_a_message_made_of_insults_marks_a_troll() -> None:
    result = mark(PostFacts("fuck you fucking shit", NOW))
    assert result is not None
    assert (result.kind, result.reasons) == (MarkKind.TROLL, ("profanity",))


def test_profanity_from_a_brand_new_account_marks_a_troll() -> None:
    result = mark(PostFacts("where is my fucking order", NOW, account_age_days=1))
    assert result is not None
    assert result.kind is MarkKind.TROLL
    assert result.reasons == ("profanity", "new_account 1d")


def test_a_new_account_alone_is_not_marked() -> None:
    assert mark(PostFacts("hi, my order never came", NOW, account_age_days=0)) is None


def test_the_blocked_list_marks_a_troll() -> None:
    result = mark(PostFacts("hello again", NOW, blocked=True))
    assert result is not None
    assert (result.kind, result.reasons) == (MarkKind.TROLL, ("blocked",))


def test_the_same_post_three_times_in_a_day_is_spam_however_it_is_dressed() -> None:
    history = [RecentPost("WIN a FREE phone!!", NOW - 60_000), RecentPost("win a free phone 🎉", NOW - 120_000)]
    result = mark(PostFacts("Win a free phone", NOW, recent_posts=history))
    assert result is not None
    assert (result.kind, result.reasons) == (MarkKind.SPAM, ("repeated_post x3",))


def test_posts_older_than_the_window_do_not_count() -> None:
    old = NOW - REPEAT_WINDOW_MS - 1
    history = [RecentPost("Win a free phone", old), RecentPost("Win a free phone", NOW - 1000)]
    assert mark(PostFacts("Win a free phone", NOW, recent_posts=history)) is None


@pytest.mark.parametrize(
    "text",
    [
        "deals http://a.example.com http://b.example.com https://c.example.com",
        "www.cheap-pills.xyz",
        "bit.ly/x1 bit.ly/x2 bit.ly/x3 look",
    ],
)
def test_a_link_flood_is_spam(text: str) -> None:
    result = mark(PostFacts(text, NOW))
    assert result is not None
    assert result.kind is MarkKind.SPAM
    assert result.reasons[0].startswith("link_flood")


def test_a_link_from_a_brand_new_account_is_spam() -> None:
    result = mark(PostFacts("great offer, have a look: promo.example.com", NOW, account_age_days=2))
    assert result is not None
    assert result.kind is MarkKind.SPAM


def test_troll_outranks_spam_and_every_reason_is_kept() -> None:
    result = mark(PostFacts("a.xyz b.xyz c.xyz", NOW, blocked=True))
    assert result is not None
    assert result.kind is MarkKind.TROLL
    assert result.reasons == ("blocked", "link_flood x3")
