"""The case item leaves out what its other attributes already say (``aws/items.py``): the default
routing, a one-channel case's last inbound time by channel, the first-response clock's name, the case
id in the customer index's sort key. Every case reads back equal, from the item and from the copy."""

from __future__ import annotations

from dataclasses import replace

import pytest
from socialcare.aws.current_copy import copy_to_case, current_case_item
from socialcare.aws.items import DEFAULT_ROUTING, case_item, item_to_case
from socialcare.model.case import CaseRouting
from socialcare.model.escalation import EscalationSchedule
from socialcare.model.events import Channel

from tests.unit.test_current_copy import ANN, EVERYTHING, T0

pytestmark = pytest.mark.unit

ONE_CHANNEL = replace(
    EVERYTHING,
    channels=frozenset({Channel.MESSENGER}),
    last_inbound_by_channel={Channel.MESSENGER: T0 + 8_000},
    routing=DEFAULT_ROUTING,
    escalation=EscalationSchedule("first_response", T0 + 4_000, T0 + 3_000_001, T0 + 3_600_001),
    recent_posts=(),
)


def _reads_back(case: object) -> None:
    assert item_to_case(case_item(case)) == case  # type: ignore[arg-type]
    assert copy_to_case(current_case_item(case, ANN)) == case  # type: ignore[arg-type]


def test_what_the_item_already_says_is_left_out_and_read_back() -> None:
    item = case_item(ONE_CHANNEL)
    assert {"routing", "last_inbound_by_channel", "sla_clock"}.isdisjoint(item)
    assert item["GSI2SK"] == {"S": f"{T0:013d}"}
    _reads_back(ONE_CHANNEL)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(replace(ONE_CHANNEL, routing=None), id="no routing"),
        pytest.param(
            replace(ONE_CHANNEL, routing=CaseRouting("default", ("no rule applied",), rules_version=3)),
            id="default rule, rules configured",
        ),
        pytest.param(replace(ONE_CHANNEL, routing=CaseRouting("default")), id="default rule, no reason"),
        pytest.param(replace(ONE_CHANNEL, last_inbound_by_channel={}), id="no time by channel"),
        pytest.param(replace(ONE_CHANNEL, last_inbound_by_channel={Channel.MESSENGER: T0}), id="another time"),
        pytest.param(replace(ONE_CHANNEL, last_inbound_at_ms=None, last_inbound_by_channel={}), id="no inbound"),
        pytest.param(replace(ONE_CHANNEL, channels=frozenset(), last_inbound_by_channel={}), id="no channel"),
        pytest.param(
            replace(ONE_CHANNEL, escalation=replace(ONE_CHANNEL.escalation, clock="next_response")),  # type: ignore[type-var]
            id="next response clock",
        ),
    ],
)
def test_every_other_value_is_written_and_read_back(case: object) -> None:
    _reads_back(case)


def test_an_item_from_before_triage_reads_as_routed_by_no_rule() -> None:
    item = case_item(replace(ONE_CHANNEL, routing=None))
    assert item["routing"] == {"NULL": True}
    del item["routing"]  # as items written before triage are
    assert item_to_case(item).routing == DEFAULT_ROUTING
