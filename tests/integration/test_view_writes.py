"""What a case write costs the indexes (``aws/schema.py``): an index item is written only when its keys or
a projected attribute change, so a customer's second message in the same waiting cycle must leave
every index item as it was, while the case item itself changes."""

from __future__ import annotations

from typing import Any

import pytest
from socialcare import constants as c
from socialcare.aws import keys, schema
from socialcare.aws.case_store import CaseStore
from socialcare.aws.items import item_key
from socialcare.clock import ManualClock
from socialcare.ingest.service import Ingestor, IngestSettings
from socialcare.model.events import Channel, Customer, EventKind, ParsedDelivery, Platform, PlatformEvent

from tests.conftest import AwsResources
from tests.event_support import platform_event

pytestmark = pytest.mark.integration

T0 = 1_767_225_600_000
TABLE_KEYS = (c.PARTITION_KEY, c.SORT_KEY)


def dm(mid: str, ts: int, text: str) -> PlatformEvent:
    customer = Customer("joe", name="Joe", handle="joe_x")
    return platform_event(
        Channel.X_DM, "brand-x", EventKind.MESSAGE, mid, ts, customer=customer, message_id=mid, text=text
    )


def index_items(item: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """What each index holds of the case item: its keys and projected attributes (None: not in it)."""
    found: dict[str, dict[str, Any] | None] = {}
    for index in schema.INDEXES:
        if index.partition_key not in item or index.sort_key not in item:
            found[index.name] = None
            continue
        names = (*TABLE_KEYS, index.partition_key, index.sort_key, *(index.projected or ()))
        found[index.name] = {name: item[name] for name in names if name in item}
    return found


def test_a_second_message_in_the_same_waiting_cycle_writes_no_index_item(aws: AwsResources, store: CaseStore) -> None:
    clock = ManualClock(T0)
    ingestor = Ingestor(store, clock=clock, settings=IngestSettings(account_teams={"brand-x": "x-care"}))
    ingestor.ingest(ParsedDelivery(Platform.X, (dm("d1", T0, "where is my parcel?"),)), attempt=1)
    case = store.current_case("brand-x", ["joe"]).case
    assert case is not None
    key = item_key(keys.case_pk(case.case_id), keys.CASE_SK)
    before = aws.dynamodb.get_item(TableName=aws.table_name, Key=key)["Item"]
    clock.advance(minutes=2)
    ingestor.ingest(ParsedDelivery(Platform.X, (dm("d2", T0 + 120_000, "hello? still waiting"),)), attempt=1)
    after = aws.dynamodb.get_item(TableName=aws.table_name, Key=key)["Item"]
    assert (before["version"], before["message_count"]) != (after["version"], after["message_count"])
    assert index_items(after) == index_items(before)
    on = {name for name, image in index_items(after).items() if image is not None}
    assert on == {
        c.QUEUE_INDEX,
        c.CUSTOMER_INDEX,
        c.STATUS_INDEX,
        c.CHANNEL_INDEX,
        c.PRIORITY_INDEX,
        c.TEAM_ASSIGNEE_INDEX,
        c.CLOCK_INDEX,  # an answer is awaited: its clock is to start
    }


def test_no_index_projects_what_changes_with_every_message() -> None:
    changing = {
        "version",
        "updated_at_ms",
        "message_count",
        "last_inbound_at_ms",
        "last_inbound_by_channel",
        "last_outbound_at_ms",
        "recent_posts",
        "customer_read_up_to_ms",
    }
    for index in schema.INDEXES:
        assert not changing & set(index.projected or ()), index.name
    assert sum(len(index.projected or ()) for index in schema.INDEXES) <= 100  # DynamoDB's limit, summed
    assert all(len(index.projected or ()) <= 20 for index in schema.INDEXES)  # and per index
