"""The outbound repository's contract, run against OutboundStore (DynamoDB on moto) and MemoryOutboundStore."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from socialcare.errors import CaseChanged, ClaimLost, MessageIdTaken
from socialcare.model.case import Case, EntryKind
from socialcare.model.events import DeliveryState
from socialcare.model.sending import OutboundEntry, PartRecord, SendFailure, SendState
from socialcare.model.stored import MessageRef
from socialcare.ports import MessageCommit
from socialcare.rules.cases import apply_outbound

from tests.contract.helpers import PAGE, T0, entry_for, message, opened, pending_reply

NOW = T0 + 5000


def with_reply(backend: Any) -> tuple[Case, OutboundEntry]:
    event = message("m1")
    case = opened(event, "CASE1")
    backend.cases.commit_message(
        MessageCommit(
            event=event,
            entry=entry_for(event, "CASE1"),
            before=backend.cases.current_case(PAGE, ["psid-1"]),
            after=case,
        )
    )
    reply = pending_reply(case)
    backend.put_entry(reply)
    seen = backend.outbound.get(MessageRef(case.case_id, reply.entry_id))
    assert seen is not None
    return case, seen


def claimed(backend: Any, seen: OutboundEntry, attempt: str = "a1") -> OutboundEntry:
    assert backend.outbound.claim(seen, attempt_id=attempt, now_ms=NOW)
    fresh = backend.outbound.get(seen.ref)
    assert fresh is not None
    return fresh


def part(seen: OutboundEntry, *, message_id: str | None = "m_out1", done: bool = True, **kw: Any) -> PartRecord:
    return PartRecord(
        attempt_id=seen.attempt_id or "a1",
        seen=seen,
        at_ms=NOW + 10,
        platform="meta",
        account_id=PAGE,
        message_id=message_id,
        done=done,
        **kw,
    )


def test_a_pending_reply_is_claimed_once(backend: Any) -> None:
    _, seen = with_reply(backend)
    assert (seen.send_state, seen.attempts, seen.parts_sent, seen.entry.delivery_state) == (
        None,
        0,
        0,
        DeliveryState.PENDING,
    )
    assert backend.outbound.claim(seen, attempt_id="a1", now_ms=NOW)
    assert not backend.outbound.claim(seen, attempt_id="a2", now_ms=NOW)
    now = backend.outbound.get(seen.ref)
    assert (now.send_state, now.attempt_id, now.claimed_at_ms, now.attempts) == (SendState.SENDING, "a1", NOW, 1)
    assert now.entry.delivery_state is DeliveryState.SENDING


def test_only_an_outbound_entry_is_claimed(backend: Any) -> None:
    with_reply(backend)
    inbound = backend.outbound.get(backend.cases.find_message("meta", PAGE, "m1"))
    assert inbound.entry.kind is EntryKind.INBOUND
    assert not backend.outbound.claim(inbound, attempt_id="a1", now_ms=NOW)
    assert backend.outbound.get(MessageRef("CASE1", "0#none")) is None


def test_the_claimant_releases_and_the_reply_waits(backend: Any) -> None:
    _, seen = with_reply(backend)
    mine = claimed(backend, seen)
    assert not backend.outbound.release(mine, attempt_id="other", note="x", now_ms=NOW + 1)
    assert backend.outbound.release(mine, attempt_id="a1", note="retrying in 4 s", now_ms=NOW + 1)
    now = backend.outbound.get(seen.ref)
    assert (now.send_state, now.attempt_id, now.entry.delivery_state, now.entry.delivery_error) == (
        SendState.WAITING,
        None,
        DeliveryState.PENDING,
        "retrying in 4 s",
    )
    assert backend.outbound.claim(now, attempt_id="a2", now_ms=NOW + 2)  # a waiting reply is claimed again
    assert backend.outbound.get(seen.ref).attempts == 2


def test_failing_an_unclaimed_reply_and_an_abandoned_claim(backend: Any) -> None:
    _, seen = with_reply(backend)
    assert backend.outbound.fail(seen, SendFailure("window closed"), now_ms=NOW)
    assert not backend.outbound.fail(seen, SendFailure("again"), now_ms=NOW)  # failed is final
    now = backend.outbound.get(seen.ref)
    assert (now.send_state, now.entry.delivery_state, now.entry.delivery_error) == (
        SendState.FAILED,
        DeliveryState.FAILED,
        "window closed",
    )


def test_an_abandoned_claim_is_failed_uncertain_only_as_it_was_seen(backend: Any) -> None:
    _, seen = with_reply(backend)
    abandoned = claimed(backend, seen)
    assert not backend.outbound.fail(abandoned, SendFailure("x", attempt_id="someone-else"), now_ms=NOW)
    assert backend.outbound.fail(abandoned, SendFailure("uncertain", uncertain=True), now_ms=NOW + 1)
    now = backend.outbound.get(seen.ref)
    assert (now.send_state, now.uncertain) == (SendState.FAILED, True)


def test_giving_up_leaves_the_reply_claimable_by_a_redrive(backend: Any) -> None:
    _, seen = with_reply(backend)
    mine = claimed(backend, seen)
    assert backend.outbound.fail(mine, SendFailure("dlq", attempt_id="a1", gave_up=True), now_ms=NOW)
    now = backend.outbound.get(seen.ref)
    assert now.send_state is SendState.GAVE_UP
    assert backend.outbound.claim(now, attempt_id="a2", now_ms=NOW + 1)


def test_recording_the_accepted_reply_sends_it_indexes_it_and_answers_the_case(backend: Any) -> None:
    case, seen = with_reply(backend)
    mine = claimed(backend, seen)
    answered = apply_outbound(case, timestamp_ms=NOW + 10, now_ms=NOW + 10)
    backend.outbound.record(part(mine, case_change=(case, answered)))
    now = backend.outbound.get(seen.ref)
    assert (now.send_state, now.parts_sent, now.platform_message_ids) == (SendState.SENT, 1, ("m_out1",))
    assert (now.entry.delivery_state, now.entry.platform_message_id) == (DeliveryState.SENT, "m_out1")
    assert backend.cases.find_message("meta", PAGE, "m_out1") == seen.ref
    assert backend.cases.get_case("CASE1") == answered
    assert backend.cases.current_case(PAGE, ["psid-1"]).case == answered
    with pytest.raises(ClaimLost):
        backend.outbound.record(part(mine))  # the same part again: its parts count moved on


def test_a_part_of_several_keeps_the_reply_sending(backend: Any) -> None:
    _, seen = with_reply(backend)
    mine = claimed(backend, seen)
    backend.outbound.record(part(mine, message_id="p1", done=False))
    now = backend.outbound.get(seen.ref)
    assert (now.send_state, now.parts_sent, now.entry.delivery_state) == (SendState.SENDING, 1, DeliveryState.SENDING)
    backend.outbound.record(part(now, message_id="p2", done=True))
    now = backend.outbound.get(seen.ref)
    assert (now.send_state, now.platform_message_ids, now.entry.platform_message_id) == (
        SendState.SENT,
        ("p1", "p2"),
        "p1",
    )


def test_a_message_id_indexed_already_is_taken(backend: Any) -> None:
    _, seen = with_reply(backend)
    mine = claimed(backend, seen)
    with pytest.raises(MessageIdTaken):
        backend.outbound.record(part(mine, message_id="m1"))  # the customer's message holds that id
    assert backend.outbound.get(seen.ref).parts_sent == 0  # all or nothing


def test_a_case_changed_since_it_was_read_is_reported(backend: Any) -> None:
    case, seen = with_reply(backend)
    mine = claimed(backend, seen)
    stale = replace(case, version=case.version - 1)
    with pytest.raises(CaseChanged):
        backend.outbound.record(part(mine, case_change=(stale, replace(case, version=case.version + 1))))
    assert backend.outbound.get(seen.ref).parts_sent == 0


def test_an_echo_stored_first_is_adopted(backend: Any) -> None:
    case, seen = with_reply(backend)
    echo_event = replace(message("m_out1", ts=NOW + 20), customer=case.customer)
    echo = entry_for(echo_event, "CASE1", kind=EntryKind.OUTBOUND)
    backend.cases.commit_message(
        MessageCommit(
            event=echo_event,
            entry=echo,
            before=backend.cases.current_case(PAGE, ["psid-1"]),
            after=replace(case, version=case.version + 1),
        )
    )
    mine = claimed(backend, seen)
    with pytest.raises(MessageIdTaken):
        backend.outbound.record(part(mine))
    backend.outbound.record(part(mine, adopt=MessageRef("CASE1", echo.entry_id)))
    assert backend.cases.find_message("meta", PAGE, "m_out1") == seen.ref
    assert backend.cases.get_entry(MessageRef("CASE1", echo.entry_id)) is None
    assert [e.entry_id for e in backend.thread("CASE1") if e.kind is EntryKind.OUTBOUND] == [seen.entry.entry_id]


def test_the_claimant_records_over_an_uncertain_failure(backend: Any) -> None:
    _, seen = with_reply(backend)
    mine = claimed(backend, seen)
    assert backend.outbound.fail(mine, SendFailure("uncertain", uncertain=True), now_ms=NOW + 1)
    backend.outbound.record(part(mine))
    now = backend.outbound.get(seen.ref)
    assert (now.send_state, now.uncertain, now.entry.delivery_state, now.entry.delivery_error) == (
        SendState.SENT,
        False,
        DeliveryState.SENT,
        None,
    )
