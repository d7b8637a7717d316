"""The test backend's own guarantee: moto with DynamoDB semantics keeps transactions all-or-nothing."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.conftest import AwsResources

pytestmark = pytest.mark.integration


def item(pk: str, value: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": pk}, "SK": {"S": "X"}, "value": {"S": value}}


def test_a_failed_transaction_still_rolls_back_every_write(aws: AwsResources) -> None:
    ddb, table = aws.dynamodb, aws.table_name
    ddb.put_item(TableName=table, Item=item("A", "before"))
    ddb.put_item(TableName=table, Item=item("C", "taken"))
    with pytest.raises(ClientError) as failure:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": item("A", "after")}},  # replaces an item
                {"Put": {"TableName": table, "Item": item("B", "new")}},  # creates one
                {
                    "Put": {
                        "TableName": table,
                        "Item": item("C", "mine"),
                        "ConditionExpression": "attribute_not_exists(PK)",  # fails
                    }
                },
            ]
        )
    assert failure.value.response["Error"]["Code"] == "TransactionCanceledException"

    def value(pk: str) -> str | None:
        found = ddb.get_item(TableName=table, Key={"PK": {"S": pk}, "SK": {"S": "X"}}).get("Item")
        return found["value"]["S"] if found else None

    assert (value("A"), value("B"), value("C")) == ("before", None, "taken")
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": item("B", "new")}}])
    assert value("B") == "new"
