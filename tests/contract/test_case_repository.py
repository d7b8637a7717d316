"""The case repository's contract, run against CaseStore (DynamoDB on moto) and MemoryCaseStore."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from socialcare.errors import (
    CaseNotFound,
    CaseVersionConflict,
    ConcurrentThreadingConflict,
    DuplicateEvent,
    UnstorableEvent,
)
from socialcare.model.case import Case, CaseStatus, PostTrace
from socialcare.model.events import DeliveryState, EventKind
from socialcare.model.stored import MessageRef
from socialcare.ports import MessageCommit

from tests.contract.helpers import PAGE, T0, entry_for, joined, message, opened


def open_case(backend: Any, mid: str = "m1", *, user: str = "psid-1", case_id: str = "CASE1", ts: int = T0) -> Case:
    event = message(mid, user=user, ts=ts)
    before = backend.cases.current_case(PAGE, [user])
    case = opened(event, case_id)
    backend.cases.commit_message(MessageCommit(event=event, entry=entry_for(event, case_id), before=before, after=case))
    return case


def test_a_committed_message_is_found_every_way(backend: Any) -> None:
    case = open_case(backend)
    current = backend.cases.current_case(PAGE, ["psid-1"])
    assert current.case == case
    assert current.seen == {"psid-1": ("CASE1", case.version)}
    assert backend.cases.get_case("CASE1") == case
    ref = backend.cases.find_message("meta", PAGE, "m1")
    assert ref == MessageRef("CASE1", f"{T0:013d}#m1")
    entry = backend.cases.get_entry(ref)
    assert entry is not None
    assert (entry.text, entry.platform_message_id) == ("hi", "m1")
    assert [e.entry_id for e in backend.thread("CASE1")] == [ref.entry_id]


def test_nothing_is_found_where_nothing_is_stored(backend: Any) -> None:
    assert backend.cases.current_case(PAGE, ["nobody", "no-one"]).case is None
    assert backend.cases.current_case(PAGE, ["nobody", "no-one"]).seen == {"nobody": None, "no-one": None}
    assert backend.cases.find_message("meta", PAGE, "missing") is None
    assert backend.cases.get_entry(MessageRef("CASE9", "0#x")) is None
    with pytest.raises(CaseNotFound):
        backend.cases.get_case("CASE9")


def test_the_same_platform_message_twice_is_a_duplicate(backend: Any) -> None:
    case = open_case(backend)
    event = message("m1")
    before = backend.cases.current_case(PAGE, ["psid-1"])
    with pytest.raises(DuplicateEvent):
        backend.cases.commit_message(
            MessageCommit(event=event, entry=entry_for(event, "CASE1"), before=before, after=joined(case, event))
        )
    assert backend.cases.get_case("CASE1") == case


def test_a_second_message_joins_the_case_at_the_next_version(backend: Any) -> None:
    case = open_case(backend)
    event = message("m2", ts=T0 + 1000)
    before = backend.cases.current_case(PAGE, ["psid-1"])
    after = joined(case, event)
    backend.cases.commit_message(
        MessageCommit(event=event, entry=entry_for(event, "CASE1"), before=before, after=after)
    )
    assert backend.cases.get_case("CASE1").version == case.version + 1
    assert backend.cases.current_case(PAGE, ["psid-1"]).case == after
    assert [e.platform_message_id for e in backend.thread("CASE1")] == ["m1", "m2"]


def test_a_writer_that_read_before_another_wrote_must_read_again(backend: Any) -> None:
    case = open_case(backend)
    stale = backend.cases.current_case(PAGE, ["psid-1"])
    first, second = message("m2", ts=T0 + 1000), message("m3", ts=T0 + 2000)
    backend.cases.commit_message(
        MessageCommit(event=first, entry=entry_for(first, "CASE1"), before=stale, after=joined(case, first))
    )
    with pytest.raises(ConcurrentThreadingConflict):
        backend.cases.commit_message(
            MessageCommit(event=second, entry=entry_for(second, "CASE1"), before=stale, after=joined(case, second))
        )
    assert backend.cases.find_message("meta", PAGE, "m3") is None  # all or nothing


def test_two_new_cases_for_one_customer_cannot_both_be_written(backend: Any) -> None:
    empty = backend.cases.current_case(PAGE, ["psid-1"])
    first, second = message("m1"), message("m2", ts=T0 + 1)
    backend.cases.commit_message(
        MessageCommit(event=first, entry=entry_for(first, "CASE1"), before=empty, after=opened(first, "CASE1"))
    )
    with pytest.raises(ConcurrentThreadingConflict):
        backend.cases.commit_message(
            MessageCommit(event=second, entry=entry_for(second, "CASE2"), before=empty, after=opened(second, "CASE2"))
        )
    with pytest.raises(CaseNotFound):
        backend.cases.get_case("CASE2")


def test_a_follow_up_case_supersedes_the_closed_one(backend: Any) -> None:
    case = open_case(backend)
    before = backend.cases.current_case(PAGE, ["psid-1"])
    event = message("m2", ts=T0 + 10_000)
    follow_up = opened(event, "CASE2")
    superseded = replace(case, superseded_by="CASE2", version=case.version + 1)
    backend.cases.commit_message(
        MessageCommit(
            event=event, entry=entry_for(event, "CASE2"), before=before, after=follow_up, superseded=superseded
        )
    )
    assert backend.cases.get_case("CASE1").superseded_by == "CASE2"
    assert backend.cases.current_case(PAGE, ["psid-1"]).case == follow_up


def test_several_ids_of_one_customer_are_read_and_written_together(backend: Any) -> None:
    event = message("m1", alt=("igsid-1",))
    before = backend.cases.current_case(PAGE, ["psid-1", "igsid-1"])
    case = opened(event, "CASE1")
    backend.cases.commit_message(MessageCommit(event=event, entry=entry_for(event, "CASE1"), before=before, after=case))
    current = backend.cases.current_case(PAGE, ["psid-1", "igsid-1"])
    assert current.case == case
    assert current.seen == {"psid-1": ("CASE1", case.version), "igsid-1": ("CASE1", case.version)}
    assert backend.cases.current_case(PAGE, ["igsid-1"]).case == case


def test_many_customers_copies_are_read_at_once(backend: Any) -> None:
    first = open_case(backend)
    second = open_case(backend, "m2", user="psid-2", case_id="CASE2")
    keys = [(PAGE, "psid-1"), (PAGE, "psid-2"), (PAGE, "nobody"), ("another-page", "psid-1")]
    assert backend.cases.current_copies(keys) == {(PAGE, "psid-1"): first, (PAGE, "psid-2"): second}
    assert backend.cases.current_copies([]) == {}


def test_the_customers_recent_posts_stay_on_the_copies_whoever_writes_the_case(backend: Any) -> None:
    event = message("m1", alt=("igsid-1",))
    posts = (PostTrace("9c0b16c6ecd8", T0), PostTrace("2f6a7ab2221f", T0 + 1, links=2))
    case = replace(opened(event, "CASE1"), recent_posts=posts)
    before = backend.cases.current_case(PAGE, ["psid-1", "igsid-1"])
    backend.cases.commit_message(MessageCommit(event=event, entry=entry_for(event, "CASE1"), before=before, after=case))
    assert backend.cases.get_case("CASE1").recent_posts == ()  # only ingest reads them: not on the case
    assigned = replace(backend.cases.get_case("CASE1"), owner="agent-7", version=case.version + 1)
    backend.cases.save_case(case, assigned)  # as the agent API writes: its case knows no posts
    for user in ("psid-1", "igsid-1"):
        copy = backend.cases.current_case(PAGE, [user]).case
        assert (copy.owner, copy.recent_posts) == ("agent-7", posts)


def test_save_case_is_optimistic(backend: Any) -> None:
    case = open_case(backend)
    resolved = replace(case.with_status(CaseStatus.RESOLVED, T0 + 5), version=case.version + 1)
    backend.cases.save_case(case, resolved)
    assert backend.cases.get_case("CASE1") == resolved
    assert backend.cases.current_case(PAGE, ["psid-1"]).case == resolved
    with pytest.raises(CaseVersionConflict):
        backend.cases.save_case(case, replace(case, priority=case.priority, version=case.version + 1))


def test_edits_apply_in_platform_order_and_a_deletion_ends_them(backend: Any) -> None:
    open_case(backend)
    ref = backend.cases.find_message("meta", PAGE, "m1")
    assert backend.cases.update_entry_text(ref, text="second", edited_at_ms=T0 + 2)
    assert not backend.cases.update_entry_text(ref, text="first", edited_at_ms=T0 + 1)
    assert not backend.cases.update_entry_text(ref, text="again", edited_at_ms=T0 + 2)
    entry = backend.cases.get_entry(ref)
    assert (entry.text, entry.edits) == ("second", ((T0 + 2, "hi"),))
    assert backend.cases.mark_entry_deleted(ref, deleted_at_ms=T0 + 3)
    assert not backend.cases.mark_entry_deleted(ref, deleted_at_ms=T0 + 4)
    assert not backend.cases.update_entry_text(ref, text="late", edited_at_ms=T0 + 5)
    entry = backend.cases.get_entry(ref)
    assert (entry.text, entry.deleted_at_ms, entry.edits) == (None, T0 + 3, ())
    missing = MessageRef("CASE1", "0#nothing")
    assert not backend.cases.update_entry_text(missing, text="x", edited_at_ms=T0)
    assert not backend.cases.mark_entry_deleted(missing, deleted_at_ms=T0)


def test_delivery_states_only_move_forward(backend: Any) -> None:
    open_case(backend)
    ref = backend.cases.find_message("meta", PAGE, "m1")
    assert backend.cases.set_delivery_state(ref, state=DeliveryState.DELIVERED, at_ms=T0 + 1)
    assert not backend.cases.set_delivery_state(ref, state=DeliveryState.SENT, at_ms=T0 + 2)
    assert not backend.cases.set_delivery_state(ref, state=DeliveryState.DELIVERED, at_ms=T0 + 3)
    assert backend.cases.set_delivery_state(ref, state=DeliveryState.FAILED, at_ms=T0 + 4, error="131047")
    entry = backend.cases.get_entry(ref)
    assert (entry.delivery_state, entry.delivery_state_at_ms, entry.delivery_error) == (
        DeliveryState.FAILED,
        T0 + 4,
        "131047",
    )
    assert not backend.cases.set_delivery_state(MessageRef("CASE1", "0#x"), state=DeliveryState.READ, at_ms=T0)


def test_reactions_are_kept_per_reactor_in_platform_order(backend: Any) -> None:
    open_case(backend)
    ref = backend.cases.find_message("meta", PAGE, "m1")
    assert backend.cases.set_reaction(ref, by="psid-1", emoji="❤️", at_ms=T0 + 2)
    assert backend.cases.set_reaction(ref, by="psid-2", emoji="👍🏽", at_ms=T0 + 1)
    assert not backend.cases.set_reaction(ref, by="psid-1", emoji="😢", at_ms=T0 + 1)  # older: ignored
    assert not backend.cases.set_reaction(ref, by="psid-1", emoji="❤️", at_ms=T0 + 2)  # the same again
    assert backend.cases.get_entry(ref).reactions == {"psid-1": "❤️", "psid-2": "👍🏽"}
    assert backend.cases.set_reaction(ref, by="psid-1", emoji=None, at_ms=T0 + 3)  # removed
    assert not backend.cases.set_reaction(ref, by="psid-1", emoji="😢", at_ms=T0 + 2)  # cannot come back
    assert backend.cases.get_entry(ref).reactions == {"psid-2": "👍🏽"}
    assert [e.reactions for e in backend.thread("CASE1")] == [{"psid-2": "👍🏽"}]
    assert not backend.cases.set_reaction(MessageRef("CASE1", "0#x"), by="psid-1", emoji="❤️", at_ms=T0)


def test_a_hidden_comment_is_recorded_once_and_a_refusal_never_undoes_it(backend: Any) -> None:
    open_case(backend)
    ref = backend.cases.find_message("meta", PAGE, "m1")
    assert backend.cases.record_hide_failed(ref, error="Meta refused it (error 100): nope")
    assert backend.cases.get_entry(ref).hide_error == "Meta refused it (error 100): nope"
    assert backend.cases.record_hidden(ref, at_ms=T0 + 5)
    assert not backend.cases.record_hidden(ref, at_ms=T0 + 9)
    assert not backend.cases.record_hide_failed(ref, error="late refusal")
    entry = backend.cases.get_entry(ref)
    assert (entry.hidden_at_ms, entry.hide_error) == (T0 + 5, None)
    assert not backend.cases.record_hidden(MessageRef("CASE1", "0#x"), at_ms=T0)


def test_an_unmatched_event_is_kept_once_however_often_it_comes(backend: Any) -> None:
    event = replace(message("r1"), kind=EventKind.UNKNOWN, raw_kind="reaction", raw={"reaction": "love"})
    for _ in range(2):
        backend.cases.record_unmatched(event, reason="unknown_kind", raw_key="raw/meta/x.json", day="2026-01-01")
    [row] = backend.unmatched("meta", "2026-01-01")
    assert (row["reason"], row["raw_kind"], row["message_id"], row["raw_key"]) == (
        "unknown_kind",
        "reaction",
        "r1",
        "raw/meta/x.json",
    )
    assert '"love"' in row["raw"]
    assert backend.unmatched("meta", "2026-01-02") == []


def test_an_entry_beyond_an_items_size_is_unstorable(backend: Any) -> None:
    event = message("big", text="x" * 500_000)
    before = backend.cases.current_case(PAGE, ["psid-1"])
    with pytest.raises(UnstorableEvent):
        backend.cases.commit_message(
            MessageCommit(event=event, entry=entry_for(event, "CASE1"), before=before, after=opened(event, "CASE1"))
        )
    assert backend.cases.find_message("meta", PAGE, "big") is None
