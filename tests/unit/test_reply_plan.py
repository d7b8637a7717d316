"""How a reply goes out, decided from the case and the entries of its thread it reads: channel, mode,
recipient, window, text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from socialcare.agents.commands import ReplyCommand
from socialcare.agents.identity import Caller, Role
from socialcare.agents.replies import plan_reply
from socialcare.agents.thread_facts import ThreadFacts
from socialcare.errors import EntryNotFound, OutsideMessagingWindow, ReplyNotPossible, TemplateRequired, TextTooLong
from socialcare.memory.agents import MemoryAgentStore
from socialcare.model.case import Case, EntryKind, ThreadEntry
from socialcare.model.events import Channel, Customer
from socialcare.model.outbound import ReplyMode
from socialcare.model.profile import BrandProfile, SignatureStyle

from tests.case_support import care_case

pytestmark = pytest.mark.unit

T0 = 1_767_258_000_000
HOUR = 3_600_000
ALICE = Caller("alice", Role.AGENT, frozenset({"care"}), "Alice Smith")


def entry(
    channel: Channel, n: int, *, at: int = T0, author: str = "cust-1", conversation: str | None = None
) -> ThreadEntry:
    return ThreadEntry(
        case_id="C1",
        entry_id=f"{at:013d}#m{n}",
        kind=EntryKind.INBOUND,
        timestamp_ms=at,
        channel=channel,
        platform_message_id=f"m{n}",
        author=author,
        text="help",
        public=channel.is_public,
        conversation_ref=conversation,
    )


def case_of(*entries: ThreadEntry) -> Case:
    last: dict[Channel, int] = {}
    for e in entries:
        assert e.channel is not None
        last[e.channel] = max(e.timestamp_ms, last.get(e.channel, 0))
    first = next(iter(last), Channel.MESSENGER)  # the case's platform is its first channel's (Meta without one)
    customer = Customer("cust-1", name="Joe")
    return care_case("C1", first, "acct", customer, T0, channels=frozenset(last), last_inbound_by_channel=last)


def plan(
    thread: list[ThreadEntry], *, now: int = T0 + HOUR, profile: BrandProfile | None = None, **command: Any
) -> Any:
    text = command.pop("text", "On it" if "template" not in command else None)
    case = case_of(*thread)
    store = MemoryAgentStore()
    store.put_case(case, thread)
    return plan_reply(
        case=case,
        facts=ThreadFacts(store, case),
        command=ReplyCommand(text=text, **command),
        text=text,
        profile=profile or BrandProfile.default("acct", "Acme"),
        caller=ALICE,
        now_ms=now,
    )


def test_the_latest_message_is_answered_on_its_channel() -> None:
    thread = [entry(Channel.X_POST, 1), entry(Channel.X_DM, 2, at=T0 + 1000)]
    result = plan(thread)
    assert (result.channel, result.mode, result.recipient_id, result.public) == (
        Channel.X_DM,
        ReplyMode.PRIVATE,
        "cust-1",
        False,
    )
    assert result.text == "On it\n— Alice"


def test_a_public_channel_is_answered_publicly_under_the_named_message() -> None:
    thread = [entry(Channel.FACEBOOK_COMMENT, 1, conversation="post-9"), entry(Channel.FACEBOOK_COMMENT, 2, at=T0 + 5)]
    result = plan(thread, reply_to=thread[0].entry_id)
    assert (result.mode, result.reply_to_id, result.conversation_ref, result.public) == (
        ReplyMode.PUBLIC,
        "m1",
        "post-9",
        True,
    )


def test_telegram_replies_go_to_the_chat() -> None:
    result = plan([entry(Channel.TELEGRAM, 1, author="u-5", conversation="chat-77")])
    assert result.recipient_id == "chat-77"


def test_reply_to_must_be_a_customer_message_of_the_case() -> None:
    thread = [entry(Channel.MESSENGER, 1)]
    with pytest.raises(EntryNotFound):
        plan(thread, reply_to="0000000000000#nope")


def test_nothing_to_answer() -> None:
    with pytest.raises(ReplyNotPossible):
        plan([])


def test_a_public_reply_needs_a_public_channel() -> None:
    with pytest.raises(ReplyNotPossible, match="private"):
        plan([entry(Channel.MESSENGER, 1)], mode=ReplyMode.PUBLIC)


def test_messenger_window_and_the_human_agent_tag() -> None:
    thread = [entry(Channel.MESSENGER, 1)]
    assert plan(thread, now=T0 + 23 * HOUR).tag is None
    with pytest.raises(OutsideMessagingWindow, match="HUMAN_AGENT"):
        plan(thread, now=T0 + 30 * HOUR)
    tagged = plan(thread, now=T0 + 30 * HOUR, profile=BrandProfile("acct", "Acme", human_agent_tag=True))
    assert tagged.tag == "HUMAN_AGENT"
    with pytest.raises(OutsideMessagingWindow, match="7 days"):
        plan(thread, now=T0 + 8 * 24 * HOUR, profile=BrandProfile("acct", "Acme", human_agent_tag=True))


def test_a_meta_dm_channel_the_customer_never_used_is_refused() -> None:
    with pytest.raises(OutsideMessagingWindow, match="has not written on messenger"):
        plan([entry(Channel.FACEBOOK_COMMENT, 1)], channel=Channel.MESSENGER, mode=ReplyMode.PRIVATE)


def test_whatsapp_templates() -> None:
    thread = [entry(Channel.WHATSAPP, 1)]
    template = {"name": "order_update", "language": "en", "components": []}
    with pytest.raises(TemplateRequired):
        plan(thread, now=T0 + 25 * HOUR)
    result = plan(thread, now=T0 + 25 * HOUR, template=template)
    assert result.template == template
    assert result.text == "[WhatsApp template order_update (en)]"
    with pytest.raises(ReplyNotPossible, match="WhatsApp"):
        plan([entry(Channel.TELEGRAM, 1)], template=template)


def test_the_signature_counts_towards_the_limit() -> None:
    thread = [entry(Channel.X_POST, 1)]
    assert len(plan(thread, text="x" * 272).text) == 280  # "\n— Alice" is 8 characters
    with pytest.raises(TextTooLong, match="8 of them the signature"):
        plan(thread, text="x" * 273)
    none = BrandProfile("acct", "Acme", signature_style=SignatureStyle.NONE)
    assert plan(thread, text="x" * 280, profile=none).text == "x" * 280


def test_a_private_reply_to_a_comment_fits_the_dm_limit_and_takes_no_media() -> None:
    thread = [entry(Channel.INSTAGRAM_COMMENT, 1)]
    with pytest.raises(TextTooLong, match="instagram_dm allows 1000"):
        plan(thread, text="x" * 1000, mode=ReplyMode.PRIVATE_REPLY_TO_COMMENT)
    with pytest.raises(ReplyNotPossible, match="cannot carry"):
        plan(thread, mode=ReplyMode.PRIVATE_REPLY_TO_COMMENT, attachments=(("image", "https://x/y.png"),))


def test_a_deleted_comment_cannot_be_answered_publicly() -> None:
    gone = replace(entry(Channel.X_POST, 1), deleted_at_ms=T0 + 5)
    with pytest.raises(ReplyNotPossible, match="deleted"):
        plan([gone], reply_to=gone.entry_id)
    with pytest.raises(ReplyNotPossible, match="nothing"):
        plan([gone])


def test_a_deleted_latest_message_leaves_the_one_before_it_on_its_channel_to_answer() -> None:
    first = entry(Channel.FACEBOOK_COMMENT, 1, conversation="post-1")
    note = replace(entry(Channel.FACEBOOK_COMMENT, 2, at=T0 + 5), kind=EntryKind.NOTE, author="bob")
    gone = replace(entry(Channel.FACEBOOK_COMMENT, 3, at=T0 + 9, conversation="post-3"), deleted_at_ms=T0 + 20)
    result = plan([first, note, gone])
    assert (result.channel, result.reply_to_id, result.conversation_ref) == (Channel.FACEBOOK_COMMENT, "m1", "post-1")


def test_the_latest_message_on_the_channel_asked_for_is_answered_not_the_latest_of_all() -> None:
    thread = [
        entry(Channel.FACEBOOK_COMMENT, 1, conversation="post-1"),
        entry(Channel.FACEBOOK_COMMENT, 2, at=T0 + 5, conversation="post-2"),
        entry(Channel.MESSENGER, 3, at=T0 + 9),
    ]
    result = plan(thread, channel=Channel.FACEBOOK_COMMENT)
    assert (result.mode, result.reply_to_id, result.conversation_ref) == (ReplyMode.PUBLIC, "m2", "post-2")


# ---- what a reply reads of the thread ---------------------------------------------------------------
@dataclass
class CountingReads:
    """The memory store's reads, counting the entries handed out (as a table's items read)."""

    store: MemoryAgentStore
    entries_read: int = 0

    def newest_entries(self, case_id: str, **bounds: Any) -> Iterator[ThreadEntry]:
        for found in self.store.newest_entries(case_id, **bounds):
            self.entries_read += 1
            yield found

    def get_entry(self, case_id: str, entry_id: str) -> ThreadEntry | None:
        self.entries_read += 1
        return self.store.get_entry(case_id, entry_id)


def facts_of(customer: list[ThreadEntry], others: tuple[ThreadEntry, ...] = ()) -> tuple[ThreadFacts, CountingReads]:
    """What a reply reads of a thread of the ``customer``'s messages and ``others`` (notes, replies)."""
    case = case_of(*customer)
    store = MemoryAgentStore()
    store.put_case(case, [*customer, *others])
    reads = CountingReads(store)
    return ThreadFacts(reads, case), reads  # type: ignore[arg-type]


def test_the_newest_public_message_skips_deleted_ones_and_private_ones() -> None:
    facts, _ = facts_of(
        [
            entry(Channel.FACEBOOK_COMMENT, 1),
            replace(entry(Channel.FACEBOOK_COMMENT, 2, at=T0 + 10), deleted_at_ms=T0 + 20),
            entry(Channel.MESSENGER, 3, at=T0 + 30),
        ]
    )
    found = facts.newest_public()
    assert found is not None
    assert found.platform_message_id == "m1"


def test_a_channel_the_customer_never_wrote_on_reads_nothing() -> None:
    facts, reads = facts_of([entry(Channel.MESSENGER, 1)])
    assert facts.newest_on(Channel.WHATSAPP) is None
    assert facts.newest_public() is None
    assert reads.entries_read == 0


def test_the_newest_message_on_a_channel_is_read_once_however_long_the_thread() -> None:
    customer = [entry(Channel.MESSENGER, n, at=T0 + n) for n in range(1, 200)]
    notes = tuple(
        replace(entry(Channel.MESSENGER, n, at=T0 + n), kind=EntryKind.NOTE, entry_id=f"{T0 + n:013d}#note")
        for n in range(200, 220)
    )
    facts, reads = facts_of(customer, notes)

    newest = facts.newest_inbound()
    again = facts.newest_on(Channel.MESSENGER)

    assert newest is again
    assert newest is not None
    assert newest.platform_message_id == "m199"
    assert reads.entries_read == 1  # read back from the customer's last message, not from the notes after it


def test_the_named_message_is_read_by_its_key_once() -> None:
    facts, reads = facts_of([entry(Channel.X_POST, 1), entry(Channel.X_POST, 2, at=T0 + 5)])
    assert facts.entry(f"{T0:013d}#m1") is facts.entry(f"{T0:013d}#m1")
    assert facts.entry(f"{T0:013d}#nope") is None
    assert reads.entries_read == 2
