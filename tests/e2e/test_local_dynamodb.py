"""The local stack's DynamoDB keeps DynamoDB's transaction guarantees under concurrent writers.

moto alone rolls a cancelled transaction back by restoring a copy of the whole table, which erases
whatever other threads wrote meanwhile; ``socialcare_local.emulator.moto_dynamodb`` (installed by the stack)
checks every condition first and writes only when all hold.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from socialcare.aws import schema
from socialcare_local.emulator.aws import AwsServices

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

TABLE = "transactions"


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    services = AwsServices()
    services.start()
    try:
        client = services.client("dynamodb")
        client.create_table(**schema.create_table_kwargs(TABLE))
        yield client
    finally:
        services.stop()


def _put(pk: str, sk: str = "A", *, new: bool = True, **attributes: str) -> dict[str, Any]:
    put: dict[str, Any] = {
        "TableName": TABLE,
        "Item": {"PK": {"S": pk}, "SK": {"S": sk}, **{k: {"S": v} for k, v in attributes.items()}},
    }
    if new:
        put["ConditionExpression"] = "attribute_not_exists(PK)"
    return {"Put": put}


def _get(dynamodb: Any, pk: str, sk: str = "A") -> dict[str, Any] | None:
    response = dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": pk}, "SK": {"S": sk}}, ConsistentRead=True)
    item: dict[str, Any] | None = response.get("Item")
    return item


def test_a_transaction_whose_conditions_hold_writes_every_item(dynamodb: Any) -> None:
    dynamodb.transact_write_items(TransactItems=[_put("ok-1"), _put("ok-2"), _put("ok-3")])
    assert all(_get(dynamodb, pk) for pk in ("ok-1", "ok-2", "ok-3"))


def test_one_failed_condition_writes_nothing_and_names_the_item(dynamodb: Any) -> None:
    dynamodb.transact_write_items(TransactItems=[_put("taken", text="first")])
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[_put("fresh"), _put("taken", text="second")])
    error = refused.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in error["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    assert _get(dynamodb, "fresh") is None
    assert _get(dynamodb, "taken") == {"PK": {"S": "taken"}, "SK": {"S": "A"}, "text": {"S": "first"}}


def test_an_item_refused_after_the_conditions_held_undoes_the_items_before_it(dynamodb: Any) -> None:
    too_big = _put("too-big", text="x" * 500_000)
    with pytest.raises(ClientError, match="ValidationException"):
        dynamodb.transact_write_items(TransactItems=[_put("before-big"), too_big])
    assert _get(dynamodb, "before-big") is None
    assert _get(dynamodb, "too-big") is None


def test_two_operations_on_one_item_are_refused(dynamodb: Any) -> None:
    with pytest.raises(ClientError, match="multiple operations on one item"):
        dynamodb.transact_write_items(TransactItems=[_put("twice"), _put("twice", new=False)])
    assert _get(dynamodb, "twice") is None


def test_a_cancelled_transaction_never_erases_what_other_writers_stored(dynamodb: Any) -> None:
    dynamodb.transact_write_items(TransactItems=[_put("duplicate-target")])
    stored: list[str] = []
    errors: list[BaseException] = []

    def refused_duplicates() -> None:
        for _ in range(40):
            try:
                dynamodb.transact_write_items(TransactItems=[_put("dup-fresh"), _put("duplicate-target")])
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    errors.append(exc)

    def writer(name: str) -> None:
        try:
            for i in range(40):
                pk = f"{name}-{i}"
                dynamodb.transact_write_items(TransactItems=[_put(pk), _put(pk, "B")])
                stored.append(pk)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=refused_duplicates), *(threading.Thread(target=writer, args=(n,)) for n in "wv")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(stored) == 80
    missing = [pk for pk in stored for sk in ("A", "B") if _get(dynamodb, pk, sk) is None]
    assert missing == []
    assert _get(dynamodb, "dup-fresh") is None
