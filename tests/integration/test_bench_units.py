"""The benchmarks' DynamoDB accounting (``tests/bench/index_writes.py``): write units from the items
before and after each write, by DynamoDB's rules for tables and global secondary indexes, matched
with the table's stream on moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.bench.aws_calls import AwsCalls, recording
from tests.bench.index_writes import Charge, TableShape, account, item_write

pytestmark = pytest.mark.integration

TABLE = "bench-units"
# One index of each projection: the queue (INCLUDE: the list's columns), the customer (KEYS_ONLY),
# the owner (ALL).
KWARGS: dict[str, Any] = {
    "TableName": TABLE,
    "BillingMode": "PAY_PER_REQUEST",
    "AttributeDefinitions": [
        {"AttributeName": name, "AttributeType": "S"} for name in ("PK", "SK", "QPK", "QSK", "CPK", "OPK")
    ],
    "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "Queue",
            "KeySchema": [{"AttributeName": "QPK", "KeyType": "HASH"}, {"AttributeName": "QSK", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["status"]},
        },
        {
            "IndexName": "Customer",
            "KeySchema": [{"AttributeName": "CPK", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        },
        {
            "IndexName": "Owner",
            "KeySchema": [{"AttributeName": "OPK", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        },
    ],
    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
}
SHAPE = TableShape.of(KWARGS)
KEY = {"PK": {"S": "CASE#1"}, "SK": {"S": "CASE"}}


def case(**attributes: str) -> dict[str, Any]:
    return {**KEY, **{name: {"S": value} for name, value in attributes.items()}}


def indexes(charges: list[Charge]) -> list[tuple[str | None, str, int]]:
    return [(c.index, c.key, c.units) for c in charges]


def test_the_shape_is_read_from_the_table_definition() -> None:
    assert SHAPE.keys == ("PK", "SK")
    queue = SHAPE.index("Queue")
    assert (queue.keys, queue.projection, queue.included) == (("QPK", "QSK"), "INCLUDE", frozenset({"status"}))
    projected = SHAPE.projected(queue, case(QPK="QUEUE#care", QSK="1", status="open", text="hello"))
    assert projected == case(QPK="QUEUE#care", QSK="1", status="open")
    assert SHAPE.projected(SHAPE.index("Customer"), case(QPK="QUEUE#care")) is None  # sparse: no key, not in it


def test_a_new_item_is_put_in_each_index_it_has_the_keys_of() -> None:
    written = item_write(SHAPE, KEY, None, case(QPK="QUEUE#care", QSK="1", CPK="CUST#joe"), transactional=False)
    assert indexes(written) == [(None, "CASE#1", 1), ("Queue", "QUEUE#care", 1), ("Customer", "CUST#joe", 1)]


def test_a_change_no_index_projects_writes_the_table_only() -> None:
    before = case(QPK="QUEUE#care", QSK="1", CPK="CUST#joe", status="open", version="1")
    after = case(QPK="QUEUE#care", QSK="1", CPK="CUST#joe", status="open", version="2")
    assert indexes(item_write(SHAPE, KEY, before, after, transactional=False)) == [(None, "CASE#1", 1)]


def test_a_projected_attribute_changed_is_one_index_write() -> None:
    before = case(QPK="QUEUE#care", QSK="1", CPK="CUST#joe", status="open")
    after = case(QPK="QUEUE#care", QSK="1", CPK="CUST#joe", status="pending")
    assert indexes(item_write(SHAPE, KEY, before, after, transactional=False)) == [
        (None, "CASE#1", 1),
        ("Queue", "QUEUE#care", 1),
    ]


def test_an_index_key_changed_is_a_delete_and_a_put() -> None:
    before = case(QPK="QUEUE#care", QSK="1")
    after = case(QPK="QUEUE#billing", QSK="1")
    written = item_write(SHAPE, KEY, before, after, transactional=False)
    assert indexes(written) == [(None, "CASE#1", 1), ("Queue", "QUEUE#care", 1), ("Queue", "QUEUE#billing", 1)]


def test_an_item_leaving_an_index_is_deleted_from_it() -> None:
    written = item_write(SHAPE, KEY, case(OPK="OWNER#alice"), case(), transactional=False)
    assert indexes(written) == [(None, "CASE#1", 1), ("Owner", "OWNER#alice", 1)]


def test_sizes_round_up_per_kb_and_a_transaction_doubles_the_table_item_only() -> None:
    big = case(OPK="OWNER#alice", text="x" * 1500)
    written = item_write(SHAPE, KEY, None, big, transactional=True)
    assert indexes(written) == [(None, "CASE#1", 4), ("Owner", "OWNER#alice", 2)]


@pytest.fixture
def recorded(aws_env: None) -> Iterator[tuple[Any, AwsCalls]]:
    import boto3
    from moto import mock_aws

    with mock_aws(), recording() as calls:
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(**KWARGS)
        yield dynamodb, calls


def test_the_calls_are_charged_from_the_stream_on_moto(recorded: tuple[Any, AwsCalls]) -> None:
    dynamodb, calls = recorded
    dynamodb.put_item(TableName=TABLE, Item=case(QPK="QUEUE#care", QSK="1", status="open"))
    dynamodb.update_item(  # nothing an index holds changes
        TableName=TABLE, Key=KEY, UpdateExpression="SET version = :v", ExpressionAttributeValues={":v": {"S": "2"}}
    )
    counter = {"PK": {"S": "COUNT#1"}, "SK": {"S": "1"}}
    dynamodb.update_item(  # an absent item, created by the update
        TableName=TABLE, Key=counter, UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}}
    )
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
        dynamodb.put_item(TableName=TABLE, Item=case(), ConditionExpression="attribute_not_exists(PK)")
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": case(QPK="QUEUE#billing", QSK="1", status="open")}},
            {"ConditionCheck": {"TableName": TABLE, "Key": counter, "ConditionExpression": "attribute_exists(n)"}},
        ]
    )
    dynamodb.delete_item(TableName=TABLE, Key={"PK": {"S": "NONE"}, "SK": {"S": "NONE"}})
    dynamodb.get_item(TableName=TABLE, Key=KEY, ConsistentRead=True)

    ledger = account(calls.calls, {TABLE: SHAPE})

    assert [(u.call.operation, indexes(u.writes), u.read_units) for u in ledger] == [
        ("PutItem", [(None, "CASE#1", 1), ("Queue", "QUEUE#care", 1)], 0.0),
        ("UpdateItem", [(None, "CASE#1", 1)], 0.0),
        ("UpdateItem", [(None, "COUNT#1", 1)], 0.0),
        ("PutItem", [(None, "CASE#1", 1)], 0.0),  # refused: the existing item's size
        (
            "TransactWriteItems",
            [(None, "CASE#1", 2), ("Queue", "QUEUE#care", 1), ("Queue", "QUEUE#billing", 1), (None, "COUNT#1", 2)],
            0.0,
        ),
        ("DeleteItem", [(None, "NONE", 1)], 0.0),  # deleted nothing
        ("GetItem", [], 1.0),
    ]


def test_a_write_the_calls_do_not_explain_is_an_error(recorded: tuple[Any, AwsCalls]) -> None:
    dynamodb, calls = recorded
    calls.active = False  # a writer the recorder did not see
    dynamodb.put_item(TableName=TABLE, Item=case())
    with pytest.raises(AssertionError, match="no recorded call explains"):
        account(calls.calls, {TABLE: SHAPE})


def test_each_charge_names_the_item_written_and_the_reply_breakdown_sums_them(recorded: tuple[Any, AwsCalls]) -> None:
    from tests.bench.cost import ItemWrites, item_writes

    dynamodb, calls = recorded
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": case(QPK="QUEUE#care", QSK="1", status="open")}},
            {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "CASE#1"}, "SK": {"S": "MSG#0000000000001#m1"}}}},
            {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "CUST#page#psid"}, "SK": {"S": "CURRENT"}}}},
            {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "PMSG#meta#page#m1"}, "SK": {"S": "PMSG"}}}},
            {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "CASE#1"}, "SK": {"S": "AUDIT#0000000000001#a"}}}},
        ]
    )
    dynamodb.put_item(TableName=TABLE, Item={"PK": {"S": "REPORTDAY#2026-12-01"}, "SK": {"S": "CASE#1"}})

    ledger = account(calls.calls, {TABLE: SHAPE})

    assert [(c.item, c.index, c.units) for u in ledger for c in u.writes] == [
        ("case", None, 2),
        ("case", "Queue", 1),
        ("thread entry", None, 2),
        ("current-case copy", None, 2),
        ("platform-message marker", None, 2),
        ("audit record", None, 2),
        ("REPORTDAY item", None, 1),
    ]
    assert item_writes(ledger, 2) == (
        ItemWrites("", "case", 1.0, {"Queue": 0.5}),
        ItemWrites("", "thread entry", 1.0, {}),
        ItemWrites("", "current-case copy", 1.0, {}),
        ItemWrites("", "platform-message marker", 1.0, {}),
        ItemWrites("", "audit record", 1.0, {}),
        ItemWrites("", "REPORTDAY item", 0.5, {}),
    )
