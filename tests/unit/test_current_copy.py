"""The customer's current-case copy (``aws/current_copy.py``): the whole case back from its compact form,
the recent posts kept by other writers, and copies of the former form still read."""

from __future__ import annotations

from dataclasses import replace

import pytest
from socialcare.aws.current_copy import POSTS, copy_to_case, copy_update, current_case_item
from socialcare.aws.items import case_attributes, case_item, item_to_case, s
from socialcare.model.case import Case, CaseMark, CaseRouting, CaseStatus, PostTrace, Priority
from socialcare.model.escalation import EscalationSchedule, EscalationTier
from socialcare.model.events import Channel, Customer, Platform
from socialcare.model.follow_up import FollowUpSchedule

from tests.bench.ddb_cost import item_size

pytestmark = pytest.mark.unit

T0 = 1_767_225_600_000
ANN = "6254148874621037"

EVERYTHING = Case(
    case_id="01KB2F7Q9Z8X6C5V4B3N2M1L0K",
    platform=Platform.META,
    account_id="104729318529001",
    customer=Customer(ANN, name="Ann Example", handle="ann.example", alt_ids=("17841400000000001",)),
    status=CaseStatus.PENDING_CUSTOMER,
    priority=Priority.URGENT,
    team="billing-care",
    created_at_ms=T0,
    updated_at_ms=T0 + 9_000,
    channels=frozenset({Channel.MESSENGER, Channel.FACEBOOK_COMMENT}),
    owner="agent-42",
    last_inbound_at_ms=T0 + 8_000,
    last_inbound_by_channel={Channel.MESSENGER: T0 + 8_000, Channel.FACEBOOK_COMMENT: T0 + 1_000},
    last_outbound_at_ms=T0 + 3_000,
    awaiting_reply_since_ms=T0 + 4_000,
    response_due_at_ms=T0 + 3_600_000,
    first_response_at_ms=T0 + 3_000,
    resolved_at_ms=T0 - 5_000,
    customer_read_up_to_ms=T0 + 2_500,
    message_count=37,
    reopen_count=2,
    follow_up_of="01KA0000000000000000000000",
    response_started_at_ms=T0 + 4_000,
    response_channel=Channel.MESSENGER,
    status_since_ms=T0 + 4_000,
    paused_ms={"first_response": 120_000},
    waiting_on="billing",
    clock_generation=3,
    escalation=EscalationSchedule(
        clock="next_response",
        started_at_ms=T0 + 4_000,
        warn_at_ms=T0 + 3_000_001,
        breach_at_ms=T0 + 3_600_001,
        second_tier_at_ms=T0 + 7_200_001,
        tier=EscalationTier.WARN,
        tier_owner="agent-42",
    ),
    follow_up_cycle=1,
    follow_up=FollowUpSchedule(T0 + 5_000, nudge_at_ms=T0 + 86_400_000, resolve_at_ms=T0 + 172_800_000),
    routing=CaseRouting("vip", ("keyword refund",), ("vip", "refund"), 7, "default", "lead-1", T0 + 6_000),
    sensitive=frozenset({"bereavement"}),
    automated_messages_allowed=False,
    language="es",
    mark=CaseMark("troll", ("profanity",), by="agent-9", at_ms=T0 + 7_000, automated_before=False),
    restored_at_ms=T0 + 7_500,
    restored_by="lead-1",
    recent_posts=(PostTrace("9c0b16c6ecd8", T0 + 1_000), PostTrace("2f6a7ab2221f", T0 + 2_000, links=3)),
    version=41,
)


def test_the_copy_gives_back_the_whole_case_recent_posts_included() -> None:
    assert copy_to_case(current_case_item(EVERYTHING, ANN)) == EVERYTHING
    plain = replace(EVERYTHING, recent_posts=(), mark=None, routing=None, escalation=None, follow_up=None)
    assert copy_to_case(current_case_item(plain, ANN)) == plain


def test_the_case_item_leaves_the_recent_posts_to_the_copy() -> None:
    assert POSTS not in case_item(EVERYTHING)
    assert "recent_posts" not in case_item(EVERYTHING)
    assert item_to_case(case_item(EVERYTHING)) == replace(EVERYTHING, recent_posts=())


def test_the_copy_is_smaller_than_the_case_item_it_replaces() -> None:
    former = {**case_attributes(EVERYTHING), "PK": s(f"CUST#104729318529001#{ANN}"), "SK": s("CURRENT")}
    assert item_size(current_case_item(EVERYTHING, ANN)) < 0.8 * item_size(former)


def test_another_writer_updates_the_copy_around_the_customers_recent_posts() -> None:
    update, names, values = copy_update(replace(EVERYTHING, owner="agent-7", recent_posts=()))
    assert POSTS not in names.values()
    copy = current_case_item(EVERYTHING, ANN)
    for placeholder, name in names.items():  # what DynamoDB does with the update
        copy[name] = values[":" + placeholder[1:]]
    assert update.startswith("SET ")
    assert copy_to_case(copy) == replace(EVERYTHING, owner="agent-7")


def test_a_copy_of_the_former_form_is_still_read() -> None:
    former = {
        **case_attributes(replace(EVERYTHING, recent_posts=())),
        "PK": s(f"CUST#104729318529001#{ANN}"),
        "SK": s("CURRENT"),
        "recent_posts": {"L": [s("9c0b16c6ecd8|1767225601000|0"), s("2f6a7ab2221f|1767225602000|3")]},
    }
    assert copy_to_case(former) == EVERYTHING
