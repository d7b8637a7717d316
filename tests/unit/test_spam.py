"""Spam and troll marks: each rule, and what must never be marked."""

from __future__ import annotations

import pytest
from socialcare.model.case import PostTrace
from socialcare.rules.spam import (
    LINK_WINDOW_MS,
    MAX_TRACES,
    REPEAT_WINDOW_MS,
    MarkKind,
    PostFacts,
    contains_profanity,
    mark,
    remembered,
    trace,
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


def posted(*texts_and_times: tuple[str, int]) -> tuple[PostTrace, ...]:
    """The customer's recent posts as ingest remembers them, oldest first."""
    recent: tuple[PostTrace, ...] = ()
    for text, at_ms in texts_and_times:
        recent = remembered(recent, text, at_ms)
    return recent


def test_the_same_post_three_times_in_a_day_is_spam_however_it_is_dressed() -> None:
    history = posted(
        ("WIN a FREE phone, click my profile!!", NOW - 120_000), ("win a free phone click my profile 🎉", NOW - 60_000)
    )
    result = mark(PostFacts("Win a free phone: click my profile", NOW, recent_posts=history))
    assert result is not None
    assert (result.kind, result.reasons) == (MarkKind.SPAM, ("repeated_post x3",))


def test_posts_older_than_the_window_do_not_count() -> None:
    text = "Win a free phone, click my profile"
    history = posted((text, NOW - REPEAT_WINDOW_MS - 1), (text, NOW - 1000))
    assert len(history) == 2
    assert mark(PostFacts(text, NOW, recent_posts=history)) is None


def test_a_waiting_customer_asking_again_is_not_spam() -> None:
    """Short nudges ("any news?") are what a customer waiting for an answer sends: never counted."""
    history = posted(("Hello? any news??", NOW - 120_000), ("Hello? any news??", NOW - 60_000))
    assert history == ()
    assert mark(PostFacts("Hello? any news??", NOW, recent_posts=history)) is None


def test_four_messages_with_links_within_an_hour_are_a_link_flood() -> None:
    history = posted(
        ("best deals here promo.example.com/a today only", NOW - 50 * 60_000),
        ("see promo.example.com/b for the new offer", NOW - 30 * 60_000),
        ("and promo.example.com/c is even better, trust me", NOW - 10 * 60_000),
    )
    result = mark(PostFacts("last one: promo.example.com/d for the final deal", NOW, recent_posts=history))
    assert result is not None
    assert (result.kind, result.reasons) == (MarkKind.SPAM, ("link_flood 4 messages in an hour",))
    # the same messages spread over more than an hour are a customer sharing links
    spread = posted(*((f"my photo number {i} is at imgur.com/p{i} here", NOW - LINK_WINDOW_MS - i) for i in range(3)))
    assert mark(PostFacts("and the receipt is at imgur.com/receipt here", NOW, recent_posts=spread)) is None


def test_the_history_keeps_fingerprints_never_text_and_stays_bounded() -> None:
    history = posted(*((f"order number {i} never arrived at all", NOW + i) for i in range(MAX_TRACES + 3)))
    assert len(history) == MAX_TRACES
    assert [p.at_ms for p in history] == [NOW + i for i in range(3, MAX_TRACES + 3)]
    assert all(len(p.fingerprint) == 12 and "order" not in p.fingerprint for p in history)
    assert trace("Order number 3 never   arrived AT ALL!", 0) == PostTrace(history[0].fingerprint, 0, 0)
    assert trace("too short", 0) is None


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
